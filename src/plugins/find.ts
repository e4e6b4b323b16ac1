import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { PluginError } from './errors.js';
import { baseDirectory, confine, packageDir, packageEntry } from './paths.js';
import { canLoadTypeScript, isTypeScriptModule, warnSkippedTypeScript } from './typescript.js';

/** Where a plugin was found. */
export type PluginOrigin = 'explicit' | 'package.json' | 'directory' | 'convention';

/** A plugin module to import. */
export interface FoundPlugin {
  /** Absolute, real path of the module file (of what was looked at, when `error` is set). */
  readonly file: string;
  readonly origin: PluginOrigin;
  /** The package name, for plugins found as packages. */
  readonly packageName?: string;
  /**
   * What went wrong while looking (a listed directory that is missing, a dangling symlink, a
   * broken `package.json`): `host.load` reports it as a failed plugin, with this error.
   */
  readonly error?: PluginError;
}

/** Options of {@link findPlugins}. */
export interface FindPluginsOptions {
  /** The host's directory, holding its `package.json` and `node_modules` (default `process.cwd()`). */
  root?: string;
  /** Where relative `directories` are resolved: a directory, or a module URL such as `import.meta.url` (default `root`). */
  base?: string | URL;
  /** Read `"plugboard": { "plugins": [globs] }` from the host's `package.json` (default true). */
  packageJson?: boolean;
  /**
   * Directories of plugin modules (files `*.js`/`*.mjs`/`*.cjs`, or folders with a
   * `package.json`; `*.ts`/`*.mts`/`*.cts` too when the process can import TypeScript).
   */
  directories?: readonly string[];
  /**
   * Whether the TypeScript files of `directories` are plugins. Default: whether this process
   * can import them (tsx, ts-node, Node's type stripping); without, they are skipped with a
   * `PLUGBOARD_PLUGIN_TS_SKIPPED` warning, once per directory.
   */
  typescript?: boolean;
  /** Installed packages named `plugboard-plugin-*`, `@scope/plugboard-plugin` or `@scope/plugboard-plugin-*` (default false). */
  conventions?: boolean;
  /** Plugin paths must stay inside these (default `[root]`; relative ones are resolved against `root`). */
  roots?: readonly string[];
}

/** The naming conventions, as globs over package names. */
export const CONVENTION_GLOBS = ['plugboard-plugin-*', '@*/plugboard-plugin', '@*/plugboard-plugin-*'] as const;

/**
 * Finds plugin modules without importing them: from the host's `package.json` globs matched
 * against its installed dependencies, from directories, and by naming convention. Every
 * path is confined to the allowed roots: a path that escapes them throws `E_PLUGIN_PATH`, and
 * nothing is imported. Every other problem — a listed directory that is missing or is a file,
 * a dangling symlink, a plugin's broken `package.json` — is returned as an entry with an
 * `error`, which `host.load` reports as a failed plugin (oclif's rule: collect, don't throw).
 * The result is deduplicated by real path and sorted within each origin.
 */
