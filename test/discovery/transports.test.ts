import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import { discoveryChannelOptions, registerDiscoveryResolver } from '../../src/discovery/client/grpc.js';
import { createDiscoveryFetch, MemoryRegistry, MemoryStore, parseTarget, DiscoveryError } from '../../src/discovery/index.js';
import { countingDiscovery } from '../support/counting-discovery.js';
import { greeterDefinition } from '../support/grpc-greeter.js';
import { uniqueName } from './contract.js';

async function httpServer(label: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => res.end(`${label} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe('discovery targets', () => {
  it('parses discovery:///name and discovery://authority/name/path', () => {
    expect(parseTarget('discovery:///greeter')).to.deep.equal({ authority: '', name: 'greeter', rest: '' });
    expect(parseTarget('discovery://dc1/greeter/hello?x=1')).to.deep.equal({ authority: 'dc1', name: 'greeter', rest: '/hello?x=1' });
    for (const bad of ['http://greeter', 'discovery://', 'discovery:///', 'discovery://x']) {
      expect(() => parseTarget(bad), bad)
        .to.throw()
        .with.property('code', 'E_DISCOVERY_URL');
    }
  });

  // Review finding 15: decodeURIComponent's URIError escaped untyped.
  it("gives E_DISCOVERY_URL, not a URIError, for a name with bad percent-encoding ('discovery:///%zz')", () => {
    for (const bad of ['discovery:///%zz', 'discovery:///a%', 'discovery:///%E0%A4%A']) {
      expect(() => parseTarget(bad), bad)
        .to.throw(/percent-encoding/)
        .with.property('code', 'E_DISCOVERY_URL');
    }
    expect(parseTarget('discovery:///gr%65eter/x').name).to.equal('greeter');
  });
});

describe('fetch helper against two real node:http servers', function () {
  this.timeout(15_000);

  it('spreads calls over both instances, then sends everything to the one left', async () => {
    const a = await httpServer('A');
    const b = await httpServer('B');
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('http');
    await registry.register({ id: 'a', name, endpoints: [a.url] });
    await registry.register({ id: 'b', name, endpoints: [b.url, 'grpc://127.0.0.1:1'] });
    const f = createDiscoveryFetch({ discovery: registry });
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push(await (await f(`discovery:///${name}/hello?i=${i}`)).text());
    expect(bodies.filter((x) => x.startsWith('A /hello?i=')).length).to.equal(3);
    expect(bodies.filter((x) => x.startsWith('B /hello?i=')).length).to.equal(3);
    await registry.deregister({ id: 'a', name, endpoints: [a.url] });
    const sel = await f.selector(name);
    const deadline = Date.now() + 2000;
    while (sel.nodes().length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 4; i++) expect(await (await f(`discovery:///${name}/x`)).text()).to.equal('B /x');
    await f.close();
    await registry.close();
    a.server.close();
    b.server.close();
  });

  it('reports a refused connection as E_DISCOVERY_BACKEND naming the instance', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('dead');
    const dead = await httpServer('dead');
    await new Promise((r) => dead.server.close(r));
    await registry.register({ id: 'gone', name, endpoints: [dead.url] });
    const f = createDiscoveryFetch({ discovery: registry, balancer: 'p2c' });
    await f(`discovery:///${name}/`).then(
      () => expect.fail('fetch to a closed port must fail'),
      (e: DiscoveryError) => {
        expect(e.code).to.equal('E_DISCOVERY_BACKEND');
        expect(e.message).to.include('instance gone');
      },
    );
    await f.close();
    await registry.close();
  });

  // Review finding 5: `discovery:///svc//host:port/x` has the path `//host:port/x`; resolved
  // against the picked endpoint as a URL it became a protocol-relative URL to another host.
  it('sends a path starting with // to the picked instance, never to the host the path names', async () => {
    const hits: string[] = [];
    const listen = async (label: string): Promise<{ server: Server; port: number }> => {
      const server = createServer((req, res) => {
        hits.push(`${label} ${req.url}`);
        res.end(label);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, port: (server.address() as { port: number }).port };
    };
    const svc = await listen('svc');
    const other = await listen('other');
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('http');
    await registry.register({ id: 'a', name, endpoints: [`http://127.0.0.1:${svc.port}`] });
    const f = createDiscoveryFetch({ discovery: registry });
    try {
      expect(await (await f(`discovery:///${name}//127.0.0.1:${other.port}/x?q=1`)).text()).to.equal('svc');
      expect(await (await f(`discovery:///${name}?q=2`)).text()).to.equal('svc');
      expect(hits).to.deep.equal([`svc //127.0.0.1:${other.port}/x?q=1`, 'svc /?q=2']);
    } finally {
      await f.close();
      await registry.close();
      svc.server.close();
      other.server.close();
    }
  });
});

