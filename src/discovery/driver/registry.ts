/**
 * The kit's `ServiceRegistry`: every backend is this class over its driver (as `database/sql`'s
 * `DB` is over a `driver.Driver`). It owns the shared state and the guards:
 * - one {@link Reconciler} for registrations, and the per-instance heartbeat when the driver has one;
 * - one {@link WatchHub} with one follow state machine per subject, which also serves
 *   `getService` of a followed name from its mirror, with no round trip;
 * - open/closed checks, a typed error for every bad name or instance, a timeout and the
 *   caller's signal on every call, warn-once for foreign data, and a bounded `close()` after
 *   which no handle of ours is left.
 */
import { setMaxListeners } from 'node:events';
import { PlugboardError } from '../../container/errors.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance, ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { abortable, callSignal, throwIfAborted } from './abort.js';
import { sortInstances, validateId, validateInstance, validateServiceName } from './codec.js';
import type { DiscoveryDriver, DriverContext, DriverFactory } from './driver.js';
import { runHeartbeat } from './heartbeat.js';
import type { ResolvedKitOptions } from './options.js';
import { Reconciler, type InstanceKey } from './reconciler.js';
import { WarnOnce } from './warn-once.js';
import { WatchHub } from './watch-hub.js';

/** What `stats()` reports for every backend (drivers add their own counters). */
export interface KitStats {
  /** Instances this client tracks (desired, or being removed). */
  keys: number;
  /** Of those, the ones the store is known to match. */
  converged: number;
  /** Of those, the ones whose last write failed. */
  failing: number;
  /** register/deregister calls waiting for the store. */
  waiting: number;
  /** Instances written again after a loss (lease, session, agent restart). */
  rewrites: number;
  /** Subjects followed (names, or 1 for a prefix). */
  follows: number;
  /** Foreign or malformed values skipped. */
  skipped: number;
  /** Backend health as watchers see it. */
  healthy: boolean;
}

/** The counters a driver adds to `stats()`. */
export type DriverStats<D> = D extends { stats(): infer S } ? S : Record<never, never>;

/** See the module comment. Backends extend it and give `super` a factory for their driver. */
export class DriverRegistry<D extends DiscoveryDriver = DiscoveryDriver> implements ServiceRegistry {
  readonly backend: string;
  /** The backend's primitives. */
  protected readonly driver: D;
  readonly #kit: ResolvedKitOptions;
  readonly #closer = new AbortController();
  readonly #reconciler: Reconciler;
  readonly #hub: WatchHub;
  readonly #warn: WarnOnce;
  readonly #heartbeat: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #skipped = 0;

