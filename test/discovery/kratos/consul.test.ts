/**
 * go-kratos and plugboard on one real Consul agent (test/support/servers/consul.ts), both ways:
 * the registrations a kratos service sends (the exact request bodies, derived from kratos at
 * KRATOS_COMMIT and hashicorp/consul/api, fixtures.ts) are found by plugboard; what plugboard
 * registers reads back through kratos's resolver (`defaultResolver`, transcribed below) as the
 * same instance, with the catalog fields kratos writes: `version=` tag, `Meta`, tagged
 * addresses by scheme, `Address`/`Port`.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import type { ServiceInstance } from '../../../src/discovery/index.js';
import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { ConsulAgent } from '../../support/servers/consul.js';
import { nextWithin, uniqueName, until } from '../contract.js';
import { KRATOS_COMMIT } from './fixtures.js';

const quiet = { warn: () => undefined };

/**
 * The body kratos's `Client.Register` sends with `WithHealthCheckInterval(1)` (health checks
 * and heartbeat on, the defaults): Go's json.Encoder of `api.AgentServiceRegistration`
 * (omitempty fields dropped, `Check` null, map keys sorted, HTML escapes, a newline).
 */
const kratosWithChecks = (grpcPort: number, httpPort: number): string =>
  `{"ID":"kratos-a1","Name":"greeter","Tags":["version=v1.2.0"],"Port":${grpcPort},"Address":"127.0.0.1",` +
  `"TaggedAddresses":{"grpc":{"Address":"grpc://127.0.0.1:${grpcPort}?isSecure=false","Port":${grpcPort}},"http":{"Address":"http://127.0.0.1:${httpPort}?isSecure=false\\u0026a=1","Port":${httpPort}}},` +
  `"Meta":{"note":"a\\u003cb\\u003e\\u0026c","zone":"eu-1"},"Check":null,` +
  `"Checks":[{"Interval":"1s","Timeout":"5s","TCP":"127.0.0.1:${grpcPort}","DeregisterCriticalServiceAfter":"600s"},` +
  `{"Interval":"1s","Timeout":"5s","TCP":"127.0.0.1:${httpPort}","DeregisterCriticalServiceAfter":"600s"},` +
  `{"CheckID":"service:kratos-a1","TTL":"2s","DeregisterCriticalServiceAfter":"600s"}]}\n`;

/** `WithHealthCheck(false)`, no endpoints (no address, no tagged addresses), a `version` metadata key. */
const kratosBare =
  '{"ID":"kratos-c3","Name":"greeter","Tags":["version=v3"],"Meta":{"version":"meta-v"},"Check":null,' +
  '"Checks":[{"CheckID":"service:kratos-c3","TTL":"20s","DeregisterCriticalServiceAfter":"600s"}]}\n';

interface Entry {
  Service: {
    ID: string;
    Service: string;
    Tags: string[] | null;
    Meta: Record<string, string> | null;
    Address: string;
    Port: number;
    TaggedAddresses: Record<string, { Address: string; Port: number }> | null;
  };
}

/** The keys the agent adds to TaggedAddresses from Address itself (an IP, not a host name). */
const AGENT_KEYS = ['lan_ipv4', 'wan_ipv4', 'lan_ipv6', 'wan_ipv6'];

/** A service entry as written by the client: the agent's own tagged addresses left out, its omitted zero values put back. */
function asWritten(s: Entry['Service']): Entry['Service'] {
  const tagged = Object.fromEntries(Object.entries(s.TaggedAddresses ?? {}).filter(([k]) => !AGENT_KEYS.includes(k)));
  return { ...s, Address: s.Address ?? '', Port: s.Port ?? 0, TaggedAddresses: tagged };
}

