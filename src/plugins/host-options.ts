import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDuration } from '../container/duration.js';
import { InvalidOptionError } from '../container/errors.js';
import { closestName } from '../container/names.js';

/** Every option a `PluginHost` takes: anything else (`cwd`, `baseDir`…) is refused, as every other options object does. */
export const HOST_OPTIONS = ['scope', 'root', 'base', 'roots', 'timeoutMs', 'failFast', 'logger', 'config', 'apiVersion', 'metrics'] as const;

/** Refuses an options object of the wrong shape or with an unknown key (naming the closest known one). */
export function checkHostOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw new InvalidOptionError(
      'PluginHost',
      undefined,
      `options must be an object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`,
    );
  for (const key of Object.keys(opts)) {
    if ((HOST_OPTIONS as readonly string[]).includes(key)) continue;
    const near = closestName(key, HOST_OPTIONS);
    throw new InvalidOptionError(
      'PluginHost',
      key,
      `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${[...HOST_OPTIONS].sort().join(', ')}`,
    );
  }
  const o = opts as Record<string, unknown>;
  readDuration('PluginHost', 'timeoutMs', o['timeoutMs']);
  const config = o['config'];
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config)))
    throw new InvalidOptionError('PluginHost', 'config', 'must be an object of per-plugin configurations, by plugin name');
  if (o['roots'] !== undefined && (!Array.isArray(o['roots']) || !o['roots'].every((r) => typeof r === 'string' || r instanceof URL)))
    throw new InvalidOptionError('PluginHost', 'roots', 'must be an array of directories (strings or file: URLs)');
}

/** A directory option given as a path or a `file:` URL (`new URL('.', import.meta.url)`), as an absolute path. */
export function directoryOption(option: string, value: unknown, against: string): string {
  if (value instanceof URL || (typeof value === 'string' && value.startsWith('file:'))) {
    try {
      return fileURLToPath(value);
    } catch {
      throw new InvalidOptionError('PluginHost', option, `must be a directory or a file: URL, got ${String(value)}`);
    }
  }
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError('PluginHost', option, 'must be a directory (a path or a file: URL)');
  return resolve(against, value);
}

/** The plugin's own configuration: an own key only (a plugin named `constructor` or `toString` gets none, not `Object`). */
export function ownConfig(config: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(config, name) ? config[name] : undefined;
}
