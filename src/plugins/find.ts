import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { PluginError } from './errors.js';
import { confine, packageDir, packageEntry } from './paths.js';

/** Where a plugin was found. */
export type PluginOrigin = 'explicit' | 'package.json' | 'directory' | 'convention';

/** A plugin module to import. */
export interface FoundPlugin {
  /** Absolute, real path of the module file. */
  readonly file: string;
  readonly origin: PluginOrigin;
  /** The package name, for plugins found as packages. */
  readonly packageName?: string;
}

/** Options of {@link findPlugins}. */
export interface FindPluginsOptions {
  /** The host's directory, holding its `package.json` and `node_modules` (default `process.cwd()`). */
  root?: string;
  /** Read `"plugboard": { "plugins": [globs] }` from the host's `package.json` (default true). */
  packageJson?: boolean;
  /** Directories of plugin modules (files `*.js`/`*.mjs`/`*.cjs`, or folders with a `package.json`). */
  directories?: readonly string[];
  /** Installed packages named `plugboard-plugin-*`, `@scope/plugboard-plugin` or `@scope/plugboard-plugin-*` (default false). */
  conventions?: boolean;
  /** Plugin paths must stay inside these (default `[root]`). */
  roots?: readonly string[];
}

/** The naming conventions, as globs over package names. */
export const CONVENTION_GLOBS = ['plugboard-plugin-*', '@*/plugboard-plugin', '@*/plugboard-plugin-*'] as const;

/**
 * Finds plugin modules without importing them: from the host's `package.json` globs matched
 * against its installed dependencies, from directories, and by naming convention. Every
 * path is confined to the allowed roots (`E_PLUGIN_PATH`). The result is deduplicated by
 * real path and sorted within each origin.
 */
export function findPlugins(opts: FindPluginsOptions = {}): FoundPlugin[] {
  const root = resolve(opts.root ?? process.cwd());
  const roots = opts.roots ?? [root];
  const found = new Map<string, FoundPlugin>();
  const add = (p: FoundPlugin): void => {
    if (!found.has(p.file)) found.set(p.file, p);
  };
  const asPackage = (name: string, origin: PluginOrigin): void => {
    const dir = confine(packageDir(root, name), roots, `plugin package '${name}'`);
    add({ file: confine(packageEntry(dir), roots, `plugin package '${name}'`), origin, packageName: name });
  };
  if (opts.packageJson !== false) {
    for (const name of fromPackageJson(root)) asPackage(name, 'package.json');
  }
  for (const d of opts.directories ?? []) {
    const dir = confine(resolve(root, d), roots, `plugin directory '${d}'`);
    for (const f of readdirSync(dir).sort()) {
      const path = join(dir, f);
      if (statSync(path).isDirectory()) {
        if (existsSync(join(path, 'package.json'))) add({ file: confine(packageEntry(path), roots, `plugin folder '${f}'`), origin: 'directory' });
      } else if (/\.(m|c)?js$/.test(f)) {
        add({ file: confine(path, roots, `plugin file '${f}'`), origin: 'directory' });
      }
    }
  }
  if (opts.conventions === true) {
    const match = picomatch([...CONVENTION_GLOBS]);
    for (const name of installedPackages(root)) if (match(name)) asPackage(name, 'convention');
  }
  return [...found.values()];
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
  const globs = (pkg['plugboard'] as { plugins?: unknown } | undefined)?.plugins;
  if (globs === undefined) return [];
  if (!Array.isArray(globs) || globs.some((g) => typeof g !== 'string' || g === '')) {
    throw new PluginError('E_PLUGIN_MANIFEST', `${file}: "plugboard.plugins" must be an array of globs`, { key: 'plugboard.plugins' });
  }
  const match = picomatch(globs as string[]);
  const deps = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    for (const name of Object.keys((pkg[field] as Record<string, string> | undefined) ?? {})) deps.add(name);
  }
  // Only installed dependencies: an optional one may be absent.
  return [...deps].filter((n) => match(n) && existsSync(join(packageDir(root, n), 'package.json'))).sort();
}

/** Names of the packages installed in `{root}/node_modules`, scoped ones included. */
function installedPackages(root: string): string[] {
  const nm = join(root, 'node_modules');
  if (!existsSync(nm)) return [];
  const out: string[] = [];
  for (const d of readdirSync(nm).sort()) {
    if (d.startsWith('.')) continue;
    if (d.startsWith('@')) {
      for (const s of readdirSync(join(nm, d)).sort()) if (existsSync(join(nm, d, s, 'package.json'))) out.push(`${d}/${s}`);
    } else if (existsSync(join(nm, d, 'package.json'))) out.push(d);
  }
  return out;
}
