import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
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
  if (!roots.some((r) => inside(abs, resolve(r)))) throw new PluginError('E_PLUGIN_PATH', `${what}: '${path}' is outside the plugin roots (${allowed})`, { key: path });
  if (!existsSync(abs)) throw new PluginError('E_PLUGIN_LOAD', `${what}: '${path}' does not exist`, { key: path });
  const real = realpathSync(abs);
  if (!realRoots.some((r) => inside(real, r))) throw new PluginError('E_PLUGIN_PATH', `${what}: '${path}' resolves to '${real}', outside the plugin roots (${allowed})`, { key: path });
  return real;
}

/** The directory of an installed package: `{root}/node_modules/{name}`. */
export function packageDir(root: string, name: string): string {
  return join(root, 'node_modules', ...name.split('/'));
}

/**
 * The entry file of a package directory, as `import()` would pick it for the common layouts:
 * `exports` (string, or `.` with `import`/`default`/`require`), then `module`, `main`, `index.js`.
 */
export function packageEntry(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (typeof e !== 'object' || e === null) return undefined;
    const o = e as Record<string, unknown>;
    return pick(o['.']) ?? pick(o['import']) ?? pick(o['node']) ?? pick(o['default']) ?? pick(o['require']);
  };
  const rel = pick(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
  const file = join(dir, rel);
  return existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.js') : file;
}
