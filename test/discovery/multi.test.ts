/**
 * `multi://`: the contract suite over two memory sources and over real etcd + the real Consul
 * server, the URL and option rules, merge precedence, per-source health, a source that is
 * down, the migration from Consul to etcd end to end, and the interleaving check.
 */
import { expect } from 'chai';
import { PlugboardError } from '../../src/container/index.js';
import {
  createRegistry,
  DiscoveryError,
  MemoryRegistry,
  MemoryStore,
  MultiRegistry,
  type ServiceInstance,
  type ServiceRegistry,
  type Watcher,
} from '../../src/discovery/index.js';
import { ConsulRegistry } from '../../src/discovery/consul/index.js';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { discoveryInterleavings } from '../../src/testing/index.js';
import { ConsulAgent } from '../support/servers/consul.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { discoveryContract, eventually, ids, instance, nextWithin, uniqueName, until } from './contract.js';

const quiet = { warn: () => undefined };
let storeN = 0;
/** Names of two process-wide memory stores no other test uses. */
const stores = (): [string, string] => {
  storeN++;
  return [`multi-a-${process.pid}-${storeN}`, `multi-b-${process.pid}-${storeN}`];
};
const versions = (l: readonly ServiceInstance[]): string[] => l.map((i) => `${i.id}@${i.version}`).sort();

async function rejection(p: Promise<unknown>): Promise<PlugboardError> {
  return p.then(
    () => expect.fail('resolved, expected a rejection'),
    (e: unknown) => {
      expect(e).to.be.instanceOf(PlugboardError);
      return e as PlugboardError;
    },
  );
}

discoveryContract('multi (two memory sources, multi://?url=…)', () => {
  const [a, b] = stores();
  return { client: async () => createRegistry(`multi://?url=memory://${a}&url=memory://${b}`) };
});

