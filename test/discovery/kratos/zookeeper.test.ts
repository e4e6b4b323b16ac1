/**
 * go-kratos and plugboard on one real ZooKeeper, both ways: the nodes a kratos service creates
 * (fixtures.ts, derived from kratos at KRATOS_COMMIT) are found by plugboard; what plugboard
 * creates is what kratos creates (paths, data byte for byte, flags, ACLs); and a plugboard
 * client with credentials leaves the ACLs of nodes it did not create untouched, so kratos
 * clients without credentials keep registering and deregistering.
 *
 * "kratos" here is a raw client (in a process of its own, as our clients run) making the calls
 * kratos's Registry makes: Exists, Create with `WorldACL(PermAll)`, ephemeral leaves deleted
 * then created again (ensureName), Delete on Deregister.
 */
import { expect } from 'chai';
import { createRegistry } from '../../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../../src/discovery/zookeeper/index.js';
import type { ZkAcl, ZkClient } from '../../../src/discovery/zookeeper/zk-client.js';
import { isolatedClient } from '../../../src/discovery/zookeeper/zk-process.js';
import { ZooKeeperServer } from '../../support/servers/zookeeper.js';
import { instance, nextWithin, uniqueName, until } from '../contract.js';
import {
  emptyEndpoints,
  escaped,
  fromPlugboard,
  greeterFixtures,
  KRATOS_COMMIT,
  KRATOS_ROOT,
  kratosDecode,
  looseName,
  noEndpoints,
  typical,
} from './fixtures.js';

const quiet = { warn: () => undefined };
const EPHEMERAL = 1;
const PERSISTENT = 0;
const OPEN: ZkAcl[] = [{ perms: 31, scheme: 'world', auth: 'anyone' }];

/** A connected raw client; its calls reject with "<rc> <message>". */
async function rawClient(connect: string): Promise<ZkClient> {
  const zk = isolatedClient({ connect, timeout: 10_000, debug_level: 1 });
  await new Promise<void>((resolve) => {
    zk.once('connect', resolve);
    zk.init({});
  });
  return zk;
}

/** kratos's `ensureName`: create the node unless it exists; an ephemeral one is deleted first (then created). */
async function ensureName(zk: ZkClient, path: string, data: string, flags: number): Promise<void> {
  const stat = await zk.exists(path, false).catch(() => null);
  if ((flags & EPHEMERAL) === EPHEMERAL) {
    await zk.delete_(path, stat?.version ?? 0).catch((e: Error) => {
      if (!e.message.startsWith('-101')) throw e; // ErrNoNode is fine
    });
  } else if (stat !== null) return;
  await zk.create(path, data, flags);
}

/** kratos's `Register` (path.Join(namespace, name, id)); `Deregister` is a plain delete. */
async function kratosRegister(zk: ZkClient, root: string, name: string, id: string, bytes: string): Promise<void> {
  const join = (...p: string[]): string =>
    `/${p
      .join('/')
      .split('/')
      .filter((s) => s !== '')
      .join('/')}`;
  await ensureName(zk, join(root), '', PERSISTENT);
  await ensureName(zk, join(root, name), '', PERSISTENT);
  await ensureName(zk, join(root, name, id), bytes, EPHEMERAL);
}

/** A node's ACL; a digest id is shown as its user (ZooKeeper masks the hash for clients without it). */
const aclOf = async (zk: ZkClient, path: string): Promise<ZkAcl[]> =>
  (await zk.get_acl(path))[0].map(({ perms, scheme, auth }) => ({ perms, scheme, auth: scheme === 'digest' ? auth.split(':')[0]! : auth }));