describe('fetch helper after close()', () => {
  // Review finding 12: nothing marked the fetch closed, so a late call (a request racing
  // shutdown) opened a new selector and its watcher, which nothing would ever stop.
  it('refuses calls with E_DISCOVERY_CLOSED and leaves no watcher running', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('http');
    await registry.register({ id: 'a', name, endpoints: ['http://127.0.0.1:1'] });
    const { discovery, live: watching } = countingDiscovery(registry);
    const f = createDiscoveryFetch({ discovery });
    await f.selector(name);
    await f.close();
    expect(watching()).to.equal(0);
    const late = await Promise.allSettled([f.selector(name), f(`discovery:///${name}/x`)]);
    for (const r of late) expect(r.status === 'rejected' && (r.reason as DiscoveryError).code).to.equal('E_DISCOVERY_CLOSED');
    expect(watching(), 'watchers opened after close() and never stopped').to.equal(0);
    await f.close(); // idempotent
    await registry.close();
  });
});

describe('fetch helper: a target with two slashes', () => {
  // #32: discovery://greeter/hello reads 'greeter' as the authority and 'hello' as the service.
  it('discovery://greeter/hello fails naming discovery:///greeter/hello', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('http');
    await registry.register({ id: 'a', name, endpoints: ['http://127.0.0.1:1'] });
    const f = createDiscoveryFetch({ discovery: registry });
    try {
      const err = (await f(`discovery://${name}/hello`).then(
        () => expect.fail('expected a rejection'),
        (e: unknown) => e,
      )) as DiscoveryError;
      expect(err).to.be.instanceOf(DiscoveryError);
      expect(err.message).to.include(`did you mean discovery:///${name}/hello?`);
      expect(err.message).to.include(`'${name}' is the authority`);
    } finally {
      await f.close();
      await registry.close();
    }
  });
});

describe('grpc-js resolver against two real gRPC servers', function () {
  this.timeout(20_000);

  const definition = greeterDefinition;

  async function grpcServer(label: string): Promise<{ server: grpc.Server; port: number }> {
    const server = new grpc.Server();
    server.addService(definition, {
      sayHello: (_call: unknown, cb: (err: null, res: Buffer) => void) => cb(null, Buffer.from(label)),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return { server, port };
  }

  // #32: with grpc-js's own policies, a failing call ended "… Resolution note: " with nothing after it.
  it('a call that cannot connect, under round_robin, ends with a resolution note that says something', async () => {
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('grpc');
    await registry.register({ id: 'dead', name, endpoints: ['grpc://127.0.0.1:1'] });
    registerDiscoveryResolver(registry);
    const Client = grpc.makeGenericClientConstructor(definition, 'Greeter');
    const client = new Client(
      `discovery:///${name}`,
      grpc.credentials.createInsecure(),
      discoveryChannelOptions({ discovery: registry, loadBalancing: 'round_robin' }),
    ) as unknown as {
      sayHello(req: Buffer, cb: (err: (Error & { details?: string }) | null, res: Buffer) => void): void;
      close(): void;
    };
    try {
      const err = await new Promise<Error & { details?: string }>((resolve) => client.sayHello(Buffer.from('hi'), (e) => resolve(e!)));
      expect(err.details).to.match(/Resolution note: \S/, String(err.details));
      expect(err.details).to.include(`discovery:///${name}: 1 endpoint`);
    } finally {
      client.close();
      await registry.close();
    }
  });

  it('load-balances discovery:///name over live instances and follows a deregistration', async () => {
    const a = await grpcServer('A');
    const b = await grpcServer('B');
    const registry = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName('grpc');
    const instA = { id: 'a', name, endpoints: [`grpc://127.0.0.1:${a.port}`] };
    await registry.register(instA);
    await registry.register({ id: 'b', name, endpoints: [`http://127.0.0.1:1`, `grpc://127.0.0.1:${b.port}`] });
    registerDiscoveryResolver(registry);
    const Client = grpc.makeGenericClientConstructor(definition, 'Greeter');
    const client = new Client(`discovery:///${name}`, grpc.credentials.createInsecure()) as unknown as {
      sayHello(req: Buffer, cb: (err: Error | null, res: Buffer) => void): void;
      close(): void;
    };
    const call = (): Promise<string> =>
      new Promise((resolve, reject) => client.sayHello(Buffer.from('hi'), (err, res) => (err ? reject(err) : resolve(res.toString()))));
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await call());
    expect([...seen].sort()).to.deep.equal(['A', 'B']);
    await registry.deregister(instA);
    // The resolver hears about it asynchronously; after that, every call goes to B.
    const deadline = Date.now() + 5000;
    let streak = 0;
    while (streak < 10 && Date.now() < deadline) streak = (await call()) === 'B' ? streak + 1 : 0;
    expect(streak).to.equal(10, 'ten calls in a row reach B once A deregistered');
    client.close();
    await registry.close();
    a.server.forceShutdown();
    b.server.forceShutdown();
  });
});
