/**
 * The kratos interop matrix, run on each backend against a real server: go-kratos's own
 * registry code (test/support/servers/kratos.ts runs it) on one side, plugboard on the other,
 * both ways. Each backend's test file supplies the server and what differs (how kratos reads
 * an empty metadata map back, whether its watcher ever delivers an empty list, what closing
 * its client does); the cases are the same everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import fc from 'fast-check';
import { createRegistry, type Registry, type ServiceInstance } from '../../src/discovery/index.js';
import { nextWithin, uniqueName, until } from '../../src/testing/index.js';
import { KratosError, KratosHelper, type KratosInstance, type KratosNext, type KratosOptions } from '../support/servers/kratos.js';

export interface KratosInteropSetup {
  backend: KratosOptions['backend'];
  /** The plugboard URL of the server (scheme, authority, path), without a query. */
  url(): string;
  /** The query giving plugboard a short TTL or session (`ttl=2`): a crash shows within seconds. */
  shortLived: string;
  /** How kratos is pointed at the server. */
  kratos(): KratosOptions;
  /** The kratos options giving it a short TTL or session. */
  kratosShortLived: Partial<KratosOptions>;
  /** What kratos's GetService and Next return for a plugboard instance. */
  kratosReads(i: ServiceInstance): KratosInstance;
  /** Puts what kratos returned in a comparable form (Consul: kratos lists endpoints in Go's random map order). */
  kratosView?(k: KratosInstance): KratosInstance;
  /**
   * What the server holds for the instance `name`/`id` (the etcd value, the ZooKeeper leaf, the
   * agent's service definition), to compare what kratos and plugboard store for one instance.
   */
  stored(name: string, id: string): Promise<unknown>;
  /** What kratos's GetService and its watcher's first Next() give for a service never registered. */
  kratosOfUnknown: { get: KratosNext; firstNext?: KratosNext };
  /** Whether kratos's watcher delivers the empty list after the last instance left (Consul's never does). */
  kratosSeesEmpty: boolean;
  /** What closing kratos's client does to its instances: gone at once (a session), after the TTL (a lease), or nothing. */
  kratosClose: 'at once' | 'after the TTL' | 'nothing';
}

const quiet = { warn: () => undefined };

/** What plugboard reads of a kratos instance: a nil map or slice is empty, nothing else changes. */
export const plugboardReads = (k: KratosInstance): ServiceInstance => ({
  id: k.id,
  name: k.name,
  version: k.version,
  metadata: k.metadata ?? {},
  endpoints: k.endpoints ?? [],
});

/**
 * What kratos reads of a plugboard instance on etcd and ZooKeeper (the instance JSON):
 * plugboard writes empty metadata as `null`, as Go writes a nil map, so kratos gets a nil map.
 */
export const kratosReadsJson = (i: ServiceInstance): KratosInstance => ({
  ...i,
  metadata: Object.keys(i.metadata).length === 0 ? null : i.metadata,
});

const byId = <T extends { id: string }>(l: readonly T[]): T[] => [...l].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const idsOf = (l: ReadonlyArray<{ id: string }>): string[] => l.map((i) => i.id).sort();
const sameIds = (want: readonly string[]) => (l: ReadonlyArray<{ id: string }>) => JSON.stringify(idsOf(l)) === JSON.stringify([...want].sort());

/** kratos instances with everything Go writes specially: HTML escapes, unicode, nil and empty maps, no endpoints. */
export function kratosInstances(name: string): KratosInstance[] {
  return [
    {
      id: 'k-escapes',
      name,
      version: 'v1.2.0',
      metadata: { note: 'a<b>&c "q" \\ / \u2028\u2029', zone: 'zürich ✓ 東京 😀', blank: '' },
      endpoints: ['grpc://127.0.0.1:9000?isSecure=false', 'http://127.0.0.1:8000/x?a=1&b=<2>'],
    },
    { id: 'k-nil-metadata', name, version: 'v1', metadata: null, endpoints: ['grpc://127.0.0.1:9001?isSecure=false'] },
    { id: 'k-empty-metadata', name, version: '', metadata: {}, endpoints: ['http://127.0.0.1:8002'] },
    { id: 'k-no-endpoints', name, version: 'v3', metadata: { role: 'worker' }, endpoints: null },
  ];
}

