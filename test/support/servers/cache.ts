/**
 * The per-machine cache of built servers, shared by the tests, the benchmarks and the docs
 * runner: `$PLUGBOARD_SERVER_CACHE`, else `$XDG_CACHE_HOME/plugboard/servers`, else
 * `~/.cache/plugboard/servers`. Each build lives in a folder named after what it was built from
 * (a pinned version and a hash of the recipe), so changing a pin builds anew and never reuses a
 * stale binary. A build is written to a temporary folder and renamed into place, so a run that
 * is killed half-way leaves nothing that looks finished.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';

export function cacheRoot(): string {
  const set = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  // Absolute: `go build -o` resolves a relative path against the module's folder.
  const root = resolve(
    set(process.env['PLUGBOARD_SERVER_CACHE']) ?? join(set(process.env['XDG_CACHE_HOME']) ?? join(homedir(), '.cache'), 'plugboard', 'servers'),
  );
  mkdirSync(root, { recursive: true });
  return root;
}

/**
 * A short hash of the given files' names and contents and of `extra` (the recipe a build came
 * from). Names relative to their module, not absolute folders: every clone shares one entry.
 */
export function hashFiles(files: readonly string[], extra = '', base?: string): string {
  const h = createHash('sha256').update(extra).update('\0');
  for (const f of files)
    h.update(base === undefined ? basename(f) : relative(base, f))
      .update('\0')
      .update(readFileSync(f))
      .update('\0');
  return h.digest('hex').slice(0, 12);
}

/** Builds per process: two tests asking for one server at once share one build. */
const building = new Map<string, Promise<string>>();

/**
 * The folder `<cache>/<key>`, made by `build(tmpDir)` the first time and reused afterwards.
 * `build` fills the temporary folder it is given; it is renamed to its final name only when
 * `build` resolves.
 */
export function cached(key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(cacheRoot(), key);
  // A folder counts only with its BUILT marker, written last by the build.
  if (existsSync(join(dir, 'BUILT'))) return Promise.resolve(dir);
  let p = building.get(key);
  if (p === undefined) {
    p = (async () => {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      try {
        await build(tmp);
        if (!existsSync(join(tmp, 'BUILT'))) throw new Error(`the build of ${key} wrote no BUILT marker`);
        rmSync(dir, { recursive: true, force: true }); // a folder without its marker: a broken earlier build
        try {
          renameSync(tmp, dir);
        } catch (err) {
          // Another process finished the same build first: its folder serves.
          if (!existsSync(join(dir, 'BUILT'))) throw err;
          rmSync(tmp, { recursive: true, force: true });
        }
        return dir;
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      } finally {
        building.delete(key);
      }
    })();
    building.set(key, p);
  }
  return p;
}
