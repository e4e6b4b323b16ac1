/**
 * ZooKeeper benchmark, against one real ZooKeeper started for the run (Debian's zookeeper):
 * propagation latency register → another client's watcher, p50/p99, against the raw `zookeeper`
 * client doing the same create → children watch → read of the new child's data.
 */
import ZooKeeper from 'zookeeper';
import { ZooKeeperRegistry } from '../src/discovery/zookeeper/index.js';
import { ZK, type ZkClient } from '../src/discovery/zookeeper/zk-client.js';
import { ZooKeeperServer } from '../test/support/servers/zookeeper.js';

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
    const raw = (await rawPropagation(server.connect, N)).sort((a, b) => a - b);
    const text = [
      `### ZooKeeper propagation latency, register → another client's watcher (${N} samples, one ZooKeeper 3.8 on loopback)`,
      '',
      '| | p50 | p99 |',
      '|---|---:|---:|',
      `| raw \`zookeeper\` client (create ephemeral → children watch event → get_children + get of the new child) | ${percentile(raw, 50).toFixed(2)} ms | ${percentile(raw, 99).toFixed(2)} ms |`,
      `| plugboard (register → watcher.next()) | ${percentile(samples, 50).toFixed(2)} ms | ${percentile(samples, 99).toFixed(2)} ms |`,
      '',
      `- p50 overhead: **${(percentile(samples, 50) - percentile(raw, 50)).toFixed(2)} ms** (target ≤ raw + 1 ms), p99 overhead: **${(percentile(samples, 99) - percentile(raw, 99)).toFixed(2)} ms**`,
    ].join('\n');
    console.log(`${text}\n`);
    return [text];
  } finally {
    await server.destroy();
  }
}

/** Two raw clients: one creates ephemeral nodes, the other follows the parent's children and reads the new child's data. */
async function rawPropagation(connect: string, n: number): Promise<number[]> {
  const open = async (): Promise<ZkClient> => {
    await new Promise<void>((r) => setImmediate(r)); // never open a native client inside another's callback (see src/discovery/zookeeper/outside-callbacks.ts)
    const zk = new (ZooKeeper as unknown as new (c: object) => ZkClient)({
      connect,
      timeout: 10_000,
      debug_level: ZK.LOG_ERROR,
      host_order_deterministic: false,
    });
    const up = new Promise<void>((r) => zk.once('connect', () => r()));
    zk.init({});
    await up;
    return zk;
  };
  const [w, r] = [await open(), await open()];
  await w.create('/raw', '', ZK.PERSISTENT).catch(() => undefined);
  await w.create('/raw/latency', '', ZK.PERSISTENT).catch(() => undefined);
  let waiting: ((child: string) => void) | undefined;
  let known = new Set<string>();
  const follow = async (): Promise<void> => {
    const children = await r.w_get_children('/raw/latency', () => void follow());
    const added = children.filter((c) => !known.has(c));
    known = new Set(children);
    for (const c of added) {
      await r.get(`/raw/latency/${c}`, false);
      waiting?.(c);
    }
  };
  await follow();
  const out: number[] = [];
  const body = JSON.stringify({ id: 'x', name: 'latency', version: '', metadata: {}, endpoints: ['http://127.0.0.1:1'] });
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const seen = new Promise<void>((res) => (waiting = (c) => c === `i${i}` && res()));
    await w.create(`/raw/latency/i${i}`, body, ZK.EPHEMERAL);
    await seen;
    out.push(performance.now() - t0);
    await w.delete_(`/raw/latency/i${i}`, -1);
  }
  waiting = undefined;
  for (const zk of [w, r]) await new Promise<void>((res) => setImmediate(() => (zk.close(), res())));
  return out;
}
