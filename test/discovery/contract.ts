/**
 * The discovery contract, run by every backend's test file:
 *   discoveryContract('memory', async () => ({ client: async () => new MemoryRegistry({ store }) }));
 * A new backend is one folder in src/discovery plus one such call.
 */
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { DiscoveryError, type ServiceInstance, type ServiceRegistry, type Watcher } from '../../src/discovery/index.js';

export interface ContractSetup {
  /** A new client of the shared backend under test (several may be open at once). */
  client(): Promise<ServiceRegistry>;
  /** How long a change may take to reach a watcher (default 5 s). */
  propagationMs?: number;
}

let counter = 0;
/** A service name no other test uses. */
export function uniqueName(prefix = 'svc'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A valid instance of `name`. */
export function instance(name: string, id: string, extra: Partial<ServiceInstance> = {}): ServiceInstance {
  return { id, name, version: 'v1', metadata: {}, endpoints: [`http://127.0.0.1:${10000 + (counter % 50000)}`], ...extra };
}

/** `w.next()`, or a clear failure after `ms`. */
export async function nextWithin(w: Watcher, ms: number, what = 'next()'): Promise<ServiceInstance[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      w.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the watcher until a list satisfies `ok`; returns it. */
export async function until(w: Watcher, ok: (l: ServiceInstance[]) => boolean, ms: number, what: string): Promise<ServiceInstance[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`watcher never showed ${what} within ${ms} ms`);
    const l = await nextWithin(w, left, `waiting for ${what}`);
    if (ok(l)) return l;
  }
}

/** Whether `p` is still pending after `ms`. */
async function pendingAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return !settled;
}

const ids = (l: readonly ServiceInstance[]): string[] => l.map((i) => i.id).sort();

