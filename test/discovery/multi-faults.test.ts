/**
 * `multi://` under faults (the multi findings of review 2): a deregister that overtakes a
 * register waiting for a down source, a source whose getService/services/watch hangs, every
 * source down at the start, and the same source written twice. Each test failed on 9c759d8;
 * the last suite repeats the findings against a real etcd (behind a TcpProxy that stalls it)
 * and the Consul test agent.
 */
import { expect } from 'chai';
import { MemoryRegistry, MemoryStore, MultiRegistry, type ServiceRegistry } from '../../src/discovery/index.js';
import { ConsulRegistry } from '../../src/discovery/consul/index.js';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { ConsulServer } from '../support/consul/consul-server.js';
import { EtcdCluster } from '../support/etcd-server.js';
import { eventually, ids, instance, uniqueName } from './contract.js';

const quiet = { warn: () => undefined };
const fast = { retry: { minMs: 10, maxMs: 50 }, logger: quiet };

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
      expect(seenInB.filter((l) => l.includes('x')), 'x appeared in the recovered source after its deregistration').to.deep.equal([]);
    } finally {
      off();
    }
  });

});

describe('multi:// faults over a stalled etcd and the Consul test agent (review 2)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let consul: ConsulServer;
  let proxy: TcpProxy;
  const open: ServiceRegistry[] = [];
  const consulClient = (): ConsulRegistry => new ConsulRegistry({ port: consul.port, ttl: 2000, logger: quiet, retry: { minMs: 50, maxMs: 500 } });

  before(async () => {
    [cluster, consul] = await Promise.all([EtcdCluster.start(1), ConsulServer.start({ reapIntervalMs: 200, minDeregisterAfterMs: 0 })]);
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

  it('F1 (real): with Consul down, a deregister while the register waits for Consul removes the instance from etcd at once', async () => {
    const name = uniqueName();
    const etcd = (): EtcdRegistry => new EtcdRegistry({ hosts: cluster.endpoints }, { prefix: '/rev2-f1', ttl: '5s', logger: quiet, retry: { minMs: 50, maxMs: 500 } });
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

});
