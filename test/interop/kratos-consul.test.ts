/**
 * go-kratos's own Consul registry (contrib/registry/consul) and plugboard's, on the real Consul
 * agent, both ways: the matrix of kratos-matrix.ts, then what a kratos reader sees when a
 * service empties. kratos registers through hashicorp/consul/api (`version=` tag, Meta,
 * TaggedAddresses per scheme, a TTL check `service:<id>` kept passing by its heartbeat) and
 * reads `/v1/health/service/<name>?passing` through its defaultResolver.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { expect } from 'chai';
import { createRegistry, type Registry, type ServiceInstance } from '../../src/discovery/index.js';
import '../../src/discovery/consul/index.js';
import { uniqueName, until } from '../../src/testing/index.js';
import { ConsulAgent, CONSUL_VERSION } from '../support/servers/consul.js';
import { KRATOS_VERSION, KratosError, KratosHelper, type KratosInstance } from '../support/servers/kratos.js';
import { kratosInterop, plugboardInstances, plugboardReads } from './kratos-matrix.js';

const quiet = { warn: () => undefined };
const sorted = (l: readonly string[] | null): string[] | null => (l === null ? null : [...l].sort());

/**
 * What kratos's defaultResolver makes of a plugboard registration: the version from the
 * `version=` tag, Meta as the metadata (plugboard sends no Meta when it is empty, and the agent
 * answers none: a nil map, as on etcd and ZooKeeper), the tagged addresses as the endpoints
 * (never null; in Go's map order, so compared sorted).
 */
const kratosReadsConsul = (i: ServiceInstance): KratosInstance => ({
  id: i.id,
  name: i.name,
  version: i.version,
  metadata: Object.keys(i.metadata).length === 0 ? null : i.metadata,
  endpoints: sorted(i.endpoints),
});

