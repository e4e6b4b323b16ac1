/**
 * Every ```ts block of README.md and docs/*.md is type-checked against the sources, and every
 * runnable one is executed, so the docs cannot rot. Each block is its own module; `plugboard/...` imports map to src/ as the
 * package's exports map them to dist/. A block that needs context declares it itself
 * (`declare const discovery: Discovery;`). A block whose first line is a path comment
 * (`// drivers/pq.ts`) is written at that path, so the doc's other blocks can import it.
 * Blocks are checked with legacy decorators; a block with a `// both decorator systems` line
 * is checked again with TC39 standard decorators.
 *
 * Execution: each block that is not a path block and not marked partial is compiled (legacy
 * decorators, with the sources it imports), its `plugboard/...` imports pointed at those sources,
 * and run as its own `node` process from the repository root. It must exit 0 on its own within
 * RUN_TIMEOUT_MS: a block that leaves a registry, a server or a timer open fails, as it would
 * hang its reader's process. A block whose fence is ```ts partial (a fragment that declares
 * its context, or an excerpt of a larger program) is type-checked only. A block whose fence is
 * ```ts server runs until it is stopped (it serves, or follows a watch): it passes when it prints
 * its first line of output and then ends on SIGTERM without an uncaught error.
 * Servers: a block whose URLs name etcd://, zookeeper:// or consul:// runs against real servers
 * from test/support (etcd and ZooKeeper, and the Consul test agent), started once: the
 * host list of each such URL is replaced by the test server's, and credentials are dropped
 * (the test servers run without auth). `new ConsulRegistry({ host, port })` is pointed at the
 * agent in the same way through `port: 8500`.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConsulAgent } from '../support/servers/consul.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { ZooKeeperServer } from '../support/servers/zookeeper.js';
import { blocks, type Block } from './blocks.js';

const OUT = '.build/docs-blocks';
const JS = '.build/docs-blocks-js';
/** Where tsc emits a block (rootDir is the repository: the sources it imports are emitted under JS/src). */
const emitted = (b: Block): string => join(JS, OUT, b.file.replace(/\.ts$/, '.js'));
const RUN_TIMEOUT_MS = 30_000;
/** Blocks run two at a time (the machine has two cores; most of a block's time is node's start-up). */
const PARALLEL = 2;
const BOTH = /^\/\/ both decorator systems\s*$/m;

/** `plugboard/x` → the source file behind `./dist/esm/x.js`, from package.json's exports. */
function paths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { import?: { default?: string } } | string> };
  const out: Record<string, string[]> = {};
  for (const [sub, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? undefined : target.import?.default;
    if (file === undefined) continue;
    out[sub === '.' ? 'plugboard' : `plugboard/${sub.slice(2)}`] = [join('..', '..', file.replace('./dist/esm/', 'src/').replace(/\.js$/, '.ts'))];
  }
  return out;
}

/** `plugboard/x` → the compiled source behind it (JS/src/x.js), as a file URL. */
function runtimeTargets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [spec, [file]] of Object.entries(paths())) {
    const src = relative('.', join(OUT, file!)); // back to the repository-relative `src/....ts`
    out.set(spec, pathToFileURL(resolve(JS, src.replace(/\.ts$/, '.js'))).href);
  }
  return out;
}

type Servers = Partial<Record<'etcd' | 'zookeeper' | 'consul', string>>;
const SCHEMES = ['etcd', 'zookeeper', 'consul'] as const;

