/**
 * go-kratos's own ZooKeeper registry (contrib/registry/zookeeper) and plugboard's, on one real
 * ZooKeeper, both ways: the matrix of kratos-matrix.ts, then digest credentials. kratos creates
 * `{root}`, `{root}/{name}` and the ephemeral leaf `{root}/{name}/{id}`, each `world:anyone`
 * ALL, or `digest:ALL` only with `WithDigestACL`; plugboard's leaves with credentials are
 * `world:READ` plus `digest:ALL`, its parents open.
 */
import { expect } from 'chai';
import { createRegistry, DiscoveryError, type Registry } from '../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../src/discovery/zookeeper/index.js';
import { nextWithin, uniqueName, until } from '../../src/testing/index.js';
import { KRATOS_VERSION, KratosError, KratosHelper, type KratosOptions } from '../support/servers/kratos.js';
import type { ZkClient } from '../../src/discovery/zookeeper/zk-client.js';
import { isolatedClient } from '../../src/discovery/zookeeper/zk-process.js';
import { ZooKeeperServer } from '../support/servers/zookeeper.js';
import { kratosInstances, kratosInterop, kratosReadsJson, plugboardInstances, plugboardReads } from './kratos-matrix.js';

const quiet = { warn: () => undefined };
const ids = (l: ReadonlyArray<{ id: string }>): string[] => l.map((i) => i.id).sort();

