import { expect } from 'chai';
import { spawn } from 'node:child_process';
import ZooKeeper from 'zookeeper';
import { createRegistry } from '../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../src/discovery/zookeeper/index.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { closeZk, ZooKeeperServer } from '../support/servers/zookeeper.js';
import { discoveryContract, instance, nextWithin, uniqueName, until } from './contract.js';

const quiet = { warn: () => undefined };

/** A raw client of the `zookeeper` package, to play "someone else". */
/** The raw native client's calls these tests make. */
interface RawZk {
  create(p: string, d: string, f: number): Promise<string>;
  mkdirp(p: string, cb: (e: Error | null) => void): void;
  get(p: string, w: boolean): Promise<[{ ephemeralOwner: unknown }, Buffer]>;
  close(): void;
}

async function rawClient(connect: string): Promise<RawZk> {
  const zk = new (ZooKeeper as unknown as new (c: object) => { init(c: object): void; once(e: string, f: () => void): void; close(): void })({
    connect,
    timeout: 5000,
  });
  await new Promise<void>((r) => {
    zk.once('connect', () => r());
    zk.init({});
  });
  return zk as never;
}

describe('zookeeper, against a real ZooKeeper server', function () {
  this.timeout(90_000);
  let server: ZooKeeperServer;
  let rootN = 0;

  before(async () => {
    server = await ZooKeeperServer.start();
  });
  after(async () => {
    await server?.destroy();
  });

  discoveryContract('zookeeper (real ZooKeeper 3.8)', () => {
    const root = `/contract-${++rootN}`;
    return { client: async () => new ZooKeeperRegistry({ connect: server.connect, root, sessionTimeout: 4000, logger: quiet }) };
  });

  describe('zookeeper backend', () => {
    const open: ZooKeeperRegistry[] = [];
    const client = (root = '/zk', sessionTimeout = 4000): ZooKeeperRegistry => {
      const r = new ZooKeeperRegistry({ connect: server.connect, root, sessionTimeout, logger: quiet });
      open.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((r) => r.close()));
    });

    it('is created from a zookeeper:// URL, with the layout {root}/{name}/{id}', async () => {
      await import('../../src/discovery/zookeeper/index.js');
      const r = (await createRegistry(`zookeeper://${server.connect}/svc-root?sessionTimeout=5`, { logger: quiet })) as ZooKeeperRegistry;
      open.push(r);
      expect(r.root).to.equal('/svc-root');
      expect(r.sessionTimeoutMs).to.equal(5000);
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      const raw = await rawClient(server.connect);
      const [stat, data] = await raw.get(`/svc-root/${name}/a`, false);
      expect(JSON.parse(data.toString())).to.include({ id: 'a', name });
      expect(String(stat.ephemeralOwner)).to.not.equal('0', 'the leaf is ephemeral');
      await closeZk(raw);
    });

    it('session expiry: the server is down longer than the session timeout; the leaf is re-created within 2 s of the reconnect and watchers converge', async () => {
      // ZooKeeper restores sessions from its data dir at restart and restarts their timers, so a
      // client that reconnects at once keeps its session. To expire it for real, the owner stays
      // cut off (through a loopback proxy) for longer than its session timeout while the server
      // is back, exactly as a partitioned client would.
      const proxy = await TcpProxy.start(server.port);
      const owner = new ZooKeeperRegistry({ connect: `127.0.0.1:${proxy.port}`, root: '/expiry', sessionTimeout: 2000, logger: quiet });
      open.push(owner);
      const observer = client('/expiry', 20_000);
      const name = uniqueName();
      await owner.register(instance(name, 'a'));
      const w = await observer.watch(name);
      await until(w, (l) => l.length === 1, 5000, 'a');
      await proxy.cut();
      await server.stopProcess();
      await new Promise((r) => setTimeout(r, 2500)); // down for longer than the 2 s session timeout
      await server.startProcess();
      await until(w, (l) => l.length === 0, 15_000, 'the expired session’s leaf gone');
      await proxy.restore();
      const reconnected = Date.now();
      await until(w, (l) => l.length === 1, 15_000, 'the leaf re-created');
      const took = Date.now() - reconnected;
      expect(owner.stats().sessionsLost, 'the owner opened a new session').to.be.greaterThan(0);
      expect(took).to.be.below(2000, `re-created ${took} ms after the reconnect`);
      console.log(`      (leaf re-created ${took} ms after the owner could reconnect)`);
      expect((await owner.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
      w.stop();
      await proxy.close();
    });

    it('a watcher follows 300 quick register/deregister rounds without going deaf (a watch that fires before its call returns)', async () => {
      // Results and watch events arrive as separate messages from the client's process, so a
      // children watch can fire before the continuation of the call that armed it; a flag set
      // after the await then claimed a watch that had already fired, and the watcher went deaf.
      const writer = client('/rounds');
      const reader = client('/rounds');
      const name = uniqueName();
      const w = await reader.watch(name);
      expect(await nextWithin(w, 5000)).to.deep.equal([]);
      for (let i = 0; i < 300; i++) {
        const inst = instance(name, `i${i}`);
        const seen = nextWithin(w, 5000, `round ${i}: the register`);
        await writer.register(inst);
        expect((await seen).map((x) => x.id)).to.deep.equal([`i${i}`]);
        const gone = nextWithin(w, 5000, `round ${i}: the deregister`);
        await writer.deregister(inst);
        expect(await gone).to.deep.equal([]);
      }
      w.stop();
    });

    it('a stale leaf from an older session is deleted and re-created, never set in place', async () => {
      const name = uniqueName();
      const raw = await rawClient(server.connect);
      await new Promise((res) => raw.mkdirp(`/stale/${name}`, res));
      await raw.create(
        `/stale/${name}/a`,
        JSON.stringify(instance(name, 'a', { version: 'old' })),
        (ZooKeeper as unknown as { constants: Record<string, number> }).constants['ZOO_EPHEMERAL']!,
      );
      const r = client('/stale');
      await r.register(instance(name, 'a', { version: 'new' }));
      const [stat, data] = await raw.get(`/stale/${name}/a`, false);
      expect(JSON.parse(data.toString()).version).to.equal('new');
      const mine = await rawClient(server.connect);
      await closeZk(mine);
      await closeZk(raw); // the old session's close must not take our leaf with it
      await new Promise((res) => setTimeout(res, 500));
      expect((await r.getService(name)).map((i) => i.version)).to.deep.equal(['new']);
      void stat;
    });

    it('a SIGKILLed registered child process disappears after the session timeout', async () => {
      const name = uniqueName('zkchild');
      const r = client('/zkkill');
      const w = await r.watch(name);
      await nextWithin(w, 5000);
      const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/zk-child.js', server.connect, '/zkkill', name, '2000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('registered') && resolve());
        child.once('exit', (c) => reject(new Error(`child exited early (${c})`)));
      });
      await until(w, (l) => l.length === 1, 5000, 'the child instance');
      const killed = Date.now();
      child.kill('SIGKILL');
      await until(w, (l) => l.length === 0, 15_000, 'the child gone');
      const took = Date.now() - killed;
      expect(took).to.be.within(1000, 8000);
      console.log(`      (gone ${took} ms after SIGKILL, session timeout 2 s)`);
      w.stop();
    });

    it('digest ACL with restricted parents: a client without our credentials can read but not delete or overwrite our nodes', async () => {
      await import('../../src/discovery/zookeeper/index.js');
      // Deleting needs DELETE on the parent: only parents restricted on request protect the leaf from deletion.
      const r = (await createRegistry(`zookeeper://svc:s3cret@${server.connect}/acl?parentAcl=restricted`, { logger: quiet })) as ZooKeeperRegistry;
      open.push(r);
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      const stranger = (await rawClient(server.connect)) as unknown as {
        delete_(p: string, v: number): Promise<void>;
        set(p: string, d: string, v: number): Promise<unknown>;
        get(p: string, w: boolean): Promise<[unknown, Buffer]>;
        add_auth(s: string, a: string, cb: (rc: number) => void): void;
        close(): void;
      };
      const leaf = `/acl/${name}/a`;
      expect(JSON.parse((await stranger.get(leaf, false))[1].toString()).id).to.equal('a', 'anyone may read');
      await stranger.delete_(leaf, -1).then(
        () => expect.fail('a client without credentials deleted our leaf'),
        (e: Error) => expect(e.message).to.match(/^-102/),
      );
      await stranger.set(leaf, '{}', -1).then(
        () => expect.fail('a client without credentials overwrote our leaf'),
        (e: Error) => expect(e.message).to.match(/^-102/),
      );
      expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
      await new Promise<void>((res) => stranger.add_auth('digest', 'svc:s3cret', () => res()));
      await stranger.delete_(leaf, -1);
      expect(await r.getService(name)).to.deep.equal([], 'with the credentials, the delete is allowed');
      await closeZk(stranger);
    });

    it('skips, counts and warns once about malformed data written by others', async () => {
      const warnings: string[] = [];
      const r = new ZooKeeperRegistry({ connect: server.connect, root: '/zkbad', logger: { warn: (m) => warnings.push(m) } });
      open.push(r);
      const name = uniqueName();
      const raw = await rawClient(server.connect);
      await new Promise((res) => raw.mkdirp(`/zkbad/${name}`, res));
      await raw.create(`/zkbad/${name}/junk`, '{nope', 0);
      await raw.create(`/zkbad/${name}/mismatch`, JSON.stringify(instance(name, 'other')), 0);
      await r.register(instance(name, 'good'));
      const w = await r.watch(name);
      expect((await until(w, (l) => l.length === 1, 5000, 'good')).map((i) => i.id)).to.deep.equal(['good']);
      await r.register(instance(name, 'good2'));
      await until(w, (l) => l.length === 2, 5000, 'good2');
      expect(r.stats().skipped).to.be.greaterThanOrEqual(4);
      expect(warnings.filter((m) => m.includes(`/zkbad/${name}/junk`))).to.have.length(1);
      await closeZk(raw);
      w.stop();
    });
  });
});
