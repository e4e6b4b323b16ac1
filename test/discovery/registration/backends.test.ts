/**
 * The backends register their URL schemes by decorator (`@RegisterBackend`) when their module
 * is imported. Compiled and run three times: legacy decorators (.build/legacy), TC39 standard
 * decorators (.build/standard), and against the shipped dist/esm (the `dist` suite), where the
 * registration runs through tsc's TC39 decorator output exactly as users get it. No server is
 * contacted: a registry is built and closed.
 */
import { expect } from 'chai';
import { createRegistry, MemoryRegistry } from '../../../src/discovery/index.js';
import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { EtcdRegistry } from '../../../src/discovery/etcd/index.js';
import { ZooKeeperRegistry } from '../../../src/discovery/zookeeper/index.js';

describe(`backend registration by decorator (${process.env['PLUGBOARD_DECORATORS'] ?? 'legacy'} decorators)`, function () {
  this.timeout(20_000);

  it('memory:// builds a working MemoryRegistry', async () => {
    const r = await createRegistry('memory://registration');
    expect(r).to.be.instanceOf(MemoryRegistry);
    expect(r.backend).to.equal('memory');
    await r.register({ id: 'a', name: 'svc', endpoints: ['http://127.0.0.1:1'] });
    expect((await r.getService('svc')).map((i) => i.id)).to.deep.equal(['a']);
    await r.close();
  });

  for (const [url, cls, backend] of [
    ['etcd://127.0.0.1:1/registration', EtcdRegistry, 'etcd'],
    ['consul://127.0.0.1:1', ConsulRegistry, 'consul'],
    ['zookeeper://127.0.0.1:1/registration', ZooKeeperRegistry, 'zookeeper'],
  ] as const) {
    it(`${backend}:// is registered once its module is imported`, async () => {
      const r = await createRegistry(url);
      expect(r).to.be.instanceOf(cls);
      expect(r.backend).to.equal(backend);
      await r.close();
    });
  }
});
