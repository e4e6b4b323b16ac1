import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { createRegistry, type ServiceRegistry } from '../../src/discovery/index.js';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { discoveryContract, instance, nextWithin, uniqueName, until } from './contract.js';

let cluster: EtcdCluster;
let prefixN = 0;
const quiet = { warn: () => undefined };

describe('etcd, against a real etcd server', function () {
  this.timeout(60_000);
  before(async () => {
    cluster = await EtcdCluster.start(1);
  });
  after(async () => {
    await cluster?.destroy();
  });

  // The fault tests' clients go through proxies of their own (closed after each test).
  const proxies: TcpProxy[] = [];
  const proxy = async (): Promise<TcpProxy> => {
    const p = await TcpProxy.start(cluster.members[0]!.clientPort);
    proxies.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  let contractPrefix = '';
  discoveryContract(
    'etcd (real etcd 3.4, one node)',
    () => {
      contractPrefix = `/contract-${++prefixN}`;
      return { client: async () => new EtcdRegistry({ hosts: cluster.endpoints }, { prefix: contractPrefix, ttl: '5s', logger: quiet }) };
    },
    {
      faults: {
        partitioned: async () => {
          const p = await proxy();
          const opts = { prefix: contractPrefix, ttl: '5s', logger: quiet, livenessTimeout: 1500, timeout: 3000, retry: { minMs: 50, maxMs: 500 } };
          return { client: new EtcdRegistry({ hosts: [p.url] }, opts), livenessMs: 1500, freeze: () => p.freeze(), restore: () => p.restore() };
        },
        unreachable: async () => {
          const p = await proxy();
          await p.freeze(); // a black hole: connections open, nothing ever answers
          return { client: new EtcdRegistry({ hosts: [p.url] }, { prefix: contractPrefix, logger: quiet, timeout: 3000 }), timeoutMs: 3000 };
        },
      },
    },
  );

  describe('etcd backend', function () {
    this.timeout(60_000);
    const open: ServiceRegistry[] = [];
    const client = (opts: ConstructorParameters<typeof EtcdRegistry>[1] = {}): EtcdRegistry => {
      const r = new EtcdRegistry({ hosts: cluster.endpoints }, { prefix: '/t', ttl: '2s', logger: quiet, retry: { minMs: 50, maxMs: 500 }, ...opts });
      open.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((r) => r.close()));
    });

    it('is created from an etcd:// URL through createRegistry, with URL options', async () => {
      await import('../../src/discovery/etcd/index.js');
      const r = (await createRegistry(`etcd://${cluster.authority}/svc-root?ttl=7`)) as EtcdRegistry;
      open.push(r);
      expect(r).to.be.instanceOf(EtcdRegistry);
      expect(r.prefix).to.equal('/svc-root');
      expect(r.ttlSeconds).to.equal(7);
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      const raw = new Etcd3({ hosts: cluster.endpoints });
      const stored = await raw.get(`/svc-root/${name}/a`).string();
      raw.close();
      expect(JSON.parse(stored!)).to.include({ id: 'a', name });
    });

    it('keeps a key alive under a lease and revokes it on deregister of the last instance', async () => {
      const r = client();
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      await new Promise((res) => setTimeout(res, 3500)); // longer than the 2 s TTL: keepalives hold it
      expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
      await r.deregister(instance(name, 'a'));
      expect(await r.getService(name)).to.deep.equal([]);
      expect(r.stats().keys).to.equal(0);
    });

    it('skips, counts and warns once about foreign or malformed values under the prefix; never throws out of a watcher', async () => {
      const warnings: string[] = [];
      const r = client({ prefix: '/bad', logger: { warn: (m) => warnings.push(m) } });
      const name = uniqueName();
      const raw = new Etcd3({ hosts: cluster.endpoints });
      await raw.put(`/bad/${name}/junk`).value('{not json');
      await raw.put(`/bad/${name}/wrong-shape`).value(JSON.stringify({ hello: 'world' }));
      await raw.put(`/bad/${name}/mismatch`).value(JSON.stringify(instance(name, 'other-id')));
      await raw.put(`/bad/${name}/too/deep`).value(JSON.stringify(instance(name, 'x')));
      await r.register(instance(name, 'good'));
      const w = await r.watch(name);
      expect((await until(w, (l) => l.length === 1, 5000, 'the good one')).map((i) => i.id)).to.deep.equal(['good']);
      await raw.put(`/bad/${name}/junk`).value('still junk');
      await raw.put(`/bad/${name}/late`).value('[]');
      await r.register(instance(name, 'good2'));
      expect((await until(w, (l) => l.length === 2, 5000, 'good and good2')).map((i) => i.id).sort()).to.deep.equal(['good', 'good2']);
      expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['good', 'good2']);
      expect(r.stats().skipped).to.be.greaterThanOrEqual(5);
      expect(warnings.filter((m) => m.includes(`/bad/${name}/junk`))).to.have.length(1, 'warned once per key');
      expect(warnings.some((m) => m.includes(`/bad/${name}/late`))).to.equal(true);
      w.stop();
      raw.close();
    });

    it('uses one etcd watch for every watched service name', async () => {
      const r = client({ prefix: '/many' });
      const watchers = await Promise.all(Array.from({ length: 50 }, (_, i) => r.watch(`svc-${i}`)));
      await Promise.all(watchers.map((w) => nextWithin(w, 5000)));
      expect(r.stats().follows).to.equal(1);
      await r.register(instance('svc-7', 'x'));
      expect((await until(watchers[7]!, (l) => l.length === 1, 5000, 'svc-7')).map((i) => i.id)).to.deep.equal(['x']);
      for (const w of watchers) w.stop();
      await new Promise((res) => setTimeout(res, 50));
      expect(r.stats().follows).to.equal(0, 'the watch closes when the last watcher stops');
    });

    it('lists then watches from the list revision + 1: nothing registered in between is lost', async () => {
      const writer = client({ prefix: '/gap' });
      const reader = client({ prefix: '/gap' });
      const name = uniqueName();
      // Register continuously while the watch is being set up.
      let n = 0;
      let stop = false;
      const writing = (async () => {
        while (!stop && n < 200) await writer.register(instance(name, `i${n++}`));
      })();
      await new Promise((res) => setTimeout(res, 30));
      const w = await reader.watch(name);
      await writing.then(() => (stop = true));
      stop = true;
      await writing;
      const final = await until(w, (l) => l.length === n, 10_000, `all ${n} instances`);
      expect(final).to.have.length(n);
      w.stop();
    });
  });
});
