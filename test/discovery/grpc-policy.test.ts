import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { discoveryChannelOptions, registerDiscoveryResolver, type DiscoveryChannelConfig } from '../../src/discovery/client/grpc.js';
import { Reservations } from '../../src/discovery/client/grpc-reservation.js';
import { MemoryRegistry, MemoryStore, RingHashBalancer, Selection, toNodes, versionFilter, type ServiceInstance } from '../../src/discovery/index.js';
import { greeterDefinition } from '../support/grpc-greeter.js';
import { uniqueName } from './contract.js';

const definition = greeterDefinition;
const Client = grpc.makeGenericClientConstructor(definition, 'Greeter');

interface Greeter {
  sayHello(req: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Buffer) => void): void;
  close(): void;
}

/** A real grpc-js server answering its label, after `delayMs`; `failing` answers UNAVAILABLE. */
async function grpcServer(label: string, delayMs = 0, failing = false): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(definition, {
    sayHello: (_call: unknown, cb: (err: Partial<grpc.ServiceError> | null, res?: Buffer) => void) => {
      if (failing) cb({ code: grpc.status.UNAVAILABLE, details: `${label} is overloaded` });
      else if (delayMs === 0) cb(null, Buffer.from(label));
      else setTimeout(() => cb(null, Buffer.from(label)), delayMs);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

describe('plugboard_selector gRPC policy against real grpc-js servers', function () {
  this.timeout(20_000);
  before(() => registerDiscoveryResolver());

  const servers: grpc.Server[] = [];
  const clients: Greeter[] = [];
  const registries: MemoryRegistry[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) s.forceShutdown();
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });

  async function setup(
    specs: Array<{ id: string; label?: string; delayMs?: number; failing?: boolean; version?: string; metadata?: Record<string, string> }>,
    config: Omit<DiscoveryChannelConfig, 'discovery'> = {},
  ) {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    registries.push(registry);
    const name = uniqueName('grpc');
    const byId = new Map<string, { server: grpc.Server; instance: ServiceInstance }>();
    for (const s of specs) {
      const { server, port } = await grpcServer(s.label ?? s.id, s.delayMs, s.failing);
      servers.push(server);
      const instance: ServiceInstance = { id: s.id, name, version: s.version ?? 'v1', metadata: s.metadata ?? {}, endpoints: [`grpc://127.0.0.1:${port}`] };
      await registry.register(instance);
      byId.set(s.id, { server, instance });
    }
    const client = new Client(
      `discovery:///${name}`,
      grpc.credentials.createInsecure(),
      discoveryChannelOptions({ discovery: registry, ...config }),
    ) as unknown as Greeter;
    clients.push(client);
    const call = (md: Record<string, string | string[]> = {}): Promise<string> =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        for (const [k, v] of Object.entries(md)) for (const x of [v].flat()) metadata.add(k, x);
        client.sayHello(Buffer.from('hi'), metadata, (err, res) => (err ? reject(err) : resolve(res.toString())));
      });
    return { registry, name, byId, client, call };
  }

  it("respects the channel's version filter", async () => {
    const { call } = await setup(
      [
        { id: 'old', version: 'v1' },
        { id: 'new', version: 'v2' },
        { id: 'new2', version: 'v2' },
      ],
      { filters: [versionFilter('v2')] },
    );
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await call());
    expect([...seen].sort()).to.deep.equal(['new', 'new2']);
  });

  it('drops a killed server that is still registered', async () => {
    const { call, byId } = await setup([{ id: 'a' }, { id: 'b' }]);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await call());
    expect([...seen].sort()).to.deep.equal(['a', 'b']);
    byId.get('a')!.server.forceShutdown();
    // A call may still land on a before the connection loss is seen; after that, all go to b.
    let streak = 0;
    const deadline = Date.now() + 10_000;
    while (streak < 20 && Date.now() < deadline) streak = (await call().catch(() => 'failed')) === 'b' ? streak + 1 : 0;
    expect(streak).to.equal(20, 'twenty calls in a row reach b once a is down');
  });

  it('fails calls with UNAVAILABLE once every instance deregistered (a real empty list), and serves again when one comes back', async () => {
    const { call, byId, registry } = await setup([{ id: 'a' }]);
    expect(await call()).to.equal('a');
    const a = byId.get('a')!;
    await registry.deregister(a.instance);
    // The server still runs: only the empty list can stop calls from reaching it.
    let err: grpc.ServiceError | undefined;
    const deadline = Date.now() + 10_000;
    while (err === undefined && Date.now() < deadline)
      err = await call().then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
    expect(err?.code).to.equal(grpc.status.UNAVAILABLE);
    expect(err?.details).to.include('no instances');
    await registry.register(a.instance);
    let back = '';
    while (back !== 'a' && Date.now() < deadline) back = await call().catch(() => '');
    expect(back).to.equal('a');
  });

  it('with P2C, prefers the fast server (latency from call duration)', async () => {
    const { call } = await setup([{ id: 'slow', delayMs: 40 }, { id: 'fast' }], { balancer: 'p2c' });
    const counts: Record<string, number> = { slow: 0, fast: 0 };
    for (let i = 0; i < 80; i++) counts[await call()]!++;
    expect(counts['fast']! / 80, JSON.stringify(counts)).to.be.above(0.75);
  });

  it('with P2C, avoids a server whose calls fail (errors from the call status)', async () => {
    const { call } = await setup([{ id: 'bad', failing: true }, { id: 'good' }], { balancer: 'p2c' });
    let failed = 0;
    for (let i = 0; i < 60; i++)
      failed += await call().then(
        () => 0,
        () => 1,
      );
    // Round-robin would fail 30 of them; P2C tries bad again only when it has been unpicked for 3 s.
    expect(failed).to.be.within(1, 4);
  });

  it('falls back through per-call tiers from metadata: canary → stable', async () => {
    const { call, registry, name } = await setup([
      { id: 'stable1', metadata: { track: 'stable' } },
      { id: 'stable2', metadata: { track: 'stable' } },
    ]);
    const tiers = { 'plugboard-tier': ['metadata:track=canary', 'metadata:track=stable'] };
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await call(tiers));
    expect([...seen].sort()).to.deep.equal(['stable1', 'stable2'], 'no canary: the stable tier serves');
    const { server, port } = await grpcServer('canary');
    servers.push(server);
    await registry.register({ id: 'canary', name, version: 'v1', metadata: { track: 'canary' }, endpoints: [`grpc://127.0.0.1:${port}`] });
    let streak = 0;
    const deadline = Date.now() + 10_000;
    while (streak < 10 && Date.now() < deadline) streak = (await call(tiers)) === 'canary' ? streak + 1 : 0;
    expect(streak).to.equal(10, 'once the canary is connected, the canary tier serves');
    // Without the tiers header, calls still spread over everyone.
    const all = new Set<string>();
    for (let i = 0; i < 15; i++) all.add(await call());
    expect(all.size).to.equal(3);
  });

  it('routes by plugboard-key with ring-hash: one key, one server', async () => {
    const { call } = await setup([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { balancer: 'ring-hash' });
    // Keys map over the connected nodes: wait until calls without a key (random points) have reached all three.
    const warm = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (warm.size < 3 && Date.now() < deadline) warm.add(await call());
    expect(warm.size).to.equal(3);
    for (const user of ['alice', 'bob', 'carol']) {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add(await call({ 'plugboard-key': user }));
      expect(seen.size, user).to.equal(1);
    }
  });

  it('gives each channel its own Discovery (no process-wide registry)', async () => {
    const one = await setup([{ id: 'x', label: 'one' }]);
    const two = await setup([{ id: 'x', label: 'two' }]);
    expect(await one.call()).to.equal('one');
    expect(await two.call()).to.equal('two');
  });

  it('fails a call whose metadata names an unknown filter, naming it; the channel keeps working', async () => {
    const { call } = await setup([{ id: 'a' }]);
    const err = await call({ 'plugboard-filter': 'zone:eu' }).then(
      () => expect.fail('the call must fail'),
      (e: grpc.ServiceError) => e,
    );
    expect(err.details).to.include("E_DISCOVERY_UNKNOWN: unknown filter 'zone'").and.include('known: version, metadata');
    expect(await call()).to.equal('a');
  });

  it('refuses unknown channel options and balancer names', () => {
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    registries.push(discovery);
    expect(() => discoveryChannelOptions({ discovery, balancers: 'p2c' } as never)).to.throw("'balancers': unknown option (did you mean 'balancer'?)");
    expect(() => discoveryChannelOptions({ discovery, balancer: 'least-request' as never }))
      .to.throw("unknown balancer 'least-request'")
      .with.property('code', 'E_DISCOVERY_UNKNOWN');
  });
});

