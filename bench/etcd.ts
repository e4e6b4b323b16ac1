/**
 * etcd benchmark, against one real etcd started for the run (Debian's etcd-server):
 * propagation latency register → another client's watcher, plugboard vs a raw etcd3 watch;
 * watch streams used while watching 1k services; getService with 10k instances.
 */
import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../src/discovery/etcd/index.js';
import { EtcdCluster } from '../test/support/servers/etcd.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

export async function etcdBench(): Promise<string[]> {
  const cluster = await EtcdCluster.start(1);
  const quiet = { warn: () => undefined };
  const out: string[] = [];
  try {
    const hosts = cluster.endpoints;
    const N = 300;
    // ---- propagation latency -----------------------------------------------------------
    const writer = new EtcdRegistry({ hosts }, { prefix: '/bench', ttl: '30s', logger: quiet });
    const reader = new EtcdRegistry({ hosts }, { prefix: '/bench', ttl: '30s', logger: quiet });
    // A process keeps some instance registered, so its lease stays granted between samples
    // (deregistering the last instance revokes the lease; the next register would grant anew).
    await writer.register({ id: 'keeper', name: 'latency-keeper', endpoints: ['http://127.0.0.1:1'] });
    const w = await reader.watch('latency');
    await w.next();
    const ours: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const seen = w.next();
      await writer.register({ id: `i${i}`, name: 'latency', endpoints: ['http://127.0.0.1:1'] });
      await seen;
      ours.push(performance.now() - t0);
      await writer.deregister({ id: `i${i}`, name: 'latency', endpoints: ['http://127.0.0.1:1'] });
      await w.next();
    }
    w.stop();
    const rawW = new Etcd3({ hosts });
    const rawR = new Etcd3({ hosts });
    const lease = rawW.lease(30);
    await lease.grant();
    const watch = await rawR.watch().prefix('/raw/').create();
    const raw: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const seen = new Promise<void>((r) => watch.once('put', () => r()));
      await lease
        .put(`/raw/latency/i${i}`)
        .value(JSON.stringify({ id: `i${i}`, name: 'latency', version: '', metadata: {}, endpoints: ['http://127.0.0.1:1'] }));
      await seen;
      raw.push(performance.now() - t0);
      const gone = new Promise<void>((r) => watch.once('delete', () => r()));
      await rawW.delete().key(`/raw/latency/i${i}`);
      await gone;
    }
    await watch.cancel();
    // ---- one register() vs the raw put under a granted lease, and one round trip (a get) ------
    const reg: number[] = [];
    const put: number[] = [];
    const rtt: number[] = [];
    for (let i = 0; i < N; i++) {
      let t0 = performance.now();
      await writer.register({ id: `r${i}`, name: 'reg', endpoints: ['http://127.0.0.1:1'] });
      reg.push(performance.now() - t0);
      t0 = performance.now();
      await lease.put(`/raw/reg/r${i}`).value(JSON.stringify({ id: `r${i}`, name: 'reg', version: '', metadata: {}, endpoints: ['http://127.0.0.1:1'] }));
      put.push(performance.now() - t0);
      t0 = performance.now();
      await rawR.get(`/raw/reg/r${i}`).string();
      rtt.push(performance.now() - t0);
    }
    await lease.revoke();
    for (const x of [reg, put, rtt]) x.sort((a, b) => a - b);
    ours.sort((a, b) => a - b);
    raw.sort((a, b) => a - b);
    const lines = [
      `### Propagation latency, register → another client's watcher (${N} samples, one etcd 3.4 on loopback)`,
      '',
      '| | p50 | p99 |',
      '|---|---:|---:|',
      `| raw etcd3 (lease put → watch 'put' event) | ${percentile(raw, 50).toFixed(2)} ms | ${percentile(raw, 99).toFixed(2)} ms |`,
      `| plugboard (register → watcher.next()) | ${percentile(ours, 50).toFixed(2)} ms | ${percentile(ours, 99).toFixed(2)} ms |`,
      '',
      `- p50 overhead: **${(percentile(ours, 50) - percentile(raw, 50)).toFixed(2)} ms** (target ≤ raw + 0.5 ms), p99 overhead: **${(percentile(ours, 99) - percentile(raw, 99)).toFixed(2)} ms** (target ≤ raw + 1 ms)`,
      '',
      `### One register(), lease already granted (${N} samples)`,
      '',
      '| | p50 | p99 |',
      '|---|---:|---:|',
      `| raw etcd3 lease put | ${percentile(put, 50).toFixed(2)} ms | ${percentile(put, 99).toFixed(2)} ms |`,
      `| one round trip (raw get of one key) | ${percentile(rtt, 50).toFixed(2)} ms | ${percentile(rtt, 99).toFixed(2)} ms |`,
      `| plugboard register() (resolves once etcd holds it) | ${percentile(reg, 50).toFixed(2)} ms | ${percentile(reg, 99).toFixed(2)} ms |`,
      '',
      `- register p50 − raw put p50 = **${(percentile(reg, 50) - percentile(put, 50)).toFixed(2)} ms**, against one round trip of ${percentile(rtt, 50).toFixed(2)} ms (target: at most one round trip more)`,
    ];
    // ---- watch streams for 1k services -----------------------------------------------------
    const before = {
      streams: await metric(hosts[0]!, 'etcd_debugging_mvcc_watch_stream_total'),
      watchers: await metric(hosts[0]!, 'etcd_debugging_mvcc_watcher_total'),
    };
    const many = new EtcdRegistry({ hosts }, { prefix: '/bench-many', ttl: '30s', logger: quiet });
    const ws = await Promise.all(Array.from({ length: 1000 }, (_, i) => many.watch(`svc-${i}`)));
    await Promise.all(ws.map((x) => x.next()));
    const during = {
      streams: await metric(hosts[0]!, 'etcd_debugging_mvcc_watch_stream_total'),
      watchers: await metric(hosts[0]!, 'etcd_debugging_mvcc_watcher_total'),
    };
    lines.push(
      '',
      '### Watching 1,000 services from one client',
      '',
      `- etcd's own gauges: watch streams ${before.streams} → ${during.streams} (**+${during.streams - before.streams}**), watchers ${before.watchers} → ${during.watchers} (**+${during.watchers - before.watchers}**) (target: 1)`,
      `- plugboard's subscriptions (follow state machines) running: ${many.stats().follows}`,
    );
    for (const x of ws) x.stop();
    await many.close();
    // ---- getService with 10k instances -----------------------------------------------------
    const big = new EtcdRegistry({ hosts }, { prefix: '/bench-big', ttl: '60s', logger: quiet });
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => big.register({ id: `i${i + j}`, name: 'big', endpoints: ['http://127.0.0.1:1'], metadata: { zone: 'eu' } })),
      );
    }
    const gs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const list = await big.getService('big');
      gs.push(performance.now() - t0);
      if (list.length !== 10_000) throw new Error(`expected 10k instances, got ${list.length}`);
    }
    gs.sort((a, b) => a - b);
    const rawGet: number[] = [];
    const rawClient = new Etcd3({ hosts });
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await rawClient.getAll().prefix('/bench-big/big/').exec();
      rawGet.push(performance.now() - t0);
      if (res.kvs.length !== 10_000) throw new Error('raw read mismatch');
    }
    // The same name, watched: getService is served from the watch mirror.
    const bigWatch = await big.watch('big');
    await bigWatch.next();
    const gsw: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      const list = await big.getService('big');
      gsw.push(performance.now() - t0);
      if (list.length !== 10_000) throw new Error(`expected 10k watched instances, got ${list.length}`);
    }
    bigWatch.stop();
    gsw.sort((a, b) => a - b);
    rawClient.close();
    rawGet.sort((a, b) => a - b);
    lines.push(
      '',
      '### getService with 10,000 instances (20 calls)',
      '',
      '| | p50 | p99 |',
      '|---|---:|---:|',
      `| raw etcd3 range read of the same 10k keys | ${percentile(rawGet, 50).toFixed(1)} ms | ${percentile(rawGet, 99).toFixed(1)} ms |`,
      `| plugboard getService, name not watched (read + parse + validate each) | ${percentile(gs, 50).toFixed(1)} ms | ${percentile(gs, 99).toFixed(1)} ms |`,
      `| plugboard getService, name watched (from the watch mirror; 200 calls) | ${percentile(gsw, 50).toFixed(3)} ms | ${percentile(gsw, 99).toFixed(3)} ms |`,
      '',
      `- watched getService is **${(percentile(rawGet, 50) / percentile(gsw, 50)).toFixed(0)}×** faster than the raw range read at p50 (target ≥ 100×)`,
    );
    await big.close();
    await Promise.all([writer.close(), reader.close()]);
    rawW.close();
    rawR.close();
    const text = lines.join('\n');
    console.log(`${text}\n`);
    out.push(text);
  } finally {
    await cluster.destroy();
  }
  return out;
}
