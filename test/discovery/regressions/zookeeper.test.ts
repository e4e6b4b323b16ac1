/**
 * Regression tests for the ZooKeeper findings of issue #15 (a, b, j, m, r), on a real
 * ZooKeeper. Each failed on the code before the discovery kit.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import ZooKeeper from 'zookeeper';
import { DiscoveryError } from '../../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../../src/discovery/zookeeper/index.js';
import { freePort, TcpProxy } from '../../../src/testing/index.js';
import { closeZk, ZooKeeperServer } from '../../support/servers/zookeeper.js';
import { eventually, instance, nextWithin, uniqueName, until } from '../contract.js';

const quiet = { warn: () => undefined };
const C = (ZooKeeper as unknown as { constants: Record<string, number> }).constants;

interface RawZk {
  init(c: object): void;
  once(e: string, f: () => void): void;
  create(p: string, d: string, f: number): Promise<string>;
  exists(p: string, w: boolean): Promise<unknown>;
  set_acl(p: string, v: number, acl: Array<{ perms: number; scheme: string; auth: string }>): Promise<void>;
  add_auth(s: string, a: string, cb: (rc: number) => void): void;
  close(): void;
}

async function rawClient(connect: string, auth?: string): Promise<RawZk> {
  const zk = new (ZooKeeper as unknown as new (c: object) => RawZk)({ connect, timeout: 20_000, debug_level: C['ZOO_LOG_LEVEL_ERROR'] });
  await new Promise<void>((r) => {
    zk.once('connect', () => r());
    zk.init({});
  });
  if (auth !== undefined) await new Promise<void>((r) => zk.add_auth('digest', auth, () => r()));
  return zk;
}

describe('zookeeper regressions (issue #15, real ZooKeeper)', function () {
  this.timeout(90_000);
  let server: ZooKeeperServer;
  const open: Array<{ close(): unknown }> = [];
  const registry = (connect: string, root: string): ZooKeeperRegistry => {
    const r = new ZooKeeperRegistry({ connect, root, sessionTimeout: 2000, logger: quiet, retry: { minMs: 50, maxMs: 500 } });
    open.push(r);
    return r;
  };
  const proxied = async (): Promise<TcpProxy> => {
    const p = await TcpProxy.start(server.port);
    open.push(p);
    return p;
  };
  /** Cuts the owner off for longer than its session timeout, until the server has expired its session. */
  const expireThroughProxy = async (proxy: TcpProxy, observer: ZooKeeperRegistry, name: string): Promise<void> => {
    await proxy.cut();
    await eventually(async () => (await observer.getService(name)).length === 0, 15_000, 'the expired session’s leaves gone');
  };

  before(async () => {
    server = await ZooKeeperServer.start();
  });
  after(async () => {
    await server?.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  it('(a) children-watch callbacks do not multiply across reconnects: one read per change', async () => {
    const proto = (ZooKeeper as unknown as { prototype: Record<string, (...a: unknown[]) => unknown> }).prototype;
    const original = proto['w_get_children']!;
    let calls = 0;
    proto['w_get_children'] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
    try {
      const proxy = await proxied();
      const r = registry(proxy.address, '/regress-a');
      const writer = registry(server.connect, '/regress-a');
      const name = uniqueName();
      const w = await r.watch(name);
      await nextWithin(w, 5000);
      for (let i = 0; i < 3; i++) {
        await proxy.cut();
        await eventually(() => !w.health.healthy, 5000, `reconnect ${i + 1}: the watcher degraded`);
        await proxy.restore();
        await eventually(() => w.health.healthy, 10_000, `reconnect ${i + 1}: the watcher healthy again`);
      }
      const before = calls;
      await writer.register(instance(name, 'a'));
      await until(w, (l) => l.length === 1, 5000, 'a');
      await new Promise((res) => setTimeout(res, 1000)); // let any multiplied callbacks run
      expect(calls - before).to.be.at.most(2, `children reads for one change after 3 reconnects (${calls - before})`);
    } finally {
      proto['w_get_children'] = original;
    }
  });

  it('(b) after a session expiry, a leaf that cannot be created holds back no other; watchers are not deaf; the failed register never appears', async () => {
    const root = `/regress-b-${Date.now()}`;
    const stranger = await rawClient(server.connect, 'other:pw');
    open.push({ close: () => closeZk(stranger) });
    const otherId = `other:${createHash('sha1').update('other:pw').digest('base64')}`;
    await stranger.create(root, '', 0);
    await stranger.create(`${root}/locked`, '', 0);
    await stranger.set_acl(`${root}/locked`, -1, [
      { perms: 1, scheme: 'world', auth: 'anyone' },
      { perms: 31, scheme: 'digest', auth: otherId },
    ]);
    const proxy = await proxied();
    const owner = registry(proxy.address, root);
    const observer = registry(server.connect, root);
    const name = uniqueName('ok');
    await owner.register(instance('locked', 'x')).then(
      () => expect.fail('registering under a node others own must fail'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_AUTH'),
    );
    await owner.register(instance(name, 'a'));
    const mine = await owner.watch(name);
    await until(mine, (l) => l.length === 1, 5000, 'a (owner’s watcher)');
    const theirs = await observer.watch(name);
    await until(theirs, (l) => l.length === 1, 5000, 'a (observer)');
    await expireThroughProxy(proxy, observer, name);
    await proxy.restore();
    expect((await until(theirs, (l) => l.length === 1, 15_000, 'a re-created after the expiry')).map((i) => i.id)).to.deep.equal(['a']);
    await owner.register(instance(name, 'b'));
    expect((await until(mine, (l) => l.length === 2, 10_000, 'b, seen by the owner’s own watcher (not deaf)')).map((i) => i.id)).to.deep.equal(['a', 'b']);
    expect(mine.health.healthy).to.equal(true);
    await stranger.set_acl(`${root}/locked`, -1, [{ perms: 31, scheme: 'world', auth: 'anyone' }]); // now anyone could create there
    await new Promise((res) => setTimeout(res, 3000)); // a retrying ghost would be created within this window
    expect(await stranger.exists(`${root}/locked/x`, false).catch(() => null)).to.equal(null, 'the register that failed never appears');
  });

  it('(j) a deregister during the re-creation after a session expiry leaves no ghost', async () => {
    const root = `/regress-j-${Date.now()}`;
    const proxy = await proxied();
    const owner = registry(proxy.address, root);
    const observer = registry(server.connect, root);
    const name = uniqueName();
    await owner.register(instance(name, 'y'));
    await owner.register(instance(name, 'x'));
    const w = await observer.watch(name);
    await until(w, (l) => l.length === 2, 5000, 'y and x');
    await expireThroughProxy(proxy, observer, name);
    await proxy.delay(150); // every request of the owner now takes 300 ms or more: the re-creation is slow
    await proxy.restore();
    await until(w, (l) => l.some((i) => i.id === 'y'), 20_000, 'the re-creation under way');
    // The race: the owner is now moving on from y to x (its reply for y is 150 ms away, then
    // creating x takes a few round trips). Nothing outside the owner marks that moment, so the
    // deregister is sent into the middle of that window.
    await new Promise((res) => setTimeout(res, 300));
    await owner.deregister(instance(name, 'x')).catch(() => undefined);
    await proxy.delay(0);
    await new Promise((res) => setTimeout(res, 3000)); // any create still in flight lands within this window
    expect((await observer.getService(name)).map((i) => i.id)).to.deep.equal(['y'], 'x is gone for good');
  });

  it('(m) with no reachable server, register honours its signal, watch does not hang, close() finishes, and the process exits', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/zk-unreachable.js', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await Promise.race([
      new Promise<number | null>((r) => child.once('exit', (c) => r(c))),
      new Promise<'alive'>((r) => setTimeout(() => r('alive'), 15_000).unref()),
    ]);
    if (code === 'alive') child.kill('SIGKILL');
    expect(code, `the process did not exit; it printed: ${out}`).to.equal(0);
    const ms = (step: string): number => Number(new RegExp(`^${step} (?:\\S+ )?(\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
    expect(out).to.match(/^register E_DISCOVERY_(ABORTED|TIMEOUT) \d+$/m);
    expect(ms('register')).to.be.below(1500);
    expect(ms('watch')).to.be.below(500);
    expect(out).to.include('next pending');
    expect(ms('closed')).to.be.below(6000);
  });

  it('(r) watch() validates the name and creates no node', async () => {
    const root = `/regress-r-${Date.now()}`;
    const r = registry(server.connect, root);
    await r.watch('ghost/child').then(
      () => expect.fail('watch of an invalid name'),
      (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_INSTANCE'),
    );
    const fresh = uniqueName();
    const w = await r.watch(fresh);
    expect(await nextWithin(w, 5000)).to.deep.equal([]);
    const raw = await rawClient(server.connect);
    open.push({ close: () => closeZk(raw) });
    expect(await raw.exists(`${root}/${fresh}`, false).catch(() => null)).to.equal(null, 'watching created no node');
    expect(await r.services()).to.not.include('ghost');
  });
});
