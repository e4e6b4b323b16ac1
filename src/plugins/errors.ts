import { PlugboardError, type ErrorDetails } from '../container/errors.js';

/**
 * Codes of plugin errors:
 * - `E_PLUGIN_MANIFEST`: the plugin object is malformed (the message names the field);
 * - `E_PLUGIN_API`: the plugin's `meta.api` range does not accept the host's plugin API;
 * - `E_PLUGIN_PATH`: a plugin path is outside the allowed roots (`../`, symlinks);
 * - `E_PLUGIN_LOAD`: the module could not be found or imported, or exports no plugin;
 * - `E_PLUGIN_CYCLE`: the dependencies form a cycle (the message names it);
 * - `E_PLUGIN_DEPENDENCY`: a dependency is missing, or failed;
 * - `E_PLUGIN_DUPLICATE`: two plugins have the same name;
 * - `E_PLUGIN_TIMEOUT`: a lifecycle call did not settle in time;
 * - `E_PLUGIN_SETUP`: `setup`, `start`, `stop`, `dispose` or `ping` threw;
 * - `E_PLUGIN_DEPENDENTS`: unload refused while dependents are loaded;
 * - `E_PLUGIN_UNKNOWN`: no loaded plugin has that name;
 * - `E_PLUGIN_BOOT`: (aggregate) some plugins failed; each error is in `errors`.
 */
export type PluginCode =
  | 'E_PLUGIN_MANIFEST'
  | 'E_PLUGIN_API'
  | 'E_PLUGIN_PATH'
  | 'E_PLUGIN_LOAD'
  | 'E_PLUGIN_CYCLE'
  | 'E_PLUGIN_DEPENDENCY'
  | 'E_PLUGIN_DUPLICATE'
  | 'E_PLUGIN_TIMEOUT'
  | 'E_PLUGIN_SETUP'
  | 'E_PLUGIN_DEPENDENTS'
  | 'E_PLUGIN_UNKNOWN';

/** An error of the plugin layer; `plugin` names the plugin when known. */
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