/** The backends whose servers a block's code talks to. */
function needs(code: string): (typeof SCHEMES)[number][] {
  return SCHEMES.filter((s) => new RegExp(`['\`]${s}://`).test(code) || (s === 'consul' && /new ConsulRegistry\(/.test(code)));
}

/** Points a compiled block's `plugboard` imports at the sources and its backend URLs at the test servers. */
function rewrite(js: string, targets: Map<string, string>, servers: Servers): string {
  let out = js.replace(/(from\s*|import\s*\(?\s*)(['"])(plugboard(?:\/[\w/-]+)?)\2/g, (all, head: string, q: string, spec: string) => {
    const target = targets.get(spec);
    return target === undefined ? all : `${head}${q}${target}${q}`;
  });
  for (const s of SCHEMES) {
    const authority = servers[s];
    if (authority === undefined) continue;
    out = out.replace(new RegExp(`${s}://[^/?'"\`\\s]*`, 'g'), `${s}://${authority}`);
    if (s === 'consul') out = out.replace(/\bport:\s*8500\b/g, `port: ${authority.split(':')[1]}`);
  }
  return out;
}

/** Runs one compiled block; resolves with its exit code (or the signal it was killed by) and output. */
function execute(file: string, server: boolean): Promise<{ code: number | string; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--enable-source-maps', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let output = '';
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!server || stopped) return;
      stopped = true;
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n(still running after ${RUN_TIMEOUT_MS} ms: killed)`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A stopped server ends by the signal, or exits 0 through its own handler (an App
      // deregisters, its onStop hooks close the rest). 13 (a top-level await never settled) fails.
      const ok = stopped && (signal === 'SIGTERM' || code === 0);
      done({ code: ok ? 0 : (code ?? signal ?? 'unknown'), output });
    });
  });
}

/** Runs tsc on `project` and returns its diagnostics by block file. */
function check(project: string): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--pretty', 'false'], { encoding: 'utf8' });
  for (const line of r.stdout.split('\n')) {
    const m = /^([^(]+\.ts)\((\d+),\d+\): (.*)$/.exec(line.trim());
    if (m === null) continue;
    const file = relative(OUT, m[1]!);
    errors.set(file, [...(errors.get(file) ?? []), `line ${m[2]}: ${m[3]}`]);
  }
  if (r.status !== 0 && errors.size === 0) throw new Error(`tsc failed without block diagnostics:\n${r.stdout}${r.stderr}`);
  return errors;
}

describe('docs: TypeScript code blocks compile', function () {
  this.timeout(120_000);
  const all = blocks();
  let errors = new Map<string, string[]>();
  let standardErrors = new Map<string, string[]>();

  before(() => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const b of all) {
      mkdirSync(dirname(join(OUT, b.file)), { recursive: true });
      writeFileSync(join(OUT, b.file), `${b.code}\nexport {};\n`);
    }
    const compilerOptions = { noEmit: true, experimentalDecorators: true, emitDecoratorMetadata: true, declaration: false, paths: paths() };
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions, include: ['**/*.ts'] }));
    errors = check(join(OUT, 'tsconfig.json'));
    const both = all.filter((b) => BOTH.test(b.code));
    writeFileSync(
      join(OUT, 'tsconfig.standard.json'),
      JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { ...compilerOptions, experimentalDecorators: false, emitDecoratorMetadata: false }, files: both.map((b) => b.file) }),
    );
    if (both.length > 0) standardErrors = check(join(OUT, 'tsconfig.standard.json'));
  });

  it('finds the blocks', () => {
    expect(all.length).to.be.greaterThan(15);
  });

  it('executes most blocks', () => {
    expect(all.filter((b) => !b.partial && !b.companion).length).to.be.greaterThan(all.length / 2);
  });

  for (const b of all) {
    it(`${b.doc}:${b.line}`, () => {
      const errs = errors.get(b.file) ?? [];
      expect(errs, `${b.doc}:${b.line} (block lines count from ${b.line}):\n${errs.join('\n')}`).to.deep.equal([]);
    });
    if (!BOTH.test(b.code)) continue;
    it(`${b.doc}:${b.line} (TC39 standard decorators)`, () => {
      const errs = standardErrors.get(b.file) ?? [];
      expect(errs, `${b.doc}:${b.line} under TC39 decorators (block lines count from ${b.line}):\n${errs.join('\n')}`).to.deep.equal([]);
    });
  }
});

describe('docs: runnable TypeScript code blocks run', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  const all = blocks();
  const runnable = all.filter((b) => !b.partial && !b.companion);
  const servers: Servers = {};
  const stops: (() => Promise<void>)[] = [];
  const results = new Map<Block, Promise<{ code: number | string; output: string }>>();

  before(async () => {
    rmSync(JS, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const b of all) {
      mkdirSync(dirname(join(OUT, b.file)), { recursive: true });
      writeFileSync(join(OUT, b.file), `${b.code}\nexport {};\n`);
    }
    const compilerOptions = { outDir: '../docs-blocks-js', rootDir: '../..', noEmitOnError: false, experimentalDecorators: true, emitDecoratorMetadata: true, declaration: false, sourceMap: false, paths: paths() };
    writeFileSync(join(OUT, 'tsconfig.emit.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions, include: ['**/*.ts'] }));
    // Type errors are reported by the suite above; this compile only emits.
    spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(OUT, 'tsconfig.emit.json')], { encoding: 'utf8' });
    const wanted = new Set(runnable.flatMap((b) => needs(b.code)));
    if (wanted.has('etcd')) {
      const etcd = await EtcdCluster.start(1);
      servers.etcd = etcd.authority;
      stops.push(() => etcd.destroy());
    }
    if (wanted.has('zookeeper')) {
      const zk = await ZooKeeperServer.start();
      servers.zookeeper = zk.connect;
      stops.push(() => zk.destroy());
    }
    if (wanted.has('consul')) {
      const consul = await ConsulAgent.start();
      servers.consul = consul.address;
      stops.push(() => consul.destroy());
    }
    const targets = runtimeTargets();
    for (const b of all) {
      const js = emitted(b);
      if (existsSync(js)) writeFileSync(js, rewrite(readFileSync(js, 'utf8'), targets, servers));
    }
    // Start every run now, PARALLEL at a time; each test awaits its own block's result.
    let slots = Promise.resolve();
    const lanes = Array.from({ length: PARALLEL }, () => slots);
    runnable.forEach((b, i) => {
      const run = lanes[i % PARALLEL]!.then(() => execute(emitted(b), b.server));
      lanes[i % PARALLEL] = run.then(() => undefined);
      results.set(b, run);
    });
    slots = Promise.all(lanes).then(() => undefined);
    stops.unshift(() => slots); // servers stop only after the last block
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  for (const b of runnable) {
    it(`${b.doc}:${b.line} runs`, async () => {
      const { code, output } = await results.get(b)!;
      expect(code, `${b.doc}:${b.line} exited with ${code} (a deliberate fragment is marked \`\`\`ts partial, a server \`\`\`ts server):\n${output}`).to.equal(0);
    });
  }
});