/** plugboard instances of the same kinds. */
export function plugboardInstances(name: string): ServiceInstance[] {
  return [
    {
      id: 'p-escapes',
      name,
      version: 'v2.0.1',
      metadata: { note: 'x<y>&z \u2028\u2029', zone: 'zürich ✓ 東京 😀' },
      endpoints: ['grpc://127.0.0.1:9100?isSecure=false', 'http://127.0.0.1:8100/p?q=1&r=2'],
    },
    { id: 'p-empty-metadata', name, version: 'v1', metadata: {}, endpoints: ['http://127.0.0.1:8101'] },
    { id: 'p-no-endpoints', name, version: 'v3', metadata: { role: 'worker' }, endpoints: [] },
  ];
}

/** plugboard in a child process of its own, so that it can be SIGKILLed: registers one instance, then idles. */
class PlugboardChild {
  private constructor(private readonly proc: ChildProcess) {}

  static async start(backend: string, url: string, ins: ServiceInstance): Promise<PlugboardChild> {
    const index = new URL('../../src/discovery/index.js', import.meta.url).href;
    const mod = new URL(`../../src/discovery/${backend}/index.js`, import.meta.url).href;
    const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD, index, mod, url, JSON.stringify(ins)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const line = await new Promise<string>((resolve) => {
      createInterface({ input: proc.stdout }).once('line', resolve);
      proc.once('exit', () => resolve(''));
    });
    if (line !== 'registered') throw new Error(`the plugboard child did not register: ${err.trim()}`);
    return new PlugboardChild(proc);
  }

  kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    return exited;
  }
}

const CHILD = `
const [index, mod, url, ins] = process.argv.slice(1);
const { createRegistry } = await import(index);
await import(mod);
const r = await createRegistry(url, { logger: { warn() {} } });
await r.register(JSON.parse(ins));
process.stdout.write('registered\\n');
setInterval(() => {}, 1 << 30);
`;

