/**
 * go-kratos and plugboard on one real etcd, both ways: the exact bytes a kratos service writes
 * (fixtures.ts, derived from kratos at KRATOS_COMMIT) are found by plugboard, and what
 * plugboard writes is byte for byte what kratos writes, at the key kratos reads.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { createRegistry } from '../../../src/discovery/index.js';
import { EtcdRegistry } from '../../../src/discovery/etcd/index.js';
import { EtcdCluster } from '../../support/servers/etcd.js';
import { nextWithin, until } from '../contract.js';
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

describe(`kratos interop on etcd (kratos ${KRATOS_COMMIT.slice(0, 12)}, real etcd)`, function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let raw: Etcd3;
  const open: Array<{ close(): unknown }> = [];
  const registry = (opts: ConstructorParameters<typeof EtcdRegistry>[1] = {}): EtcdRegistry => {
    const r = new EtcdRegistry({ hosts: cluster.endpoints }, { ttl: '5s', logger: quiet, ...opts });
    open.push(r);
    return r;
  };
  /** Writes as kratos's Register does: a new lease of the TTL, then a put under it. */
  const kratosPut = async (key: string, bytes: string): Promise<void> => {
    const lease = raw.lease(15, { autoKeepAlive: false });
    open.push({ close: () => lease.revoke().catch(() => undefined) });
    await lease.put(key).value(bytes);
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
    await Promise.all(open.splice(0).map((r) => r.close()));
    await raw.delete().all();
  });

  describe('kratos writes, plugboard reads', () => {
    it('finds every kratos fixture at kratos’s default root, with the defaults on both sides', async () => {
      for (const f of greeterFixtures) await kratosPut(`${KRATOS_ROOT}/greeter/${f.instance.id}`, f.bytes);
      const r = registry();
      expect(r.prefix).to.equal('/microservices');
      expect(await r.getService('greeter')).to.deep.equal([typical.instance, escaped.instance, noEndpoints.instance, emptyEndpoints.instance]);
    });

    it('a watcher sees kratos instances come and go', async () => {
      const r = registry();
      const w = await r.watch('greeter');
      expect(await nextWithin(w, 5000)).to.deep.equal([]);
      await kratosPut(`${KRATOS_ROOT}/greeter/${escaped.instance.id}`, escaped.bytes);
      expect(await until(w, (l) => l.length === 1, 5000, 'the kratos instance')).to.deep.equal([escaped.instance]);
      await kratosPut(`${KRATOS_ROOT}/greeter/${noEndpoints.instance.id}`, noEndpoints.bytes);
      expect(await until(w, (l) => l.length === 2, 5000, 'the instance without endpoints')).to.deep.equal([escaped.instance, noEndpoints.instance]);
      await raw.delete().key(`${KRATOS_ROOT}/greeter/${escaped.instance.id}`); // kratos's Deregister
      expect(await until(w, (l) => l.length === 1, 5000, 'the deregistration')).to.deep.equal([noEndpoints.instance]);
      w.stop();
    });

    it('reads names and ids plugboard would not write', async () => {
      await kratosPut(`${KRATOS_ROOT}/${looseName.instance.name}/${looseName.instance.id}`, looseName.bytes);
      expect(await registry().getService(looseName.instance.name)).to.deep.equal([looseName.instance]);
    });

    it('reaches kratos’s Namespace("microservices") (no leading slash), in code and in a URL', async () => {
      await kratosPut(`microservices/greeter/${typical.instance.id}`, typical.bytes);
      expect(await registry().getService('greeter')).to.deep.equal([], 'a different key space from /microservices');
      expect(await registry({ prefix: 'microservices' }).getService('greeter')).to.deep.equal([typical.instance]);
      await import('../../../src/discovery/etcd/index.js');
      const fromUrl = (await createRegistry(`etcd://${cluster.authority}?prefix=microservices`, { logger: quiet })) as EtcdRegistry;
      open.push(fromUrl);
      expect(fromUrl.prefix).to.equal('microservices');
      expect(await fromUrl.getService('greeter')).to.deep.equal([typical.instance]);
    });

    it('reaches kratos’s Namespace("/") (keys //{name}/{id})', async () => {
      await kratosPut(`//greeter/${typical.instance.id}`, typical.bytes);
      const r = registry({ prefix: '/' });
      expect(await r.getService('greeter')).to.deep.equal([typical.instance]);
      await r.register(fromPlugboard.bare);
      expect(String(await raw.get(`//greeter/${fromPlugboard.bare.id}`).string())).to.equal(fromPlugboard.bareBytes);
    });
  });

  describe('plugboard writes, kratos reads', () => {
    it('writes kratos’s exact bytes at kratos’s key', async () => {
      const r = registry();
      await r.register(fromPlugboard.instance);
      await r.register(fromPlugboard.bare);
      const all = await raw.getAll().prefix(`${KRATOS_ROOT}/greeter`).strings(); // kratos lists the prefix without a trailing slash
      expect(all).to.deep.equal({
        [`${KRATOS_ROOT}/greeter/node-1`]: fromPlugboard.bytes,
        [`${KRATOS_ROOT}/greeter/node-2`]: fromPlugboard.bareBytes,
      });
      expect(kratosDecode(all[`${KRATOS_ROOT}/greeter/node-1`]!, 'greeter')).to.deep.equal({
        ...fromPlugboard.instance,
        metadata: { 'a-key': '<x>', weight: '5', zone: 'eu-1' },
      });
    });

    it('the keys carry a lease (kratos readers only read keys; plugboard shares one lease per client)', async () => {
      const r = registry();
      await r.register(fromPlugboard.instance);
      await r.register(fromPlugboard.bare);
      const res = await raw.getAll().prefix(`${KRATOS_ROOT}/greeter/`).exec();
      const leases = new Set(res.kvs.map((kv) => kv.lease));
      expect(leases.size).to.equal(1);
      expect([...leases][0]).to.not.equal('0');
      await r.close();
      expect(await raw.getAll().prefix(`${KRATOS_ROOT}/greeter/`).keys()).to.deep.equal([], 'close() revokes the lease: kratos watchers see the keys go');
    });
  });
});
