/**
 * The discovery contract as a test suite, for any backend: plugboard's four run it, and a
 * third-party backend proves the same behaviour with one call,
 *
 *   discoveryContract('nats', () => ({ client: async () => new NatsRegistry(url) }));
 *
 * It needs a BDD runner's `describe`, `it`, `beforeEach` and `afterEach` (mocha, node:test,
 * vitest, jest): the globals by default, or passed in `runner`. Assertions use `node:assert`.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { DiscoveryError } from '../discovery/errors.js';
import type { ServiceInstance } from '../discovery/instance.js';
import type { ServiceRegistry, Watcher } from '../discovery/types.js';
import { bdd, type BddRunner } from './runner.js';
import { eventually, ids, instance, nextWithin, pendingAfter, uniqueName, until } from './helpers.js';
import { checkSilentPartition, checkUnreachableAtStart, type PartitionedClient, type UnreachableClient } from './partition-check.js';

/** What the suite needs from a backend. */
export interface ContractSetup {
  /** A new client of the shared backend under test (several may be open at once). */
  client(): Promise<ServiceRegistry>;
  /** How long a change may take to reach a watcher, in ms (default 5000). */
  propagationMs?: number;
}

/**
 * Clients in trouble, for the fault tests of the contract: given, the suite also checks that a
 * silent partition is noticed within the liveness bound with no stale `getService`, and that
 * a backend that never answered does not leave a watcher hanging.
 */
export interface ContractFaults {
  /** A new client whose connection can be frozen (e.g. through a {@link TcpProxy}); closed by the suite. */
  partitioned(): Promise<PartitionedClient>;
  /** A new client of a backend that does not answer (a closed port, a frozen proxy); closed by the suite. */
  unreachable(): Promise<UnreachableClient>;
}

/** Options of {@link discoveryContract}. */
export interface ContractOptions {
  /** The BDD functions; the runner's globals by default. */
  runner?: BddRunner;
  /** Adds the fault tests (see {@link ContractFaults}). */
  faults?: ContractFaults;
}

