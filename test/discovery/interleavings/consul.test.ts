import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { discoveryInterleavings } from '../../../src/testing/index.js';
import { ConsulAgent } from '../../support/servers/consul.js';

describe('interleavings: consul (real Consul agent)', function () {
  this.timeout(60_000);
  let server: ConsulAgent;

  before(async function () {
    this.timeout(1_200_000); // a first run on a machine builds the agent
    server = await ConsulAgent.start();
  });
  after(async () => {
    await server?.destroy();
  });

  discoveryInterleavings('consul', {
    client: async (kit) => new ConsulRegistry({ port: server.port, ttl: 2000, wait: 1000, deregisterCriticalServiceAfter: 1000, ...kit }),
    // What a reader is given: the agent's passing instances. A client closed during an outage
    // cannot deregister; its check turns critical after the TTL (2 s), which takes it out of
    // this list, as etcd drops a closed client's keys with its lease. Consul reaps the critical
    // service itself a minute or more later (its fixed minimum), past the convergence window.
    observe: async (name) => {
      const entries = await server.api<{ Service: { ID: string; Tags?: string[] | null } }[]>('GET', `/health/service/${encodeURIComponent(name)}?passing`);
      return entries.map(({ Service: s }) => ({
        id: s.ID,
        name,
        version: s.Tags?.find((t) => t.startsWith('version='))?.slice('version='.length) ?? '',
        metadata: {},
        endpoints: [],
      }));
    },
    faults: {
      // The agent restarts; a dev agent forgets every service and check.
      restart: () => server.restart(),
      // The network to the agent goes down for a moment (connections cut), then comes back; the agent kept its state.
      outage: async () => {
        await server.stop();
        await new Promise((r) => setTimeout(r, 100));
        await server.resume();
      },
    },
  });
});
