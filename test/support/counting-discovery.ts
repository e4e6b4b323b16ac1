import type { Discovery, Watcher } from '../../src/discovery/index.js';

/** `discovery`, counting the watchers it has open: tests check that nothing is left watching. */
export function countingDiscovery(discovery: Discovery): { discovery: Discovery; live: () => number } {
  let live = 0;
  const counted: Discovery = {
    getService: (n) => discovery.getService(n),
    watch: async (n) => {
      const w = await discovery.watch(n);
      live++;
      let stopped = false;
      return Object.assign(Object.create(w) as Watcher, {
        next: () => w.next(),
        stop: () => {
          if (!stopped) live--;
          stopped = true;
          w.stop();
        },
      });
    },
  };
  return { discovery: counted, live: () => live };
}
