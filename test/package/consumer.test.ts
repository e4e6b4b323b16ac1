/**
 * A consumer of the packed tarball, as a user gets it: `npm pack` in a fresh clone (the
 * prepack script builds dist), then a project of its own in a temporary directory with
 * plugboard and its dependencies, and none of the optional peers.
 *
 * How it is installed: the tarball is unpacked into the project's node_modules/plugboard, as
 * npm would, and plugboard's dependencies (their whole closure) are linked from this checkout's
 * node_modules, which `npm ci` filled from the same lockfile. (`npm install <tarball> --offline`
 * cannot be used: npm ci caches tarballs but not the registry metadata a fresh resolution needs,
 * and the tests assume no network.)
 *
 * Checked: the tarball's contents; every entry compiles with `skipLibCheck: false` under node16,
 * bundler and node10 resolution, and an entry's types need no optional peer except the one the
 * entry is for; the entries load and work from ESM and CJS; arethetypeswrong finds no problem;
 * the README's Quick start and getting-started's blocks compile and run as a user copies them.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { blocks } from '../docs/blocks.js';

interface Pkg {
  dependencies?: Record<string, string>;
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
}

const ROOT = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Pkg;
/** The entries, as `plugboard/x`. */
const entries = Object.keys(pkg.exports)
  .filter((s) => s !== './package.json')
  .map((s) => (s === '.' ? 'plugboard' : `plugboard/${s.slice(2)}`));
/** Each optional peer, and the one entry (built file prefix) allowed to need it. */
const PEER_HOME: Record<string, string> = {
  inversify: 'container/di/inversify',
  tsyringe: 'container/di/tsyringe',
  '@grpc/grpc-js': 'discovery/client/grpc',
  etcd3: 'discovery/etcd/',
  zookeeper: 'discovery/zookeeper/',
  consul: 'discovery/consul/',
  'prom-client': 'observability/metrics',
  'fast-check': 'testing/',
};
/** Entries that work with no optional peer installed. */
const peerFree = entries.filter(
  (e) =>
    ![
      'plugboard/inversify',
      'plugboard/tsyringe',
      'plugboard/discovery/grpc',
      'plugboard/discovery/etcd',
      'plugboard/discovery/consul',
      'plugboard/observability/metrics',
      'plugboard/testing',
    ].includes(e),
);

/** plugboard's dependencies and theirs, as found in this checkout's node_modules. */
function closure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !existsSync(join('node_modules', name, 'package.json'))) return;
    seen.add(name);
    const deps = (JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as Pkg).dependencies ?? {};
    for (const d of Object.keys(deps)) visit(d);
  };
  for (const n of names) visit(n);
  return [...seen];
}

