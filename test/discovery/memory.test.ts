import { expect } from 'chai';
import { Scope } from '../../src/container/index.js';
import { createRegistry, DiscoveryError, MemoryRegistry, MemoryStore } from '../../src/discovery/index.js';
import { discoveryContract, instance, nextWithin, uniqueName, until } from './contract.js';

discoveryContract('memory', () => {
  const store = new MemoryStore();
  return { client: async () => new MemoryRegistry({ store }) };
});

describe('memory backend', () => {
  it('expires an instance whose renewals stop (a simulated crash) after the TTL, and keeps a renewed one', async function () {
    this.timeout(10_000);
    const store = new MemoryStore();
    const crashing = new MemoryRegistry({ store, ttl: 300 });
    const healthy = new MemoryRegistry({ store, ttl: 300 });
    const watcher = new MemoryRegistry({ store });
    const name = uniqueName();
    await crashing.register(instance(name, 'crashes'));
    await healthy.register(instance(name, 'lives'));
    const w = await watcher.watch(name);
    await until(w, (l) => l.length === 2, 2000, 'both');
    const started = Date.now();
    crashing.abandon();
    const l = await until(w, (x) => x.length === 1, 3000, 'the crashed instance gone');
    expect(l[0]!.id).to.equal('lives');
    expect(Date.now() - started).to.be.within(150, 1500);
    await new Promise((r) => setTimeout(r, 700));
    expect((await watcher.getService(name)).map((i) => i.id)).to.deep.equal(['lives'], 'renewals keep the healthy one past several TTLs');
    await Promise.all([crashing.close(), healthy.close(), watcher.close()]);
  });

  it('createRegistry("memory://") resolves the backend through the discovery.backends factory registry', async () => {
    const a = await createRegistry('memory://shared-test');
    const b = await createRegistry('memory://shared-test?ttl=5');
    expect(a).to.be.instanceOf(MemoryRegistry);
    expect((b as MemoryRegistry).ttl).to.equal(5000, 'bare URL numbers are seconds');
    const name = uniqueName();
    await a.register(instance(name, 'x'));
    expect((await b.getService(name)).map((i) => i.id)).to.deep.equal(['x'], 'same named store');
    const c = await createRegistry('memory://', { ttl: 250 });
    expect((c as MemoryRegistry).ttl).to.equal(250, 'options in code override the URL');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('finds the built-in memory backend from a fresh scope without writing into it', async () => {
    const scope = new Scope('isolated');
    const r = await createRegistry('memory://', { scope });
    expect(r).to.be.instanceOf(MemoryRegistry);
    expect(scope.peek('discovery.backends')).to.equal(undefined, 'the user scope is untouched');
    await r.close();
  });

  it('gives E_DISCOVERY_URL naming the wrong part and the known schemes', async () => {
    const cases: Array<[string, string]> = [
      ['', 'non-empty string'],
      ['localhost:2379', 'missing scheme'],
      ['nope://x', "unknown scheme 'nope'; known schemes: "],
      ['memory://host:notaport', "host 1 'host:***' is not host[:port]"],
      ['etcd://a:1,b c:2/x', "host 2 'b c:2'"],
      ['memory://h:99999', 'not a valid URL'],
      ['memory://?ttl=soon', "option 'ttl'"],
    ];
    for (const [url, part] of cases) {
      await createRegistry(url).then(
        () => expect.fail(`accepted ${url}`),
        (e: DiscoveryError) => {
          expect(e).to.be.instanceOf(DiscoveryError);
          expect(e.code).to.equal('E_DISCOVERY_URL');
          expect(e.message).to.include(part);
        },
      );
    }
  });

  it('plugboard keeps no reference to what createRegistry returns: a closed registry can be collected', async function () {
    if (typeof globalThis.gc !== 'function') {
      // Run in a child with --expose-gc: the test suite itself does not expose it.
      const { spawnSync } = await import('node:child_process');
      const script = [
        "const { createRegistry } = await import('./.build/legacy/src/discovery/index.js');",
        "let r = await createRegistry('memory://gc-test');",
        'const ref = new WeakRef(r);',
        'await r.close();',
        'r = undefined;',
        'for (let i = 0; i < 5 && ref.deref() !== undefined; i++) { await new Promise((res) => setTimeout(res, 10)); globalThis.gc(); }',
        "console.log(ref.deref() === undefined ? 'collected' : 'retained');",
      ].join('\n');
      const out = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(out.stdout.trim(), out.stderr).to.equal('collected');
    }
  });

  it('refuses calls after close()', async () => {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    const w = await r.watch('x');
    await r.close();
    await r.close();
    expect(w.stopped).to.equal(true);
    await r.register(instance('x', 'a')).then(
      () => expect.fail('register after close'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_CLOSED'),
    );
  });

  it('is a provider in a scope registry, like every backend', () => {
    const scope = new Scope('s');
    scope.install(MemoryRegistry);
    const backends = scope.peek('discovery.backends')!;
    expect(backends.kind).to.equal('factory');
    expect(backends.names()).to.deep.equal(['memory']);
  });

  it('keeps a __proto__ metadata key as data', async () => {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await r.register(JSON.parse(`{"id":"a","name":"${name}","version":"","metadata":{"__proto__":"x"},"endpoints":["http://h:1"]}`));
    const [got] = await r.getService(name);
    expect(Object.keys(got!.metadata)).to.deep.equal(['__proto__']);
    expect(Object.getPrototypeOf(got!.metadata)).to.equal(Object.prototype);
    const w = await r.watch(name);
    expect(await nextWithin(w, 1000)).to.have.length(1);
    await r.close();
  });
});
