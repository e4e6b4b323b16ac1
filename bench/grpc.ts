/**
 * gRPC benchmark: a unary call through the plugboard_selector policy against grpc-js's own
 * round_robin, on the same two local servers and the same discovery resolver (target ≤ 1.1×).
 */
import * as grpc from '@grpc/grpc-js';
import { discoveryChannelOptions, registerDiscoveryResolver, type DiscoveryChannelConfig } from '../src/discovery/client/grpc.js';
import { MemoryRegistry, MemoryStore } from '../src/discovery/index.js';
import { greeterDefinition } from '../test/support/grpc-greeter.js';
import { table, target } from './harness.js';

const definition = greeterDefinition;

interface Greeter {
  sayHello(req: Buffer, cb: (err: Error | null, res: Buffer) => void): void;
  close(): void;
}

export async function grpcBench(): Promise<string[]> {
  registerDiscoveryResolver();
  const registry = new MemoryRegistry({ store: new MemoryStore() });
  const servers: grpc.Server[] = [];
  for (const id of ['a', 'b']) {
    const server = new grpc.Server();
    server.addService(definition, { sayHello: (_call: unknown, cb: (err: null, res: Buffer) => void) => cb(null, Buffer.from(id)) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    servers.push(server);
    await registry.register({ id, name: 'bench-greeter', endpoints: [`grpc://127.0.0.1:${port}`] });
  }
  const Client = grpc.makeGenericClientConstructor(definition, 'Greeter');
  const client = (config: Omit<DiscoveryChannelConfig, 'discovery'>): Greeter =>
    new Client(
      'discovery:///bench-greeter',
      grpc.credentials.createInsecure(),
      discoveryChannelOptions({ discovery: registry, ...config }),
    ) as unknown as Greeter;
  const clients: Record<string, Greeter> = {
    'plugboard_selector, round-robin': client({ balancer: 'round-robin' }),
    'plugboard_selector, p2c': client({ balancer: 'p2c' }),
    'grpc-js round_robin': client({ loadBalancing: 'round_robin' }),
  };
  const call = (c: Greeter): Promise<Buffer> =>
    new Promise((resolve, reject) => c.sayHello(Buffer.from('hi'), (err, res) => (err ? reject(err) : resolve(res))));
  // Connect every channel to both servers before measuring.
  for (const c of Object.values(clients)) for (let i = 0; i < 50; i++) await call(c);
  // The machine is shared and grpc-js's call path warms up slowly, so the cases are interleaved:
  // rounds of 300 calls each, the order rotating every round; the median round counts.
  const CALLS = 300;
  const ROUNDS = 21;
  const names = Object.keys(clients);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = -2; r < ROUNDS; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(r, 0)) % names.length]!;
      const c = clients[name]!;
      const t0 = performance.now();
      for (let i = 0; i < CALLS; i++) await call(c);
      if (r >= 0) samples.get(name)!.push(((performance.now() - t0) * 1e6) / CALLS);
    }
  }
  const results = new Map(names.map((n) => [n, median(samples.get(n)!)] as const));
  const out = [
    table(
      'A unary gRPC call, two local servers, one call at a time (same resolver; the policy differs; median of 21 interleaved rounds of 300 calls)',
      results,
      'grpc-js round_robin',
    ),
  ];
  const base = results.get('grpc-js round_robin')!;
  out.push(target('plugboard_selector (round-robin) vs grpc-js round_robin', results.get('plugboard_selector, round-robin')! / base, '<=', 1.1));
  out.push(target('plugboard_selector (p2c) vs grpc-js round_robin', results.get('plugboard_selector, p2c')! / base, '<=', 1.1));
  for (const c of Object.values(clients)) c.close();
  for (const s of servers) s.forceShutdown();
  await registry.close();
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
