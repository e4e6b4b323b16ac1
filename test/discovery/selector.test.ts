import { expect } from 'chai';
import {
  DiscoveryError,
  MemoryRegistry,
  MemoryStore,
  metadataFilter,
  parseFilter,
  Selector,
  toNodes,
  versionFilter,
  type Tier,
  type Discovery,
  type Node,
  type ServiceInstance,
  type Watcher,
} from '../../src/discovery/index.js';
import { countingDiscovery } from '../support/counting-discovery.js';
import { instance, uniqueName } from './contract.js';

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Selector', () => {
  it('follows the watcher through filters, and applies a real empty list', async () => {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await r.register(instance(name, 'a', { version: 'v1', metadata: { zone: 'eu' } }));
    await r.register(instance(name, 'b', { version: 'v2', metadata: { zone: 'eu' } }));
    await r.register(instance(name, 'c', { version: 'v2', metadata: { zone: 'us' } }));
    const sel = new Selector({ discovery: r, name, filters: [versionFilter('v2'), metadataFilter({ zone: 'eu' })] });
    await sel.start();
    expect(sel.pick().instance.id).to.equal('b');
    await r.deregister(instance(name, 'b'));
    await eventually(() => sel.nodes().length === 0);
    let err: unknown;
    try {
      sel.pick();
    } catch (e) {
      err = e;
    }
    expect((err as DiscoveryError).code).to.equal('E_DISCOVERY_NO_NODES');
    expect((err as Error).message)
      .to.include(`service '${name}'`)
      .and.include('version=v2')
      .and.include('metadata zone=eu');
    await sel.close();
    await r.close();
  });

  it('keeps the last good list when the watcher fails transiently, then re-watches', async () => {
    const list: ServiceInstance[] = [instance('flaky', 'a')];
    let watches = 0;
    const discovery: Discovery = {
      getService: async () => list,
      watch: async () => {
        watches++;
        let calls = 0;
        let wake: ((e: unknown) => void) | undefined;
        const w: Watcher = {
          health: { healthy: true, since: 0 },
          stopped: false,
          next: async () => {
            calls++;
            if (watches === 1 && calls === 2) throw new DiscoveryError('E_DISCOVERY_BACKEND', 'connection reset');
            if (calls === 1) return list;
            return new Promise((_, reject) => (wake = reject));
          },
          stop: () => wake?.(new DiscoveryError('E_DISCOVERY_STOPPED', 'stopped')),
          [Symbol.asyncIterator]: () => {
            throw new Error('unused');
          },
        };
        return w;
      },
    };
    const sel = new Selector({ discovery, name: 'flaky', retryMs: 10 });
    await sel.start();
    await eventually(() => watches === 2);
    expect(sel.pick().instance.id).to.equal('a', 'the last good list is kept across the failure');
    await sel.close();
  });

  it("start({ signal }) ends this caller's wait on a first list that does not come; a start without one still gets it", async () => {
    // A watcher whose first list comes only when the test says; stop() ends a pending next().
    let deliver: ((l: ServiceInstance[]) => void) | undefined;
    let stopped: (() => void) | undefined;
    const silent: Discovery = {
      getService: async () => [],
      watch: async () =>
        ({
          next: () =>
            new Promise<ServiceInstance[]>((resolve, reject) => {
              deliver ??= resolve;
              stopped = () => reject(new DiscoveryError('E_DISCOVERY_STOPPED', 'stopped'));
            }),
          stop: () => stopped?.(),
          health: { healthy: false, since: Date.now() },
          stopped: false,
        }) as unknown as Watcher,
    };
    const sel = new Selector({ discovery: silent, name: 'quiet' });
    const patient = sel.start();
    const started = Date.now();
    const err = await sel.start({ signal: AbortSignal.timeout(100) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DiscoveryError);
    expect((err as DiscoveryError).code).to.equal('E_DISCOVERY_ABORTED');
    expect(Date.now() - started).to.be.below(1000);
    deliver!([instance('quiet', 'a')]);
    await patient;
    expect(sel.nodes().map((n) => n.instance.id)).to.deep.equal(['a']);
    await sel.close();
  });

  it('says when pick() is called before start()', () => {
    const sel = new Selector({ discovery: new MemoryRegistry({ store: new MemoryStore() }), name: 'x' });
    expect(() => sel.pick()).to.throw(DiscoveryError, 'not started');
  });

  describe('per-call options', () => {
    async function started(): Promise<{ sel: Selector; close: () => Promise<void> }> {
      const r = new MemoryRegistry({ store: new MemoryStore() });
      const name = uniqueName();
      await r.register(instance(name, 'canary', { version: 'v2', metadata: { track: 'canary', zone: 'eu' } }));
      await r.register(instance(name, 'eu', { version: 'v1', metadata: { track: 'stable', zone: 'eu' } }));
      await r.register(instance(name, 'us', { version: 'v1', metadata: { track: 'stable', zone: 'us' } }));
      const sel = new Selector({ discovery: r, name });
      await sel.start();
      return { sel, close: async () => (await sel.close(), await r.close()) };
    }

    it("applies per-call filters, as objects or as text, on top of the selector's", async () => {
      const { sel, close } = await started();
      for (let i = 0; i < 6; i++) expect(sel.pick({ filters: [metadataFilter({ zone: 'us' })] }).instance.id).to.equal('us');
      for (let i = 0; i < 6; i++) expect(sel.pick({ filters: ['version:v1', 'metadata:zone=eu'] }).instance.id).to.equal('eu');
      const all = new Set(Array.from({ length: 9 }, () => sel.pick().instance.id));
      expect(all.size).to.equal(3, 'a pick without options still sees every node');
      await close();
    });

    it('falls through empty tiers and tells which tier served the pick', async () => {
      const { sel, close } = await started();
      const zoneThenAnywhere = [
        { name: 'zone', filters: ['metadata:zone=ap'] },
        { name: 'region', filters: [metadataFilter({ zone: 'us' })] },
        { name: 'anywhere', filters: [] },
      ];
      const s = sel.select({ tiers: zoneThenAnywhere });
      expect([s.node.instance.id, s.tier, s.tierName]).to.deep.equal(['us', 1, 'region']);
      s.done({ latencyMs: 1 });
      const canary = sel.select({
        tiers: [
          { name: 'canary', filters: ['metadata:track=canary'] },
          { name: 'stable', filters: [] },
        ],
      });
      expect([canary.node.instance.id, canary.tierName]).to.deep.equal(['canary', 'canary']);
      // Per-call filters apply to every tier: with zone=us forced, canary is empty and stable serves.
      const stable = sel.select({
        filters: ['metadata:zone=us'],
        tiers: [
          { name: 'canary', filters: ['metadata:track=canary'] },
          { name: 'stable', filters: [] },
        ],
      });
      expect([stable.node.instance.id, stable.tier]).to.deep.equal(['us', 1]);
      let err: unknown;
      try {
        sel.pick({ tiers: [{ name: 'ap', filters: ['metadata:zone=ap'] }, { filters: ['version:v9'] }] });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DiscoveryError).with.property('code', 'E_DISCOVERY_NO_NODES');
      expect((err as Error).message).to.include('every tier empty: ap [metadata:zone=ap] → tier 1 [version:v9]');
      await close();
    });

    it('a filter that throws fails that pick with E_DISCOVERY_FILTER naming it; the next pick works', async () => {
      const { sel, close } = await started();
      const broken = Object.assign(
        (): never => {
          throw new TypeError("Cannot read properties of undefined (reading 'zone')");
        },
        { describe: 'by-zone' },
      );
      let err: unknown;
      try {
        sel.pick({ filters: [broken] });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DiscoveryError).with.property('code', 'E_DISCOVERY_FILTER');
      expect((err as Error).message).to.include("filter 'by-zone' threw: Cannot read properties of undefined");
      expect((err as DiscoveryError).cause).to.be.instanceOf(TypeError);
      expect(sel.pick({ filters: ['metadata:zone=us'] }).instance.id).to.equal('us');
      await close();
    });

    it('an unknown filter name is E_DISCOVERY_UNKNOWN listing the known ones; a malformed spec is E_DISCOVERY_FILTER', async () => {
      const { sel, close } = await started();
      expect(() => sel.pick({ filters: ['verison:v1'] }))
        .to.throw(DiscoveryError, "unknown filter 'verison' (did you mean 'version'?); known: version, metadata")
        .with.property('code', 'E_DISCOVERY_UNKNOWN');
      expect(() => sel.pick({ filters: ['metadata:zone'] }))
        .to.throw(DiscoveryError, 'expected metadata:<key>=<value>')
        .with.property('code', 'E_DISCOVERY_FILTER');
      expect(sel.pick({ filters: ['version:v2'] }).instance.id).to.equal('canary');
      await close();
    });

    // Review finding 10: the parsed pairs went into a plain object, where `__proto__ = x` sets
    // the prototype instead of a key, so the filter had no pair left and kept every node.
    it("parseFilter('metadata:__proto__=x') keeps only nodes whose metadata has __proto__=x", () => {
      const meta: Record<string, string> = JSON.parse('{"__proto__":"x","zone":"eu"}') as Record<string, string>; // as the codec reads it: own data
      const nodes = toNodes([
        { id: 'plain', name: 'svc', version: 'v1', metadata: { zone: 'eu' }, endpoints: ['http://plain:80'] },
        { id: 'tagged', name: 'svc', version: 'v1', metadata: meta, endpoints: ['http://tagged:80'] },
      ]);
      expect(parseFilter('metadata:__proto__=x')(nodes).map((n) => n.instance.id)).to.deep.equal(['tagged']);
      expect(parseFilter('metadata:zone=eu,__proto__=y')(nodes)).to.deep.equal([]);
      expect(parseFilter('metadata:constructor=x')(nodes)).to.deep.equal([]);
    });
  });

  it('a selector filter that throws on a list makes picks fail with E_DISCOVERY_FILTER until a list passes', async () => {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    const picky = Object.assign(
      (nodes: readonly Node[]) => {
        if (nodes.some((n) => n.instance.id === 'bad')) throw new Error('cannot handle bad');
        return [...nodes];
      },
      { describe: 'picky' },
    );
    const sel = new Selector({ discovery: r, name, filters: [picky] });
    await sel.start();
    await r.register(instance(name, 'bad'));
    await eventually(() => sel.instances().length === 2);
    expect(() => sel.pick())
      .to.throw(DiscoveryError, "filter 'picky' threw: cannot handle bad")
      .with.property('code', 'E_DISCOVERY_FILTER');
    await r.deregister(instance(name, 'bad'));
    await eventually(() => sel.instances().length === 1);
    expect(sel.pick().instance.id).to.equal('a');
    await sel.close();
    await r.close();
  });

  // Review finding 11: listeners ran in one loop inside apply(), so one that threw starved the
  // ones after it, and the throw reached the follow loop, which dropped and re-opened the watch.
  it('a throwing onUpdate listener does not keep the other listeners from hearing updates, and is reported', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await registry.register(instance(name, 'a'));
    const sel = new Selector({ discovery: registry, name, retryMs: 50 });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      await sel.start();
      sel.onUpdate(() => {
        throw new Error('a listener bug');
      });
      const seen = new Promise<readonly Node[]>((resolve) => sel.onUpdate((nodes) => nodes.length === 2 && resolve(nodes)));
      await registry.register(instance(name, 'b'));
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref());
      expect(await Promise.race([seen.then((n) => n.map((x) => x.instance.id).sort()), timeout])).to.deep.equal(['a', 'b']);
      await eventually(() => warnings.some((w) => w.message.includes('a listener bug')));
      expect(warnings.find((w) => w.message.includes('a listener bug'))!.message).to.include(`selector '${name}'`);
    } finally {
      process.off('warning', onWarning);
      await sel.close();
      await registry.close();
    }
  });

  it('a throwing onUpdate listener does not make the selector drop and re-open its watch', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await registry.register(instance(name, 'a'));
    let watches = 0;
    const d: Discovery = { getService: (n) => registry.getService(n), watch: (n) => (watches++, registry.watch(n)) };
    const sel = new Selector({ discovery: d, name, retryMs: 10 });
    const onWarning = (): void => undefined; // the listener's errors are reported as warnings
    process.on('warning', onWarning);
    try {
      await sel.start();
      const ids: string[][] = [];
      sel.onUpdate((nodes) => {
        ids.push(nodes.map((n) => n.instance.id).sort());
        throw new Error('a listener bug');
      });
      await registry.register(instance(name, 'b'));
      await registry.register(instance(name, 'c'));
      await eventually(() => ids.some((x) => x.length === 3));
      expect(watches, 'watch() calls').to.equal(1);
    } finally {
      process.off('warning', onWarning);
      await sel.close();
      await registry.close();
    }
  });

  it('a start() that fails while applying the first list stops the watcher it opened', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await registry.register(instance(name, 'a'));
    const { discovery: d, live: watching } = countingDiscovery(registry);
    // A balancer of the user's own that is not ready for the first list.
    let fail = true;
    const balancer = {
      name: 'moody',
      update: (): void => {
        if (fail) throw new Error('balancer not ready yet');
      },
      pick: (c?: readonly Node[]) => c?.[0],
    };
    const sel = new Selector({ discovery: d, name, balancer });
    await sel.start().then(
      () => expect.fail('start() must fail'),
      (err: Error) => expect(err.message).to.equal('balancer not ready yet'),
    );
    expect(watching(), 'watchers left running by the failed start()').to.equal(0);
    fail = false;
    await sel.start();
    await sel.close();
    expect(watching(), 'watchers still running after close()').to.equal(0);
    await registry.close();
  });

  // Review finding 15: bad input from JS or JSON config escaped as a TypeError, or was taken.
  it('a tier without filters, per pick or as an option, is a typed error, not a TypeError', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await registry.register(instance(name, 'a'));
    const sel = new Selector({ discovery: registry, name });
    try {
      await sel.start();
      for (const tier of [{ name: 'canary' }, null, { filters: 'version:v1' }]) {
        expect(() => sel.pick({ tiers: [tier as unknown as Tier] }), JSON.stringify(tier))
          .to.throw(DiscoveryError, 'tier 0')
          .with.property('code', 'E_DISCOVERY_FILTER');
      }
      expect(sel.pick({ tiers: [{ filters: [] }] }).instance.id).to.equal('a');
      expect(() => new Selector({ discovery: registry, name, tiers: [{ name: 'canary' } as unknown as Tier] }))
        .to.throw("'tiers'")
        .with.property('code', 'E_INVALID_OPTION');
    } finally {
      await sel.close();
      await registry.close();
    }
  });

  it('refuses a retryMs of 0, negative, NaN or Infinity (a failing watcher would be re-opened in a busy loop)', () => {
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    for (const retryMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      expect(() => new Selector({ discovery, name: 'svc', retryMs: retryMs as number }), `retryMs ${retryMs}`)
        .to.throw("'retryMs'")
        .with.property('code', 'E_INVALID_OPTION');
    }
    expect(() => new Selector({ discovery, name: 'svc', retryMs: 5 })).to.not.throw();
    void discovery.close();
  });

  it('rejects unknown options and balancer names, naming the closest', () => {
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    expect(() => new Selector({ discovery, name: 'x', filter: [] } as never)).to.throw("'filter': unknown option (did you mean 'filters'?)");
    expect(() => new Selector({ discovery, name: 'x', balancer: 'ring_hash' as never }))
      .to.throw(DiscoveryError, "did you mean 'ring-hash'?")
      .with.property('code', 'E_DISCOVERY_UNKNOWN');
  });
});
