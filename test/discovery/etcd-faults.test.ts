import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import type { ServiceInstance } from '../../src/discovery/index.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { instance, nextWithin, uniqueName, until } from './contract.js';

const quiet = { warn: () => undefined };
const ids = (l: readonly ServiceInstance[]): string[] => l.map((i) => i.id).sort();

describe('etcd backend under faults (real etcd)', function () {
  this.timeout(120_000);
  let cluster: EtcdCluster;
  const open: EtcdRegistry[] = [];
  const client = (hosts: string[], prefix: string, ttl = '2s'): EtcdRegistry => {
    const r = new EtcdRegistry({ hosts }, { prefix, ttl, logger: quiet, retry: { minMs: 50, maxMs: 500 } });
    open.push(r);
    return r;
  };

  beforeEach(async () => {
    cluster = await EtcdCluster.start(1);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    await cluster.destroy();
  });

  it('restart etcd during a watch: no update is lost', async () => {
    const writer = client(cluster.endpoints, '/restart', '10s');
    const reader = client(cluster.endpoints, '/restart', '10s');
    const name = uniqueName();
    const w = await reader.watch(name);
    await nextWithin(w, 5000);
    await writer.register(instance(name, 'before'));
    await until(w, (l) => l.length === 1, 5000, 'before');
    await cluster.members[0]!.stop();
    await new Promise((r) => setTimeout(r, 500));
    cluster.members[0]!.start();
    await cluster.waitHealthy();
    // Writes right after the restart, possibly before the watch stream has reconnected.
    for (let i = 0; i < 20; i++) await retry(() => writer.register(instance(name, `after-${i}`)));
    await retry(() => writer.deregister(instance(name, 'after-3')));
    const want = ['before', ...Array.from({ length: 20 }, (_, i) => `after-${i}`).filter((x) => x !== 'after-3')].sort();
    expect(ids(await until(w, (l) => ids(l).join() === want.join(), 20_000, 'every change made around the restart'))).to.deep.equal(want);
    w.stop();
  });

  it('etcd down for longer than the TTL: instances come back by themselves and watchers converge', async () => {
    const writer = client(cluster.endpoints, '/outage', '2s');
    const reader = client(cluster.endpoints, '/outage', '2s');
    const name = uniqueName();
    await writer.register(instance(name, 'a'));
    await writer.register(instance(name, 'b'));
    const w = await reader.watch(name);
    await until(w, (l) => l.length === 2, 5000, 'a and b');
    await cluster.members[0]!.stop();
    await new Promise((r) => setTimeout(r, 5000)); // 2.5 × TTL
    expect(w.health.healthy).to.equal(false, 'the watcher reports the backend as degraded');
    cluster.members[0]!.start();
    await cluster.waitHealthy();
    const deadline = Date.now() + 20_000;
    while ((writer.stats().leasesLost === 0 || !reader.stats().healthy) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(writer.stats().leasesLost).to.be.greaterThan(0, 'a new lease was granted and the instances put again');
    expect(ids(await reader.getService(name))).to.deep.equal(['a', 'b']);
    await new Promise((r) => setTimeout(r, 3000)); // past the old lease's TTL: nothing disappears
    expect(ids(await reader.getService(name))).to.deep.equal(['a', 'b']);
    await writer.register(instance(name, 'c'));
    expect(ids(await until(w, (l) => l.length === 3, 10_000, 'the watcher converging after the outage'))).to.deep.equal(['a', 'b', 'c']);
    expect(w.health.healthy).to.equal(true);
    w.stop();
  });

  it('a revoked (expired) lease is replaced and the instances put again, forever', async () => {
    const writer = client(cluster.endpoints, '/revoked', '2s');
    const name = uniqueName();
    await writer.register(instance(name, 'a'));
    const raw = new Etcd3({ hosts: cluster.endpoints });
    const w = await writer.watch(name);
    await until(w, (l) => l.length === 1, 5000, 'a');
    for (let round = 1; round <= 3; round++) {
      const { leases } = await raw.leaseClient.leaseLeases({});
      for (const l of leases) await raw.leaseClient.leaseRevoke({ ID: l.ID });
      await until(w, (l) => l.length === 0, 5000, `a gone (round ${round})`);
      await until(w, (l) => l.length === 1, 10_000, `a back (round ${round})`);
    }
    // The watcher can see the re-put before the keeper has counted its recovery: allow a moment.
    const deadline = Date.now() + 2000;
    while (writer.stats().leasesLost < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(writer.stats().leasesLost).to.be.greaterThanOrEqual(3);
    raw.close();
    w.stop();
  });

  it('a compaction past the watcher’s revision: the watcher lists again and resumes', async () => {
    const proxy = await TcpProxy.start(cluster.members[0]!.clientPort);
    try {
      const reader = client([proxy.url], '/compact', '10s');
      const writer = client(cluster.endpoints, '/compact', '10s');
      const name = uniqueName();
      const w = await reader.watch(name);
      await nextWithin(w, 5000);
      await writer.register(instance(name, 'a'));
      await until(w, (l) => l.length === 1, 5000, 'a');
      await proxy.cut(); // the reader's watch stream is gone; etcd keeps running
      await writer.register(instance(name, 'b'));
      await writer.deregister(instance(name, 'a'));
      for (let i = 0; i < 5; i++) await writer.register(instance(name, `c${i}`));
      const raw = new Etcd3({ hosts: cluster.endpoints });
      const { header } = await raw.getAll().prefix('/compact/').exec();
      await raw.kv.compact({ revision: header.revision, physical: true });
      raw.close();
      const runsBefore = reader.follows().get('')!.runs;
      await proxy.restore(); // the watch resumes from a compacted revision: etcd cancels it
      const want = ['b', 'c0', 'c1', 'c2', 'c3', 'c4'];
      expect(ids(await until(w, (l) => ids(l).join() === want.join(), 30_000, 'the state after compaction'))).to.deep.equal(want);
      expect(reader.follows().get('')!.runs).to.be.greaterThan(runsBefore, 'it listed and watched again');
      await writer.register(instance(name, 'd'));
      expect(ids(await until(w, (l) => l.length === 7, 10_000, 'd after the resume'))).to.include('d');
      w.stop();
    } finally {
      await proxy.close();
    }
  });

  it('a registered child process killed with SIGKILL disappears within TTL + 1 s', async () => {
    const name = uniqueName('child');
    const reader = client(cluster.endpoints, '/kill', '2s');
    const w = await reader.watch(name);
    await nextWithin(w, 5000);
    const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/etcd-child.js', cluster.endpoints[0]!, '/kill', name, '3', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('registered') && resolve());
      child.once('exit', (c) => reject(new Error(`child exited early (${c})`)));
    });
    await until(w, (l) => l.length === 3, 5000, 'the child’s 3 instances');
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(w, (l) => l.length === 0, 10_000, 'the killed child’s instances gone');
    const took = Date.now() - killedAt;
    expect(took).to.be.below(3000 + 500, `gone after ${took} ms (TTL 2 s + 1 s)`);
    w.stop();
  });
});

/** Retries an operation that can fail while etcd restarts. */
async function retry<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
