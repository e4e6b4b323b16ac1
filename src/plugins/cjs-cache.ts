import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

/**
 * Hot reload of CommonJS plugins. `import()` of a CommonJS file goes through the require
 * cache, keyed by file name: a cache-busting query on the URL makes a new ES module wrapper
 * but hands back the old `module.exports`. So before re-importing, the plugin's own modules
 * are removed from that cache: its entry module and every module it required, recursively,
 * that lies under the plugin's root and not in a `node_modules` below it. Modules outside
 * (the host's, shared libraries) stay cached and shared.
 */
export function forgetCommonJs(file: string, root: string): string[] {
  const cache = createRequire(file).cache;
  const removed: string[] = [];
  const visit = (m: NodeJS.Module | undefined): void => {
    if (m === undefined || cache[m.filename] !== m || !ownFile(m.filename, root)) return;
    delete cache[m.filename];
    removed.push(m.filename);
    for (const child of m.children) visit(child);
  };
  visit(cache[file]);
  return removed;
}

/** Whether `file` is the plugin's own code: under `root`, not in a `node_modules` below it. */
function ownFile(file: string, root: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && !rel.split(sep).includes('node_modules');
}

/**
 * The root of a plugin's own code: the directory of its package (the nearest `package.json`
 * that is not the host's own directory nor above it: a package in `node_modules`, a plugin
 * folder, a workspace package), else the directory of its file (a loose plugin file).
 */
export function pluginRoot(file: string, hostRoot: string): string {
  for (let dir = dirname(file); !holds(dir, hostRoot); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === dirname(dir)) break;
  }
  return dirname(file);
}

/** Whether `dir` is `path` or one of its ancestors. */
function holds(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
