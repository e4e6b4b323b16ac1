import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginError } from './errors.js';

/** Whether `path` is `root` or below it (both absolute, normalised). */
function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path`, if it lies inside one of `roots` both as written (no `../` out)
 * and once symlinks are resolved. `E_PLUGIN_PATH` otherwise; `E_PLUGIN_LOAD` if it is missing.
 */
export function confine(path: string, roots: readonly string[], what: string): string {
  const abs = resolve(path);
  const realRoots = roots.map((r) => (existsSync(r) ? realpathSync(r) : resolve(r)));
  const allowed = `allowed roots: ${roots.join(', ')}`;
  if (!roots.some((r) => inside(abs, resolve(r))))
    throw new PluginError('E_PLUGIN_PATH', `${what}: '${path}' is outside the plugin roots (${allowed})`, { key: path });
  if (!existsSync(abs)) throw new PluginError('E_PLUGIN_LOAD', `${what}: '${path}' does not exist`, { key: path });
  const real = realpathSync(abs);
  if (!realRoots.some((r) => inside(real, r)))
    throw new PluginError('E_PLUGIN_PATH', `${what}: '${path}' resolves to '${real}', outside the plugin roots (${allowed})`, { key: path });
  return real;
}

/** The directory of an installed package: `{root}/node_modules/{name}`. */
export function packageDir(root: string, name: string): string {
  return join(root, 'node_modules', ...name.split('/'));
}

/**
 * The entry file of a package directory, as `import()` would pick it for the common layouts:
 * `exports` (string, or `.` with `import`/`default`/`require`), then `module`, `main`, `index.js`.
 * A `package.json` that is missing, not JSON, not an object, or has a `main` or `module`
 * that is not a string is `E_PLUGIN_LOAD`, naming the file and the field.
 */
export function packageEntry(dir: string): string {
  const manifest = join(dir, 'package.json');
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === undefined
        ? `is not valid JSON (${(err as Error).message})`
        : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
    throw new PluginError('E_PLUGIN_LOAD', `${manifest} ${why}`, { key: manifest, cause: err });
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg))
    throw new PluginError('E_PLUGIN_LOAD', `${manifest} must hold a JSON object`, { key: manifest });
  const fields = pkg as { exports?: unknown; module?: unknown; main?: unknown };
  for (const field of ['module', 'main'] as const) {
    if (fields[field] !== undefined && typeof fields[field] !== 'string') {
      throw new PluginError('E_PLUGIN_LOAD', `${manifest}: "${field}" must be a string, got ${JSON.stringify(fields[field])}`, { key: field });
    }
  }
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (typeof e !== 'object' || e === null) return undefined;
    const o = e as Record<string, unknown>;
    return pick(o['.']) ?? pick(o['import']) ?? pick(o['node']) ?? pick(o['default']) ?? pick(o['require']);
  };
  const rel = pick(fields.exports) ?? (fields.module as string | undefined) ?? (fields.main as string | undefined) ?? 'index.js';
  const file = join(dir, rel);
  return existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.js') : file;
}

/**
 * The directory relative plugin paths are resolved against: `base` when given — a directory,
 * or a module's URL such as `import.meta.url` (then its directory) — else `fallback`.
 */
export function baseDirectory(base: string | URL | undefined, fallback: string): string {
  if (base === undefined) return fallback;
  const href = base instanceof URL ? base.href : base;
  if (typeof href !== 'string' || (/^[a-z][a-z0-9+.-]+:/i.test(href) && !href.startsWith('file:'))) {
    throw new PluginError('E_PLUGIN_PATH', `base must be a directory or a file: URL such as import.meta.url, got ${JSON.stringify(href)}`, { key: 'base' });
  }
  if (href.startsWith('file:')) {
    const path = fileURLToPath(href);
    return href.endsWith('/') ? path : dirname(path);
  }
  return resolve(fallback, href);
}
