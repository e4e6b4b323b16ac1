/**
 * Builds a Go program from a small module of ours (its go.mod and go.sum pin every version),
 * once per machine: the binary is cached under a key made of the module's files, so a changed
 * pin builds anew. Used for Consul and for the kratos helper programs. Go comes from the
 * machine (the README's test command needs nothing else); modules come from the Go module proxy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cached, hashFiles } from './cache.js';

export interface GoProgram {
  /** The cache key's readable part, e.g. `consul-1.16.3`. */
  name: string;
  /** The folder of our module (holds go.mod, go.sum and any .go files). */
  moduleDir: string;
  /** The packages to build, each into a binary named after its last path element. */
  packages: readonly string[];
}

/** The repository's root (the folder of plugboard's package.json), from wherever this file was compiled to. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !readFileSync(join(dir, 'package.json'), 'utf8').includes('"name": "plugboard"')) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find plugboard's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Our build flags (part of the cache key). */
const FLAGS = ['-trimpath'];

let goChecked: string | undefined;

/** The `go` command, or one clear line saying it is missing. */
function goBinary(): string {
  if (goChecked !== undefined) return goChecked;
  // PATH first; Go's own install folder when a service manager's PATH lacks it.
  const candidates = process.env['PLUGBOARD_GO'] !== undefined ? [process.env['PLUGBOARD_GO']] : ['go', '/usr/local/go/bin/go', '/usr/lib/go/bin/go'];
  const go = candidates.find((c) => spawnSync(c, ['version'], { encoding: 'utf8' }).status === 0) ?? candidates[0]!;
  const r = spawnSync(go, ['version'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `Go is not installed (\`${go} version\` failed): the Consul and kratos tests build their programs with Go ≥ 1.22; install Go or set PLUGBOARD_GO`,
    );
  }
  goChecked = go;
  return go;
}

/** The first lines of a failed `go` run that say why (a refused module, a compile error). */
function reason(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('go: downloading'));
  const refused = lines.find((l) => /403 Forbidden|404 Not Found|410 Gone|not available|dial tcp|no such host|lookup disabled/.test(l));
  return (refused ?? lines.slice(-8).join('\n')).trim();
}

function run(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go build of ${args.at(-1)} failed in ${cwd}: ${reason(log)}`));
    });
  });
}

/** The folder holding the built binaries of `program` (built now if not cached). */
export function goBuild(program: GoProgram): Promise<string> {
  const files = readdirSync(program.moduleDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /(^|\/)(go\.mod|go\.sum)$|\.go$/.test(f))
    .sort()
    .map((f) => join(program.moduleDir, f));
  if (!files.some((f) => f.endsWith('go.sum'))) throw new Error(`${program.moduleDir} has no go.sum: pin its modules (go mod tidy)`);
  // The recipe: the module's files, the packages, our flags and the user's GOFLAGS.
  const recipe = JSON.stringify({ packages: program.packages, flags: FLAGS, goflags: process.env['GOFLAGS'] ?? '' });
  const key = `${program.name}-${hashFiles(files, recipe, program.moduleDir)}`;
  return cached(key, async (dir) => {
    const go = goBinary();
    // -mod=readonly: go.sum is the pin; a build never edits it. GOFLAGS from the user is kept.
    const env = { ...process.env, GOFLAGS: `${process.env['GOFLAGS'] ?? ''} -mod=readonly -buildvcs=false`.trim(), CGO_ENABLED: '0' };
    process.stderr.write(`[servers] building ${program.name} with Go (once per machine; cached in ${dir.replace(/\.tmp-\d+$/, '')})\n`);
    for (const pkg of program.packages) {
      const out = join(dir, pkg.split('/').pop() ?? pkg);
      await run(go, ['build', ...FLAGS, '-o', out, pkg], program.moduleDir, env);
      if (!existsSync(out)) throw new Error(`go build ${pkg} produced no binary`);
    }
    writeFileSync(join(dir, 'BUILT'), `${program.name}\n${new Date().toISOString()}\n`);
  });
}