/** The matrix, inside the backend's describe (whose before() started the server). */
export function kratosInterop(setup: KratosInteropSetup): void {
  const view = (l: readonly KratosInstance[]): KratosInstance[] => byId(l.map((k) => setup.kratosView?.(k) ?? k));
  const helpers: KratosHelper[] = [];
  const registries: Registry[] = [];
  const children: PlugboardChild[] = [];

  const kratos = async (extra: Partial<KratosOptions> = {}): Promise<KratosHelper> => {
    const h = await KratosHelper.start({ ...setup.kratos(), ...extra });
    helpers.push(h);
    return h;
  };
  const plugboard = async (query = ''): Promise<Registry> => {
    await import(`../../src/discovery/${setup.backend}/index.js`);
    const r = await createRegistry(`${setup.url()}${query === '' ? '' : `?${query}`}`, { logger: quiet });
    registries.push(r);
    return r;
  };

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(helpers.splice(0).map((h) => h.destroy()));
  });

  it('a kratos service’s instances (escapes, unicode, nil and empty metadata, no endpoints) are read by plugboard field for field, by getService and watch', async () => {
    const name = uniqueName('kratos');
    const r = await plugboard();
    const w = await r.watch(name);
    expect(await nextWithin(w, 10_000)).to.deep.equal([]);
    const k = await kratos();
    const written = kratosInstances(name);
    for (const i of written) await k.register(i);
    const want = byId(written.map(plugboardReads));
    expect(byId(await until(w, (l) => l.length === written.length, 15_000, 'the kratos instances'))).to.deep.equal(want);
    expect(byId(await r.getService(name))).to.deep.equal(want);
    w.stop();
  });

  it('what kratos reads of a service never registered (plugboard: the empty list)', async () => {
    const name = uniqueName('kratos');
    const r = await plugboard();
    expect(await r.getService(name)).to.deep.equal([]);
    const k = await kratos();
    const got = await k.getService(name).then(
      (instances): KratosNext => ({ instances }),
      (e: unknown): KratosNext => {
        if (!(e instanceof KratosError)) throw e;
        return { error: e.kratos.replaceAll(name, '<name>') };
      },
    );
    expect(got).to.deep.equal(setup.kratosOfUnknown.get);
    if (setup.kratosOfUnknown.firstNext !== undefined) {
      const kw = await k.watch(name);
      expect(await kw.next()).to.deep.equal(setup.kratosOfUnknown.firstNext);
      await kw.stop();
    }
  });

  it('plugboard stores exactly what kratos stores for the same instance', async () => {
    const name = uniqueName('kratos');
    const k = await kratos();
    const r = await plugboard();
    for (const p of plugboardInstances(name)) {
      // the same instance as a kratos app holds it: no metadata is a nil map, no endpoints an empty slice
      const same: KratosInstance = { ...p, metadata: Object.keys(p.metadata).length === 0 ? null : p.metadata };
      await k.register(same);
      const theirs = await setup.stored(name, p.id);
      expect(theirs, `what kratos stored for ${p.id}`).to.not.equal(undefined);
      await k.deregister(same);
      await r.register(p);
      const ours = await setup.stored(name, p.id);
      await r.deregister(p);
      expect(ours, p.id).to.deep.equal(theirs);
    }
  });

  it('a plugboard instance is read by kratos’s GetService and Watcher.Next field for field', async () => {
    const name = uniqueName('kratos');
    const k = await kratos();
    const kw = await k.watch(name);
    const r = await plugboard();
    const written = plugboardInstances(name);
    for (const i of written) await r.register(i);
    const want = byId(written.map((i) => setup.kratosReads(i)));
    expect(view(await kw.until((l) => l.length === written.length, 15_000, 'the plugboard instances'))).to.deep.equal(want);
    expect(view(await k.getService(name))).to.deep.equal(want);
    await kw.stop();
  });

  it('plugboard’s deregister and close() are seen by kratos’s watcher', async () => {
    const name = uniqueName('kratos');
    const k = await kratos();
    // A kratos instance that stays: kratos's Consul watcher never delivers an empty list.
    const anchor: KratosInstance = { id: 'k-anchor', name, version: 'v1', metadata: null, endpoints: ['http://127.0.0.1:8200'] };
    await k.register(anchor);
    const kw = await k.watch(name);
    const r = await plugboard();
    const [p1, p2] = plugboardInstances(name);
    await r.register(p1!);
    await r.register(p2!);
    await kw.until(sameIds(['k-anchor', p1!.id, p2!.id]), 15_000, 'both plugboard instances');
    await r.deregister(p1!);
    await kw.until(sameIds(['k-anchor', p2!.id]), 15_000, 'the deregistration');
    await r.close();
    await kw.until(sameIds(['k-anchor']), 15_000, 'the instances of the closed registry gone');
    expect(idsOf(await k.getService(name))).to.deep.equal(['k-anchor']);
    if (setup.kratosSeesEmpty) {
      await k.deregister(anchor);
      expect(await kw.until((l) => l.length === 0, 15_000, 'the empty list')).to.deep.equal([]);
    }
    await kw.stop();
  });

  const closing = {
    'at once': 'closing kratos’s client (its session) removes its instances at once',
    'after the TTL': 'closing kratos’s client removes its instances when their leases expire',
    nothing: 'kratos’s registry has no client to close (its app deregisters)',
  }[setup.kratosClose];
  it(`kratos’s Deregister is seen by plugboard’s watcher; ${closing}`, async () => {
    const name = uniqueName('kratos');
    const r = await plugboard();
    const w = await r.watch(name);
    const k = await kratos(setup.kratosShortLived);
    const [k1, k2] = kratosInstances(name);
    await k.register(k1!);
    await k.register(k2!);
    await until(w, (l) => l.length === 2, 15_000, 'both kratos instances');
    await k.deregister(k1!);
    expect(await until(w, (l) => l.length === 1, 15_000, 'the deregistration')).to.deep.equal([plugboardReads(k2!)]);
    await k.closeClient();
    if (setup.kratosClose === 'nothing') {
      // kratos's Consul registry has no client to close; its app deregisters on stop.
      await k.deregister(k2!);
    }
    expect(await until(w, (l) => l.length === 0, 20_000, 'the closed client’s instance gone')).to.deep.equal([]);
    w.stop();
  });

  it('a SIGKILLed kratos disappears from plugboard after its TTL or session', async () => {
    const name = uniqueName('kratos');
    const r = await plugboard();
    const w = await r.watch(name);
    const k = await kratos(setup.kratosShortLived);
    const [k1] = kratosInstances(name);
    await k.register(k1!);
    await until(w, (l) => l.length === 1, 15_000, 'the kratos instance');
    await k.kill();
    expect(await until(w, (l) => l.length === 0, 20_000, 'the killed kratos gone')).to.deep.equal([]);
    w.stop();
  });

  it('a SIGKILLed plugboard disappears from kratos after its TTL or session', async () => {
    const name = uniqueName('kratos');
    const k = await kratos();
    const anchor: KratosInstance = { id: 'k-anchor', name, version: 'v1', metadata: null, endpoints: ['http://127.0.0.1:8200'] };
    await k.register(anchor);
    const kw = await k.watch(name);
    const [p1] = plugboardInstances(name);
    const child = await PlugboardChild.start(setup.backend, `${setup.url()}?${setup.shortLived}`, p1!);
    children.push(child);
    await kw.until(sameIds(['k-anchor', p1!.id]), 15_000, 'the plugboard instance');
    await child.kill();
    await kw.until(sameIds(['k-anchor']), 20_000, 'the killed plugboard gone');
    await kw.stop();
  });

  it('both sides watching one service while instances churn on both sides converge to the same lists', async function () {
    this.timeout(180_000);
    const k = await kratos();
    const r = await plugboard();
    // Each step toggles instances (registered ones leave, others join); the two sides run their
    // toggles at once, and after each step both watchers must list exactly the model's ids.
    const step = fc.array(fc.record({ side: fc.constantFrom('kratos' as const, 'plugboard' as const), n: fc.integer({ min: 0, max: 3 }) }), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 3 }), async (steps) => {
        const name = uniqueName('churn');
        // kratos's Consul watcher never delivers an empty list: a kratos instance stays throughout
        const anchor: KratosInstance = { id: 'k-anchor', name, version: 'v1', metadata: null, endpoints: ['http://127.0.0.1:8200'] };
        await k.register(anchor);
        const kw = await k.watch(name);
        const w = await r.watch(name);
        const live = new Set<string>(['k-anchor']);
        try {
          for (const toggles of steps) {
            const run = (side: 'kratos' | 'plugboard'): Promise<void> =>
              toggles
                .filter((t) => t.side === side)
                .reduce(async (prev, t) => {
                  await prev;
                  const id = `${side[0]}-${t.n}`;
                  const ins = { id, name, version: 'v1', metadata: { side }, endpoints: [`http://127.0.0.1:${8300 + t.n}`] };
                  const leaving = live.has(id);
                  if (leaving) live.delete(id);
                  else live.add(id);
                  if (side === 'kratos') await (leaving ? k.deregister(ins) : k.register(ins));
                  else await (leaving ? r.deregister(ins) : r.register(ins));
                }, Promise.resolve());
            await Promise.all([run('kratos'), run('plugboard')]);
            const want = [...live];
            const [pl, kl] = await Promise.all([
              until(w, sameIds(want), 20_000, `plugboard at ${JSON.stringify(want.sort())}`),
              kw.until(sameIds(want), 20_000, `kratos at ${JSON.stringify(want.sort())}`),
            ]);
            // field for field: each side's instances as the other side reads them
            const seenByKratos = new Map(view(kl).map((i) => [i.id, i]));
            for (const p of pl) {
              const seen = seenByKratos.get(p.id)!;
              if (p.id.startsWith('p-')) expect(seen).to.deep.equal(setup.kratosReads(p));
              else expect(p).to.deep.equal(plugboardReads(seen));
            }
          }
        } finally {
          w.stop();
          await kw.stop();
          for (const id of live) {
            const ins = { id, name, version: 'v1', metadata: null, endpoints: [] };
            await (id.startsWith('k-') ? k.deregister(ins) : r.deregister({ ...ins, metadata: {} })).catch(() => undefined);
          }
        }
      }),
      { numRuns: 3 },
    );
  });
}
