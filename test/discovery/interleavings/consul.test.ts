import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { discoveryInterleavings, TcpProxy } from '../../../src/testing/index.js';
import { ConsulServer } from '../../support/consul/consul-server.js';

describe('interleavings: consul (Consul test agent)', function () {
  this.timeout(60_000);
  let server: ConsulServer;
  let proxy: TcpProxy;

  before(async () => {
    server = await ConsulServer.start({ reapIntervalMs: 200, minDeregisterAfterMs: 0 });
    proxy = await TcpProxy.start(Number(server.address.split(':')[1]));
  });
  after(async () => {
    await proxy?.close();
    await server?.destroy();
  });

  discoveryInterleavings('consul', {
    // A client closed during an outage cannot deregister; its check then goes critical after the
    // TTL and the agent reaps it after DeregisterCriticalServiceAfter (1 s here, 60 s by default),
    // as etcd drops a closed client's keys with its lease. Both fit in the convergence window.
    // The clients reach the agent through a proxy, so that a partition can silence them alone.
    client: async (kit) => new ConsulRegistry({ port: proxy.port, ttl: 2000, wait: 1000, deregisterCriticalServiceAfter: 1000, ...kit }),
    // The agent's own table of services (every registered one, passing or not); the version is in the version= tag, as kratos writes it.
    observe: async (name) =>
      [...server.state.services.values()]
        .filter((s) => s.def.Name === name)
        .map((s) => ({
          id: s.def.ID,
          name,
          version: s.def.Tags?.find((t) => t.startsWith('version='))?.slice('version='.length) ?? '',
          metadata: {},
          endpoints: [],
        })),
    faults: {
      // The agent restarts with its state wiped: it forgets every service and check.
      restart: () => server.restart(1),
      // The agent stops answering for a moment (connections cut), then comes back with its state.
      outage: async () => {
        await server.stop();
        await new Promise((r) => setTimeout(r, 100));
        await server.resume();
      },
    },
    // A silent partition: the proxy stops forwarding and closes nothing (checked by the kit's `freeze` fault).
    partition: { freeze: () => proxy.freeze(), restore: () => proxy.restore(), livenessMs: 1000, weight: 0.25 },
  });
});