describe('multi://', () => {
  const open: ServiceRegistry[] = [];
  const track = <T extends ServiceRegistry>(r: T): T => (open.push(r), r);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  describe('URL and options', () => {
    it('takes sources as repeated url options, percent-encoded when they carry options of their own', async () => {
      const [a, b] = stores();
      const child = encodeURIComponent(`memory://${a}?ttl=5&timeout=2s`);
      const r = track((await createRegistry(`multi://?url=${child}&url=memory://${b}&timeout=3s`)) as MultiRegistry);
      expect(r).to.be.instanceOf(MultiRegistry);
      expect(r.backend).to.equal('multi');
      expect(r.sources.map((s) => s.label)).to.deep.equal([`memory://${a}?ttl=5&timeout=2s`, `memory://${b}`]);
      expect((r.sources[0]!.registry as MemoryRegistry).ttl).to.equal(5000, "the source's own options reach it");
      expect((r.sources[1]!.registry as MemoryRegistry).store).to.not.equal((r.sources[0]!.registry as MemoryRegistry).store);
    });

    it('createRegistry([…]) is multi:// with the sources in code; registries built in code are owned and closed by it', async () => {
      const [a] = stores();
      const built = new MemoryRegistry({ store: new MemoryStore(), logger: quiet });
      const r = (await createRegistry([`memory://${a}`, built], { timeout: 1000 })) as MultiRegistry;
      expect(r.sources.map((s) => s.label)).to.deep.equal([`memory://${a}`, 'memory']);
      await r.close();
      const e = await rejection(built.register(instance('x', 'a')));
      expect(e.code).to.equal('E_DISCOVERY_CLOSED');
    });

    it('refuses a bad multi URL with E_DISCOVERY_URL naming what is wrong', async () => {
      const nested = encodeURIComponent('multi://?url=memory://x');
      const cases: Array<[string, string]> = [
        ['multi://', 'needs at least one source'],
        ['multi://?url=memory://x&url=memory://x', "source 2 'memory://x' repeats source 1"],
        [`multi://?url=${nested}`, 'is itself multi://'],
        ['multi://?urls=memory://x', "unknown option 'urls' (did you mean 'url'?)"],
        ['multi://?url=memory://x&timout=1s', "(did you mean 'timeout'?)"],
        ['multi://somehost?url=memory://x', 'takes no host or path'],
        ['multi://?url=nope://x', "source 1: registry URL 'nope://x': unknown scheme 'nope'"],
        ['multi://?url=localhost:2379', 'source 1: registry URL'],
        ['multi://?url=memory://x&timeout=soon', "option 'timeout'"],
      ];
      for (const [url, part] of cases) {
        const e = await rejection(createRegistry(url));
        expect(e.code, url).to.equal('E_DISCOVERY_URL');
        expect(e.message, url).to.include(part);
      }
    });

    it('refuses bad sources in code with E_INVALID_OPTION naming sources', async () => {
      const r = new MemoryRegistry({ store: new MemoryStore() });
      const inner = track(new MultiRegistry([new MemoryRegistry({ store: new MemoryStore() })]));
      const cases: Array<[Promise<unknown>, string]> = [
        [createRegistry([]), 'needs at least one source'],
        [createRegistry([r, r]), 'source 2 is the same registry as an earlier source'],
        [createRegistry([inner]), 'source 1 is itself a multi registry'],
        [createRegistry(['memory://', 'memory://']), "source 2 'memory://' repeats source 1"],
        [createRegistry([{} as ServiceRegistry]), 'source 1 is not a registry'],
        [createRegistry('multi://', { sources: 'memory://' as unknown as string[] }), 'must be an array'],
        [createRegistry(['memory://'], { tiemout: 5 }), "(did you mean 'timeout'?)"],
      ];
      for (const [p, part] of cases) {
        const e = await rejection(p);
        expect(e.code, part).to.equal('E_INVALID_OPTION');
        expect(e.message, part).to.include(part);
      }
      expect(() => new MultiRegistry([r], { retry: { minMs: 0 } })).to.throw(PlugboardError, 'retry');
      await r.close();
    });

    it('names the source that cannot be created', async () => {
      const [a] = stores();
      const e = await rejection(createRegistry([`memory://${a}`, 'etcd-not-imported://h:1']));
      expect(e.code).to.equal('E_DISCOVERY_URL');
      expect(e.message).to.include('source 2');
    });
  });

  describe('merging', () => {
    it('merges by instance id; the first source wins a conflict, and the other shows through once the first drops it', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const inA = track(new MemoryRegistry({ store: A }));
      const inB = track(new MemoryRegistry({ store: B }));
      const name = uniqueName();
      await inA.register(instance(name, 'shared', { version: 'from-a' }));
      await inB.register(instance(name, 'shared', { version: 'from-b' }));
      await inB.register(instance(name, 'only-b'));
      const ab = track(new MultiRegistry([new MemoryRegistry({ store: A }), new MemoryRegistry({ store: B })]));
      const ba = track(new MultiRegistry([new MemoryRegistry({ store: B }), new MemoryRegistry({ store: A })]));
      expect(versions(await ab.getService(name))).to.deep.equal(['only-b@v1', 'shared@from-a']);
      expect(versions(await ba.getService(name))).to.deep.equal(['only-b@v1', 'shared@from-b']);
      const w = await ab.watch(name);
      expect(versions(await nextWithin(w, 2000))).to.deep.equal(['only-b@v1', 'shared@from-a']);
      expect(versions(await ab.getService(name)), 'getService of a watched name agrees').to.deep.equal(['only-b@v1', 'shared@from-a']);
      await inA.deregister(instance(name, 'shared'));
      expect(versions(await until(w, (l) => l.some((i) => i.version === 'from-b'), 2000, 'b’s copy'))).to.deep.equal(['only-b@v1', 'shared@from-b']);
      expect(await ab.services()).to.include(name);
      w.stop();
    });

    it('registers into every source; the first watcher list waits for every source', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const r = track(new MultiRegistry([new MemoryRegistry({ store: A }), new MemoryRegistry({ store: B })]));
      const name = uniqueName();
      await r.register(instance(name, 'x'));
      expect(ids(A.list(name))).to.deep.equal(['x']);
      expect(ids(B.list(name))).to.deep.equal(['x']);
      await r.deregister(instance(name, 'x'));
      expect(A.list(name)).to.deep.equal([]);
      expect(B.list(name)).to.deep.equal([]);
    });
  });

  describe('a source that fails', () => {
    it('watcher health shows each source; the failing source keeps its last list; both recover', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const inB = track(new MemoryRegistry({ store: B }));
      const warnings: string[] = [];
      const r = track(
        new MultiRegistry(
          [new MemoryRegistry({ store: A, retry: { minMs: 10, maxMs: 50 } }), new MemoryRegistry({ store: B, retry: { minMs: 10, maxMs: 50 } })],
          { logger: { warn: (m) => warnings.push(m) } },
        ),
      );
      const name = uniqueName();
      await inB.register(instance(name, 'b'));
      const w = await r.watch(name);
      expect(ids(await nextWithin(w, 2000))).to.deep.equal(['b']);
      expect(w.health.healthy).to.equal(true);
      expect(w.health.sources?.map((s) => [s.source, s.healthy])).to.deep.equal([
        ['memory', true],
        ['memory (source 2)', true],
      ]);
      B.setReachable(false);
      await eventually(() => w.health.healthy === false, 2000, 'degraded health');
      expect(w.health.sources?.map((s) => s.healthy)).to.deep.equal([true, false]);
      expect(w.health.error?.message).to.include("source 'memory (source 2)'");
      expect(w.health.sources?.[1]?.error).to.be.instanceOf(Error);
      expect(ids(await r.getService(name)), 'a watched name reads what its watchers have').to.deep.equal(['b']);
      const unwatched = uniqueName();
      expect(ids(await r.getService(unwatched)), 'an unwatched name leaves the failing source out').to.deep.equal([]);
      expect(warnings.join('\n')).to.include("source 'memory (source 2)' failed");
      B.setReachable(true);
      await eventually(() => w.health.healthy, 2000, 'health back');
      expect(w.health.sources?.every((s) => s.healthy)).to.equal(true);
      // The failing source's last list stayed in the merge: nothing was delivered meanwhile.
      expect(ids(await r.getService(name))).to.deep.equal(['b']);
      w.stop();
    });

    it('a source that is down at the start holds back no watcher', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      B.setReachable(false);
      const r = track(new MultiRegistry([new MemoryRegistry({ store: A }), new MemoryRegistry({ store: B })]));
      const w = await r.watch(uniqueName());
      expect(await nextWithin(w, 2000)).to.deep.equal([]);
      expect(w.health.sources?.map((s) => s.healthy)).to.deep.equal([true, false]);
      B.setReachable(true);
      w.stop();
    });

    it('register waits for a source that is down and resolves once it is back', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const r = track(
        new MultiRegistry(
          [
            new MemoryRegistry({ store: A, retry: { minMs: 10, maxMs: 50 }, logger: quiet }),
            new MemoryRegistry({ store: B, retry: { minMs: 10, maxMs: 50 }, logger: quiet }),
          ],
          { logger: quiet },
        ),
      );
      const name = uniqueName();
      B.setReachable(false);
      let done = false;
      const p = r.register(instance(name, 'x')).then(() => (done = true));
      await eventually(() => A.list(name).length === 1, 2000, 'the healthy source written');
      expect(done, 'not resolved while a source is down').to.equal(false);
      B.setReachable(true);
      await p;
      expect(ids(B.list(name))).to.deep.equal(['x']);
    });

    it('a register that times out with a source down is withdrawn from every source and never appears later', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const kit = { retry: { minMs: 10, maxMs: 50 }, logger: quiet };
      const sources = [new MemoryRegistry({ store: A, ...kit }), new MemoryRegistry({ store: B, ...kit })];
      const r = track(new MultiRegistry(sources, { timeout: 300, ...kit }));
      const name = uniqueName();
      B.setReachable(false);
      const e = await rejection(r.register(instance(name, 'x')));
      expect(e.code).to.equal('E_DISCOVERY_TIMEOUT');
      await eventually(() => A.list(name).length === 0, 2000, 'withdrawn from the healthy source');
      B.setReachable(true);
      await r.settled();
      await Promise.all(sources.map((s) => s.settled()));
      expect(A.list(name)).to.deep.equal([]);
      expect(B.list(name), 'nothing appears once the source is back').to.deep.equal([]);
      expect(r.stats()).to.include({ waiting: 0, keys: 0 });
    });

    it('a register cut short by its signal with a source down leaves no trace either', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const kit = { retry: { minMs: 10, maxMs: 50 }, logger: quiet };
      const sources = [new MemoryRegistry({ store: A, ...kit }), new MemoryRegistry({ store: B, ...kit })];
      const r = track(new MultiRegistry(sources, kit));
      const name = uniqueName();
      await r.register(instance(name, 'x', { version: 'v1' }));
      B.setReachable(false);
      const ac = new AbortController();
      const p = r.register(instance(name, 'x', { version: 'v2' }), { signal: ac.signal });
      await eventually(() => A.list(name)[0]?.version === 'v2', 2000, 'v2 in the healthy source');
      ac.abort();
      expect((await rejection(p)).code).to.equal('E_DISCOVERY_ABORTED');
      await eventually(() => A.list(name)[0]?.version === 'v1', 2000, 'the healthy source back to v1');
      B.setReachable(true);
      await r.settled();
      await Promise.all(sources.map((s) => s.settled()));
      expect(versions(A.list(name))).to.deep.equal(['x@v1']);
      expect(versions(B.list(name))).to.deep.equal(['x@v1']);
    });

    it('a source that refuses the instance for good fails the call at once, and the others give it back', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const strict = new MemoryRegistry({ store: B });
      // A source with stricter rules than ours (as Consul is about some names): E_DISCOVERY_INSTANCE, never retried.
      const picky: ServiceRegistry = {
        backend: 'memory',
        register: async (i, o) => {
          if ((i as ServiceInstance).metadata['bad'] !== undefined)
            throw new DiscoveryError('E_DISCOVERY_INSTANCE', 'instance.metadata.bad: refused by this backend');
          return strict.register(i, o);
        },
        deregister: (i, o) => strict.deregister(i, o),
        getService: (n, o) => strict.getService(n, o),
        watch: (n, o) => strict.watch(n, o),
        services: (o) => strict.services(o),
        close: () => strict.close(),
      };
      const r = track(new MultiRegistry([new MemoryRegistry({ store: A, logger: quiet }), picky], { logger: quiet }));
      const name = uniqueName();
      await r.register(instance(name, 'x', { version: 'v1' }));
      const started = Date.now();
      const e = await rejection(r.register(instance(name, 'x', { version: 'v2', metadata: { bad: '1' } })));
      expect(e.code).to.equal('E_DISCOVERY_INSTANCE');
      expect(e.message).to.include("source 'memory (source 2)'").and.include('refused by this backend');
      expect(Date.now() - started, 'not retried until the timeout').to.be.below(5000);
      await r.settled();
      expect(versions(A.list(name)), 'back to v1 in the source that had taken v2').to.deep.equal(['x@v1']);
      expect(versions(B.list(name))).to.deep.equal(['x@v1']);
    });

    it('a withdrawn register is not reported as a failing write', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const warnings: string[] = [];
      const kit = { retry: { minMs: 10, maxMs: 50 }, logger: quiet };
      const r = track(
        new MultiRegistry([new MemoryRegistry({ store: A, ...kit }), new MemoryRegistry({ store: B, ...kit })], {
          ...kit,
          logger: { warn: (m) => warnings.push(m) },
        }),
      );
      B.setReachable(false);
      const ac = new AbortController();
      const p = r.register(instance(uniqueName(), 'x'), { signal: ac.signal });
      await eventually(() => r.stats().waiting === 1, 1000, 'the call waiting');
      ac.abort();
      await rejection(p);
      B.setReachable(true);
      await r.settled();
      expect(warnings.filter((w) => w.includes('withdrawn'))).to.deep.equal([]);
    });

    it('close() finishes within closeTimeout with a source down', async () => {
      const [A, B] = [new MemoryStore(), new MemoryStore()];
      const r = new MultiRegistry([new MemoryRegistry({ store: A, logger: quiet }), new MemoryRegistry({ store: B, logger: quiet, closeTimeout: 100 })], {
        closeTimeout: 300,
        logger: quiet,
      });
      const name = uniqueName();
      await r.register(instance(name, 'x'));
      const w = await r.watch(name);
      B.setReachable(false);
      const pending = r.register(instance(name, 'y'));
      await r.close();
      expect(w.stopped).to.equal(true);
      expect((await rejection(pending)).code).to.equal('E_DISCOVERY_CLOSED');
      expect(A.list(name)).to.deep.equal([]);
      expect(r.stats()).to.include({ waiting: 0, follows: 0 });
      B.setReachable(true);
    });
  });

  it('close() finishes within closeTimeout even when a source never finishes closing', async () => {
    const stuck = new MemoryRegistry({ store: new MemoryStore() });
    let asked = false;
    const hanging: ServiceRegistry = {
      backend: 'hand-written',
      register: (i, o) => stuck.register(i, o),
      deregister: (i, o) => stuck.deregister(i, o),
      getService: (n, o) => stuck.getService(n, o),
      watch: (n, o) => stuck.watch(n, o),
      services: (o) => stuck.services(o),
      close: () => ((asked = true), new Promise<void>(() => undefined)),
    };
    const warnings: string[] = [];
    const r = new MultiRegistry([new MemoryRegistry({ store: new MemoryStore() }), hanging], { closeTimeout: 200, logger: { warn: (m) => warnings.push(m) } });
    await r.register(instance(uniqueName(), 'x'));
    await r.close();
    expect(asked).to.equal(true);
    expect(warnings.join()).to.include('took longer than 200 ms');
    await stuck.close();
  });

  describe('interleavings', () => {
    const [A, B] = [new MemoryStore(), new MemoryStore()];
    /** Both stores agree, or the instances they disagree on are marked so that no check can pass. */
    const observe = async (name: string): Promise<ServiceInstance[]> => {
      if (!A.reachable || !B.reachable) throw new Error('a store is unreachable');
      const a = new Map(A.list(name).map((i) => [i.id, i]));
      const b = new Map(B.list(name).map((i) => [i.id, i]));
      const out: ServiceInstance[] = [];
      for (const id of new Set([...a.keys(), ...b.keys()])) {
        const x = a.get(id);
        const y = b.get(id);
        out.push(
          x !== undefined && y !== undefined && x.version === y.version
            ? x
            : { ...(x ?? y)!, version: `differs between the sources (${x?.version ?? 'none'} / ${y?.version ?? 'none'})` },
        );
      }
      return out;
    };
    const faults = {
      // One source goes away and comes back: the multi registry waits, withdraws or retries.
      'outage of source 2': async (): Promise<void> => {
        B.setReachable(false);
        await new Promise((r) => setTimeout(r, 30));
        B.setReachable(true);
      },
      // Instances vanish from one source behind the clients' backs (a TTL expiry).
      'expiry in source 1': async ({ name }: { name: string }): Promise<void> => {
        for (const i of A.list(name)) A.delete(i.name, i.id);
      },
    };
    const opts = { runs: Number(process.env['PLUGBOARD_INTERLEAVING_RUNS']) || 100, testTimeoutMs: 120_000 };
    // One layer is scheduled per check: fast-check releases one task at a time and waits for it,
    // and a fan-out waits for its source calls, so scheduling both layers would stall each run
    // until a timeout.
    discoveryInterleavings(
      'multi over two memory sources, the sources’ driver calls scheduled',
      {
        // When each source call starts and when its result arrives: the fan-outs complete in every order.
        client: async (kit) => {
          const { interpose: _, ...direct } = kit;
          return new MultiRegistry([new MemoryRegistry({ store: A, ttl: 150, ...kit }), new MemoryRegistry({ store: B, ttl: 150, ...kit })], direct);
        },
        observe,
        faults,
      },
      opts,
    );
    discoveryInterleavings(
      'multi over two memory sources, the multi layer’s fan-outs scheduled',
      {
        // When each fan-out starts and when its outcome reaches the multi reconciler, against withdrawals.
        client: async (kit) => {
          const { interpose: _, ...direct } = kit;
          return new MultiRegistry([new MemoryRegistry({ store: A, ttl: 150, ...direct }), new MemoryRegistry({ store: B, ttl: 150, ...direct })], kit);
        },
        observe,
        faults,
      },
      opts,
    );
  });
});

