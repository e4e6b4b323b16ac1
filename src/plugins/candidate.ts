import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { withScope } from '../container/default-scope.js';
import type { Scope } from '../container/scope.js';
import { PluginError } from './errors.js';
import type { FoundPlugin } from './find.js';
import { validatePlugin, type Plugin } from './manifest.js';
import { confine, packageDir, packageEntry } from './paths.js';
import type { PluginRecord } from './report.js';
import { stagingScope } from './staging.js';

/** What `load` takes: plugin objects, module paths, package names, or {@link findPlugins} results. */
export type PluginInput = Plugin | string | FoundPlugin;

/** A plugin on its way in: resolved, imported and validated (or the error that stopped it), with a staging scope for its registrations. */
export interface Candidate {
  record: PluginRecord;
  plugin?: Plugin;
  file?: string;
  staging: Scope;
  error?: unknown;
}

/** Where a host looks for plugin modules. */
export interface Places {
  /** Holds `node_modules` for package names. */
  readonly root: string;
  /** Relative paths are resolved against it. */
  readonly base: string;
  /** Plugin files must stay inside these. */
  readonly roots: readonly string[];
}

/** A fresh record for a plugin known only by its input so far. */
export function newRecord(): PluginRecord {
  return { name: '?', source: 'object', origin: 'explicit', state: 'failed', dependencies: [], timings: {}, registrations: {}, errors: [], reloads: 0 };
}

/**
 * Resolves and imports `input` (inside a staging scope of `host`, so decorators that run at
 * import are the plugin's), then validates the plugin object against the host's API. Never
 * throws: a failure is the candidate's `error`. `bust` makes the import URL new (hot reload).
 */
export async function prepareCandidate(input: PluginInput, host: Scope, places: Places, api: string, bust?: number): Promise<Candidate> {
  const staging = stagingScope(host);
  const record = newRecord();
  const c: Candidate = { record, staging };
  try {
    let value: unknown = input;
    if (typeof input === 'string') Object.assign(record, { name: input, source: input });
    if (typeof input === 'string' || isFound(input)) {
      const found = typeof input === 'string' ? resolveSpecifier(input, places) : input;
      Object.assign(record, { name: found.packageName ?? found.file, source: found.packageName ?? found.file, origin: found.origin });
      if (found.error !== undefined) throw found.error;
      c.file = confine(found.file, places.roots, 'plugin');
      const t0 = performance.now();
      const url = pathToFileURL(c.file).href + (bust === undefined ? '' : `?reload=${bust}`);
      const ns = (await withScope(staging, () => importModule(url)).catch((err: unknown) => {
        throw new PluginError('E_PLUGIN_LOAD', `plugin ${record.source}: import failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      })) as Record<string, unknown>;
      record.timings['import'] = performance.now() - t0;
      value = pickExport(ns);
    }
    const plugin = validatePlugin(value, record.source === 'object' ? 'an object' : record.source, api);
    Object.assign(record, { name: plugin.meta.name, version: plugin.meta.version, api: plugin.meta.api, dependencies: [...(plugin.dependencies ?? [])] });
    c.plugin = plugin;
  } catch (err) {
    if (err instanceof PluginError && err.plugin !== undefined) record.name = err.plugin;
    c.error = err;
  }
  return c;
}

function isFound(input: unknown): input is FoundPlugin {
  return typeof input === 'object' && input !== null && 'file' in input && 'origin' in input;
}

function resolveSpecifier(spec: string, places: Places): FoundPlugin {
  if (spec.startsWith('.') || spec.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec)) return { file: resolve(places.base, spec), origin: 'explicit' };
  if (!/^(@[\w.-]+\/)?[\w.-]+$/.test(spec)) throw new PluginError('E_PLUGIN_LOAD', `plugin '${spec}': not a path or a package name`, { key: spec });
  const dir = confine(packageDir(places.root, spec), places.roots, `plugin package '${spec}'`);
  return { file: packageEntry(dir), origin: 'explicit', packageName: spec };
}

/**
 * A real `import()`, also in the CJS build, where TypeScript would turn `import()` into
 * `require()` (which cannot load ES modules nor take a cache-busting URL).
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: a native import() TypeScript cannot rewrite
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/** The plugin a module exports: `default`, `plugin`, or a CJS `module.exports(.default)`. */
function pickExport(ns: Record<string, unknown>): unknown {
  const d = ns['default'] as Record<string, unknown> | undefined;
  for (const v of [ns['plugin'], d, d?.['default'], d?.['plugin']]) if (typeof v === 'object' && v !== null && 'meta' in v) return v;
  throw new PluginError(
    'E_PLUGIN_LOAD',
    `the module exports no plugin (expected a default export or an export named 'plugin' with a 'meta' field; found: ${Object.keys(ns).join(', ') || 'nothing'})`,
  );
}
