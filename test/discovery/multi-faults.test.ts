/**
 * `multi://` under faults (the multi findings of review 2, and A5, which is F4 through App): a
 * deregister that overtakes a register waiting for a down source, a source whose getService,
 * services or watch hangs, every source down at the start, and the same source written twice.
 * Each test failed on 9c759d8, except F1c (a guard: it failed with the first F1 fix) and F5b;
 * the last suite repeats the findings against a real etcd (behind a TcpProxy that stalls it)
 * and the Consul test agent.
 */
import { expect } from 'chai';
import { PlugboardError } from '../../src/container/index.js';
import { App, createRegistry, MemoryRegistry, MemoryStore, MultiRegistry, type ServiceInstance, type ServiceRegistry } from '../../src/discovery/index.js';
import { ConsulRegistry } from '../../src/discovery/consul/index.js';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { ConsulAgent } from '../support/servers/consul.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { parseRegistryUrl } from '../../src/discovery/driver/options.js';
import { sourceIdentity } from '../../src/discovery/multi/source-identity.js';
import { eventually, ids, instance, nextWithin, uniqueName } from './contract.js';

const quiet = { warn: () => undefined };
const fast = { retry: { minMs: 10, maxMs: 50 }, logger: quiet };

/** A hand-written source over `inner` whose `method` never answers (it honours its signal, as a slow backend client would). */
function hanging(inner: ServiceRegistry, method: 'getService' | 'services' | 'watch'): ServiceRegistry {
  const never = (signal: AbortSignal | undefined): Promise<never> =>
    new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
  return {
    backend: 'hand-written',
    register: (i, o) => inner.register(i, o),
    deregister: (i, o) => inner.deregister(i, o),
    getService: (n, o) => (method === 'getService' ? never(o?.signal) : inner.getService(n, o)),
    watch: (n, o) => (method === 'watch' ? never(o?.signal) : inner.watch(n, o)),
    services: (o) => (method === 'services' ? never(o?.signal) : inner.services(o)),
    close: () => inner.close(),
  };
}