describe('package: a consumer of the packed tarball, without optional peers', function () {
  this.timeout(180_000);
  let dir: string;
  let tarball: string;
  let files: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plugboard-consumer-'));
    // A fresh clone of this working tree (its tracked files, as they are now): no dist, no
    // .build. `npm pack` there must build what it ships (#32: there was no prepack script, and
    // a fresh clone's tarball had no dist). node_modules is this checkout's, as `npm ci` made it.
    const clone = join(dir, 'clone');
    for (const f of execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0')) {
      if (f === '' || !existsSync(f)) continue; // deleted in the working tree
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      copyFileSync(f, join(clone, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    expect(existsSync(join(clone, 'dist')), 'a fresh clone has no dist').to.equal(false);
    // The prepack script's own output comes first on stdout; npm's JSON report follows.
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = JSON.parse(out.slice(out.search(/^\[/m))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    const app = join(dir, 'app');
    mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', join(app, 'node_modules')]);
    renameSync(join(app, 'node_modules', 'package'), join(app, 'node_modules', 'plugboard'));
    // What getting-started has a user install next to plugboard: reflect-metadata (and @types/node).
    for (const dep of [...closure(Object.keys(pkg.dependencies ?? {})), ...closure(['@types/node', 'reflect-metadata'])]) {
      mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { plugboard: `file:${tarball}` } }),
    );
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const app = (): string => join(dir, 'app');

  it('ships LICENSE, README.md, docs and dist, and every source map carries its sources', () => {
    expect(files).to.include.members(['LICENSE', 'README.md', 'package.json', 'dist/esm/index.js', 'dist/cjs/index.js', 'docs/getting-started.md']);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).to.deep.equal([]);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).to.be.greaterThan(10);
    for (const f of maps) {
      const map = JSON.parse(readFileSync(join(app(), 'node_modules', 'plugboard', f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, `${f}: sourcesContent`).to.equal(map.sources.length);
      expect(
        map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0),
        `${f}: sourcesContent`,
      ).to.equal(true);
    }
  });

  for (const [mode, options] of [
    ['node16', { module: 'node16', moduleResolution: 'node16' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ['node10', { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' }],
  ] as const) {
    /** Compiles one file per entry of `list` as one program; returns tsc's output lines. */
    const compile = (name: string, list: string[]): string[] => {
      const src = join(app(), `${mode}-${name}`);
      mkdirSync(src, { recursive: true });
      list.forEach((e, i) => writeFileSync(join(src, `entry${i}.ts`), `import * as m from '${e}';\nexport const keys${i}: number = Object.keys(m).length;\n`));
      const tsconfig = {
        compilerOptions: { ...options, target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
        include: [`${mode}-${name}/*.ts`],
      };
      writeFileSync(join(app(), `tsconfig.${mode}-${name}.json`), JSON.stringify(tsconfig));
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${mode}-${name}.json`, '--pretty', 'false'], {
        cwd: app(),
        encoding: 'utf8',
      });
      return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    };

    it(`every entry that needs no peer compiles with skipLibCheck: false under ${mode} resolution, with no peer installed`, () => {
      const out = compile('peer-free', peerFree);
      expect(out, out.join('\n')).to.deep.equal([]);
    });

    if (mode === 'node16') {
      it('an entry for a peer compiles too, missing only its own peer', () => {
        const problems = compile(
          'peers',
          entries.filter((e) => !peerFree.includes(e)),
        ).filter((line) => {
          const m = /node_modules\/plugboard\/dist\/(?:esm|cjs)\/(\S+?)\(\d+,\d+\): error TS2307: Cannot find module '([^']+)'/.exec(line);
          if (m === null) return true;
          const home = PEER_HOME[m[2]!];
          return home === undefined || !m[1]!.startsWith(home);
        });
        expect(problems, problems.join('\n')).to.deep.equal([]);
      });
    }
  }

  it('the entries that need no peer load and work from ESM and from CJS', () => {
    const body = (load: (e: string) => string): string =>
      [
        ...peerFree.map((e, i) => `const m${i} = ${load(e)};`),
        `const counts = [${peerFree.map((_, i) => `Object.keys(m${i}).length`).join(', ')}];`,
        `if (counts.some((n) => n === 0)) throw new Error('an entry exports nothing: ' + counts);`,
        `const d = m${peerFree.indexOf('plugboard/discovery')};`,
        `(async () => { const r = await d.createRegistry('memory://'); await r.register({ id: 'a', name: 'svc', endpoints: ['http://127.0.0.1:1'] });`,
        `console.log((await r.getService('svc')).map((i) => i.id).join(','), counts.length); await r.close(); })();`,
      ].join('\n');
    writeFileSync(
      join(app(), 'smoke.mjs'),
      body((e) => `await import('${e}')`),
    );
    writeFileSync(
      join(app(), 'smoke.cjs'),
      body((e) => `require('${e}')`),
    );
    for (const script of ['smoke.mjs', 'smoke.cjs']) {
      const out = execFileSync(process.execPath, [script], { cwd: app(), encoding: 'utf8' }).trim();
      expect(out, script).to.equal(`a ${peerFree.length}`);
    }
  });

  it("the README's Quick start and docs/getting-started.md compile and run against the installed package", () => {
    const guide = blocks(['README.md', 'docs/getting-started.md']);
    for (const b of guide) {
      mkdirSync(dirname(join(app(), 'guide', b.file)), { recursive: true });
      writeFileSync(join(app(), 'guide', b.file), `${b.code}\nexport {};\n`);
    }
    // The whole tsconfig getting-started gives (#32: "types": ["node"] is needed with TypeScript 6), pointed at the guide's files.
    const guideText = readFileSync('docs/getting-started.md', 'utf8');
    const json = /```json\n([\s\S]*?)\n```/.exec(guideText.slice(guideText.indexOf('tsconfig.json')))?.[1];
    expect(json, 'docs/getting-started.md gives a tsconfig.json').to.be.a('string');
    const documented = JSON.parse(json!) as { compilerOptions: Record<string, unknown> };
    const compilerOptions = { ...documented.compilerOptions, skipLibCheck: false, rootDir: 'guide', outDir: 'guide-js' };
    writeFileSync(join(app(), 'tsconfig.guide.json'), JSON.stringify({ compilerOptions, include: ['guide/**/*.ts'] }));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.guide.json', '--pretty', 'false'], {
      cwd: app(),
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr, 'the guide compiles').to.equal('');
    const runnable = guide.filter((b) => !b.partial && !b.server && !b.companion);
    expect(runnable.length).to.be.at.least(4);
    for (const b of runnable) {
      const r = spawnSync(process.execPath, [join('guide-js', b.file.replace(/\.ts$/, '.js'))], { cwd: app(), encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${b.doc}:${b.line}:\n${r.stdout}${r.stderr}`).to.equal(0);
    }
  });

  it('arethetypeswrong finds no problem in the tarball (node10, node16 from CJS and ESM, bundler)', () => {
    const attw = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    expect(existsSync(attw), '@arethetypeswrong/cli is a dev dependency: run npm ci').to.equal(true);
    const r = spawnSync(process.execPath, [attw, tarball, '--format', 'json'], { encoding: 'utf8' });
    const report = JSON.parse(r.stdout) as { problems?: unknown[] | Record<string, unknown> };
    const problems = Array.isArray(report.problems) ? report.problems : Object.values(report.problems ?? {});
    expect(problems, r.stdout.slice(0, 4000)).to.deep.equal([]);
    expect(r.status).to.equal(0);
  });

  it('the packed package.json maps every subpath for node10 (typesVersions) to the same types as exports', () => {
    const shipped = JSON.parse(readFileSync(join(app(), 'node_modules', 'plugboard', 'package.json'), 'utf8')) as Pkg & {
      typesVersions: Record<string, Record<string, string[]>>;
    };
    const fromExports = Object.fromEntries(
      Object.entries(shipped.exports)
        .filter(([s]) => s !== '.' && s !== './package.json')
        .map(([s, t]) => [s.slice(2), [(t as { require: { types: string } }).require.types]]),
    );
    expect(shipped.typesVersions['*']).to.deep.equal(fromExports);
    expect(readdirSync(join(app(), 'node_modules', 'plugboard', 'dist'))).to.have.members(['esm', 'cjs']);
  });
});
