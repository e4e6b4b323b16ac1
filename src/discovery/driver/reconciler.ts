/**
 * The reconciler: the one writer of a client's registrations. The instances this client
 * registered are its desired state; `register` and `deregister` record an intent and resolve
 * once the store holds it. Anchors: Kubernetes controllers (desired vs observed state, reconcile
 * until equal) and etcd's `concurrency.Session`.
 *
 * Per key (`name/id`) there is an ordered list of intents and at most one worker, so operations
 * on one key are serialized and the latest intent wins; workers of different keys run side by
 * side, so one failing instance never holds back the others. A worker retries forever, with
 * capped, jittered backoff, until the store matches or the reconciler closes.
 *
 * Guarantees (docs/discovery.md, "What registered means"):
 * - a register that resolved is in the store, and stays there until deregistered: after any
 *   loss ({@link Reconciler.invalidate}) it is applied again;
 * - a register that rejects (signal, timeout, a permanent error) leaves no trace: its intent is
 *   withdrawn and the key goes back to the latest intent still in force (or is removed);
 * - a deregister that resolved means the key is gone; a deregister that was cut short still
 *   happens (a removal is never undone by a timeout: no ghosts);
 * - an intent overtaken by a later one resolves when the later one is applied (as if it had
 *   been applied and then replaced).
 */
import { setMaxListeners } from 'node:events';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import { abortError, sleep } from './abort.js';
import { backoff, type RetryPolicy } from './backoff.js';

/** What identifies an instance in a store: its service name and its id. */
export interface InstanceKey {
  readonly name: string;
  readonly id: string;
}

/** The two writes a driver supplies to the reconciler. Both are retried; both get the reconciler's close signal. */
export interface StoreWrites {
  /** Writes `instance` (create or replace) under the driver's liveness: a lease, a session, a TTL check. */
  apply(instance: ServiceInstance, signal: AbortSignal): Promise<void>;
  /** Removes the instance at `key`; an absent one is not an error. */
  remove(key: InstanceKey, signal: AbortSignal): Promise<void>;
}

/** Options of a {@link Reconciler}. */
export interface ReconcilerOptions {
  retry: RetryPolicy;
  /** Called after each failed write (the kit warns once per key and marks health). */
  onFailure?(key: string, err: unknown, failures: number): void;
  /** Called when a key that was failing is written again. */
  onRecovery?(key: string): void;
}

type IntentState = 'pending' | 'done' | 'withdrawn';

interface Intent {
  /** The instance to hold, or `undefined` for a deregistration. */
  readonly instance: ServiceInstance | undefined;
  /** The key's version when this intent was recorded: it is in force once that version (or a later one) is applied. */
  readonly version: number;
  state: IntentState;
  waiter: { resolve(): void; reject(err: unknown): void } | undefined;
}

/** Everything the reconciler knows about one key. Only the reconciler touches it. */
class KeyState {
  readonly intents: Intent[] = [];
  /** Bumped whenever the target changes. */
  version = 0;
  target: ServiceInstance | undefined;
  /** The version the store is known to hold, or -1 when unknown (after a failure or a loss). */
  appliedVersion = -1;
  /** What this reconciler last wrote for the key (`undefined`: nothing, or it was removed). */
  applied: ServiceInstance | undefined;
  /** The store lost the key ({@link Reconciler.invalidate}) and it has not been written since. */
  lost = false;
  /** Bumped by {@link Reconciler.invalidate}: a write begun in an older epoch may have gone to a dead lease or session. */
  epoch = 0;
  running = false;
  inflight = false;
  failures = 0;
  lastError: unknown;
  wake: (() => void) | undefined;
  dropped = false;

  constructor(
    readonly id: string,
    readonly key: InstanceKey,
  ) {}

  get converged(): boolean {
    return this.appliedVersion === this.version;
  }
}

