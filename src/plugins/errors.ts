import type { PluginCode } from '../container/codes.js';
import { PlugboardError, type ErrorDetails } from '../container/errors.js';

export type { PluginCode } from '../container/codes.js';

/** The family class of the plugin layer's errors (codes in docs/errors.md); `plugin` names the plugin when known. */
export class PluginError extends PlugboardError {
  declare readonly code: PluginCode;
  readonly plugin?: string;
  constructor(code: PluginCode, message: string, details: ErrorDetails & { plugin?: string } = {}) {
    super(code, message, details);
    if (details.plugin !== undefined) this.plugin = details.plugin;
  }
}

/** Runs `fn` with a deadline; `E_PLUGIN_TIMEOUT` names the plugin and the step. */
export async function withTimeout<T>(plugin: string, step: string, ms: number, fn: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PluginError('E_PLUGIN_TIMEOUT', `plugin '${plugin}': ${step}() did not finish within ${ms} ms`, { plugin })), ms);
      }),
    ]);
  } catch (err) {
    if (err instanceof PlugboardError) throw err;
    throw new PluginError('E_PLUGIN_SETUP', `plugin '${plugin}': ${step}() threw: ${err instanceof Error ? err.message : String(err)}`, { plugin, cause: err });
  } finally {
    clearTimeout(timer);
  }
}