export function findPlugins(opts: FindPluginsOptions = {}): FoundPlugin[] {
  const root = resolve(opts.root ?? process.cwd());
  const base = baseDirectory(opts.base, root);
  const roots = (opts.roots ?? [root]).map((r) => resolve(root, r));
  const found = new Map<string, FoundPlugin>();
  const add = (p: FoundPlugin): void => {
    if (!found.has(p.file)) found.set(p.file, p);
  };
  /** Runs `fn`; a problem other than a path escape becomes an entry for `file`. */
  const collect = (file: string, origin: PluginOrigin, fn: () => void, packageName?: string): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof PluginError && err.code === 'E_PLUGIN_PATH') throw err;
      add({ file, origin, ...(packageName === undefined ? {} : { packageName }), error: asPluginError(err) });
    }
  };
  const asPackage = (name: string, origin: PluginOrigin): void =>
    collect(
      packageDir(root, name),
      origin,
      () => {
        const dir = confine(packageDir(root, name), roots, `plugin package '${name}'`);
        add({ file: confine(packageEntry(dir), roots, `plugin package '${name}'`), origin, packageName: name });
      },
      name,
    );
  if (opts.packageJson !== false) {
    for (const name of fromPackageJson(root)) asPackage(name, 'package.json');
  }
  const typescript = opts.typescript ?? canLoadTypeScript();
  const warnSkipped = opts.typescript === undefined; // told not to: nothing to warn about
  for (const d of opts.directories ?? []) {
    collect(resolve(base, d), 'directory', () => {
      const dir = confine(resolve(base, d), roots, `plugin directory '${d}'`);
      const skipped: string[] = [];
      for (const f of listDirectory(dir, `plugin directory '${d}'`)) {
        const path = join(dir, f);
        collect(path, 'directory', () => {
          if (isDirectory(path, `'${f}' in plugin directory '${d}'`)) {
            if (existsSync(join(path, 'package.json'))) add({ file: confine(packageEntry(path), roots, `plugin folder '${f}'`), origin: 'directory' });
          } else if (/\.(m|c)?js$/.test(f) || (typescript && isTypeScriptModule(f))) {
            add({ file: confine(path, roots, `plugin file '${f}'`), origin: 'directory' });
          } else if (isTypeScriptModule(f)) {
            skipped.push(f);
          }
        });
      }
      if (warnSkipped) warnSkippedTypeScript(dir, `plugin directory '${d}'`, skipped);
    });
  }
  if (opts.conventions === true) {
    const match = picomatch([...CONVENTION_GLOBS]);
    const nm = join(root, 'node_modules');
    for (const d of existsSync(nm) ? listDirectory(nm, nm) : []) {
      if (d.startsWith('.')) continue;
      if (!d.startsWith('@')) {
        if (match(d) && existsSync(join(nm, d, 'package.json'))) asPackage(d, 'convention');
        continue;
      }
      collect(join(nm, d), 'convention', () => {
        for (const s of listDirectory(join(nm, d), `node_modules/${d}`))
          if (match(`${d}/${s}`) && existsSync(join(nm, d, s, 'package.json'))) asPackage(`${d}/${s}`, 'convention');
      });
    }
  }
  return [...found.values()];
}

/** The sorted entries of a directory; a missing one, or a file, is `E_PLUGIN_LOAD` naming `what`. */
function listDirectory(dir: string, what: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'is a file, not a directory' : code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(code)})`;
    throw new PluginError('E_PLUGIN_LOAD', `${what}: '${dir}' ${why}`, { key: dir, cause: err });
  }
}

/** Whether `path` is a directory; a dangling symlink is `E_PLUGIN_LOAD` naming `what`. */
function isDirectory(path: string, what: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    const dangling = lstatSyncSafe(path)?.isSymbolicLink() === true;
    throw new PluginError('E_PLUGIN_LOAD', `${what}: ${dangling ? 'a dangling symlink' : `cannot be read (${String((err as NodeJS.ErrnoException).code)})`}`, {
      key: path,
      cause: err,
    });
  }
}

function lstatSyncSafe(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function asPluginError(err: unknown): PluginError {
  if (err instanceof PluginError) return err;
  return new PluginError('E_PLUGIN_LOAD', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Dependencies of the host's `package.json` matched by its `plugboard.plugins` globs. */
function fromPackageJson(root: string): string[] {
  const file = join(root, 'package.json');
  if (!existsSync(file)) return [];
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new PluginError('E_PLUGIN_MANIFEST', `${file}: not valid JSON`, { cause: err });
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw new PluginError('E_PLUGIN_MANIFEST', `${file}: must hold a JSON object`);
  const globs = (pkg['plugboard'] as { plugins?: unknown } | undefined)?.plugins;
  if (globs === undefined) return [];
  if (!Array.isArray(globs) || globs.some((g) => typeof g !== 'string' || g === '')) {
    throw new PluginError('E_PLUGIN_MANIFEST', `${file}: "plugboard.plugins" must be an array of globs`, { key: 'plugboard.plugins' });
  }
  const match = picomatch(globs as string[]);
  const deps = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    const list = pkg[field];
    if (typeof list === 'object' && list !== null) for (const name of Object.keys(list)) deps.add(name);
  }
  // Only installed dependencies: an optional one may be absent.
  return [...deps].filter((n) => match(n) && existsSync(join(packageDir(root, n), 'package.json'))).sort();
}
