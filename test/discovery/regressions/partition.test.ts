/**
 * Regression tests for issue #27 on real etcd and the real Consul agent: a client
 * that starts while its backend refuses connections does not hang (health false, the first
 * next() and the fetch helper settle within the timeout or the call's signal), and a prefix
 * larger than gRPC's default 4 MiB message neither deafens other watchers nor drops the
 * client's own instances. The silent-partition checks run in the contract suite (etcd.test.ts,
 * consul.test.ts: `faults`).
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { createDiscoveryFetch, createRegistry, DiscoveryError } from '../../../src/discovery/index.js';
import { EtcdRegistry } from '../../../src/discovery/etcd/index.js';
import { encodeInstance } from '../../../src/discovery/driver/codec.js';
import { freePort } from '../../../src/testing/index.js';
import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { ConsulAgent } from '../../support/servers/consul.js';
import { EtcdCluster } from '../../support/servers/etcd.js';
import { instance, nextWithin, uniqueName, until } from '../contract.js';

const quiet = { warn: () => undefined };

/** How `p` settled and after how long. */
async function settle(p: Promise<unknown>): Promise<{ ms: number; err?: unknown }> {
  const started = Date.now();
  try {
    await p;
    return { ms: Date.now() - started };
  } catch (err) {
    return { ms: Date.now() - started, err };
  }
}

describe('issue #27 regressions: unreachable at start, stores larger than a message', function () {
  this.timeout(60_000);
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  for (const scheme of ['etcd', 'consul']) {
    it(`${scheme}: a backend refusing connections at start: health false, the first next() and fetch settle within the timeout or signal`, async () => {
      const port = await freePort(); // nobody listens there
      const registry = await createRegistry(`${scheme}://127.0.0.1:${port}?timeout=3s`, { logger: quiet });
      open.push(registry);
      const w = await registry.watch('greeter');
      expect(w.health.healthy).to.equal(false, 'unhealthy from the start');
      const first = await settle(nextWithin(w, 6000, 'first next()'));
      expect(first.err, 'the first next() rejects').to.be.instanceOf(DiscoveryError);
      expect((first.err as DiscoveryError).code).to.equal('E_DISCOVERY_TIMEOUT');
      expect(first.ms).to.be.below(4500);
      w.stop();

      const fetch = createDiscoveryFetch({ discovery: registry });
      open.push(fetch);
      const bySignal = await settle(fetch('discovery:///greeter/hello', { signal: AbortSignal.timeout(2000) }));
      expect(bySignal.err, 'fetch rejects on its signal').to.be.instanceOf(DiscoveryError);
      expect((bySignal.err as DiscoveryError).code).to.equal('E_DISCOVERY_ABORTED');
      expect(bySignal.ms).to.be.below(3000);
      const byTimeout = await settle(fetch('discovery:///greeter/hello'));
      expect(byTimeout.err, 'fetch rejects at the registry timeout').to.be.instanceOf(DiscoveryError);
      expect(byTimeout.ms).to.be.below(4500);
    });
  }

  describe('etcd: a prefix larger than 5 MB', () => {
    let cluster: EtcdCluster;
    let raw: Etcd3;
    before(async () => {
      cluster = await EtcdCluster.start(1);
      raw = new Etcd3({ hosts: cluster.endpoints });
    });
    after(async () => {
      raw?.close();
      await cluster?.destroy();
    });

    it('watchers of other names deliver, getService of the big name works, and our own instances never leave etcd', async () => {
      const prefix = '/big';
      const big = uniqueName('big');
      const pad = 'x'.repeat(55_000);
      // 100 instances of ~55 KB: 5.5 MB under the prefix, more than gRPC's default 4 MiB message.
      for (let i = 0; i < 100; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => {
            const inst = instance(big, `i${String(i + j).padStart(3, '0')}`, { metadata: { pad } });
            return raw.put(`${prefix}/${big}/${inst.id}`).value(encodeInstance(inst)).exec();
          }),
        );
      }
      const r = new EtcdRegistry({ hosts: cluster.endpoints }, { prefix, ttl: '2s', logger: quiet, retry: { minMs: 50, maxMs: 300 } });
      open.push(r);
      const mine = instance(uniqueName('mine'), 'me');
      const myKey = `${prefix}/${mine.name}/${mine.id}`;
      const lost: string[] = [];
      const guard = await raw.watch().key(myKey).create();
      open.push({ close: async () => guard.cancel() });
      guard.on('delete', () => lost.push(`deleted at ${new Date().toISOString()}`));
      await r.register(mine);

      const small = uniqueName('small');
      const w = await r.watch(small);
      expect(await nextWithin(w, 10_000, 'the first list of a small name')).to.deep.equal([]);
      await r.register(instance(small, 's1'));
      const wBig = await r.watch(big);
      expect((await nextWithin(wBig, 10_000, 'the first list of the big name')).length).to.equal(100);
      expect((await r.getService(big)).length).to.equal(100);
      expect((await until(w, (l) => l.length === 1, 5000, 's1')).map((i) => i.id)).to.deep.equal(['s1']);
      // Past the lease TTL (2 s) with the big list mirrored: the lease was kept alive all along.
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        expect((await r.getService(big)).length).to.equal(100);
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(await raw.get(myKey).string()).to.not.equal(null);
      expect(lost).to.deep.equal([], 'our own instance never left etcd');
      w.stop();
      wBig.stop();
    });
  });

  describe('consul: a service of 2,000 instances (a health response of about 5 MB from the real agent)', () => {
    let server: ConsulAgent;
    before(async function () {
      this.timeout(1_200_000); // a first run on a machine builds the agent
      server = await ConsulAgent.start();
    });
    after(async () => {
      await server?.destroy();
    });

    it('watchers of other names deliver, getService and a watch of the big name work, and our own instance stays listed', async () => {
      const big = uniqueName('big');
      const pad = 'x'.repeat(400);
      // Plain agent registrations (no check: passing), 50 at a time, through the agent's HTTP API.
      // The real agent's health entries carry the node and its checks: about 2.5 KB each here.
      for (let i = 0; i < 2_000; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const id = `i${String(i + j).padStart(5, '0')}`;
            const body = { Name: big, ID: id, Tags: ['version=v1'], Meta: { pad }, Address: '10.0.0.1', Port: 8000 + ((i + j) % 1000) };
            const res = await fetch(`http://${server.directAddress}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify(body) });
            if (!res.ok) throw new Error(`registering ${id}: HTTP ${res.status}`);
          }),
        );
      }
      const r = new ConsulRegistry({ host: server.address.split(':')[0]!, port: Number(server.address.split(':')[1]), logger: quiet, ttl: 2000 });
      open.push(r);
      const mine = instance(uniqueName('mine'), 'me');
      await r.register(mine);
      const small = uniqueName('small');
      const w = await r.watch(small);
      expect(await nextWithin(w, 10_000, 'the first list of a small name')).to.deep.equal([]);
      const wBig = await r.watch(big);
      expect((await nextWithin(wBig, 20_000, 'the first list of the big name')).length).to.equal(2_000);
      expect((await r.getService(big)).length).to.equal(2_000);
      expect((await r.getService(mine.name)).map((i) => i.id)).to.deep.equal(['me']);
      w.stop();
      wBig.stop();
    });
  });
});