describe('multi:// faults (review 2)', () => {
  const open: ServiceRegistry[] = [];
  const track = <T extends ServiceRegistry>(r: T): T => (open.push(r), r);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  // docs/multi.md: "A deregister resolves once the instance is gone from every source" and
  // "the healthy sources already serve the instance": a deregister must reach the healthy
  // source at once, not after the down source's own timeout (30 s by default).
  it('F1: a deregister while a register waits for a down source removes the instance from the healthy source at once', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const r = track(new MultiRegistry([new MemoryRegistry({ store: A, ...fast }), new MemoryRegistry({ store: B, ...fast })], fast));
    const name = uniqueName();
    B.setReachable(false);
    const reg = r.register(instance(name, 'x'));
    reg.catch(() => undefined);
    await eventually(() => A.list(name).length === 1, 2000, 'x in the healthy source');
    const dereg = r.deregister(instance(name, 'x'));
    dereg.catch(() => undefined);
    try {
      // The process is stopping: readers of the healthy source must stop being sent to x.
      await eventually(() => A.list(name).length === 0, 3000, 'x removed from the healthy source after deregister()');
    } finally {
      B.setReachable(true);
      await Promise.allSettled([reg, dereg]);
    }
  });

  // The brief's ghost check, and docs/multi.md ("It never appears later, not even once the down
  // source recovers"): same cause as F1. The register's fan-out to the down source is not cut
  // when the deregister supersedes it, so once the source is back its own reconciler writes the
  // instance, and only then is it removed: readers of that source see a deregistered instance
  // appear.
  it('F1b: an instance deregistered while a source was down never appears in that source after it recovers', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const r = track(new MultiRegistry([new MemoryRegistry({ store: A, ...fast }), new MemoryRegistry({ store: B, ...fast })], fast));
    const name = uniqueName();
    B.setReachable(false);
    const reg = r.register(instance(name, 'x'));
    reg.catch(() => undefined);
    await eventually(() => A.list(name).length === 1, 2000, 'x in the healthy source');
    const dereg = r.deregister(instance(name, 'x'));
    dereg.catch(() => undefined);
    const seenInB: string[][] = [];
    const off = B.subscribe((n) => {
      if (n === name) seenInB.push(ids(B.list(name)));
    });
    try {
      B.setReachable(true);
      await dereg;
      await r.settled();
      expect(B.list(name)).to.deep.equal([]);
      expect(
        seenInB.filter((l) => l.includes('x')),
        'x appeared in the recovered source after its deregistration',
      ).to.deep.equal([]);
    } finally {
      off();
    }
  });

  // The cut of F1 is for a deregister only: an update that overtakes a register still being
  // written must not make a source withdraw the first version before it has the second (the
  // instance would vanish from that source's readers in between).
  it('F1c: an update that overtakes a register still being written never makes the instance vanish from a source', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const slowB = new MemoryRegistry({
      store: B,
      ...fast,
      interpose: async (what, run) => {
        if (!held && what.startsWith('apply')) {
          held = true;
          await gate; // the first write to B is slow, then lands
        }
        return run();
      },
    });
    const r = track(new MultiRegistry([new MemoryRegistry({ store: A, ...fast }), slowB], fast));
    const name = uniqueName();
    const seenInB: string[] = [];
    const off = B.subscribe((n) => {
      if (n === name)
        seenInB.push(
          B.list(name)
            .map((i) => i.version)
            .join() || 'none',
        );
    });
    try {
      const v1 = r.register(instance(name, 'x', { version: '1' }));
      await eventually(() => held, 2000, 'the first write to B in flight');
      const v2 = r.register(instance(name, 'x', { version: '2' }));
      release();
      await Promise.all([v1, v2]);
      await r.settled();
      expect(B.list(name).map((i) => i.version)).to.deep.equal(['2']);
      expect(seenInB.slice(seenInB.indexOf('1')), 'B after it first held x').to.not.include('none');
    } finally {
      off();
    }
  });

  // docs/multi.md: "Of a name nobody watches, it asks every source; a source that fails is left
  // out (and warned about once); the call rejects only when every source fails." A source that
  // hangs (a black-holed backend) until the multi timeout makes the whole call reject instead,
  // though the other source answered at once (multi-registry.ts: throwIfAborted after allSettled).
  it('F3: getService of an unwatched name answers from the healthy source when another source hangs', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const inA = new MemoryRegistry({ store: A, ...fast });
    const name = uniqueName();
    await inA.register(instance(name, 'a'));
    const r = track(new MultiRegistry([inA, hanging(new MemoryRegistry({ store: B, ...fast }), 'getService')], { ...fast, timeout: 300 }));
    const got = await r.getService(name).then(
      (l) => l,
      (e: unknown) => e,
    );
    expect(got, 'rejected although one source answered').to.not.be.instanceOf(Error);
    expect(ids(got as ServiceInstance[])).to.deep.equal(['a']);
  });

  it('F3b: services() answers from the healthy source when another source hangs', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const inA = new MemoryRegistry({ store: A, ...fast });
    const name = uniqueName();
    await inA.register(instance(name, 'a'));
    const r = track(new MultiRegistry([inA, hanging(new MemoryRegistry({ store: B, ...fast }), 'services')], { ...fast, timeout: 300 }));
    const got = await r.services().then(
      (l) => l,
      (e: unknown) => e,
    );
    expect(got, 'rejected although one source answered').to.not.be.instanceOf(Error);
    expect(got).to.include(name);
  });

  it('F3c: a source that hangs is warned about once; the caller’s own signal still rejects the call', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const inA = new MemoryRegistry({ store: A, ...fast });
    const name = uniqueName();
    await inA.register(instance(name, 'a'));
    const warnings: string[] = [];
    const logger = { warn: (m: string) => void warnings.push(m) };
    const r = track(new MultiRegistry([inA, hanging(new MemoryRegistry({ store: B, ...fast }), 'getService')], { ...fast, logger, timeout: 200 }));
    expect(ids(await r.getService(name))).to.deep.equal(['a']);
    expect(ids(await r.getService(name))).to.deep.equal(['a']);
    expect(warnings.filter((w) => w.includes("source 'hand-written'"))).to.have.length(1);
    const ac = new AbortController();
    const call = r.getService(name, { signal: ac.signal });
    ac.abort();
    const e = await call.then(
      () => undefined,
      (err: unknown) => err as { code?: string },
    );
    expect(e?.code).to.equal('E_DISCOVERY_ABORTED');
  });

  // docs/multi.md: "Its first list waits until every source has answered once, or has been
  // found unhealthy: ... a source that is down holds nobody back." A source whose watch()
  // never answers is neither, forever: the merged watcher never delivers, and stays healthy.
  it('F4: a watcher on multi delivers the healthy source’s list when another source’s watch() never answers', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const inA = new MemoryRegistry({ store: A, ...fast });
    const name = uniqueName();
    await inA.register(instance(name, 'a'));
    const r = track(new MultiRegistry([inA, hanging(new MemoryRegistry({ store: B, ...fast }), 'watch')], { ...fast, timeout: 300 }));
    const w = await r.watch(name);
    try {
      const got = await nextWithin(w, 3000, 'the merged list (10x the multi timeout)').then(
        (l) => l,
        (e: unknown) => e,
      );
      expect(got, `never delivered; health: ${JSON.stringify(w.health.sources?.map((s) => s.healthy))}`).to.not.be.instanceOf(Error);
      expect(ids(got as ServiceInstance[])).to.deep.equal(['a']);
    } finally {
      w.stop();
    }
  });

  // The same through App (review 2, A5): App's stop() confirms the deregistration with a
  // watcher of the name; over multi that watcher never delivered while one source's watch()
  // hung, so stop() could not confirm it.
  it('F4 via App (A5): stop() over multi confirms the deregistration when one source’s watch() never answers', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const registry = track(
      new MultiRegistry([new MemoryRegistry({ store: A, logger: quiet }), hanging(new MemoryRegistry({ store: B, logger: quiet }), 'watch')], {
        logger: quiet,
        timeout: 300,
      }),
    );
    const name = uniqueName('app');
    const app = new App({ name, endpoints: ['http://127.0.0.1:8000'], handleSignals: false, registrar: registry, drainWatchTimeout: 2000 });
    await app.start();
    const stopped = await app.stop().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect([A.list(name), B.list(name)]).to.deep.equal([[], []]);
    expect(stopped, String(stopped)).to.equal('resolved');
  });

  // docs/multi.md: a merged watcher follows "the usual watcher semantics", and "An outage says
  // nothing about the instances; dropping them would look like a mass deregistration". A
  // single backend that is down at start delivers no list (its watcher waits, unhealthy); a
  // multi registry whose sources are all down delivers [] at once (merged-follow.ts `ready`:
  // every source unhealthy counts as ready): an empty fleet no backend reported.
  it('F8: with every source down at start, the merged watcher delivers no list (as a single backend’s does), not []', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    A.setReachable(false);
    B.setReachable(false);
    const single = track(new MemoryRegistry({ store: A, ...fast }));
    const r = track(new MultiRegistry([new MemoryRegistry({ store: A, ...fast }), new MemoryRegistry({ store: B, ...fast })], fast));
    const name = uniqueName();
    const ws = await single.watch(name);
    const wm = await r.watch(name);
    try {
      const unhealthy = async (w: { health: { healthy: boolean } }): Promise<void> => eventually(() => !w.health.healthy, 2000, 'unhealthy');
      await Promise.all([unhealthy(ws), unhealthy(wm)]);
      const first = async (w: typeof ws): Promise<string> =>
        nextWithin(w, 500).then(
          (l) => JSON.stringify(ids(l)),
          () => 'no list',
        );
      expect(await first(ws), 'a single backend down at start').to.equal('no list');
      expect(await first(wm), 'multi, every source down at start').to.equal('no list');
    } finally {
      ws.stop();
      wm.stop();
      A.setReachable(true);
      B.setReachable(true);
    }
  });

  it('F8b: with every source down at start, the merged watcher delivers its first list once one source is back', async () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    const name = uniqueName();
    await track(new MemoryRegistry({ store: B, ...fast })).register(instance(name, 'b'));
    A.setReachable(false);
    B.setReachable(false);
    const r = track(new MultiRegistry([new MemoryRegistry({ store: A, ...fast }), new MemoryRegistry({ store: B, ...fast })], fast));
    const w = await r.watch(name);
    try {
      await eventually(() => w.health.sources?.every((s) => !s.healthy) === true, 2000, 'both sources unhealthy');
      B.setReachable(true);
      expect(ids(await nextWithin(w, 3000, 'the first list once source 2 is back'))).to.deep.equal(['b']);
    } finally {
      w.stop();
      A.setReachable(true);
    }
  });

  // docs/multi.md: "the same URL twice ... refused". The same store written with a trailing
  // slash or with an option of its own is accepted as a second source: both sources are one
  // store.
  it('F5: refuses the same source written differently (trailing slash, its own options)', async () => {
    const store = `rev2-dupe-${process.pid}`;
    for (const [u1, u2] of [
      [`memory://${store}`, `memory://${store}/`],
      [`memory://${store}?ttl=5`, `memory://${store}`],
    ] as const) {
      const got = await createRegistry(`multi://?url=${encodeURIComponent(u1)}&url=${encodeURIComponent(u2)}`).then(
        async (r) => {
          const [s1, s2] = (r as MultiRegistry).sources.map((s) => (s.registry as MemoryRegistry).store);
          await r.close();
          return { sameStore: s1 === s2 };
        },
        (e: unknown) => e,
      );
      expect(got, `${u1} + ${u2}: accepted though both are one store`).to.be.instanceOf(PlugboardError);
      expect((got as PlugboardError).code).to.equal('E_DISCOVERY_URL');
    }
  });

  it('F5b: one store written differently is the same source; another place in it (path, prefix, root, dc) or another host is not', () => {
    const id = (u: string): string => {
      const p = parseRegistryUrl(u);
      return sourceIdentity(p.url, p.hosts);
    };
    const same = [
      ['etcd://h1:2379,h2:2379/svc', 'etcd://H2:2379,h1:2379/svc/?ttl=5&timeout=3s'],
      ['etcd://h:2379?prefix=/svc', 'etcd://h:2379/svc'],
      ['zookeeper://h:2181?root=/ms', 'zookeeper://h:2181/ms/'],
      ['consul://h:8500?dc=eu&wait=5s', 'consul://h:8500/?dc=eu'],
    ];
    for (const [a, b] of same) expect(id(a!), `${a} = ${b}`).to.equal(id(b!));
    const different = [
      ['etcd://h:2379/a', 'etcd://h:2379/b'],
      ['etcd://h:2379?prefix=/a', 'etcd://h:2379?prefix=/b'],
      ['etcd://h1:2379', 'etcd://h2:2379'],
      ['consul://h:8500?dc=eu', 'consul://h:8500?dc=us'],
      ['memory://a', 'memory://b'],
    ];
    for (const [a, b] of different) expect(id(a!), `${a} ≠ ${b}`).to.not.equal(id(b!));
  });
});

