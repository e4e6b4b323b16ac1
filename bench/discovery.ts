/**
 * Discovery benchmark: balancer picks per second (target ≥ 5 M/s for round-robin and P2C) and
 * memory-backend watch fan-out (one change delivered to 1k watchers).
 */
import { createBalancer, MemoryRegistry, MemoryStore, toNodes, type BalancerName, type ServiceInstance } from '../src/discovery/index.js';
import { measure, table, target } from './harness.js';

export async function discoveryBench(): Promise<string[]> {
  const out: string[] = [];
  const instances: ServiceInstance[] = Array.from({ length: 10 }, (_, i) => ({
    id: `n${i}`,
    name: 'svc',
    version: 'v1',
    metadata: { weight: String(50 + i * 10) },
    endpoints: [`http://10.0.0.${i}:80`],
  }));
  const nodes = toNodes(instances);
  const PICKS = 1000;
  const names: Array<BalancerName | 'p2c (pick only)' | 'ring-hash (pick only)'> = [
    'round-robin',
    'random',
    'weighted-round-robin',
    'p2c',
    'p2c (pick only)',
    'ring-hash',
    'ring-hash (pick only)',
  ];
  const keys = Array.from({ length: PICKS }, (_, i) => `user-${i * 7919}`);
  let sink = 0;
  const results = await measure(
    'balancer picks',
    names.map((name) => {
      const b = createBalancer(name.replace(' (pick only)', '') as BalancerName);
      b.update(nodes);
      const report = name === 'p2c' || name === 'ring-hash';
      const info = { latencyMs: 1 };
      return {
        name,
        ops: PICKS,
        fn: () => {
          for (let i = 0; i < PICKS; i++) {
            const n = b.pick(undefined, keys[i])!;
            if (report) {
              b.start!(n);
              b.done!(n, info);
            }
            sink += n.weight;
          }
        },
      };
    }),
  );
  const lines = [
    '### Balancer picks (10 nodes; p2c and ring-hash include start() + done() unless marked; ring-hash picks by a key)',
    '',
    '| balancer | time/pick | picks/s |',
    '|---|---:|---:|',
  ];
  for (const [name, ns] of results) lines.push(`| ${name} | ${ns.toFixed(1)} ns | ${(1e9 / ns / 1e6).toFixed(2)} M/s |`);
  console.log(`${lines.join('\n')}\n`);
  out.push(lines.join('\n'));
  out.push(target('round-robin picks/s', 1e3 / results.get('round-robin')!, '>=', 5, ' M'));
  out.push(target('p2c picks/s', 1e3 / results.get('p2c (pick only)')!, '>=', 5, ' M'));
  out.push(target('p2c pick+start+done/s', 1e3 / results.get('p2c')!, '>=', 4, ' M'));
  out.push(target('ring-hash pick/s', 1e3 / results.get('ring-hash (pick only)')!, '>=', 5, ' M'));

  // Fan-out: one registration delivered to 1k watchers of the same name.
  const store = new MemoryStore();
  const reg = new MemoryRegistry({ store });
  const watchers = await Promise.all(Array.from({ length: 1000 }, () => reg.watch('fanout')));
  await Promise.all(watchers.map((w) => w.next()));
  let n = 0;
  const fan = await measure('fan-out', [
    {
      name: '1 change → 1k watchers (register until all 1k next() resolve)',
      ops: 1,
      fn: async () => {
        const pending = watchers.map((w) => w.next());
        n++;
        await reg.register({ id: `i${n}`, name: 'fanout', endpoints: ['http://h:1'] });
        await Promise.all(pending);
        await reg.deregister({ id: `i${n}`, name: 'fanout', endpoints: ['http://h:1'] });
        await Promise.all(watchers.map((w) => w.next()));
      },
    },
  ]);
  out.push(
    table(
      'Memory backend watch fan-out (two changes per iteration: register, deregister)',
      fan,
      '1 change → 1k watchers (register until all 1k next() resolve)',
    ),
  );
  await reg.close();
  if (sink === -1) console.log(sink);
  return out;
}
