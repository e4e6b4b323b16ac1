/**
 * Regression tests for the Consul findings of issue #15 (g, h, k), against the real Consul
 * agent (test/support/servers/consul.ts); the slow agent and the unusable index are injected
 * by an HTTP proxy in front of it. Each failed on the code before the discovery kit.
 */
import { expect } from 'chai';
import { ConsulRegistry } from '../../../src/discovery/consul/index.js';
import { ConsulAgent } from '../../support/servers/consul.js';
import { HttpFaults } from '../../support/servers/http-faults.js';
import { eventually, instance, nextWithin, uniqueName, until } from '../contract.js';

const quiet = { warn: () => undefined };

describe('consul regressions (issue #15, real Consul agent)', function () {
  this.timeout(30_000);
  let server: ConsulAgent;
  const open: ConsulRegistry[] = [];
  const client = (s: { port: number }, ttl = 1000): ConsulRegistry => {
    const r = new ConsulRegistry({ port: s.port, ttl, wait: 1000, logger: quiet, retry: { minMs: 50, maxMs: 300 } });
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

  it('(g) two concurrent register() calls of one instance leave no heartbeat behind deregister() or close()', async () => {
    const r = client(server);
    const name = uniqueName();
    await Promise.all([r.register(instance(name, 'g1')), r.register(instance(name, 'g1'))]);
    await r.deregister(instance(name, 'g1'));
    const r2 = client(server);
    await Promise.all([r2.register(instance(name, 'g2')), r2.register(instance(name, 'g2'))]);
    await r2.close();
    const since = Date.now();
    await new Promise((res) => setTimeout(res, 2500)); // more than two heartbeat intervals (TTL 1 s, beats at 500 ms)
    expect(server.seen('/v1/agent/check/pass/service:g1', since), 'beats of g1 after deregister').to.deep.equal([]);
    expect(server.seen('/v1/agent/check/pass/service:g2', since), 'beats of g2 after close').to.deep.equal([]);
    const services = Object.keys(await server.services());
    expect(services.includes('g1') || services.includes('g2'), 'registered again by an orphan heartbeat').to.equal(false);
  });

  it('(h) a re-register that fails (the agent briefly down) does not drop the instance already registered', async () => {
    const r = new ConsulRegistry({ port: server.port, ttl: 1000, wait: 1000, timeout: 1000, logger: quiet, retry: { minMs: 50, maxMs: 300 } });
    open.push(r);
    const disc = client(server);
    const name = uniqueName();
    await r.register(instance(name, 'h', { version: 'v1' }));
    const w = await disc.watch(name);
    await until(w, (l) => l.length === 1, 5000, 'h passing');
    await server.stop();
    // The network stays down until the update has failed (its timeout), so the failure path is taken.
    const failed = await r.register(instance(name, 'h', { version: 'v2' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    await server.resume();
    expect((failed as { code?: string } | undefined)?.code, 'the update failed').to.equal('E_DISCOVERY_TIMEOUT');
    await new Promise((res) => setTimeout(res, 3000)); // three TTLs: an instance nobody beats turns critical
    const passing = await disc.getService(name);
    expect(passing.map((i) => i.id)).to.deep.equal(['h'], 'still passing');
  });

  it('(h) a re-register the agent is slow to answer does not stop the beats of the version already registered', async () => {
    const slowAgent = await HttpFaults.start(server.directAddress);
    try {
      const r = client(slowAgent);
      const disc = client(server);
      const name = uniqueName();
      await r.register(instance(name, 'slow', { version: 'v1' }));
      const w = await disc.watch(name);
      await until(w, (l) => l.length === 1, 5000, 'slow passing');
      slowAgent.delayPrefix = '/v1/agent/service/register';
      slowAgent.delayMs = 2500; // longer than two TTLs
      const update = r.register(instance(name, 'slow', { version: 'v2' }));
      await new Promise((res) => setTimeout(res, 2200)); // past the TTL: beats must have gone on meanwhile
      expect((await disc.getService(name)).map((i) => i.id)).to.deep.equal(['slow'], 'still passing while the update is in flight');
      await update;
      slowAgent.delayMs = 0;
      expect((await until(w, (l) => l.length === 1 && l[0]!.version === 'v2', 5000, 'v2')).map((i) => i.version)).to.deep.equal(['v2']);
    } finally {
      await slowAgent.close();
    }
  });

  it('(k) an agent answering without a usable X-Consul-Index is not polled in a hot loop', async () => {
    for (const index of ['missing', 'zero'] as const) {
      const odd = await HttpFaults.start(server.directAddress);
      odd.index = index;
      try {
        const r = client(odd);
        const name = uniqueName();
        const w = await r.watch(name);
        await nextWithin(w, 5000);
        const since = Date.now();
        await new Promise((res) => setTimeout(res, 2000));
        const polls = server.seen(`/v1/health/service/${name}`, since).length;
        expect(polls, `health queries in 2 s with the index ${index}`).to.be.within(1, 4);
        await eventually(() => w.health.healthy, 1000, 'the watcher healthy');
        await r.close();
      } finally {
        await odd.close();
      }
    }
  });
});