describe(`kratos ${KRATOS_VERSION} (contrib/registry/zookeeper) and plugboard on a real ZooKeeper`, function () {
  this.timeout(60_000);
  let server: ZooKeeperServer;
  let raw: ZkClient; // a client of its own, in a process of its own (as plugboard's run)
  before(async () => {
    server = await ZooKeeperServer.start();
    raw = isolatedClient({ connect: server.connect, timeout: 10_000, debug_level: 1 });
    await new Promise<void>((resolve) => {
      raw.once('connect', resolve);
      raw.init({});
    });
  });
  after(async () => {
    raw?.close();
    await raw?.exited;
    await server?.destroy();
  });

  kratosInterop({
    backend: 'zookeeper',
    url: () => `zookeeper://${server.connect}`,
    shortLived: 'sessionTimeout=2',
    kratos: () => ({ backend: 'zookeeper', address: server.connect }),
    kratosShortLived: { ttl: '2s' },
    kratosReads: kratosReadsJson,
    // the leaf's bytes, its ACL, whether it is ephemeral, and its parents' data and ACLs
    stored: async (name, id) => {
      const node = async (path: string) => {
        const [stat, data] = await raw.get(path, false);
        return { data: data?.toString() ?? '', acl: (await raw.get_acl(path))[0], ephemeral: !/^0+$/.test(String(stat.ephemeralOwner)) };
      };
      return { leaf: await node(`/microservices/${name}/${id}`), service: await node(`/microservices/${name}`), root: await node('/microservices') };
    },
    kratosOfUnknown: { get: { error: 'zk: node does not exist' }, firstNext: { error: 'zk: node does not exist' } },
    kratosSeesEmpty: true,
    kratosClose: 'at once',
  });

  describe('with digest credentials', () => {
    const helpers: KratosHelper[] = [];
    const registries: Registry[] = [];
    const kratos = async (opts: Partial<KratosOptions>): Promise<KratosHelper> => {
      const h = await KratosHelper.start({ backend: 'zookeeper', address: server.connect, ...opts });
      helpers.push(h);
      return h;
    };
    const plugboard = async (root: string, credentials?: string): Promise<Registry> => {
      const auth = credentials === undefined ? '' : `${credentials}@`;
      const r = await createRegistry(`zookeeper://${auth}${server.connect}${root}`, { logger: quiet });
      registries.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(registries.splice(0).map((r) => r.close()));
      await Promise.all(helpers.splice(0).map((h) => h.destroy()));
    });
    // Each case under a root of its own: kratos with WithDigestACL locks the root it creates.
    const freshRoot = (): string => `/${uniqueName('acl')}`;
    const kratosWithCredentials = { auth: 'svc:s3cret', acl: 'svc:s3cret' }; // as kratos's own test: AddAuth + WithDigestACL

    it('both sides with the same credentials interoperate, both ways', async () => {
      const root = freshRoot();
      const name = uniqueName('kratos');
      const k = await kratos({ root, ...kratosWithCredentials });
      const r = await plugboard(root, 'svc:s3cret');
      const w = await r.watch(name);
      expect(await nextWithin(w, 10_000)).to.deep.equal([]);
      const [k1] = kratosInstances(name);
      await k.register(k1!);
      expect(await until(w, (l) => l.length === 1, 15_000, 'the kratos instance')).to.deep.equal([plugboardReads(k1!)]);
      const kw = await k.watch(name);
      const [p1] = plugboardInstances(name);
      await r.register(p1!);
      const both = await kw.until((l) => l.length === 2, 15_000, 'both instances');
      expect(both.find((i) => i.id === p1!.id)).to.deep.equal(kratosReadsJson(p1!));
      // plugboard's getService answers from its watcher's mirror here: wait for the watcher first
      await until(w, (l) => l.length === 2, 15_000, 'its own instance next to kratos’s');
      expect(ids(await r.getService(name))).to.deep.equal(ids([k1!, p1!]));
      await r.deregister(p1!);
      await kw.until((l) => l.length === 1, 15_000, 'the plugboard deregistration');
      await k.deregister(k1!);
      expect(await until(w, (l) => l.length === 0, 15_000, 'the kratos deregistration')).to.deep.equal([]);
      await kw.stop();
      w.stop();
    });

    it('plugboard’s ACLs never lock out a kratos reader without credentials (kratos’s documented New(conn))', async () => {
      const root = freshRoot();
      const name = uniqueName('kratos');
      const r = await plugboard(root, 'node:pw');
      const [p1, p2] = plugboardInstances(name);
      await r.register(p1!);
      const reader = await kratos({ root });
      expect(await reader.getService(name)).to.deep.equal([kratosReadsJson(p1!)]);
      const kw = await reader.watch(name);
      await kw.until((l) => l.length === 1, 15_000, 'the plugboard instance');
      // the reader also registers and deregisters next to plugboard's instances (the parents stay open)
      const [k1] = kratosInstances(name);
      await reader.register(k1!);
      await r.register(p2!);
      await kw.until((l) => l.length === 3, 15_000, 'all three instances');
      await reader.deregister(k1!);
      await r.close();
      expect(await kw.until((l) => l.length === 0, 15_000, 'the closed plugboard registry gone')).to.deep.equal([]);
      await kw.stop();
    });

    it('kratos’s WithDigestACL locks out kratos readers without credentials, and plugboard readers without them get E_DISCOVERY_AUTH', async () => {
      const root = freshRoot();
      const name = uniqueName('kratos');
      const owner = await kratos({ root, ...kratosWithCredentials });
      const [k1] = kratosInstances(name);
      await owner.register(k1!);
      // kratos's choice: every node it creates is digest:ALL only, its parents too
      const stranger = await kratos({ root });
      const refused = await stranger.getService(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).to.be.instanceOf(KratosError);
      expect((refused as KratosError).kratos).to.equal('zk: not authenticated');
      // a kratos reader with the credentials but without WithDigestACL reads it
      const friend = await kratos({ root, auth: 'svc:s3cret' });
      expect(await friend.getService(name)).to.deep.equal([k1!]);
      // plugboard without credentials: not an exception, no instance of it
      const r = await plugboard(root);
      const listed: unknown = await r.getService(name).catch((e: unknown) => e);
      expect(listed).to.be.instanceOf(DiscoveryError).and.include({ code: 'E_DISCOVERY_AUTH' });
      const withCredentials = await plugboard(root, 'svc:s3cret');
      expect(await withCredentials.getService(name)).to.deep.equal([plugboardReads(k1!)]);
    });

    it('a kratos leaf with WithDigestACL under open parents: a kratos reader without credentials fails on the whole service, plugboard skips that leaf', async () => {
      const root = freshRoot();
      const name = uniqueName('kratos');
      const r = await plugboard(root); // creates the open parents
      const [p1] = plugboardInstances(name);
      await r.register(p1!);
      const owner = await kratos({ root, ...kratosWithCredentials });
      const [k1] = kratosInstances(name);
      await owner.register(k1!);
      const reader = await kratos({ root });
      const refused = await reader.getService(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((refused as KratosError).kratos).to.equal('zk: not authenticated');
      const other = new ZooKeeperRegistry({ connect: server.connect, root, logger: quiet });
      registries.push(other);
      expect(await other.getService(name)).to.deep.equal([p1!]);
      expect(other.stats().skipped).to.be.greaterThan(0);
    });
  });
});