describe(`kratos interop on ZooKeeper (kratos ${KRATOS_COMMIT.slice(0, 12)}, real ZooKeeper)`, function () {
  this.timeout(90_000);
  let server: ZooKeeperServer;
  let kratos: ZkClient;
  const open: Array<{ close(): unknown }> = [];
  const registry = (opts: Partial<ConstructorParameters<typeof ZooKeeperRegistry>[0] & object> = {}): ZooKeeperRegistry => {
    const r = new ZooKeeperRegistry({ connect: server.connect, sessionTimeout: 4000, logger: quiet, ...opts });
    open.push(r);
    return r;
  };

  before(async () => {
    server = await ZooKeeperServer.start();
    kratos = await rawClient(server.connect);
  });
  after(async () => {
    kratos?.close();
    await kratos?.exited;
    await server?.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  describe('kratos writes, plugboard reads', () => {
    it('finds every kratos fixture at kratos’s default root, with the defaults on both sides', async () => {
      for (const f of greeterFixtures) await kratosRegister(kratos, KRATOS_ROOT, 'greeter', f.instance.id, f.bytes);
      const r = registry();
      expect(r.root).to.equal('/microservices');
      expect(await r.getService('greeter')).to.deep.equal([typical.instance, escaped.instance, noEndpoints.instance, emptyEndpoints.instance]);
      for (const f of greeterFixtures) await kratos.delete_(`${KRATOS_ROOT}/greeter/${f.instance.id}`, -1);
    });

    it('a watcher sees kratos instances come and go', async () => {
      const name = uniqueName();
      const r = registry();
      const w = await r.watch(name);
      expect(await nextWithin(w, 5000)).to.deep.equal([]);
      const bytes = typical.bytes.replace('"greeter"', JSON.stringify(name));
      await kratosRegister(kratos, KRATOS_ROOT, name, 'k1', bytes.replace('kratos-a1', 'k1'));
      expect(await until(w, (l) => l.length === 1, 5000, 'the kratos instance')).to.deep.equal([{ ...typical.instance, name, id: 'k1' }]);
      await kratos.delete_(`${KRATOS_ROOT}/${name}/k1`, -1);
      expect(await until(w, (l) => l.length === 0, 5000, 'the deregistration')).to.deep.equal([]);
      w.stop();
    });

    it('reads names and ids plugboard would not write', async () => {
      const { name, id } = looseName.instance;
      await kratosRegister(kratos, KRATOS_ROOT, name, id, looseName.bytes);
      expect(await registry().getService(name)).to.deep.equal([looseName.instance]);
      await kratos.delete_(`${KRATOS_ROOT}/${name}/${id}`, -1);
    });

    it('root "/" (kratos: WithRootPath("/")) puts services at the top, not under //', async () => {
      const name = uniqueName();
      await kratosRegister(kratos, '/', name, 'k1', typical.bytes.replace('"greeter"', JSON.stringify(name)).replace('kratos-a1', 'k1'));
      const r = registry({ root: '/' });
      expect(r.root).to.equal('/');
      expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['k1']);
      await r.register({ ...fromPlugboard.bare, name });
      expect((await kratos.get(`/${name}/node-2`, false))[1].toString()).to.equal(fromPlugboard.bareBytes.replace('"greeter"', JSON.stringify(name)));
      expect(await r.services())
        .to.include(name)
        .and.not.include('zookeeper');
      await import('../../../src/discovery/zookeeper/index.js');
      const fromUrl = (await createRegistry(`zookeeper://${server.connect}?root=/`, { logger: quiet })) as ZooKeeperRegistry;
      open.push(fromUrl);
      expect(fromUrl.root).to.equal('/');
      expect((await fromUrl.getService(name)).map((i) => i.id)).to.deep.equal(['k1', 'node-2']);
      await kratos.delete_(`/${name}/k1`, -1);
    });

    it('a root without a leading slash (kratos: path.Join) is the same root', async () => {
      expect(registry({ root: 'microservices' }).root).to.equal('/microservices');
      expect(registry({ root: '/microservices/' }).root).to.equal('/microservices');
    });
  });

  describe('plugboard writes, kratos reads', () => {
    it('creates what kratos creates: empty open parents, an ephemeral leaf holding kratos’s exact bytes', async () => {
      const name = uniqueName();
      const r = registry();
      const inst = { ...fromPlugboard.instance, name };
      await r.register(inst);
      const leaf = `${KRATOS_ROOT}/${name}/node-1`;
      const [stat, data] = await kratos.get(leaf, false);
      expect(data.toString()).to.equal(fromPlugboard.bytes.replace('"greeter"', JSON.stringify(name)));
      expect(kratosDecode(data, name)).to.deep.equal({ ...inst, metadata: { 'a-key': '<x>', weight: '5', zone: 'eu-1' } });
      expect(String(stat.ephemeralOwner)).to.not.match(/^0+$/, 'the leaf is ephemeral');
      expect(String((await kratos.get(`${KRATOS_ROOT}/${name}`, false))[1] ?? '')).to.equal('', 'the parent holds no data');
      expect(await aclOf(kratos, `${KRATOS_ROOT}/${name}`)).to.deep.equal(OPEN);
      expect(await aclOf(kratos, leaf)).to.deep.equal(OPEN, 'without credentials, as kratos without credentials');
      expect(await kratos.get_children(`${KRATOS_ROOT}/${name}`, false)).to.deep.equal(['node-1'], 'nothing but instance leaves under the service');
    });
  });

  describe('a leaf plugboard may not read (kratos WithDigestACL, without our credentials)', () => {
    // kratos with WithDigestACL(user, pass) gives its leaf digest:ALL only; a client without those
    // credentials gets NOAUTH reading it. Here the leaf grants every permission but READ, which
    // is the same to ZooKeeper: that one node is skipped, the service's other instances listed.
    const lockOut = async (path: string): Promise<void> => {
      await kratos.set_acl(path, -1, [{ perms: 31 & ~1, scheme: 'world', auth: 'anyone' }]);
    };

    it('getService and a new watcher list the readable instances and count the unreadable leaf as skipped', async () => {
      const name = uniqueName();
      const r = registry();
      await r.register(instance(name, 'ours'));
      await kratosRegister(kratos, KRATOS_ROOT, name, 'locked', typical.bytes.replace('"greeter"', JSON.stringify(name)).replace('kratos-a1', 'locked'));
      await lockOut(`${KRATOS_ROOT}/${name}/locked`);
      const reader = registry();
      expect((await reader.getService(name)).map((i) => i.id)).to.deep.equal(['ours']);
      const w = await reader.watch(name);
      try {
        expect((await nextWithin(w, 15_000, 'first list')).map((i) => i.id)).to.deep.equal(['ours']);
      } finally {
        w.stop();
      }
      expect(reader.stats().skipped).to.be.greaterThan(0);
      await kratos.delete_(`${KRATOS_ROOT}/${name}/locked`, -1);
    });

    it('a live watcher keeps delivering after an unreadable leaf appears next to the instances', async () => {
      const name = uniqueName();
      const r = registry();
      await r.register(instance(name, 'a'));
      const w = await registry().watch(name);
      try {
        await until(w, (l) => l.length === 1, 15_000, 'a');
        await kratos.create(`${KRATOS_ROOT}/${name}/locked`, '', EPHEMERAL);
        await lockOut(`${KRATOS_ROOT}/${name}/locked`);
        await r.register(instance(name, 'b'));
        const l = await until(w, (x) => x.length === 2, 15_000, 'a and b');
        expect(l.map((i) => i.id).sort()).to.deep.equal(['a', 'b']);
      } finally {
        w.stop();
      }
      await kratos.delete_(`${KRATOS_ROOT}/${name}/locked`, -1);
    });
  });

  describe('ACLs: a plugboard client with credentials', () => {
    it('never changes the ACL of nodes it did not create, and kratos without credentials keeps registering and deregistering', async () => {
      const name = uniqueName();
      await kratosRegister(kratos, KRATOS_ROOT, name, 'k1', typical.bytes);
      const r = registry({ root: KRATOS_ROOT, auth: { username: 'node', password: 's3cret' } });
      await r.register({ ...fromPlugboard.instance, name });
      // The foreign parents are as kratos left them.
      expect(await aclOf(kratos, KRATOS_ROOT)).to.deep.equal(OPEN);
      expect(await aclOf(kratos, `${KRATOS_ROOT}/${name}`)).to.deep.equal(OPEN);
      // Our leaf is ours: anyone reads it, only our credentials change it.
      expect(await aclOf(kratos, `${KRATOS_ROOT}/${name}/node-1`)).to.deep.equal([
        { perms: 1, scheme: 'world', auth: 'anyone' },
        { perms: 31, scheme: 'digest', auth: 'node' },
      ]);
      // kratos re-registers (delete, then create) and deregisters its own leaf.
      await kratosRegister(kratos, KRATOS_ROOT, name, 'k1', typical.bytes);
      await kratos.delete_(`${KRATOS_ROOT}/${name}/k1`, -1);
      // A service whose parent plugboard created: kratos can still add and remove leaves under it.
      const fresh = uniqueName();
      await r.register({ ...fromPlugboard.instance, name: fresh });
      expect(await aclOf(kratos, `${KRATOS_ROOT}/${fresh}`)).to.deep.equal(OPEN, 'parents we create are open by default');
      await kratosRegister(kratos, KRATOS_ROOT, fresh, 'k2', typical.bytes);
      await kratos.delete_(`${KRATOS_ROOT}/${fresh}/k2`, -1);
      // And after plugboard has gone.
      await r.close();
      await kratosRegister(kratos, KRATOS_ROOT, fresh, 'k3', typical.bytes);
      await kratos.delete_(`${KRATOS_ROOT}/${fresh}/k3`, -1);
    });

    it("with parentAcl 'restricted', only the parents it creates are restricted", async () => {
      const root = `/restricted-${uniqueName()}`;
      const name = uniqueName();
      await kratosRegister(kratos, root, 'other', 'k1', typical.bytes);
      const r = registry({ root, auth: { username: 'node', password: 's3cret' }, parentAcl: 'restricted' });
      await r.register({ ...fromPlugboard.instance, name });
      expect(await aclOf(kratos, root)).to.deep.equal(OPEN, 'the root existed: untouched');
      expect(await aclOf(kratos, `${root}/${name}`)).to.deep.equal([
        { perms: 1 | 4, scheme: 'world', auth: 'anyone' },
        { perms: 31, scheme: 'digest', auth: 'node' },
      ]);
      await kratos.delete_(`${root}/other/k1`, -1);
    });

    it('uses existing parents as they are, even under a root it may not create in', async () => {
      const root = `/locked-${uniqueName()}`;
      await kratosRegister(kratos, root, 'greeter', 'k1', typical.bytes.replace('kratos-a1', 'k1'));
      await kratos.set_acl(root, -1, [{ perms: 1, scheme: 'world', auth: 'anyone' }]); // an admin locked the root: read only
      const r = registry({ root });
      await r.register(fromPlugboard.bare); // creating {root}/greeter is refused (NOAUTH), but it exists
      expect((await r.getService('greeter')).map((i) => i.id)).to.deep.equal(['k1', 'node-2']);
      expect(await aclOf(kratos, root)).to.deep.equal([{ perms: 1, scheme: 'world', auth: 'anyone' }]);
    });

    it('refuses parentAcl without credentials, and an unknown value', () => {
      expect(() => new ZooKeeperRegistry({ connect: server.connect, parentAcl: 'restricted' })).to.throw(/needs credentials/);
      expect(() => new ZooKeeperRegistry({ connect: server.connect, parentAcl: 'closed' as never })).to.throw(/'open' or 'restricted'/);
    });
  });
});
