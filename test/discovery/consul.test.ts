/**
 * The Consul backend, against the real Consul agent (v1.16.3, `consul agent -dev`, built from
 * its Go module by test/support/servers/consul.ts). The agent's own timings hold: checks run at
 * least every second, and a critical service is reaped no sooner than a minute after it turned
 * critical (Consul's fixed minimum), so the tests assert the critical state and the sent
 * DeregisterCriticalServiceAfter, not the reaping itself.
 */
import { expect } from 'chai';
import { createRegistry, DiscoveryError, type ServiceRegistry } from '../../src/discovery/index.js';
import { ConsulRegistry, type ConsulRegistryOptions } from '../../src/discovery/consul/index.js';
import { ConsulAgent } from '../support/servers/consul.js';
import { HttpFaults } from '../support/servers/http-faults.js';
import { TcpProxy } from '../../src/testing/index.js';
import { discoveryContract, instance, nextWithin, uniqueName, until } from './contract.js';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';

const quiet = { warn: () => undefined };
const wait = async (ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('consul, against the real Consul agent', function () {
  this.timeout(30_000);
  let server: ConsulAgent;
  const open: ServiceRegistry[] = [];
  const client = (opts: ConsulRegistryOptions = {}): ConsulRegistry => {
    const r = new ConsulRegistry({ port: server.port, ttl: 2000, logger: quiet, retry: { minMs: 50, maxMs: 300 }, ...opts });
    open.push(r);
    return r;
  };

  before(async function () {
    this.timeout(1_200_000); // a first run on a machine builds the agent
    server = await ConsulAgent.start();
  });
  after(async () => {
    await server?.destroy();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  // The fault tests' clients go through proxies of their own (closed after each test).
  const proxies: TcpProxy[] = [];
  const proxy = async (): Promise<TcpProxy> => {
    const [, port] = server.directAddress.split(':');
    const p = await TcpProxy.start(Number(port));
    proxies.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  discoveryContract('consul (real agent)', () => ({ client: async () => new ConsulRegistry({ port: server.port, logger: quiet }) }), {
    faults: {
      partitioned: async () => {
        const p = await proxy();
        const client = new ConsulRegistry({ port: p.port, logger: quiet, livenessTimeout: 1500, timeout: 3000, retry: { minMs: 50, maxMs: 500 } });
        return { client, livenessMs: 1500, freeze: () => p.freeze(), restore: () => p.restore() };
      },
      unreachable: async () => {
        const p = await proxy();
        await p.freeze(); // a black hole: connections open, nothing ever answers
        return { client: new ConsulRegistry({ port: p.port, logger: quiet, timeout: 3000 }), timeoutMs: 3000 };
      },
    },
  });

  it('is created from a consul:// URL; code options win over URL options', async () => {
    await import('../../src/discovery/consul/index.js');
    const r = (await createRegistry(`consul://${server.address}?ttl=5s&deregisterCriticalServiceAfter=90s&dc=dc1&wait=10&tags=a,b`, {
      logger: quiet,
      ttl: 3000,
    })) as ConsulRegistry;
    open.push(r);
    expect(r.backend).to.equal('consul');
    expect(r.options).to.include({ ttlMs: 3000, deregisterAfterMs: 90_000, dc: 'dc1', waitMs: 10_000, port: server.port });
    expect(r.options.tags).to.deep.equal(['a', 'b']);
    await createRegistry(`consul://${server.address}?ttl=soon`).then(
      () => expect.fail('accepted a bad ttl'),
      (e: DiscoveryError) => {
        expect(e.code).to.equal('E_DISCOVERY_URL');
        expect(e.message).to.include("'ttl'");
      },
    );
  });

  it('registers an agent service laid out as go-kratos does: tagged addresses by scheme, the version in a tag only, TTL and deregister-after', async () => {
    const recorder = await HttpFaults.start(server.directAddress);
    open.push({ close: () => recorder.close() } as unknown as ServiceRegistry);
    const r = client({ port: recorder.port, deregisterCriticalServiceAfter: '2m', tags: ['edge'] });
    const name = uniqueName();
    await r.register(
      instance(name, 'a', {
        version: 'v2',
        metadata: { zone: 'eu' },
        endpoints: ['http://10.0.0.1:8000', 'grpc://10.0.0.1:9000?isSecure=false', 'http://10.0.0.1:8001'],
      }),
    );
    const svc = (await (await fetch(`http://${server.address}/v1/agent/services`)).json()) as Record<string, Record<string, unknown>>;
    expect(svc['a']).to.deep.include({ Service: name, Address: '10.0.0.1', Port: 8000, Tags: ['version=v2', 'edge'], Meta: { zone: 'eu' } });
    // The agent adds lan_ipv4 and wan_ipv4 from Address itself; readers skip those keys, as kratos's do.
    expect(svc['a']!['TaggedAddresses']).to.deep.equal({
      grpc: { Address: 'grpc://10.0.0.1:9000?isSecure=false', Port: 9000 },
      http: { Address: 'http://10.0.0.1:8000', Port: 8000 },
      http_2: { Address: 'http://10.0.0.1:8001', Port: 8001 },
      lan_ipv4: { Address: '10.0.0.1', Port: 8000 },
      wan_ipv4: { Address: '10.0.0.1', Port: 8000 },
    });
    const checks = (await (await fetch(`http://${server.address}/v1/agent/checks`)).json()) as Record<string, { Status: string; Type: string }>;
    expect(checks['service:a']).to.include({ Status: 'passing', Type: 'ttl' });
    // Consul 1.16 does not report a TTL check's definition back, so the body it accepted is checked.
    const [sent] = recorder.sent('/v1/agent/service/register') as Array<{ Checks: Array<Record<string, string>> }>;
    expect(sent!.Checks.find((c) => c['CheckID'] === 'service:a')).to.include({ TTL: '2000ms', DeregisterCriticalServiceAfter: '120000ms' });
    const [got] = await r.getService(name);
    // Consul returns tagged addresses in key order, so endpoints come back sorted by scheme key.
    expect(got).to.deep.include({ id: 'a', version: 'v2', metadata: { zone: 'eu' } });
    expect([...got!.endpoints].sort()).to.deep.equal(['grpc://10.0.0.1:9000?isSecure=false', 'http://10.0.0.1:8000', 'http://10.0.0.1:8001']);
  });

  it('refuses metadata Consul cannot store, naming the key, and registers nothing', async () => {
    const r = client();
    const name = uniqueName();
    for (const [metadata, field] of [
      [{ 'a.b': 'x' }, 'instance.metadata.a.b'],
      [{ 'consul-x': 'y' }, 'instance.metadata.consul-x'],
      [{ k: 'v'.repeat(513) }, 'instance.metadata.k'],
    ] as const) {
      await r.register(instance(name, 'a', { metadata })).then(
        () => expect.fail(`accepted ${JSON.stringify(metadata).slice(0, 40)}`),
        (e: DiscoveryError) => {
          expect(e.code).to.equal('E_DISCOVERY_INSTANCE');
          expect(e.message).to.include(field);
        },
      );
    }
    expect(await r.getService(name)).to.deep.equal([]);
  });

  it('beats at TTL/2, so the instance stays passing across several TTLs', async () => {
    const r = client({ ttl: 1000 });
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    const since = Date.now();
    await new Promise((res) => setTimeout(res, 2600));
    expect(server.seen('/v1/agent/check/pass/service:a', since).length).to.be.within(4, 7);
    expect(await r.getService(name)).to.have.length(1);
  });

  it('a SIGKILLed owner: the TTL expires, the instance turns critical and leaves the passing list; DeregisterCriticalServiceAfter is set for the reaper', async () => {
    const disc = client();
    const name = uniqueName();
    const w = await disc.watch(name);
    await nextWithin(w, 3000);
    const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/consul-child.js', String(server.port), name, 'a', '1000', '1500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('registered') && resolve());
      child.once('exit', (c) => reject(new Error(`child exited early (${c})`)));
    });
    await until(w, (l) => l.length === 1, 3000, 'the child’s instance');
    child.kill('SIGKILL');
    await until(w, (l) => l.length === 0, 4000, 'the instance gone from the passing list');
    const checks = await server.api<Record<string, { Status: string; Output: string }>>('GET', '/agent/checks');
    expect(checks['service:a']?.Status).to.equal('critical');
    expect(checks['service:a']?.Output).to.include('TTL expired');
    expect(Object.keys(await server.services()), 'still registered while critical').to.include('a');
    // The child asked for 1500 ms; Consul raises it to its minimum of one minute and reaps within 30 s after that.
    await server.api('PUT', '/agent/service/deregister/a');
    w.stop();
  });

  it('an agent restart that lost its state leads to re-registration; watchers start over without an index', async () => {
    const reg = client({ ttl: 1000 });
    const disc = client({ wait: 1000 });
    const name = uniqueName();
    // Push the index well above where the restarted agent starts.
    for (let i = 0; i < 5; i++) await reg.register(instance(uniqueName('filler'), `f${i}`));
    await reg.register(instance(name, 'a'));
    const w = await disc.watch(name);
    await until(w, (l) => l.length === 1, 3000, 'a');
    const rewritesBefore = reg.stats().rewrites;
    const restartedAt = Date.now(); // seen() reads the restarted agent's log: only what it answered
    await server.restart();
    await wait(async () => 'a' in (await server.services()), 8000, 'a registered again');
    expect(reg.stats().rewrites).to.be.greaterThan(rewritesBefore);
    // The cut query ends the subscription; the next one starts over without an index.
    await wait(() => server.seen(`/v1/health/service/${name}`, restartedAt).some((r) => !r.query.has('index')), 8000, 'a query from index 0');
    await reg.register(instance(name, 'b'));
    expect((await until(w, (l) => l.length === 2, 8000, 'a and b after the restart')).map((i) => i.id)).to.deep.equal(['a', 'b']);
    w.stop();
  });

  it('a blocking query answered with a lower index resets the index to 0 (Consul: the index went backwards)', async () => {
    const faults = await HttpFaults.start(server.directAddress);
    try {
      const reg = client({ ttl: 5000 });
      const disc = client({ port: faults.port, wait: 1000 });
      const name = uniqueName();
      await reg.register(instance(name, 'a'));
      const w = await disc.watch(name);
      await until(w, (l) => l.length === 1, 3000, 'a');
      faults.index = 'lower'; // the agent's answers now carry an index below the one asked for
      await wait(() => disc.stats().indexResets > 0, 5000, 'an index reset');
      faults.index = 'none';
      await reg.register(instance(name, 'b'));
      expect((await until(w, (l) => l.length === 2, 8000, 'a and b after the reset')).map((i) => i.id)).to.deep.equal(['a', 'b']);
      w.stop();
    } finally {
      await faults.close();
    }
  });

  it('sends no heartbeat after deregister, and delivers [] when the last instance leaves', async () => {
    const r = client({ ttl: 1000 });
    const disc = client();
    const name = uniqueName();
    const registeredAt = Date.now(); // service id 'a' is used by earlier tests on this agent too
    await r.register(instance(name, 'a'));
    const w = await disc.watch(name);
    await until(w, (l) => l.length === 1, 3000, 'a');
    await wait(() => server.seen('/v1/agent/check/pass/service:a', registeredAt).length > 0, 2000, 'a first heartbeat');
    await r.deregister(instance(name, 'a'));
    const since = Date.now();
    expect(await until(w, (l) => l.length === 0, 3000, 'the empty list')).to.deep.equal([]);
    await new Promise((res) => setTimeout(res, 1500));
    expect(server.seen('/v1/agent/check/pass/service:a', since)).to.deep.equal([]);
    expect(Object.keys(await server.services())).to.not.include('a');
    w.stop();
  });

  it('one blocking poller per watched name, shared by its watchers, with index and wait', async () => {
    const r = client({ wait: 2000 });
    const name = uniqueName();
    const since = Date.now();
    const ws = await Promise.all([r.watch(name), r.watch(name), r.watch(name)]);
    for (const w of ws) await nextWithin(w, 3000);
    expect(r.stats().follows).to.equal(1);
    // The agent logs a query when it has answered it: the first at once, the blocking one at its wait.
    await wait(() => server.seen(`/v1/health/service/${name}`, since).some((q) => q.query.has('index')), 5000, 'a blocking query answered');
    const queries = server.seen(`/v1/health/service/${name}`, since);
    expect(queries.length).to.be.within(2, 3);
    expect(queries.at(-1)!.query.get('passing')).to.equal('true');
    expect(Number(queries.at(-1)!.query.get('index'))).to.be.greaterThan(0);
    expect(queries.at(-1)!.query.get('wait')).to.equal('2s');
    for (const w of ws) w.stop();
    await wait(() => r.stats().follows === 0, 1000, 'poller stopped');
  });

  it('an unreachable agent degrades watchers, which keep their list and recover', async () => {
    const reg = client({ ttl: 3000 });
    const disc = client({ wait: 1000 });
    const name = uniqueName();
    await reg.register(instance(name, 'a'));
    const w = await disc.watch(name);
    await until(w, (l) => l.length === 1, 3000, 'a');
    await server.stop();
    await wait(() => !w.health.healthy, 5000, 'degraded health');
    expect(w.health.error).to.be.instanceOf(DiscoveryError);
    await server.resume();
    await wait(() => w.health.healthy, 5000, 'healthy again');
    expect((await disc.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
    w.stop();
  });

  it('skips entries that are not valid instances, counting and warning once', async () => {
    const warnings: string[] = [];
    const r = client({ logger: { warn: (m) => warnings.push(m) } });
    const name = uniqueName();
    // Someone else's registration with an id we cannot take (a '/'). An endpoint that is not a
    // URL is kept as written, as kratos's resolver keeps it (clients skip it), so 'odd' is listed.
    await server.api('PUT', '/agent/service/register', {
      ID: 'foreign/1',
      Name: name,
      TaggedAddresses: { http: { Address: 'http://10.0.0.1:80', Port: 80 } },
      Check: { TTL: '30s', Status: 'passing' },
    });
    await server.api('PUT', '/agent/service/register', {
      ID: 'odd',
      Name: name,
      TaggedAddresses: { http: { Address: 'not a url', Port: 1 } },
      Check: { TTL: '30s', Status: 'passing' },
    });
    await r.register(instance(name, 'ours'));
    const listed = await r.getService(name);
    expect(listed.map((i) => i.id)).to.deep.equal(['odd', 'ours']);
    expect(listed[0]!.endpoints).to.deep.equal(['not a url']);
    await r.getService(name);
    expect(r.stats().skipped).to.equal(2);
    expect(warnings.filter((m) => m.includes("'foreign/1'"))).to.have.length(1);
    await server.api('PUT', `/agent/service/deregister/${encodeURIComponent('foreign/1')}`);
    await server.api('PUT', '/agent/service/deregister/odd');
  });

  it('sends the ACL token and maps a refusal to E_DISCOVERY_AUTH; asks the configured datacenter', async () => {
    const secured = await ConsulAgent.start({ aclToken: 'secret' });
    try {
      const good = new ConsulRegistry({ port: secured.port, token: 'secret', dc: 'dc1', logger: quiet });
      const bad = new ConsulRegistry({ port: secured.port, token: 'wrong', logger: quiet });
      const otherDc = new ConsulRegistry({ port: secured.port, token: 'secret', dc: 'dc9', logger: quiet });
      open.push(good, bad, otherDc);
      const name = uniqueName();
      await good.register(instance(name, 'a'));
      expect(await good.getService(name)).to.have.length(1);
      expect(secured.seen(`/v1/health/service/${name}`).at(-1)!.query.get('dc')).to.equal('dc1');
      for (const call of [() => bad.register(instance(name, 'b')), () => bad.getService(name)]) {
        await call().then(
          () => expect.fail('accepted a wrong token'),
          (e: DiscoveryError) => {
            expect(e.code).to.equal('E_DISCOVERY_AUTH');
            expect(e.message).to.include('403');
          },
        );
      }
      await otherDc.getService(name).then(
        () => expect.fail('found a datacenter that does not exist'),
        (e: DiscoveryError) => expect(e.message).to.include('No path to datacenter'),
      );
    } finally {
      await Promise.all(open.splice(0).map((r) => r.close()));
      await secured.destroy();
    }
  });

  it('registers HTTP, TCP and gRPC checks that the agent runs; a failing HTTP check hides the instance', async () => {
    let healthy = true;
    const app: Server = createServer((_, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    const port = (app.address() as { port: number }).port;
    try {
      const r = client({
        checks: [
          { http: `http://127.0.0.1:${port}/health`, interval: 100 },
          { tcp: `127.0.0.1:${port}`, interval: '100ms' },
          { grpc: `127.0.0.1:${port}`, interval: '1s' },
        ],
      });
      const name = uniqueName();
      await r.register(instance(name, 'a'));
      type Check = { Status: string; Type: string; Interval: string };
      const checks = (): Promise<Record<string, Check>> => server.api('GET', '/agent/checks');
      expect(
        Object.keys(await checks())
          .filter((k) => k.startsWith('service:a'))
          .sort(),
      ).to.deep.equal(['service:a', 'service:a:1', 'service:a:2', 'service:a:3']);
      expect((await checks())['service:a:3']).to.include({ Type: 'grpc', Interval: '1s' });
      // Extra checks start critical, as in Consul, until the agent has run them (at least every second).
      await wait(
        async () => {
          const c = await checks();
          return c['service:a:1']!.Status === 'passing' && c['service:a:2']!.Status === 'passing';
        },
        5000,
        'HTTP and TCP checks passing',
      );
      healthy = false;
      await wait(async () => (await checks())['service:a:1']!.Status === 'critical', 5000, 'HTTP check critical');
      expect(await r.getService(name)).to.deep.equal([]);
    } finally {
      app.close();
    }
  });
});
