/**
 * Regression tests for the findings of issue #15 that are not about one backend: App (e),
 * durations (p), Selector (q), and importing a backend after freezing the default scope.
 * Each failed on the code before the discovery kit.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { App, createRegistry, DiscoveryError, MemoryRegistry, MemoryStore, Selector, type Discovery, type Watcher } from '../../../src/discovery/index.js';
import { eventually, instance, uniqueName } from '../contract.js';

describe('discovery regressions (issue #15)', () => {
  it('(e) App.stop() during App.start() removes what start() registered; a second stop() is harmless', async () => {
    const store = new MemoryStore();
    const reg = new MemoryRegistry({ store });
    const name = uniqueName('app');
    const app = new App({ name, endpoints: ['http://127.0.0.1:8000'], registrar: reg, handleSignals: false });
    const starting = app.start();
    const stopping = app.stop();
    await starting.catch(() => undefined);
    await stopping;
    await app.stop();
    expect(store.list(name)).to.deep.equal([]);
    expect(app.state).to.equal('stopped');
    await reg.close();
  });

  it('(p) a duration too long for a timer is refused with a typed error, not turned into 1 ms', async () => {
    expect(() => new MemoryRegistry({ ttl: '600h' })).to.throw(DiscoveryError, "'ttl'");
    await createRegistry('memory://?ttl=2160000').then(
      () => expect.fail('accepted a 25-day TTL'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_URL'),
    );
  });

  it('(q) Selector: close() during start() stops the watcher it was opening', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = new MemoryStore();
    const inner = new MemoryRegistry({ store });
    let opened: Watcher | undefined;
    const discovery: Discovery = {
      getService: (n) => inner.getService(n),
      watch: async (n, o) => {
        await gate;
        opened = await inner.watch(n, o);
        return opened;
      },
    };
    const sel = new Selector({ discovery, name: uniqueName() });
    const starting = sel.start();
    const closing = sel.close();
    release();
    await starting.catch(() => undefined);
    await closing;
    await eventually(() => opened !== undefined, 1000, 'the watch call returning');
    expect(opened!.stopped, 'the watcher opened during start() is stopped').to.equal(true);
    await inner.close();
  });

  it('(q) Selector: a failed first start() is not cached; the next start() tries again', async () => {
    const store = new MemoryStore();
    const inner = new MemoryRegistry({ store });
    let calls = 0;
    const discovery: Discovery = {
      getService: (n) => inner.getService(n),
      watch: async (n, o) => {
        if (++calls === 1) throw new DiscoveryError('E_DISCOVERY_BACKEND', 'backend down (first call only)');
        return inner.watch(n, o);
      },
    };
    const name = uniqueName();
    await inner.register(instance(name, 'a'));
    const sel = new Selector({ discovery, name });
    await sel.start().then(
      () => expect.fail('the first start() must fail'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_BACKEND'),
    );
    await sel.start();
    expect(sel.pick().instance.id).to.equal('a');
    await sel.close();
    await inner.close();
  });

  it('importing a backend after defaultScope().freeze() works, and so does createRegistry afterwards', async () => {
    const script = [
      "const { defaultScope } = await import('./.build/legacy/src/container/index.js');",
      'defaultScope().freeze();',
      "await import('./.build/legacy/src/discovery/etcd/index.js');",
      "const { createRegistry } = await import('./.build/legacy/src/discovery/index.js');",
      "const r = await createRegistry('etcd://127.0.0.1:1/x');",
      "console.log('created', r.backend, defaultScope().peek('discovery.backends') === undefined ? 'untouched' : 'written');",
      'await r.close();',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, err).to.equal(0);
    expect(out.trim()).to.equal('created etcd untouched');
  });
});