/** Counters for diagnostics and tests. */
export interface ReconcilerStats {
  /** Keys the reconciler tracks (desired, or being removed). */
  keys: number;
  /** Keys whose store state matches their latest intent. */
  converged: number;
  /** Keys whose last write failed. */
  failing: number;
  /** Calls waiting for the store. */
  waiting: number;
  /** Desired instances written again after a loss (a lease, a session, an agent's memory). */
  rewrites: number;
}

const keyOf = (k: InstanceKey): string => `${k.name}/${k.id}`;

/** Errors no retry can fix: reported to the waiting call at once instead of at its timeout. */
function isPermanent(err: unknown): boolean {
  if (err instanceof DiscoveryError) return err.code === 'E_DISCOVERY_AUTH' || err.code === 'E_DISCOVERY_INSTANCE';
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/** Keeps a client's desired instances written to the store. See the module comment for the guarantees. */
export class Reconciler {
  readonly #writes: StoreWrites;
  readonly #opts: ReconcilerOptions;
  readonly #keys = new Map<string, KeyState>();
  readonly #closer = new AbortController();
  readonly #workers = new Set<Promise<void>>();
  #settledWaiters: Array<() => void> = [];
  #rewrites = 0;

  constructor(writes: StoreWrites, opts: ReconcilerOptions) {
    this.#writes = writes;
    this.#opts = opts;
    setMaxListeners(0, this.#closer.signal); // every write in flight listens to it: thousands are fine
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closer.signal.aborted;
  }

  /** Records that `instance` should be in the store; resolves once it is. `signal` withdraws the intent. */
  register(instance: ServiceInstance, signal: AbortSignal | undefined): Promise<void> {
    return this.record(instance, instance, signal);
  }

  /** Records that `key` should not be in the store; resolves once it is gone. */
  deregister(key: InstanceKey, signal: AbortSignal | undefined): Promise<void> {
    return this.record(key, undefined, signal);
  }

  /**
   * The store lost these keys (all of them when `keys` is omitted): a lease or session died, or
   * the agent forgot a service. Every desired instance among them is written again.
   */
  invalidate(keys?: Iterable<InstanceKey>): void {
    const states = keys === undefined ? [...this.#keys.values()] : [...keys].map((k) => this.#keys.get(keyOf(k))).filter((s): s is KeyState => s !== undefined);
    for (const st of states) {
      st.epoch++;
      if (st.target === undefined) continue; // nothing to restore; a loss only removes
      st.lost = true;
      st.appliedVersion = -1;
      this.#rewrites++;
      this.kick(st);
    }
  }

  /**
   * What heartbeats keep alive: for every key still desired, the content last written to the
   * store, unless the store is known to have lost it. An update in flight (or failing) does not
   * stop the beats of the version already there.
   */
  confirmed(): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const st of this.#keys.values()) if (st.target !== undefined && st.applied !== undefined && !st.lost) out.push(st.applied);
    return out;
  }

  /** The keys that may be in the store now (desired, or of unknown state): what `close()` has to clean up. */
  present(): InstanceKey[] {
    const out: InstanceKey[] = [];
    for (const st of this.#keys.values()) if (st.target !== undefined || !st.converged || st.applied !== undefined) out.push(st.key);
    return out;
  }

  /** Resolves once every key matches its latest intent (now, if it already does). */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }

  /** Counters of the instances this reconciler tracks. */
  stats(): ReconcilerStats {
    let converged = 0;
    let failing = 0;
    let waiting = 0;
    for (const st of this.#keys.values()) {
      if (st.converged) converged++;
      if (st.failures > 0) failing++;
      for (const i of st.intents) if (i.waiter !== undefined) waiting++;
    }
    return { keys: this.#keys.size, converged, failing, waiting, rewrites: this.#rewrites };
  }

  /**
   * Drops the desired state without touching the store, as a crashed process would: nothing is
   * renewed or written again. Waiting calls reject with `E_DISCOVERY_ABORTED`.
   */
  forget(): void {
    for (const st of this.#keys.values()) {
      st.dropped = true;
      st.wake?.();
      for (const i of st.intents) this.rejectWaiter(i, new DiscoveryError('E_DISCOVERY_ABORTED', `${keyOf(st.key)}: the registration was abandoned`));
    }
    this.#keys.clear();
    this.notifySettled();
  }

  /** Stops every worker; waiting calls reject with `E_DISCOVERY_CLOSED`. Resolves when the workers have returned. */
  close(): Promise<void> {
    if (!this.closed) {
      this.#closer.abort(new DiscoveryError('E_DISCOVERY_CLOSED', 'the registry was closed'));
      for (const st of this.#keys.values()) {
        st.wake?.();
        for (const i of st.intents)
          this.rejectWaiter(i, new DiscoveryError('E_DISCOVERY_CLOSED', `${keyOf(st.key)}: the registry was closed before the store confirmed the call`));
      }
      this.notifySettled();
    }
    return Promise.all([...this.#workers]).then(() => undefined);
  }

  // ------------------------------------------------------------------ intents

  private record(key: InstanceKey, instance: ServiceInstance | undefined, signal: AbortSignal | undefined): Promise<void> {
    const what = `${instance === undefined ? 'deregister' : 'register'} '${keyOf(key)}'`;
    if (this.closed) return Promise.reject(new DiscoveryError('E_DISCOVERY_CLOSED', `${what}: the registry is closed`));
    if (signal?.aborted === true) return Promise.reject(abortError(what, signal));
    const st = this.stateOf(key);
    st.version++;
    const intent: Intent = { instance, version: st.version, state: 'pending', waiter: undefined };
    st.intents.push(intent);
    st.target = instance;
    // Always written, even when we believe the store already holds it: it may have lost it
    // (a revoked lease, an agent restart) before we noticed, and a call that resolves is one
    // the store confirmed.
    const done = new Promise<void>((resolve, reject) => {
      intent.waiter = { resolve, reject };
      if (signal === undefined) return;
      const onAbort = (): void => this.abandon(st, intent, abortError(what, signal, st.lastError));
      signal.addEventListener('abort', onAbort, { once: true });
      const detach = (): void => signal.removeEventListener('abort', onAbort);
      intent.waiter = {
        resolve: () => (detach(), resolve()),
        reject: (e) => (detach(), reject(e)),
      };
    });
    this.kick(st);
    return done;
  }

  /** The caller gave up (signal or timeout): a registration is withdrawn; a deregistration stays in force. */
  private abandon(st: KeyState, intent: Intent, err: unknown): void {
    if (intent.state !== 'pending') return;
    this.rejectWaiter(intent, err);
    if (intent.instance === undefined) return;
    intent.state = 'withdrawn';
    this.retarget(st);
  }

  /** After a withdrawal: the key goes back to the latest intent still in force, or to nothing. */
  private retarget(st: KeyState): void {
    let target: ServiceInstance | undefined;
    for (let i = st.intents.length - 1; i >= 0; i--) {
      const it = st.intents[i]!;
      if (it.state !== 'withdrawn') {
        target = it.instance;
        break;
      }
    }
    st.version++;
    st.target = target;
    this.kick(st);
  }

  /** Resolves the intents the applied version covers, and prunes history no withdrawal can fall back to. */
  private settle(st: KeyState): void {
    let lastDone = -1;
    st.intents.forEach((it, n) => {
      if (it.state === 'pending' && it.version <= st.appliedVersion) {
        it.state = 'done';
        const w = it.waiter;
        it.waiter = undefined;
        w?.resolve();
      }
      if (it.state === 'done') lastDone = n;
    });
    // Nothing before the latest confirmed intent can become the target again.
    if (lastDone > 0) st.intents.splice(0, lastDone);
    this.maybeDrop(st);
    this.notifySettled();
  }

  private rejectWaiter(intent: Intent, err: unknown): void {
    const w = intent.waiter;
    intent.waiter = undefined;
    w?.reject(err);
  }

  // ------------------------------------------------------------------ workers

  private stateOf(key: InstanceKey): KeyState {
    const id = keyOf(key);
    let st = this.#keys.get(id);
    if (st === undefined) {
      st = new KeyState(id, { name: key.name, id: key.id });
      this.#keys.set(id, st);
    }
    return st;
  }

  private kick(st: KeyState): void {
    if (st.running) {
      st.wake?.();
      return;
    }
    st.running = true;
    const worker = this.work(st).finally(() => this.#workers.delete(worker));
    this.#workers.add(worker);
  }

  /** The one loop that writes `st`'s key: until it matches its latest intent, or the reconciler closes. */
  private async work(st: KeyState): Promise<void> {
    const signal = this.#closer.signal;
    try {
      while (!signal.aborted && !st.dropped && !st.converged) {
        const { version, epoch, target } = st;
        st.inflight = true;
        try {
          if (target !== undefined) await this.#writes.apply(target, signal);
          else await this.#writes.remove(st.key, signal);
          st.inflight = false;
          if (st.epoch === epoch) {
            st.appliedVersion = version;
            st.applied = target;
            st.lost = false;
          }
          if (st.failures > 0) this.#opts.onRecovery?.(st.id);
          st.failures = 0;
          st.lastError = undefined;
          this.settle(st);
        } catch (err) {
          st.inflight = false;
          if (signal.aborted || st.dropped) return;
          // The write may or may not have landed: the store's state of this key is unknown.
          if (st.epoch === epoch) st.appliedVersion = -1;
          st.failures++;
          st.lastError = err;
          this.#opts.onFailure?.(st.id, err, st.failures);
          if (isPermanent(err) && this.failPending(st, target, err)) continue; // a new target: try it now
          await this.pause(st, backoff(st.failures - 1, this.#opts.retry));
        }
      }
    } finally {
      // In the same synchronous run as the loop's last check: a caller that settle() resumed
      // and that records a new intent must find no worker, or its intent would wait for nobody.
      st.running = false;
      this.maybeDrop(st);
      this.notifySettled();
    }
  }

  /** Rejects the waiting registrations of `target`, which cannot succeed. Returns whether that changed the target. */
  private failPending(st: KeyState, target: ServiceInstance | undefined, err: unknown): boolean {
    if (target === undefined) return false;
    let withdrew = false;
    for (const it of st.intents) {
      if (it.state === 'pending' && it.instance === target && it.waiter !== undefined) {
        this.rejectWaiter(it, err);
        it.state = 'withdrawn';
        withdrew = true;
      }
    }
    if (!withdrew) return false;
    this.retarget(st);
    return st.target !== target;
  }

  /** Waits out a backoff; a new intent, a loss or close() cuts it short. */
  private async pause(st: KeyState, ms: number): Promise<void> {
    const cut = new AbortController();
    const onClose = (): void => cut.abort();
    this.#closer.signal.addEventListener('abort', onClose, { once: true });
    st.wake = () => cut.abort();
    try {
      await sleep(ms, cut.signal);
    } finally {
      st.wake = undefined;
      this.#closer.signal.removeEventListener('abort', onClose);
    }
  }

  /** Forgets a key that is gone from the store and has nobody waiting: churned ids leave nothing behind. */
  private maybeDrop(st: KeyState): void {
    if (st.running || st.target !== undefined || !st.converged || st.intents.some((i) => i.state === 'pending')) return;
    if (this.#keys.get(st.id) === st) this.#keys.delete(st.id);
  }

  private isSettled(): boolean {
    for (const st of this.#keys.values()) if (!st.converged || st.running) return false;
    return true;
  }

  private notifySettled(): void {
    if (this.#settledWaiters.length === 0 || (!this.closed && !this.isSettled())) return;
    const waiters = this.#settledWaiters;
    this.#settledWaiters = [];
    for (const w of waiters) w();
  }
}