describe('multi:// faults over a stalled etcd and the Consul test agent (review 2)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let consul: ConsulAgent;
  let proxy: TcpProxy;
  const open: ServiceRegistry[] = [];
  const consulClient = (): ConsulRegistry => new ConsulRegistry({ port: consul.port, ttl: 2000, logger: quiet, retry: { minMs: 50, maxMs: 500 } });

  before(async () => {
    [cluster, consul] = await Promise.all([EtcdCluster.start(1), ConsulAgent.start()]);
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start(cluster.members[0]!.clientPort);
  });
  afterEach(async () => {
    await proxy.delay(0);
    await Promise.all(open.splice(0).map((r) => r.close()));
    await proxy.close();
  });
  after(async () => {
    await Promise.all([cluster?.destroy(), consul?.destroy()]);
  });

  /** Consul holds `a`; etcd (through the proxy) is reachable, then stalled. */
  async function setup(): Promise<{ r: MultiRegistry; name: string }> {
    const name = uniqueName();
    const writer = consulClient();
    open.push(writer);
    await writer.register(instance(name, 'a'));
    const etcd = new EtcdRegistry({ hosts: [proxy.address] }, { prefix: '/rev2', logger: quiet, retry: { minMs: 50, maxMs: 500 } });
    const r = new MultiRegistry([etcd, consulClient()], { timeout: 1500, logger: quiet });
    open.push(r);
    expect(await r.services(), 'etcd answers through the proxy').to.be.an('array');
    await proxy.delay(120_000); // etcd stalls: connections stay open, nothing comes back
    return { r, name };
  }

  it('F3 (real): getService of an unwatched name answers from Consul while etcd is stalled', async () => {
    const { r, name } = await setup();
    const got = await r.getService(name).then(
      (l) => l,
      (e: unknown) => e,
    );
    expect(got, 'rejected although Consul answered').to.not.be.instanceOf(Error);
    expect(ids(got as ServiceInstance[])).to.deep.equal(['a']);
  });

  it('F1 (real): with Consul down, a deregister while the register waits for Consul removes the instance from etcd at once', async () => {
    const name = uniqueName();
    const etcd = (): EtcdRegistry =>
      new EtcdRegistry({ hosts: cluster.endpoints }, { prefix: '/rev2-f1', ttl: '5s', logger: quiet, retry: { minMs: 50, maxMs: 500 } });
    const r = new MultiRegistry([etcd(), consulClient()], { timeout: 20_000, logger: quiet });
    const reader = etcd();
    open.push(r, reader);
    await consul.stop();
    try {
      const reg = r.register(instance(name, 'x'));
      reg.catch(() => undefined);
      await eventually(async () => ids(await reader.getService(name)).join() === 'x', 5000, 'x in etcd while Consul is down');
      const dereg = r.deregister(instance(name, 'x'));
      dereg.catch(() => undefined);
      // The process is going away: etcd readers must stop being sent to x now, not after Consul's own timeout (30 s).
      await eventually(async () => (await reader.getService(name)).length === 0, 5000, 'x removed from etcd after deregister()');
    } finally {
      await consul.resume();
    }
  });

  it('F8 (real): with etcd cut and Consul stopped at start, the merged watcher delivers no list, not []', async () => {
    const name = uniqueName();
    const writer = consulClient();
    open.push(writer);
    await writer.register(instance(name, 'a')); // the fleet exists; the reader just cannot see it yet
    await proxy.cut();
    await consul.stop();
    try {
      const etcd = new EtcdRegistry({ hosts: [proxy.address] }, { prefix: '/rev2', logger: quiet, retry: { minMs: 50, maxMs: 500 } });
      const r = new MultiRegistry([etcd, consulClient()], { timeout: 1500, logger: quiet });
      open.push(r);
      const w = await r.watch(name);
      try {
        await eventually(() => w.health.sources?.every((s) => !s.healthy) === true, 15_000, 'both sources unhealthy');
        const got = await nextWithin(w, 500).then(
          (l) => JSON.stringify(ids(l)),
          () => 'no list',
        );
        expect(got, 'a reader started during the outage is told the fleet is empty').to.equal('no list');
      } finally {
        w.stop();
      }
    } finally {
      await consul.resume();
      await proxy.restore();
    }
  });
});