describe(`kratos ${KRATOS_VERSION} (contrib/registry/consul) and plugboard on the real Consul ${CONSUL_VERSION} agent`, function () {
  this.timeout(60_000);
  let agent: ConsulAgent;
  before(async function () {
    this.timeout(1_200_000); // a first run builds Consul from its module
    agent = await ConsulAgent.start();
  });
  after(async () => {
    await agent?.destroy();
  });

  kratosInterop({
    backend: 'consul',
    url: () => `consul://${agent.address}`,
    shortLived: 'ttl=2s',
    kratos: () => ({ backend: 'consul', address: agent.address }),
    kratosShortLived: { interval: 1 }, // the TTL check is twice the interval
    kratosReads: kratosReadsConsul,
    // the agent's service definition, but for the checks (kratos's and plugboard's differ, by design)
    stored: async (_name, id) => {
      const s = await agent.api<Record<string, unknown>>('GET', `/agent/service/${encodeURIComponent(id)}`);
      const { Service, ID, Tags, Meta, TaggedAddresses, Address, Port, Weights, EnableTagOverride } = s;
      return { Service, ID, Tags, Meta, TaggedAddresses, Address, Port, Weights, EnableTagOverride };
    },
    kratosView: (k) => ({ ...k, endpoints: sorted(k.endpoints) }),
    kratosOfUnknown: { get: { error: 'service <name> not resolved in registry' } },
    kratosSeesEmpty: false,
    kratosClose: 'nothing',
  });

  describe('kratos’s default health checks (a TCP check per endpoint)', () => {
    const helpers: KratosHelper[] = [];
    const registries: Registry[] = [];
    const servers: Server[] = [];
    afterEach(async () => {
      await Promise.all(registries.splice(0).map((r) => r.close()));
      await Promise.all(helpers.splice(0).map((h) => h.destroy()));
      await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    });

    it('plugboard lists a kratos instance once the agent’s TCP check of its endpoint passes, and drops it when the endpoint stops listening', async () => {
      const name = uniqueName('kratos');
      const server = createServer((socket) => socket.destroy());
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const r = await createRegistry(`consul://${agent.address}`, { logger: quiet });
      registries.push(r);
      const w = await r.watch(name);
      const k = await KratosHelper.start({ backend: 'consul', address: agent.address, healthCheck: true, interval: 1 });
      helpers.push(k);
      const k1: KratosInstance = { id: 'k-checked', name, version: 'v1', metadata: null, endpoints: [`grpc://127.0.0.1:${port}?isSecure=false`] };
      await k.register(k1);
      expect(await until(w, (l) => l.length === 1, 15_000, 'the kratos instance, its TCP check passing')).to.deep.equal([plugboardReads(k1)]);
      await new Promise((resolve) => server.close(resolve));
      servers.pop();
      expect(await until(w, (l) => l.length === 0, 15_000, 'the instance gone, its TCP check critical')).to.deep.equal([]);
      w.stop();
    });
  });

  describe('two endpoints of one scheme', () => {
    const helpers: KratosHelper[] = [];
    const registries: Registry[] = [];
    afterEach(async () => {
      await Promise.all(registries.splice(0).map((r) => r.close()));
      await Promise.all(helpers.splice(0).map((h) => h.destroy()));
    });

    it('kratos reads both of plugboard’s (http, http_2); of kratos’s own, kratos sends only the last, and plugboard reads that one', async () => {
      const name = uniqueName('kratos');
      const r = await createRegistry(`consul://${agent.address}`, { logger: quiet });
      registries.push(r);
      const k = await KratosHelper.start({ backend: 'consul', address: agent.address });
      helpers.push(k);
      const endpoints = ['http://127.0.0.1:8401', 'http://127.0.0.1:8402'];
      await r.register({ id: 'p-two', name, version: 'v1', metadata: {}, endpoints });
      const w = await r.watch(name);
      await until(w, (l) => l.length === 1, 15_000, 'the plugboard instance');
      expect((await k.getService(name)).map((i) => sorted(i.endpoints))).to.deep.equal([endpoints]);
      // kratos keys its TaggedAddresses by scheme: the second http endpoint replaces the first
      await k.register({ id: 'k-two', name, version: 'v1', metadata: null, endpoints });
      const both = await until(w, (l) => l.length === 2, 15_000, 'the kratos instance');
      expect(both.find((i) => i.id === 'k-two')?.endpoints).to.deep.equal([endpoints[1]]);
      w.stop();
    });
  });

  describe('with ACLs (default deny)', () => {
    const token = 'kratos-interop-management-token';
    let secured: ConsulAgent;
    const helpers: KratosHelper[] = [];
    const registries: Registry[] = [];
    before(async () => {
      secured = await ConsulAgent.start({ aclToken: token });
    });
    after(async () => {
      await secured?.destroy();
    });
    afterEach(async () => {
      await Promise.all(registries.splice(0).map((r) => r.close()));
      await Promise.all(helpers.splice(0).map((h) => h.destroy()));
    });

    it('both sides with the token interoperate, both ways; a kratos reader without it finds nothing', async () => {
      const name = uniqueName('kratos');
      const r = await createRegistry(`consul://${secured.address}?token=${token}`, { logger: quiet });
      registries.push(r);
      const k = await KratosHelper.start({ backend: 'consul', address: secured.address, token });
      helpers.push(k);
      const kw = await k.watch(name);
      const w = await r.watch(name);
      const [p1] = plugboardInstances(name);
      const k1: KratosInstance = { id: 'k-1', name, version: 'v1', metadata: { side: 'kratos' }, endpoints: ['http://127.0.0.1:8501'] };
      await r.register(p1!);
      await k.register(k1);
      const seen = await kw.until((l) => l.length === 2, 15_000, 'both instances');
      expect(seen.map((i) => ({ ...i, endpoints: sorted(i.endpoints) })).find((i) => i.id === p1!.id)).to.deep.equal(kratosReadsConsul(p1!));
      const listed = await until(w, (l) => l.length === 2, 15_000, 'both instances');
      expect(listed.find((i) => i.id === 'k-1')).to.deep.equal(plugboardReads(k1));
      const stranger = await KratosHelper.start({ backend: 'consul', address: secured.address });
      helpers.push(stranger);
      const refused = await stranger.getService(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((refused as KratosError).kratos).to.equal(`service ${name} not resolved in registry`);
      await kw.stop();
      w.stop();
    });
  });

  describe('when the last instance leaves', () => {
    const helpers: KratosHelper[] = [];
    const registries: Registry[] = [];
    afterEach(async () => {
      await Promise.all(registries.splice(0).map((r) => r.close()));
      await Promise.all(helpers.splice(0).map((h) => h.destroy()));
    });

    it('kratos never sees the empty list: its watcher and GetService keep the last instances, and a fresh GetService fails', async () => {
      const name = uniqueName('kratos');
      const r = await createRegistry(`consul://${agent.address}`, { logger: quiet });
      registries.push(r);
      const k = await KratosHelper.start({ backend: 'consul', address: agent.address });
      helpers.push(k);
      const kw = await k.watch(name);
      const [p1] = plugboardInstances(name);
      await r.register(p1!);
      await kw.until((l) => l.length === 1, 15_000, 'the plugboard instance');
      const w = await r.watch(name);
      await r.deregister(p1!);
      // plugboard's watcher delivers the empty list; by then the agent answers kratos's blocking query with it too
      expect(await until(w, (l) => l.length === 0, 15_000, 'the empty list')).to.deep.equal([]);
      w.stop();
      // kratos's serviceSet only stores non-empty answers: its readers keep the instance that left
      expect((await k.getService(name)).map((i) => i.id)).to.deep.equal([p1!.id]);
      // a kratos registry that does not watch the service asks the agent, and gets an error, not []
      const fresh = await KratosHelper.start({ backend: 'consul', address: agent.address });
      helpers.push(fresh);
      const refused = await fresh.getService(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).to.be.instanceOf(KratosError);
      expect((refused as KratosError).kratos).to.equal(`service ${name} not resolved in registry`);
      await kw.stop();
    });
  });
});