  constructor(make: DriverFactory<D>, kit: ResolvedKitOptions) {
    setMaxListeners(0, this.#closer.signal); // every call and subscription in flight listens to it
    this.#kit = kit;
    this.#warn = new WarnOnce(kit.warn);
    const ctx: DriverContext = {
      closed: this.#closer.signal,
      livenessMs: kit.livenessMs,
      lost: (keys) => this.#reconciler.invalidate(keys),
      health: (healthy, error) => this.#hub.setClientHealth(healthy, error),
      warnOnce: (key, msg) => void this.#warn.warnOnce(key, msg),
      skip: (key, why) => {
        this.#skipped++;
        this.#warn.warnOnce(`skip:${key}`, `${this.backend}: skipping ${key}: ${why}`);
      },
    };
    this.driver = make(ctx);
    this.backend = this.driver.backend;
    const driver = this.driver;
    const via = kit.interpose;
    this.#reconciler = new Reconciler(
      {
        apply: (i, s) => via(`apply ${i.name}/${i.id}`, () => driver.apply(i, s)),
        remove: (k, s) => via(`remove ${k.name}/${k.id}`, () => driver.remove(k, s)),
      },
      {
        retry: kit.retry,
        onFailure: (key, err, n) =>
          this.#warn.warnOnce(`write:${key}`, `${this.backend}: writing '${key}' failed (${describe(err)}); retrying until it works (attempt ${n})`),
        onRecovery: (key) => this.#warn.forget(`write:${key}`),
      },
    );
    this.#hub = new WatchHub({
      mode: driver.follows,
      subscribe: (subject, sink, signal) => driver.subscribe(subject, sink, signal),
      retry: kit.retry,
      closed: this.#closer.signal,
      ...(driver.streamLiveness === true ? { livenessMs: kit.livenessMs } : {}),
      firstListMs: kit.timeoutMs,
    });
    const hb = driver.heartbeat;
    this.#heartbeat =
      hb === undefined
        ? undefined
        : runHeartbeat(
            { intervalMs: hb.intervalMs, beat: (i, s) => via(`beat ${i.name}/${i.id}`, () => hb.beat(i, s)) },
            this.#reconciler,
            kit.retry,
            this.#closer.signal,
            (err, n) => this.#warn.warnOnce('heartbeat', `${this.backend}: heartbeat failed (${describe(err)}); retrying (attempt ${n})`),
            () => this.#warn.forget('heartbeat'),
          );
  }

  /**
   * Registers (or replaces, by id) an instance. Resolves once the store holds it; rejects on
   * the call's signal, on the registry's `timeout` (default 30 s), or on an error no retry can
   * fix — and then leaves no trace: the instance never appears later.
   */
  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    const instance = validateInstance(input);
    const call = callSignal([opts.signal], this.#kit.timeoutMs);
    try {
      await this.#reconciler.register(instance, call.signal);
    } finally {
      call.dispose();
    }
  }

  /**
   * Removes an instance (only its name and id are read); an unknown one is not an error.
   * Resolves once the key is gone. If the call is cut short, the removal still happens.
   */
  async deregister(input: ServiceInstanceInput | InstanceKey, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    const key = instanceKey(input);
    const call = callSignal([opts.signal], this.#kit.timeoutMs);
    try {
      await this.#reconciler.deregister(key, call.signal);
    } finally {
      call.dispose();
    }
  }

  /** The instances of `name`, sorted by id: from the watch mirror when `name` is followed, else one round trip. */
  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    const what = `getService '${String(name).slice(0, 80)}'`;
    this.assertOpen('getService');
    validateServiceName(name, 'getService', 'read');
    throwIfAborted(opts.signal, what);
    const mirrored = this.#hub.current(name);
    if (mirrored !== undefined) return [...mirrored];
    return sortInstances(await this.call(what, opts, (signal) => this.#kit.interpose(`read ${name}`, () => this.driver.read(name, signal))));
  }

  /**
   * A watcher of `name`. It never waits for the backend: its first `next()` resolves once a list
   * exists, or rejects with `E_DISCOVERY_TIMEOUT` after the registry's `timeout`. Until the
   * backend has answered, `health` is `{ healthy: false }` with `E_DISCOVERY_UNREACHABLE`.
   */
  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    validateServiceName(name, 'watch', 'read');
    throwIfAborted(opts.signal, `watch '${name}'`);
    return this.#hub.watch(name, opts.signal);
  }

  /** Names of the services with at least one instance, sorted. */
  async services(opts: CallOptions = {}): Promise<string[]> {
    this.assertOpen('services');
    throwIfAborted(opts.signal, 'services');
    return [...(await this.call('services', opts, (signal) => this.#kit.interpose('services', () => this.driver.services(signal))))].sort();
  }

  /**
   * Drops this client's desired state without touching the store, as a crash would: nothing is
   * renewed or written again, and close() removes nothing. For backends that simulate a crash.
   */
  protected abandonRegistrations(): void {
    this.#reconciler.forget();
  }

  /** Resolves once every registration and deregistration of this client matches the store. */
  settled(): Promise<void> {
    return this.#reconciler.settled();
  }

  /** Counters for diagnostics and tests: the kit's and the driver's. */
  stats(): KitStats & DriverStats<D> {
    return {
      ...this.#reconciler.stats(),
      follows: [...this.#hub.follows().values()].filter((f) => f.state !== 'idle').length,
      skipped: this.#skipped,
      healthy: this.#hub.health.healthy,
      ...this.driver.stats?.(),
    } as KitStats & DriverStats<D>;
  }

  /** The state machine of each followed subject (tests and diagnostics). */
  follows(): ReadonlyMap<string, { readonly state: string; readonly runs: number }> {
    return this.#hub.follows();
  }

  /**
   * Stops watchers, subscriptions and heartbeats, removes this client's instances (ending a
   * lease or session does that at once), and closes the connections. Resolves within
   * `closeTimeout` (default 5 s) in every state, the backend unreachable included; past that,
   * connections are dropped without waiting. Afterwards no timer or socket of ours is left.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.shutdown();
    return this.#closing;
  }

  private async shutdown(): Promise<void> {
    this.#closer.abort(new DiscoveryError('E_DISCOVERY_CLOSED', `${this.backend} registry: closed`));
    this.#hub.stopAll();
    const present = this.#reconciler.present();
    const deadline = callSignal([], this.#kit.closeTimeoutMs);
    const work = (async () => {
      await this.#reconciler.close();
      await this.driver.close(present, deadline.signal);
      await this.#hub.idle();
      await this.#heartbeat;
    })();
    try {
      await abortable(work, deadline.signal, 'close');
    } catch (err) {
      this.driver.destroy();
      if (!(err instanceof DiscoveryError && err.code === 'E_DISCOVERY_TIMEOUT'))
        this.#kit.warn(`${this.backend}: close() failed (${describe(err)}); connections dropped`);
      else this.#kit.warn(`${this.backend}: close() took longer than ${this.#kit.closeTimeoutMs} ms; connections dropped without waiting`);
    } finally {
      deadline.dispose();
    }
  }

  /** One driver call with the caller's signal, the registry's timeout and close() all able to end it. */
  private async call<T>(what: string, opts: CallOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const call = callSignal([opts.signal, this.#closer.signal], this.#kit.timeoutMs);
    try {
      return await abortable(fn(call.signal), call.signal, what);
    } catch (err) {
      if (err instanceof PlugboardError) throw err;
      throw new DiscoveryError('E_DISCOVERY_BACKEND', `${this.backend}: ${what} failed: ${describe(err)}`, { cause: err });
    } finally {
      call.dispose();
    }
  }

  private assertOpen(op: string): void {
    if (this.#closer.signal.aborted) throw new DiscoveryError('E_DISCOVERY_CLOSED', `${this.backend} registry: ${op} after close()`);
  }
}

/** The name and id of an instance (or of a key), validated. */
export function instanceKey(input: unknown): InstanceKey {
  if (typeof input !== 'object' || input === null)
    throw new DiscoveryError('E_DISCOVERY_INSTANCE', 'invalid service instance: instance must be an object', { key: 'instance' });
  const i = input as { name?: unknown; id?: unknown };
  const name = validateServiceName(i.name, 'invalid service instance: instance.name');
  return { name, id: validateId(i.id) };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
