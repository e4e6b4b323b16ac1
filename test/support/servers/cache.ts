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
import { basename, join } from 'node:path';

export function cacheRoot(): string {
  const root = process.env['PLUGBOARD_SERVER_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'plugboard', 'servers');
  mkdirSync(root, { recursive: true });
  return root;
}

/**
 * A short hash of the given files' names and contents (the recipe a build came from). Names
 * only, not folders: every clone of the repository shares one cache entry.
 */
export function hashFiles(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(basename(f)).update('\0').update(readFileSync(f)).update('\0');
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
  if (existsSync(dir)) return Promise.resolve(dir);
  let p = building.get(key);
  if (p === undefined) {
    p = (async () => {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      try {
        await build(tmp);
        if (!existsSync(dir)) renameSync(tmp, dir);
        else rmSync(tmp, { recursive: true, force: true });
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
