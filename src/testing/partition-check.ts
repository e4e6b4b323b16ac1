/**
 * The checks of a watch under a silent partition and of a backend that never answers, shared by
 * the contract suite (`ContractFaults`), the interleaving checker's `freeze` fault and
 * plugboard's own regression tests. Each check waits on events or polls against a deadline
 * derived from the registry's bounds; none sleeps in place of a wait.
 */
import assert from 'node:assert/strict';
import { DiscoveryError } from '../discovery/errors.js';
import type { ServiceInstance } from '../discovery/instance.js';
import type { ServiceRegistry } from '../discovery/types.js';
import { ids, instance, nextWithin, uniqueName, until } from './helpers.js';

/** A client whose connection alone can be frozen (a silent partition), e.g. through a {@link TcpProxy}. */
export interface PartitionedClient {
  /** The client under test: every connection of it goes through the partition. */
  client: ServiceRegistry;
  /** Its `livenessTimeout`, in ms (give it a short one, 1–2 s, to keep the test fast). */
  livenessMs: number;
  /** Stops forwarding in both directions, closing nothing. */
  freeze(): Promise<void>;
  /** Forwards again. */
  restore(): Promise<void>;
}

/** A client of a backend that does not answer at all (a closed port, a black hole). */
export interface UnreachableClient {
  client: ServiceRegistry;
  /** Its `timeout`, in ms: the first `next()` settles within it. */
  timeoutMs: number;
}

/** Scheduling slack on top of a bound: timers of a busy (shared, 2-core) machine fire late. */
export const SLACK_MS = 1000;

/** One `getService` asked while frozen: when it was answered, and what. */
interface Answer {
  at: number;
  list?: ServiceInstance[];
}

/**
 * Through a silent partition: a watched list that changes in the store meanwhile must not be
 * served from the mirror past the liveness bound, and the watcher's health must turn false
 * within it; after the partition heals, the watcher converges and is healthy again.
 * `other` is a client with its own path to the store, which makes the change.
 */
export async function checkSilentPartition(p: PartitionedClient, other: ServiceRegistry, propagationMs: number): Promise<void> {
  const name = uniqueName('frozen');
  await other.register(instance(name, 'a'));
  await other.register(instance(name, 'b'));
  const w = await p.client.watch(name);
  await until(w, (l) => l.length === 2, propagationMs, 'a and b before the partition');
  assert.deepEqual(ids(await p.client.getService(name)), ['a', 'b']);
  await p.freeze();
  const frozenAt = Date.now();
  await other.deregister(instance(name, 'a')); // the store moves on; the frozen client cannot know
  const bound = frozenAt + p.livenessMs + SLACK_MS;
  const answers: Answer[] = [];
  const asked: Array<Promise<void>> = [];
  let unhealthyAt: number | undefined;
  // Ask every 100 ms until past the bound; each answer is timed when it arrives.
  for (let t = Date.now(); t < bound + 500; t = Date.now()) {
    if (unhealthyAt === undefined && !w.health.healthy) unhealthyAt = t;
    asked.push(
      p.client.getService(name).then(
        (list) => void answers.push({ at: Date.now(), list }),
        () => void answers.push({ at: Date.now() }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.notEqual(unhealthyAt, undefined, `health stayed true for ${p.livenessMs + SLACK_MS} ms of silence (livenessTimeout ${p.livenessMs} ms)`);
  assert.ok(unhealthyAt! <= bound, `health turned false ${unhealthyAt! - frozenAt} ms into the partition, past the liveness bound`);
  assert.equal(w.health.error instanceof DiscoveryError, true, 'the health error is a coded DiscoveryError');
  const stale = answers.filter((a) => a.list !== undefined && a.at > bound && ids(a.list).includes('a'));
  assert.deepEqual(
    stale.map((a) => `${a.at - frozenAt} ms: ${ids(a.list!).join()}`),
    [],
    `getService answered the pre-partition list past the liveness bound (${p.livenessMs} ms)`,
  );
  await p.restore();
  await Promise.all(asked);
  assert.deepEqual(ids(await until(w, (l) => ids(l).join() === 'b', propagationMs + p.livenessMs * 3, 'b alone after the partition')), ['b']);
  const healed = Date.now() + propagationMs + p.livenessMs * 3;
  while (!w.health.healthy && Date.now() < healed) await new Promise((r) => setTimeout(r, 50));
  assert.equal(w.health.healthy, true, 'healthy again once the partition healed');
  assert.deepEqual(ids(await p.client.getService(name)), ['b']);
  w.stop();
  await other.deregister(instance(name, 'b'));
}

/**
 * A backend that never answered: a new watcher is unhealthy from the start, and its first
 * `next()` settles within the registry's timeout with a coded error (it does not hang).
 */
export async function checkUnreachableAtStart(u: UnreachableClient): Promise<void> {
  const w = await u.client.watch(uniqueName('unreachable'));
  assert.equal(w.health.healthy, false, 'a watch whose backend has never answered is not healthy');
  const started = Date.now();
  const first = await nextWithin(w, u.timeoutMs + SLACK_MS * 2, 'the first next() of an unreachable backend').then(
    (list) => ({ list }),
    (err: unknown) => ({ err }),
  );
  assert.ok('err' in first, `the first next() of an unreachable backend gave a list: ${JSON.stringify(first)}`);
  assert.ok(first.err instanceof DiscoveryError, `the first next() failed with a coded error, not ${String(first.err)}`);
  assert.ok(Date.now() - started <= u.timeoutMs + SLACK_MS, `the first next() took ${Date.now() - started} ms (timeout ${u.timeoutMs} ms)`);
  assert.equal(w.health.healthy, false);
  w.stop();
}
