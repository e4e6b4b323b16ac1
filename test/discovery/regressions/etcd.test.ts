/**
 * Regression tests for the etcd findings of issue #15 (c, d, f, i, l, n, o), on a real etcd.
 * Each failed on the code before the discovery kit.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../../src/discovery/etcd/index.js';
import { App, DiscoveryError, type ServiceInstance } from '../../../src/discovery/index.js';
import { TcpProxy } from '../../../src/testing/index.js';
import { EtcdCluster } from '../../support/servers/etcd.js';
import { eventually, instance, nextWithin, uniqueName, until } from '../contract.js';

const quiet = { warn: () => undefined };
const prefix = '/regress';

describe('etcd regressions (issue #15, real etcd)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let raw: Etcd3;
  const open: Array<{ close(): Promise<void> | void }> = [];
  const client = (hosts: string[], ttl = '2s'): EtcdRegistry => {
    const r = new EtcdRegistry({ hosts }, { prefix, ttl, logger: quiet, retry: { minMs: 50, maxMs: 500 } });
    open.push(r);
    return r;
  };
  const proxied = async (): Promise<TcpProxy> => {
    const p = await TcpProxy.start(cluster.members[0]!.clientPort);
    open.push(p);
    return p;
  };
  const stored = async (name: string, id: string): Promise<ServiceInstance | undefined> => {
    const v = await raw.get(`${prefix}/${name}/${id}`).string();
    return v === null ? undefined : (JSON.parse(v) as ServiceInstance);
  };
  const revokeAll = async (): Promise<void> => {
    const { leases } = await raw.leaseClient.leaseLeases({});
    for (const l of leases) await raw.leaseClient.leaseRevoke({ ID: l.ID });
  };

  before(async () => {
    cluster = await EtcdCluster.start(1);
    raw = new Etcd3({ hosts: cluster.endpoints });
  });
  after(async () => {
    raw?.close();
    await cluster?.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map(async (c) => c.close()));
  });

  it('(c) re-registering after the lease was revoked, before the client noticed, writes the instance under a new lease', async () => {
    const r = client(cluster.endpoints, '10s'); // keepalives every 3.3 s: it will not notice at once
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    await revokeAll();
    expect(await stored(name, 'a')).to.equal(undefined, 'the revoke removed it');
    await r.register(instance(name, 'a'));
    expect((await stored(name, 'a'))?.id).to.equal('a', 'in the store once register() resolved');
    await r.register(instance(name, 'b'));
    expect((await stored(name, 'a'))?.id).to.equal('a', 'still there after the client moved to a new lease');
  });

  it('(d) two watch() calls of one name while etcd is unreachable: both get lists once it is back, and health tells the truth', async () => {
    const proxy = await proxied();
    const r = client([proxy.url]);
    const writer = client(cluster.endpoints);
    const name = uniqueName();
    await proxy.cut();
    const [w1, w2] = await Promise.all([r.watch(name), r.watch(name)]);
    await eventually(() => !w1.health.healthy && !w2.health.healthy, 10_000, 'both watchers degraded while etcd is unreachable');
    await proxy.restore();
    await writer.register(instance(name, 'a'));
    for (const w of [w1, w2]) expect((await until(w, (l) => l.length === 1, 15_000, 'a, after the outage')).map((i) => i.id)).to.deep.equal(['a']);
    expect(w1.health.healthy && w2.health.healthy).to.equal(true);
    const w3 = await r.watch(name);
    expect((await nextWithin(w3, 5000, 'a later watch()')).map((i) => i.id)).to.deep.equal(['a']);
  });

  it('(f) an App.start() that timed out leaves nothing registered once etcd answers again, however late its write lands', async () => {
    const proxy = await proxied();
    const r = client([proxy.url]);
    const name = uniqueName('app');
    await proxy.delay(1500); // etcd answers, but every request takes 3 s: start() gives up first
    const app = new App({ name, id: 'late', endpoints: ['http://127.0.0.1:8000'], registrarTimeout: 500, registrar: r, handleSignals: false });
    await app.start().then(
      () => expect.fail('start() must time out'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_TIMEOUT'),
    );
    await proxy.delay(0);
    // The write already on its way lands within ~3 s; a lease kept alive would keep it past its TTL (2 s).
    await new Promise((res) => setTimeout(res, 6000));
    expect(await stored(name, 'late')).to.equal(undefined, 'the timed-out registration is gone for good');
  });

  it('(i) an update made while the lease is being recovered is not lost', async () => {
    const r = client(cluster.endpoints, '2s');
    const name = uniqueName();
    await r.register(instance(name, 'a', { version: 'v1' }));
    for (let i = 0; i < 150; i++) await r.register(instance(name, `other-${i}`)); // recovery takes a while
    const reput = new Promise<void>((resolve) => {
      void raw
        .watch()
        .key(`${prefix}/${name}/a`)
        .create()
        .then((w) => {
          w.on('put', () => {
            resolve();
            void w.cancel();
          });
        });
    });
    await revokeAll();
    await reput; // the client noticed, and is writing everything again: a came back as v1
    await r.register(instance(name, 'a', { version: 'v2' }));
    expect((await stored(name, 'a'))?.version).to.equal('v2', 'register(v2) resolved: the store holds v2');
    await r.settled();
    expect((await stored(name, 'a'))?.version).to.equal('v2', 'and still does once the recovery is over');
  });

  it('(l) a watcher arriving while the last one leaves starts one list+watch; etcd counts no watcher after stop() and close()', async () => {
    const gauge = async (): Promise<number> => {
      const text = await (await fetch(`${cluster.endpoints[0]}/metrics`)).text();
      const m = /^etcd_debugging_mvcc_watcher_total (\S+)$/m.exec(text);
      return m === null ? NaN : Number(m[1]);
    };
    const baseline = await gauge();
    const r = client(cluster.endpoints);
    const name = uniqueName();
    const ac = new AbortController();
    const first = r.watch(name, { signal: ac.signal });
    ac.abort(); // the first watcher leaves while the list+watch it started is in progress
    const w2 = await r.watch(name); // and another arrives at once
    await first.catch(() => undefined);
    expect(await nextWithin(w2, 5000)).to.deep.equal([]);
    w2.stop();
    await r.close();
    await eventually(async () => (await gauge()) === baseline, 5000, `etcd's watcher gauge back to ${baseline}`);
  });

  it('(n) new EtcdRegistry(existingEtcd3Client, opts) works, and close() leaves the client open', async () => {
    const mine = new Etcd3({ hosts: cluster.endpoints });
    open.push(mine);
    const r = new EtcdRegistry(mine, { prefix, ttl: '2s', logger: quiet });
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
    await r.close();
    expect(await mine.get(`${prefix}/${name}/a`).string()).to.equal(null, 'close() revoked the lease');
    await mine.put('/still-usable').value('1');
  });

  it('(o) close() with an open watch while etcd is unreachable: the process exits by itself at once', async () => {
    const proxy = await proxied();
    // etcd stays unreachable for 8 s before close(): long enough for a client's reconnect backoff to grow.
    const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/etcd-close-down.js', proxy.url, prefix, uniqueName(), '8000'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await eventually(() => out.includes('watching'), 10_000, 'the child watching');
    await proxy.cut();
    child.stdin.write('close\n');
    await eventually(() => out.includes('closed'), 10_000, 'the child closing');
    const closedAt = Date.now();
    const code = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 8000).unref())]);
    if (code === 'alive') child.kill('SIGKILL');
    expect(code, `still alive ${Date.now() - closedAt} ms after close() resolved`).to.equal(0);
    expect(Date.now() - closedAt).to.be.below(3000);
  });
});