export function discoveryContract(backend: string, setup: () => Promise<ContractSetup> | ContractSetup): void {
  describe(`discovery contract: ${backend}`, function () {
    this.timeout(30_000);
    let s: ContractSetup;
    let clients: ServiceRegistry[];
    let wait: number;
    const client = async (): Promise<ServiceRegistry> => {
      const c = await s.client();
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      s = await setup();
      clients = [];
      wait = s.propagationMs ?? 5000;
    });
    afterEach(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    it('getService of an unknown name returns []', async () => {
      const c = await client();
      expect(await c.getService(uniqueName('unknown'))).to.deep.equal([]);
    });

    it('the first next() returns the current list at once, even when empty', async () => {
      const c = await client();
      const w = await c.watch(uniqueName());
      expect(await nextWithin(w, wait, 'first next()')).to.deep.equal([]);
      w.stop();
    });

    it('the first next() returns instances already registered; getService agrees', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      await reg.register(instance(name, 'a'));
      await reg.register(instance(name, 'b', { metadata: { zone: 'eu' } }));
      const w = await disc.watch(name);
      const first = await until(w, (l) => l.length === 2, wait, 'both instances');
      expect(ids(first)).to.deep.equal(['a', 'b']);
      expect(first.find((i) => i.id === 'b')!.metadata).to.deep.equal({ zone: 'eu' });
      expect(ids(await disc.getService(name))).to.deep.equal(['a', 'b']);
      w.stop();
    });

    it('later next() calls resolve on change with the full list, and deliver [] when the last instance leaves', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      const w = await disc.watch(name);
      expect(await nextWithin(w, wait)).to.deep.equal([]);
      const pending = w.next();
      expect(await pendingAfter(pending, 100)).to.equal(true, 'next() waits for a change');
      await reg.register(instance(name, 'a'));
      let list = await Promise.race([pending, new Promise<never>((_, r) => setTimeout(() => r(new Error('no update after register')), wait))]);
      if (list.length === 0) list = await until(w, (l) => l.length === 1, wait, 'a');
      expect(ids(list)).to.deep.equal(['a']);
      await reg.register(instance(name, 'b'));
      expect(ids(await until(w, (l) => l.length === 2, wait, 'a and b'))).to.deep.equal(['a', 'b']);
      await reg.deregister(instance(name, 'a'));
      expect(ids(await until(w, (l) => l.length === 1, wait, 'only b'))).to.deep.equal(['b']);
      await reg.deregister(instance(name, 'b'));
      expect(await until(w, (l) => l.length === 0, wait, 'the empty list')).to.deep.equal([]);
      w.stop();
    });

    it('coalesces a burst: the latest state wins', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      const w = await disc.watch(name);
      await nextWithin(w, wait);
      for (let i = 0; i < 10; i++) await reg.register(instance(name, `i${i}`));
      for (let i = 0; i < 5; i++) await reg.deregister(instance(name, `i${i}`));
      // Let the backend deliver everything before reading: one next() must give the final state.
      const deadline = Date.now() + wait;
      while ((await disc.getService(name)).length !== 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(ids(await nextWithin(w, wait))).to.deep.equal(['i5', 'i6', 'i7', 'i8', 'i9']);
      expect(await pendingAfter(w.next(), 200)).to.equal(true, 'nothing else is pending after the latest state');
      w.stop();
    });

    it('two watchers of one name are independent', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      const w1 = await disc.watch(name);
      const w2 = await disc.watch(name);
      await nextWithin(w1, wait);
      await nextWithin(w2, wait);
      await reg.register(instance(name, 'a'));
      expect(ids(await until(w1, (l) => l.length === 1, wait, 'a (w1)'))).to.deep.equal(['a']);
      expect(ids(await until(w2, (l) => l.length === 1, wait, 'a (w2)'))).to.deep.equal(['a']);
      w1.stop();
      await reg.register(instance(name, 'b'));
      expect(ids(await until(w2, (l) => l.length === 2, wait, 'a and b (w2)'))).to.deep.equal(['a', 'b']);
      w2.stop();
    });

    it('stop() wakes a pending next() with E_DISCOVERY_STOPPED, ends for-await, and is idempotent', async () => {
      const c = await client();
      const name = uniqueName();
      const w = await c.watch(name);
      await nextWithin(w, wait);
      const pending = w.next();
      setTimeout(() => w.stop(), 20);
      let err: unknown;
      try {
        await pending;
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DiscoveryError);
      expect((err as DiscoveryError).code).to.equal('E_DISCOVERY_STOPPED');
      w.stop();
      expect(w.stopped).to.equal(true);
      await w.next().then(
        () => expect.fail('next() after stop must reject'),
        (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_STOPPED'),
      );
      const w2 = await c.watch(name);
      const seen: number[] = [];
      setTimeout(() => w2.stop(), 50);
      for await (const list of w2) seen.push(list.length);
      expect(seen).to.deep.equal([0]);
    });

    it('an aborted signal ends the watch and leaves no abort listener behind', async () => {
      const c = await client();
      const name = uniqueName();
      const ac = new AbortController();
      const w = await c.watch(name, { signal: ac.signal });
      await nextWithin(w, wait);
      expect(getEventListeners(ac.signal, 'abort')).to.have.length(1);
      const pending = w.next();
      ac.abort();
      await pending.then(
        () => expect.fail('next() must reject after abort'),
        (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_STOPPED'),
      );
      expect(w.stopped).to.equal(true);
      expect(getEventListeners(ac.signal, 'abort')).to.have.length(0);
      const ac2 = new AbortController();
      const w2 = await c.watch(name, { signal: ac2.signal });
      w2.stop();
      expect(getEventListeners(ac2.signal, 'abort')).to.have.length(0, 'stop() removes the abort listener');
      await c.watch(name, { signal: AbortSignal.abort() }).then(
        () => expect.fail('watch with an aborted signal must reject'),
        (e: DiscoveryError) => expect(e.code).to.equal('E_DISCOVERY_ABORTED'),
      );
    });

    it('re-registering an id replaces the instance, and watchers see the new data', async () => {
      const reg = await client();
      const name = uniqueName();
      const w = await reg.watch(name);
      await nextWithin(w, wait);
      await reg.register(instance(name, 'a', { version: 'v1' }));
      await until(w, (l) => l.length === 1 && l[0]!.version === 'v1', wait, 'v1');
      await reg.register(instance(name, 'a', { version: 'v2' }));
      const l = await until(w, (x) => x.length === 1 && x[0]!.version === 'v2', wait, 'v2');
      expect(l).to.have.length(1);
      w.stop();
    });

    it('services() lists the names that have instances', async () => {
      const reg = await client();
      const name = uniqueName('listed');
      expect(await reg.services()).to.not.include(name);
      await reg.register(instance(name, 'a'));
      const deadline = Date.now() + wait;
      while (!(await reg.services()).includes(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const names = await reg.services();
      expect(names).to.include(name);
      expect(names).to.deep.equal([...names].sort());
      await reg.deregister(instance(name, 'a'));
      expect(await reg.services()).to.not.include(name);
    });

    it('rejects invalid instances with E_DISCOVERY_INSTANCE naming the field, and stores nothing', async () => {
      const reg = await client();
      const name = uniqueName();
      const bad: Array<[unknown, string]> = [
        [{ ...instance(name, 'x'), endpoints: ['not a url'] }, 'instance.endpoints[0]'],
        [{ ...instance(name, 'x'), metadata: { weight: 5 } }, 'instance.metadata.weight'],
        [{ ...instance(name, ''), id: '' }, 'instance.id'],
        [{ ...instance('', 'x') }, 'instance.name'],
        [null, 'instance'],
      ];
      for (const [inst, field] of bad) {
        await reg.register(inst as ServiceInstance).then(
          () => expect.fail(`accepted ${JSON.stringify(inst)}`),
          (e: DiscoveryError) => {
            expect(e.code).to.equal('E_DISCOVERY_INSTANCE');
            expect(e.message).to.include(field);
          },
        );
      }
      expect(await reg.getService(name)).to.deep.equal([]);
    });
  });
}