describe('multi over real etcd and the real Consul agent', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let consul: ConsulAgent;
  let prefixN = 0;
  const etcd = (prefix: string): EtcdRegistry =>
    new EtcdRegistry({ hosts: cluster.endpoints }, { prefix, ttl: '5s', logger: quiet, retry: { minMs: 50, maxMs: 500 } });
  const consulClient = (): ConsulRegistry => new ConsulRegistry({ port: consul.port, ttl: 2000, logger: quiet, retry: { minMs: 50, maxMs: 500 } });

  before(async () => {
    [cluster, consul] = await Promise.all([EtcdCluster.start(1), ConsulAgent.start()]);
  });
  after(async () => {
    await Promise.all([cluster?.destroy(), consul?.destroy()]);
  });

  discoveryContract('multi (etcd first, then Consul)', () => {
    const prefix = `/multi-contract-${++prefixN}`;
    return { client: async () => createRegistry([etcd(prefix), consulClient()], { logger: quiet }) };
  });

  it('is created from etcd:// and consul:// URLs once those backends are imported', async () => {
    const r = (await createRegistry(
      `multi://?url=${encodeURIComponent(`etcd://${cluster.authority}/multi-url?ttl=5`)}&url=consul://${consul.address}`,
    )) as MultiRegistry;
    try {
      expect(r.sources.map((s) => s.registry.backend)).to.deep.equal(['etcd', 'consul']);
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      const readers = [etcd('/multi-url'), consulClient()];
      for (const reader of readers) expect(ids(await reader.getService(name)), reader.backend).to.deep.equal(['a']);
      await Promise.all(readers.map((x) => x.close()));
    } finally {
      await r.close();
    }
  });

  it('migrates a fleet from Consul to etcd with no moment where readers miss an instance', async () => {
    const prefix = '/migration';
    const name = uniqueName('fleet');
    const open: ServiceRegistry[] = [];
    const track = <T extends ServiceRegistry>(r: T): T => (open.push(r), r);
    try {
      // 1. The old fleet lives in Consul only.
      const oldA = track(consulClient());
      const oldB = track(consulClient());
      await oldA.register(instance(name, 'old-a'));
      await oldB.register(instance(name, 'old-b'));
      // 2. Readers move to multi, the new backend first (docs/multi.md: dropping Consul later changes nothing they see).
      const reader = track(new MultiRegistry([etcd(prefix), consulClient()], { logger: quiet }));
      const w: Watcher = await reader.watch(name);
      const seen: string[][] = [];
      const upTo = async (want: string[], what: string): Promise<void> => {
        const l = await until(w, (x) => (seen.push(ids(x)), ids(x).join() === want.join()), 20_000, what);
        expect(ids(l)).to.deep.equal(want);
      };
      await upTo(['old-a', 'old-b'], 'the Consul fleet through multi');
      // 3. New instances register in both.
      const newC = track(new MultiRegistry([etcd(prefix), consulClient()], { logger: quiet }));
      await newC.register(instance(name, 'new-c'));
      await upTo(['new-c', 'old-a', 'old-b'], 'the union');
      const etcdOnly = track(etcd(prefix));
      expect(ids(await etcdOnly.getService(name)), 'etcd alone has the new instance only').to.deep.equal(['new-c']);
      // 4. The old instances are redeployed onto multi, then the old processes exit.
      const newA = track(new MultiRegistry([etcd(prefix), consulClient()], { logger: quiet }));
      await newA.register(instance(name, 'new-a'));
      await Promise.all([oldA.close(), oldB.close()]);
      await upTo(['new-a', 'new-c'], 'the redeployed fleet');
      // 5. Drop Consul: etcd alone now shows what multi showed.
      expect(ids(await etcdOnly.getService(name))).to.deep.equal(['new-a', 'new-c']);
      const final = track(etcd(prefix));
      const fw = await final.watch(name);
      expect(ids(await until(fw, (l) => l.length === 2, 10_000, 'the fleet in etcd'))).to.deep.equal(['new-a', 'new-c']);
      fw.stop();
      // No reader list ever lacked an instance that was registered and not yet deregistered.
      for (const l of seen.slice(seen.findIndex((x) => x.includes('new-c')))) expect(l, JSON.stringify(seen)).to.include('new-c');
      w.stop();
    } finally {
      await Promise.all(open.map((r) => r.close()));
    }
  });

  it('with Consul down, register waits for it; with the timeout passed, it is withdrawn from etcd and never appears in Consul', async () => {
    const prefix = '/multi-down';
    const name = uniqueName();
    const hasty = new MultiRegistry([etcd(prefix), consulClient()], { timeout: 1500, logger: quiet });
    const patient = new MultiRegistry([etcd(prefix), consulClient()], { timeout: 20_000, logger: quiet });
    const etcdReader = etcd(prefix);
    const consulReader = consulClient();
    try {
      await consul.stop();
      const e = await rejection(hasty.register(instance(name, 'x')));
      expect(e.code).to.equal('E_DISCOVERY_TIMEOUT');
      await eventually(async () => (await etcdReader.getService(name)).length === 0, 5000, 'x withdrawn from etcd');
      let done = false;
      const waiting = patient.register(instance(name, 'y')).then(() => (done = true));
      await eventually(async () => ids(await etcdReader.getService(name)).join() === 'y', 5000, 'y in etcd while Consul is down');
      expect(done, 'y waits for Consul').to.equal(false);
      await consul.resume();
      await waiting;
      await hasty.settled();
      await Promise.all([...hasty.sources, ...patient.sources].map((s) => (s.registry as EtcdRegistry).settled()));
      expect(ids(await consulReader.getService(name)), 'x never appears in Consul').to.deep.equal(['y']);
      expect(ids(await etcdReader.getService(name))).to.deep.equal(['y']);
    } finally {
      await consul.resume();
      await Promise.all([hasty.close(), patient.close(), etcdReader.close(), consulReader.close()]);
    }
  });
});
