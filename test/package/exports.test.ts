import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

/** Builds dist/ and loads the package by its own name, as a user would, from ESM and from CJS. */
describe('package build and exports', function () {
  this.timeout(120_000);

  before(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe' });
  });

  const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8' }).trim();

  it('loads from ESM with import', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { ImplementationRegistry, Scope } from 'plugboard'; import * as c from 'plugboard/container'; const r = new ImplementationRegistry('x'); r.register('a', 1); console.log(r.get('a'), typeof Scope, typeof c.FactoryRegistry);",
    ]);
    expect(out).to.equal('1 function function');
  });

  it('loads from CJS with require', () => {
    const out = run([
      '-e',
      "const { ImplementationRegistry } = require('plugboard'); const c = require('plugboard/container'); const r = new ImplementationRegistry('x'); r.register('a', 2); console.log(r.get('a'), typeof c.Scope);",
    ]);
    expect(out).to.equal('2 function');
  });

  it('loads plugboard/discovery from both module systems without loading grpc-js', () => {
    const esm = run([
      '--input-type=module',
      '-e',
      "import { createRegistry } from 'plugboard/discovery'; const r = await createRegistry('memory://'); await r.register({ id: 'a', name: 'x', endpoints: ['http://h:1'] }); console.log((await r.getService('x')).length, Object.keys(await import('node:module').then(() => ({})))); await r.close();",
    ]);
    expect(esm.split(' ')[0]).to.equal('1');
    const cjs = run([
      '-e',
      "const d = require('plugboard/discovery'); console.log(typeof d.createRegistry, Object.keys(require.cache).some((k) => k.includes('@grpc')));",
    ]);
    expect(cjs).to.equal('function false');
    expect(run(['-e', "console.log(typeof require('plugboard/discovery/grpc').registerDiscoveryResolver)"])).to.equal('function');
  });

  it('imports the optional peers (inversify, tsyringe, grpc-js) only from their own entry points', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- node:path functions need no `this`
    const { join } = await import('node:path');
    const own: Record<string, string> = {
      inversify: 'container/di/inversify.js',
      tsyringe: 'container/di/tsyringe.js',
      '@grpc/grpc-js': 'discovery/client/grpc',
      etcd3: 'discovery/etcd/',
      zookeeper: 'discovery/zookeeper/',
      consul: 'discovery/consul/',
      'prom-client': 'observability/metrics.js',
      'fast-check': 'testing/interleavings.js',
    };
    const files = (readdirSync('dist/esm', { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    for (const f of files) {
      const text = readFileSync(join('dist/esm', f), 'utf8');
      for (const [peer, home] of Object.entries(own)) {
        if (f.replace(/\\/g, '/').startsWith(home)) continue;
        expect(text, `${f} imports ${peer}`).to.not.match(new RegExp(`from ['"]${peer.replace('/', '\\/')}['"]`));
      }
    }
    expect(
      run([
        '--input-type=module',
        '-e',
        "const i = await import('plugboard/inversify'); const t = await import('plugboard/tsyringe'); console.log(typeof i.plugboardModule, typeof t.registerPlugboard);",
      ]),
    ).to.equal('function function');
    expect(
      run([
        '-e',
        "console.log(typeof require('plugboard/discovery/consul').ConsulRegistry, typeof require('plugboard/plugins').PluginHost, typeof require('plugboard/observability').serveDebug, typeof require('plugboard/observability/metrics').PlugboardMetrics)",
      ]),
    ).to.equal('function function function function');
    expect(
      run([
        '--input-type=module',
        '-e',
        "const p = await import('plugboard/plugins'); const o = await import('plugboard/observability'); console.log(typeof p.findPlugins, typeof o.instrumentScope);",
      ]),
    ).to.equal('function function');
    // The implementer entries: the driver kit and the conformance kit (fast-check loads only when a check runs).
    expect(
      run([
        '-e',
        "const d = require('plugboard/discovery/driver'); const t = require('plugboard/testing'); console.log(typeof d.DriverRegistry, typeof d.RegisterBackend, typeof t.discoveryContract, typeof t.TcpProxy, Object.keys(require.cache).some((k) => k.includes('fast-check')))",
      ]),
    ).to.equal('function function function function false');
    expect(
      run([
        '--input-type=module',
        '-e',
        "const d = await import('plugboard/discovery/driver'); const t = await import('plugboard/testing'); console.log(typeof d.parseRegistryUrl, typeof t.discoveryInterleavings);",
      ]),
    ).to.equal('function function');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; version: string };
    expect(run([pkg.bin['plugboard']!, '--version'])).to.equal(pkg.version);
  });

  it('strips internals from the emitted types, and every emitted .d.ts still type-checks (nothing refers to a stripped name)', async () => {
    const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
    const barrels = ['index.d.ts', 'container/index.d.ts', 'observability/index.d.ts'].map((f) => readFileSync(`dist/esm/${f}`, 'utf8')).join('\n');
    for (const internal of [
      'INTENTS',
      'ATTRIBUTES',
      'intentsOf',
      'attributesOf',
      'RegistrationIntent',
      'captureSite',
      'closestName',
      'isClass',
      'debugSnapshot',
      'throwCollected',
    ]) {
      expect(barrels, internal).to.not.match(new RegExp(`\\b${internal}\\b`));
    }
    expect(readFileSync('dist/esm/container/intents.d.ts', 'utf8')).to.not.include('INTENTS');
    const base = readFileSync('dist/esm/container/base-registry.d.ts', 'utf8');
    for (const member of ['localSnapshot', 'restoreEntries', 'adoptEntries']) expect(base, member).to.not.include(member);
    mkdirSync('.build/dts-check', { recursive: true });
    // A consumer of the public types, by the package's own name (ESM and CJS type paths).
    const consumer = [
      "import type { ImplementationRegistry, PlugboardCode, ReadonlyRegistry, RegistryCode } from 'plugboard';",
      "import type { PluginCode } from 'plugboard/plugins';",
      "import type { Logger } from 'plugboard/observability';",
      'export const boot: PluginCode = "E_PLUGIN_BOOT";',
      'export const code: PlugboardCode = boot;',
      'export const core: RegistryCode = "E_DUPLICATE";',
      'export const view = (r: ImplementationRegistry<number>): ReadonlyRegistry<number> => r;',
      'export const log = (l: Logger): void => l.info({}, "x");',
    ].join('\n');
    writeFileSync('.build/dts-check/consumer.mts', consumer);
    writeFileSync('.build/dts-check/consumer.cts', consumer);
    const compilerOptions = {
      noEmit: true,
      skipLibCheck: false,
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
    };
    writeFileSync(
      '.build/dts-check/tsconfig.json',
      JSON.stringify({ compilerOptions, include: ['../../dist/esm/**/*.d.ts', '../../dist/cjs/**/*.d.ts', 'consumer.mts', 'consumer.cts'] }),
    );
    const r = (await import('node:child_process')).spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.build/dts-check/tsconfig.json'], {
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
  });

  it('shares one default scope and one error brand between the ESM and CJS copies', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; import * as esm from 'plugboard'; const cjs = createRequire(process.cwd() + '/x.js')('plugboard'); console.log(esm.defaultScope() === cjs.defaultScope(), new cjs.UnknownNameError('r','k',[]) instanceof esm.PlugboardError);",
    ]);
    expect(out).to.equal('true true');
  });

  it('lets inject() from the CJS copy resolve a construction started by the ESM copy', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; import * as esm from 'plugboard'; const cjs = createRequire(process.cwd() + '/x.js')('plugboard'); const T = esm.token('t'); class C { v = cjs.inject(T); } const s = new esm.Scope('s').provide(T, { value: 42 }).provide(C); console.log(s.get(C).v);",
    ]);
    expect(out).to.equal('42');
  });

  it('has no side effects at import: no global state and no timers or sockets left behind (file reads of the loader settle first)', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "const before = process.getActiveResourcesInfo().length; await import('plugboard'); await new Promise((r) => setTimeout(r, 20)); const g = Object.getOwnPropertySymbols(globalThis).map(String).filter((s) => s.includes('plugboard')); console.log(JSON.stringify(g), process.getActiveResourcesInfo().length - before);",
    ]);
    expect(out).to.equal('[] 0');
  });
});
