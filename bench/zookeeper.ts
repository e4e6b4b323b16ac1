/**
 * ZooKeeper benchmark, against one real ZooKeeper started for the run (Debian's zookeeper):
 * propagation latency register → another client's watcher, p50/p99.
 */
import { ZooKeeperRegistry } from '../src/discovery/zookeeper/index.js';
import { ZooKeeperServer } from '../test/support/zookeeper-server.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function zookeeperBench(): Promise<string[]> {
  const server = await ZooKeeperServer.start();
  const quiet = { warn: () => undefined };
  try {
    const writer = new ZooKeeperRegistry({ connect: server.connect, root: '/bench', logger: quiet });
    const reader = new ZooKeeperRegistry({ connect: server.connect, root: '/bench', logger: quiet });
    const w = await reader.watch('latency');
    await w.next();
    const N = 300;
    const samples: number[] = [];
    for (let i = 0; i < N; i++) {
      const inst = { id: `i${i}`, name: 'latency', endpoints: ['http://127.0.0.1:1'] };
      const t0 = performance.now();
      const seen = w.next();
      await writer.register(inst);
      await seen;
      samples.push(performance.now() - t0);
      const gone = w.next();
      await writer.deregister(inst);
      await gone;
    }
    w.stop();
    await Promise.all([writer.close(), reader.close()]);
    samples.sort((a, b) => a - b);
    const text = [
      `### ZooKeeper propagation latency, register → another client's watcher (${N} samples, one ZooKeeper 3.8 on loopback)`,
      '',
      `- p50 **${percentile(samples, 50).toFixed(2)} ms**, p99 **${percentile(samples, 99).toFixed(2)} ms** (create + children-watch event + re-read of the children's data)`,
    ].join('\n');
    console.log(`${text}\n`);
    return [text];
  } finally {
    await server.destroy();
  }
}