/** Registers the discovery contract suite for `backend`. See the module comment. */
export function discoveryContract(backend: string, setup: () => Promise<ContractSetup> | ContractSetup, options?: BddRunner | ContractOptions): void {
  const o: ContractOptions = options === undefined ? {} : 'describe' in options ? { runner: options } : options;
  const { describe, it, beforeEach, afterEach } = bdd(o.runner);
  describe(`discovery contract: ${backend}`, function (this: { timeout?(ms: number): void }) {
    this.timeout?.(30_000);
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
      assert.deepEqual(await c.getService(uniqueName('unknown')), []);
    });

    it('the first next() returns the current list at once, even when empty', async () => {
      const c = await client();
      const w = await c.watch(uniqueName());
      assert.deepEqual(await nextWithin(w, wait, 'first next()'), []);
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
      assert.deepEqual(ids(first), ['a', 'b']);
      assert.deepEqual(first.find((i) => i.id === 'b')!.metadata, { zone: 'eu' });
      assert.deepEqual(ids(await disc.getService(name)), ['a', 'b']);
      w.stop();
    });

    it('later next() calls resolve on change with the full list, and deliver [] when the last instance leaves', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      const w = await disc.watch(name);
      assert.deepEqual(await nextWithin(w, wait), []);
      const pending = w.next();
      assert.equal(await pendingAfter(pending, 100), true, 'next() waits for a change');
      await reg.register(instance(name, 'a'));
      let list = await Promise.race([pending, new Promise<never>((_, r) => setTimeout(() => r(new Error('no update after register')), wait).unref())]);
      if (list.length === 0) list = await until(w, (l) => l.length === 1, wait, 'a');
      assert.deepEqual(ids(list), ['a']);
      await reg.register(instance(name, 'b'));
      assert.deepEqual(ids(await until(w, (l) => l.length === 2, wait, 'a and b')), ['a', 'b']);
      await reg.deregister(instance(name, 'a'));
      assert.deepEqual(ids(await until(w, (l) => l.length === 1, wait, 'only b')), ['b']);
      await reg.deregister(instance(name, 'b'));
      assert.deepEqual(await until(w, (l) => l.length === 0, wait, 'the empty list'), []);
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
      const final = ['i5', 'i6', 'i7', 'i8', 'i9'];
      // A watched name's getService is what the watcher would deliver next: once it shows the
      // final state, one next() must return exactly that.
      await eventually(async () => ids(await disc.getService(name)).join() === final.join(), wait, 'the final state at the watching client');
      assert.deepEqual(ids(await nextWithin(w, wait)), final);
      assert.equal(await pendingAfter(w.next(), 200), true, 'nothing else is pending after the latest state');
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
      assert.deepEqual(ids(await until(w1, (l) => l.length === 1, wait, 'a (w1)')), ['a']);
      assert.deepEqual(ids(await until(w2, (l) => l.length === 1, wait, 'a (w2)')), ['a']);
      w1.stop();
      await reg.register(instance(name, 'b'));
      assert.deepEqual(ids(await until(w2, (l) => l.length === 2, wait, 'a and b (w2)')), ['a', 'b']);
      w2.stop();
    });

    it('stop() wakes a pending next() with E_DISCOVERY_STOPPED, ends for-await, and is idempotent', async () => {
      const c = await client();
      const name = uniqueName();
      const w = await c.watch(name);
      await nextWithin(w, wait);
      const pending = w.next();
      queueMicrotask(() => w.stop());
      await assert.rejects(pending, (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_STOPPED');
      w.stop();
      assert.equal(w.stopped, true);
      await assert.rejects(w.next(), (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_STOPPED');
      const w2 = await c.watch(name);
      const seen: number[] = [];
      for await (const list of w2) {
        seen.push(list.length);
        w2.stop();
      }
      assert.deepEqual(seen, [0]);
    });

    it('an aborted signal ends the watch and leaves no abort listener behind', async () => {
      const c = await client();
      const name = uniqueName();
      const ac = new AbortController();
      const w = await c.watch(name, { signal: ac.signal });
      await nextWithin(w, wait);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      const pending = w.next();
      ac.abort();
      await assert.rejects(pending, (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_STOPPED');
      assert.equal(w.stopped, true);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      const ac2 = new AbortController();
      const w2 = await c.watch(name, { signal: ac2.signal });
      w2.stop();
      assert.equal(getEventListeners(ac2.signal, 'abort').length, 0, 'stop() removes the abort listener');
      await assert.rejects(c.watch(name, { signal: AbortSignal.abort() }), (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_ABORTED');
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
      assert.equal(l.length, 1);
      w.stop();
    });

    it('services() lists the names that have instances', async () => {
      const reg = await client();
      const name = uniqueName('listed');
      assert.ok(!(await reg.services()).includes(name));
      await reg.register(instance(name, 'a'));
      await eventually(async () => (await reg.services()).includes(name), wait, `services() listing ${name}`);
      const names = await reg.services();
      assert.deepEqual(names, [...names].sort());
      await reg.deregister(instance(name, 'a'));
      assert.ok(!(await reg.services()).includes(name));
    });

    it('rejects invalid instances and names with E_DISCOVERY_INSTANCE naming the field, and stores nothing', async () => {
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
        await assert.rejects(
          reg.register(inst as ServiceInstance),
          (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_INSTANCE' && e.message.includes(field),
          `register(${JSON.stringify(inst)})`,
        );
      }
      // Reads accept any name kratos could have written, except what breaks the layout.
      for (const n of ['', 'ghost/child', 'a'.repeat(1025)]) {
        await assert.rejects(reg.watch(n), (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_INSTANCE', `watch(${JSON.stringify(n)})`);
        await assert.rejects(
          reg.getService(n),
          (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_INSTANCE',
          `getService(${JSON.stringify(n)})`,
        );
      }
      assert.deepEqual(await reg.getService(name), []);
      assert.ok(!(await reg.services()).includes('ghost'), 'watching an invalid name created nothing');
    });

    it('a watched name’s getService agrees with its watcher', async () => {
      const reg = await client();
      const disc = await client();
      const name = uniqueName();
      const w = await disc.watch(name);
      await nextWithin(w, wait);
      await reg.register(instance(name, 'a'));
      const seen = await until(w, (l) => l.length === 1, wait, 'a');
      assert.deepEqual(await disc.getService(name), seen);
      w.stop();
    });

    it('deregister resolves once the instance is gone; concurrent calls on one id: the latest wins', async () => {
      const reg = await client();
      const other = await client();
      const name = uniqueName();
      await reg.register(instance(name, 'a'));
      await reg.deregister(instance(name, 'a'));
      assert.deepEqual(await other.getService(name), [], 'gone once deregister resolved');
      const calls = [
        reg.register(instance(name, 'b', { version: 'v1' })),
        reg.register(instance(name, 'b', { version: 'v2' })),
        reg.deregister(instance(name, 'b')),
        reg.register(instance(name, 'b', { version: 'v3' })),
      ];
      await Promise.all(calls);
      assert.deepEqual(
        (await other.getService(name)).map((i) => `${i.id}@${i.version}`),
        ['b@v3'],
      );
    });

    it('a register cut short by its signal leaves no trace', async () => {
      const reg = await client();
      const other = await client();
      const name = uniqueName();
      await assert.rejects(
        reg.register(instance(name, 'early'), { signal: AbortSignal.abort() }),
        (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_ABORTED',
      );
      const ac = new AbortController();
      const late = reg.register(instance(name, 'late'), { signal: ac.signal });
      ac.abort(); // the write may already be on its way: it must be taken back
      await late.then(
        () => undefined, // it may have landed first; then it is a normal registration
        (e: unknown) => assert.ok(e instanceof DiscoveryError && e.code === 'E_DISCOVERY_ABORTED'),
      );
      const landed = await late.then(
        () => true,
        () => false,
      );
      await reg.register(instance(name, 'marker')); // a later call on the same client, after the withdrawal
      await eventually(
        async () => ids(await other.getService(name)).join() === (landed ? 'late,marker' : 'marker'),
        wait,
        'the store without the withdrawn instance',
      );
    });

    it('close() removes this client’s instances, refuses later calls with E_DISCOVERY_CLOSED, and may be called twice', async () => {
      const reg = await s.client();
      const other = await client();
      const name = uniqueName();
      await reg.register(instance(name, 'a'));
      const w = await reg.watch(name);
      await reg.close();
      await reg.close();
      assert.equal(w.stopped, true, 'close() stops the watchers');
      await eventually(async () => (await other.getService(name)).length === 0, wait, 'the closed client’s instance gone');
      await assert.rejects(reg.register(instance(name, 'b')), (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_CLOSED');
      await assert.rejects(reg.watch(name), (e: unknown) => e instanceof DiscoveryError && e.code === 'E_DISCOVERY_CLOSED');
    });

    const faults = o.faults;
    if (faults !== undefined) {
      it('a silent partition: health turns false within livenessTimeout, and getService serves no stale list past it', async () => {
        const p = await faults.partitioned();
        clients.push(p.client);
        await checkSilentPartition(p, await client(), wait);
      });

      it('a backend that never answered: the watcher is unhealthy from the start and its first next() settles within the timeout', async () => {
        const u = await faults.unreachable();
        clients.push(u.client);
        await checkUnreachableAtStart(u);
      });
    }
  });
}

export type { Watcher };
