import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../../src/discovery/etcd/index.js';
import type { ServiceInstance } from '../../../src/discovery/index.js';
import { discoveryInterleavings, TcpProxy } from '../../../src/testing/index.js';
import { EtcdCluster } from '../../support/servers/etcd.js';

describe('interleavings: etcd (real etcd)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let proxy: TcpProxy;
  let raw: Etcd3;
  const prefix = '/interleave';

  before(async () => {
    cluster = await EtcdCluster.start(1);
    proxy = await TcpProxy.start(cluster.members[0]!.clientPort);
    raw = new Etcd3({ hosts: cluster.endpoints });
  });
  after(async () => {
    raw?.close();
    await proxy?.close();
    await cluster?.destroy();
  });

  discoveryInterleavings('etcd', {
    // The clients reach etcd through a proxy, so that a fault can cut them off alone.
    client: async (kit) => new EtcdRegistry({ hosts: [proxy.url] }, { prefix, ttl: '2s', ...kit }),
    observe: async (name) => {
      const res = await raw.getAll().prefix(`${prefix}/${name}/`).exec();
      return res.kvs.map((kv) => JSON.parse(kv.value.toString()) as ServiceInstance);
    },
    faults: {
      // etcd forgets the leases (an expiry the clients have not noticed yet).
      revoke: async () => {
        const { leases } = await raw.leaseClient.leaseLeases({});
        for (const l of leases) await raw.leaseClient.leaseRevoke({ ID: l.ID }).catch(() => undefined);
      },
      // The clients lose their connections for a moment (shorter than the lease TTL).
      cut: async () => {
        await proxy.cut();
        await new Promise((r) => setTimeout(r, 100));
        await proxy.restore();
      },
      // etcd itself stops and starts again (leases survive, connections do not).
      restart: {
        weight: 0.1, // about a second each: a tenth as often as the others (CI's time budget)
        run: async () => {
          await cluster.members[0]!.stop();
          cluster.members[0]!.start();
          await cluster.waitHealthy();
        },
      },
    },
    // A silent partition: the proxy stops forwarding and closes nothing (checked by the kit's `freeze` fault).
    partition: { freeze: () => proxy.freeze(), restore: () => proxy.restore(), livenessMs: 1000, weight: 0.25 },
  });
});