describe('plugboard_selector gRPC policy: review findings', function () {
  this.timeout(30_000);
  before(() => registerDiscoveryResolver());

  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serve(handler: (cb: (e: null, r: Buffer) => void) => void): Promise<number> {
    const server = new grpc.Server();
    server.addService(definition, { sayHello: (_c: unknown, cb: (e: null, r: Buffer) => void) => handler(cb) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    cleanups.push(() => server.forceShutdown());
    return port;
  }

  function registry(): MemoryRegistry {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    cleanups.push(() => r.close());
    return r;
  }

  function client(target: string, options?: grpc.ChannelOptions): Greeter {
    const c = new Client(target, grpc.credentials.createInsecure(), options) as unknown as Greeter;
    cleanups.push(() => c.close());
    return c;
  }

  const call = (c: Greeter, md = new grpc.Metadata(), deadlineMs = 5000): Promise<string> =>
    new Promise((resolve, reject) =>
      (c as unknown as { sayHello(r: Buffer, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Buffer) => void): void }).sayHello(
        Buffer.from('hi'),
        md,
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err ? reject(err) : resolve(res.toString())),
      ),
    );

  // Finding 7: one instance is up, another accepts TCP and never speaks HTTP/2 (a hung process),
  // so its connection stays CONNECTING for grpc-js's connect timeout (20 s). A filter that no
  // instance passes, connected or not, waited for the call's deadline.
  it('fails a call whose filter matches no instance at once with UNAVAILABLE while a connection is still connecting', async () => {
    const { createServer } = await import('node:net');
    const held: Array<import('node:net').Socket> = [];
    const hung = createServer((s) => held.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of held) s.destroy();
      hung.close();
    });
    const hungPort = (hung.address() as import('node:net').AddressInfo).port;
    const port = await serve((cb) => cb(null, Buffer.from('ok')));
    const r = registry();
    const name = uniqueName('grpc');
    await r.register({ id: 'up', name, version: 'v1', metadata: {}, endpoints: [`grpc://127.0.0.1:${port}`] });
    await r.register({ id: 'hung', name, version: 'v2', metadata: {}, endpoints: [`grpc://127.0.0.1:${hungPort}`] });
    const c = client(`discovery:///${name}`, discoveryChannelOptions({ discovery: r }));
    expect(await call(c)).to.equal('ok'); // the channel is up
    const none = new grpc.Metadata();
    none.add('plugboard-filter', 'version:v9'); // no instance has it, connected or not
    const err = await call(c, none, 4000).then(
      () => expect.fail('no instance fits'),
      (e: grpc.ServiceError) => e,
    );
    expect(err.code, err.details).to.equal(grpc.status.UNAVAILABLE);
    expect(err.details).to.include('version:v9');
    // A filter only the hung (connecting) instance passes still waits for it: here, to the deadline.
    const pending = new grpc.Metadata();
    pending.add('plugboard-filter', 'version:v2');
    const late = await call(c, pending, 300).then(
      () => expect.fail('the hung instance never answers'),
      (e: grpc.ServiceError) => e,
    );
    expect(late.code, late.details).to.equal(grpc.status.DEADLINE_EXCEEDED);
  });

  // Finding 8: grpc-js makes every pick of a burst before it starts any of the calls (the
  // call-credentials step comes between), so counting a call only at onCallStarted let every
  // pick see load 0 and the whole burst went to one node.
  it("keeps ring-hash's load bound for a burst: 20 concurrent calls with one key put at most ceil(1.25 × 20 / 2) = 13 on one of 2 servers", async () => {
    const peak = new Map<string, number>();
    const now = new Map<string, number>();
    const r = registry();
    const name = uniqueName('grpc');
    for (const id of ['a', 'b']) {
      const port = await serve((cb) => {
        now.set(id, (now.get(id) ?? 0) + 1);
        peak.set(id, Math.max(peak.get(id) ?? 0, now.get(id)!));
        setTimeout(() => {
          now.set(id, now.get(id)! - 1);
          cb(null, Buffer.from(id));
        }, 300);
      });
      await r.register({ id, name, version: 'v1', metadata: {}, endpoints: [`grpc://127.0.0.1:${port}`] });
    }
    const ring = new RingHashBalancer();
    const c = client(`discovery:///${name}`, discoveryChannelOptions({ discovery: r, balancer: () => ring }));
    // Connect both: key-less ring-hash picks are random, so a few calls reach both servers.
    while (peak.size < 2) await call(c);
    peak.clear();
    const md = new grpc.Metadata();
    md.add('plugboard-key', 'user-42');
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(c, md, 10_000)));
    expect(Math.max(...peak.values()), JSON.stringify(Object.fromEntries(peak))).to.be.at.most(13);
    expect(answers.filter((x) => x === 'a').length + answers.filter((x) => x === 'b').length).to.equal(20);
    expect([...ring.loads().values()], 'calls in flight once all ended').to.deep.equal([0, 0]);
  });
});

