import { MemoryRegistry, MemoryStore } from '../../../src/discovery/index.js';
import { discoveryInterleavings } from '../../../src/testing/index.js';

describe('interleavings: memory', () => {
  const store = new MemoryStore();
  discoveryInterleavings(
    'memory',
    {
      client: async (kit) => new MemoryRegistry({ store, ttl: 150, ...kit }),
      observe: async (name) => (store.reachable ? store.list(name) : Promise.reject(new Error('unreachable'))),
      faults: {
        // The store goes away and comes back: every call fails meanwhile, subscriptions end.
        outage: async () => {
          store.setReachable(false);
          await new Promise((r) => setTimeout(r, 30));
          store.setReachable(true);
        },
        // Instances vanish behind the clients' backs (a lease or TTL expiry).
        expire: async ({ name }) => {
          if (!store.reachable) return;
          for (const i of store.list(name)) store.delete(i.name, i.id);
        },
      },
    },
    { runs: Number(process.env['PLUGBOARD_INTERLEAVING_RUNS']) || 300 },
  );
});