/** kratos's `defaultResolver` (contrib/registry/consul/client.go), transcribed: how a kratos client reads an entry. */
function kratosResolve(entries: Entry[]): Array<{ id: string; name: string; version: string; metadata: Record<string, string> | null; endpoints: string[] }> {
  return entries.map(({ Service: s }) => {
    let version = '';
    for (const tag of s.Tags ?? []) {
      const i = tag.indexOf('=');
      if (i >= 0 && tag.slice(0, i) === 'version') version = tag.slice(i + 1);
    }
    const endpoints: string[] = [];
    for (const [scheme, addr] of Object.entries(s.TaggedAddresses ?? {})) {
      if (scheme === 'lan_ipv4' || scheme === 'wan_ipv4' || scheme === 'lan_ipv6' || scheme === 'wan_ipv6') continue;
      endpoints.push(addr.Address);
    }
    if (endpoints.length === 0 && s.Address !== '' && s.Port !== 0) endpoints.push(`http://${s.Address}:${s.Port}`);
    return { id: s.ID, name: s.Service, version, metadata: s.Meta, endpoints };
  });
}

describe(`kratos interop on Consul (kratos ${KRATOS_COMMIT.slice(0, 12)}, real Consul agent)`, function () {
  this.timeout(30_000);
  let server: ConsulAgent;
  const open: Array<{ close(): unknown }> = [];
  const registry = (): ConsulRegistry => {
    const r = new ConsulRegistry({ port: server.port, ttl: 5000, logger: quiet, retry: { minMs: 50, maxMs: 300 } });
    open.push(r);
    return r;
  };
  const put = async (path: string, body?: string): Promise<void> => {
    const res = await fetch(`http://${server.address}/v1${path}`, { method: 'PUT', ...(body === undefined ? {} : { body }) });
    expect(res.status, `${path}: ${await res.text()}`).to.equal(200);
  };
  /** kratos's heartbeat: `UpdateTTL("service:<id>", "pass", "pass")` at once, then every interval. */
  const heartbeat = async (id: string, everyMs: number): Promise<void> => {
    const beat = (): Promise<void> => put(`/agent/check/update/service:${id}`, '{"Status":"passing","Output":"pass"}\n');
    await beat();
    const t = setInterval(() => void beat().catch(() => undefined), everyMs);
    open.push({ close: () => clearInterval(t) });
  };
  const listening = async (): Promise<Server> => {
    const s = createServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    open.push({ close: () => s.close() });
    return s;
  };
  const portOf = (s: Server): number => (s.address() as { port: number }).port;

  before(async function () {
    this.timeout(1_200_000); // a first run on a machine builds the agent
    server = await ConsulAgent.start();
  });
  after(async () => {
    await server?.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
    for (const id of Object.keys(await server.services())) await server.api('PUT', `/agent/service/deregister/${encodeURIComponent(id)}`);
  });

  describe('kratos registers, plugboard reads', () => {
    it('finds a kratos service with its TCP checks and heartbeat, and sees it deregister', async () => {
      const [grpc, http] = [portOf(await listening()), portOf(await listening())];
      const r = registry();
      const w = await r.watch('greeter');
      expect(await nextWithin(w, 5000)).to.deep.equal([]);
      await put('/agent/service/register', kratosWithChecks(grpc, http));
      await heartbeat('kratos-a1', 1000);
      const expected: ServiceInstance = {
        id: 'kratos-a1',
        name: 'greeter',
        version: 'v1.2.0',
        metadata: { note: 'a<b>&c', zone: 'eu-1' },
        endpoints: [`grpc://127.0.0.1:${grpc}?isSecure=false`, `http://127.0.0.1:${http}?isSecure=false&a=1`],
      };
      // Passing once the agent's first TCP probes (at 1 s) have run.
      expect(await until(w, (l) => l.length === 1, 10_000, 'the kratos instance, passing')).to.deep.equal([expected]);
      expect(await r.getService('greeter')).to.deep.equal([expected]);
      await put('/agent/service/deregister/kratos-a1'); // kratos's Deregister
      expect(await until(w, (l) => l.length === 0, 5000, 'the deregistration')).to.deep.equal([]);
      w.stop();
    });

    it('reads an instance without endpoints; the version comes from the tag, a version Meta key stays metadata', async () => {
      await put('/agent/service/register', kratosBare);
      await heartbeat('kratos-c3', 10_000);
      expect(await registry().getService('greeter')).to.deep.equal([
        { id: 'kratos-c3', name: 'greeter', version: 'v3', metadata: { version: 'meta-v' }, endpoints: [] },
      ]);
    });
  });

  describe('plugboard registers, kratos reads', () => {
    it('writes the catalog fields kratos writes, and kratos’s resolver reads the same instance back', async () => {
      const name = uniqueName();
      const inst: ServiceInstance = {
        id: 'node-1',
        name,
        version: 'v3',
        metadata: { zone: 'eu-1', version: 'meta' },
        endpoints: ['grpc://10.0.0.9:9000?isSecure=false&x=1', 'http://10.0.0.9:8000'],
      };
      const r = registry();
      await r.register(inst);
      const entries = (await (await fetch(`http://${server.address}/v1/health/service/${name}?passing`)).json()) as Entry[];
      expect(entries).to.have.length(1);
      expect(asWritten(entries[0]!.Service)).to.deep.include({
        ID: 'node-1',
        Service: name,
        Address: '10.0.0.9',
        Port: 9000,
        Meta: { version: 'meta', zone: 'eu-1' }, // nothing added: no extra key for kratos to see
        TaggedAddresses: { grpc: { Address: 'grpc://10.0.0.9:9000?isSecure=false&x=1', Port: 9000 }, http: { Address: 'http://10.0.0.9:8000', Port: 8000 } },
      });
      expect(entries[0]!.Service.Tags?.[0]).to.equal('version=v3', 'the version tag first, as kratos writes it');
      const [got] = kratosResolve(entries);
      expect(got).to.deep.equal({
        ...inst,
        metadata: { version: 'meta', zone: 'eu-1' },
        endpoints: ['grpc://10.0.0.9:9000?isSecure=false&x=1', 'http://10.0.0.9:8000'],
      });
      expect(await r.getService(name)).to.deep.equal([inst]);
    });

    // kratos: addr := raw.Hostname(), port := raw.Port() of Go's url.Parse, which keep the host
    // and port as written; WHATWG lowercases http(s) hosts, rewrites 127.1 and drops :80.
    it("takes Address and Port from the endpoint as written, as Go's url.Hostname and url.Port do", async () => {
      const name = uniqueName();
      const r = registry();
      await r.register({ id: 'node-3', name, endpoints: ['http://Backend-1:80', 'grpc://MyHost.Example:9000', 'https://127.1:443'] });
      await r.register({ id: 'node-4', name, endpoints: ['grpc://[::1]:9000', 'http://u:p@[FE80::1]'] });
      const entries = (await (await fetch(`http://${server.address}/v1/health/service/${name}?passing`)).json()) as Entry[];
      const byId = new Map(entries.map((e) => [e.Service.ID, asWritten(e.Service)]));
      expect(byId.get('node-3')).to.deep.include({
        Address: 'Backend-1',
        Port: 80,
        TaggedAddresses: {
          http: { Address: 'http://Backend-1:80', Port: 80 },
          grpc: { Address: 'grpc://MyHost.Example:9000', Port: 9000 },
          https: { Address: 'https://127.1:443', Port: 443 },
        },
      });
      expect(byId.get('node-4')).to.deep.include({
        Address: '::1',
        Port: 9000,
        TaggedAddresses: { grpc: { Address: 'grpc://[::1]:9000', Port: 9000 }, http: { Address: 'http://u:p@[FE80::1]', Port: 0 } },
      });
    });

    it('registers an instance without endpoints as kratos does (no address, no tagged addresses)', async () => {
      const name = uniqueName();
      const r = registry();
      await r.register({ id: 'node-2', name, endpoints: [] });
      const entries = (await (await fetch(`http://${server.address}/v1/health/service/${name}?passing`)).json()) as Entry[];
      // The health endpoint gives an empty Meta as null: a kratos reader gets a nil metadata map.
      expect(asWritten(entries[0]!.Service)).to.deep.include({ Address: '', Port: 0, TaggedAddresses: {}, Meta: null });
      expect(kratosResolve(entries)).to.deep.equal([{ id: 'node-2', name, version: '', metadata: null, endpoints: [] }]);
      expect(await r.getService(name)).to.deep.equal([{ id: 'node-2', name, version: '', metadata: {}, endpoints: [] }]);
    });
  });
});