describe('plugboard_selector gRPC policy on the process-wide default config', function () {
  this.timeout(30_000);
  after(async () => {
    const { setDefaultChannelConfig } = await import('../../src/discovery/client/grpc-resolver.js');
    setDefaultChannelConfig(undefined); // leave no default behind for other files
  });

  // Finding 9: registerDiscoveryResolver(discovery, opts) makes opts the config of channels that
  // carry none; the resolver used it, but the policy read only the channel's own options.
  it('applies the pickOptions given to registerDiscoveryResolver to channels without discoveryChannelOptions', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('grpc');
    const servers: grpc.Server[] = [];
    for (const [id, version] of [
      ['old', 'v1'],
      ['new', 'v2'],
    ] as const) {
      const { server, port } = await grpcServer(id);
      servers.push(server);
      await registry.register({ id, name, version, metadata: {}, endpoints: [`grpc://127.0.0.1:${port}`] });
    }
    registerDiscoveryResolver(registry, { pickOptions: () => ({ filters: ['version:v2'] }) });
    const c = new Client(`discovery:///${name}`, grpc.credentials.createInsecure()) as unknown as Greeter;
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++)
        seen.add(
          await new Promise<string>((resolve, reject) =>
            c.sayHello(Buffer.from('hi'), new grpc.Metadata(), (err, res) => (err ? reject(err) : resolve(res.toString()))),
          ),
        );
      expect([...seen]).to.deep.equal(['new']);
    } finally {
      c.close();
      for (const s of servers) s.forceShutdown();
      await registry.close();
    }
  });
});

describe('reservations of picks grpc-js has not started yet', () => {
  it('count a pick at once, keep it when grpc-js starts the call, and take back a dropped pick on the next turn', async () => {
    const ring = new RingHashBalancer();
    const [a, b] = toNodes(['a', 'b'].map((id) => ({ id, name: 'svc', version: 'v1', metadata: {}, endpoints: [`grpc://${id}:1`] })));
    ring.update([a!, b!]);
    const r = new Reservations();
    const started = r.hold(new Selection(a!, 0, undefined, ring));
    r.hold(new Selection(b!, 0, undefined, ring)); // dropped: never started
    expect([...ring.loads().values()]).to.deep.equal([1, 1]);
    started();
    await new Promise((resolve) => setImmediate(resolve));
    expect([...ring.loads().values()]).to.deep.equal([1, 0]);
    const late = new Selection(b!, 0, undefined, ring);
    const run = r.hold(late); // started only after the release (slow call credentials)
    await new Promise((resolve) => setImmediate(resolve));
    expect(ring.loads().get(b!)).to.equal(0);
    run();
    expect(ring.loads().get(b!)).to.equal(1);
    late.done({ latencyMs: 1 });
    expect(ring.loads().get(b!)).to.equal(0);
  });
});
