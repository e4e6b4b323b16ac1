import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { WatchHealth, Watcher } from '../types.js';
import { sameList } from './codec.js';

/**
 * The one watcher implementation every backend uses. A backend only calls `publish(list)`
 * with the full current list; this class gives the contract: the first `next()` returns the
 * current list (even empty), later ones wait for a change, bursts coalesce (latest wins),
 * a list equal to the one last delivered does not wake anyone, and `stop()` wakes a pending
 * `next()` with `E_DISCOVERY_STOPPED`.
 */
export class ListWatcher implements Watcher {
  readonly #name: string;
  #pending: ServiceInstance[] | undefined;
  #lastDelivered: readonly ServiceInstance[] | undefined;
  #waiter: { resolve: (l: ServiceInstance[]) => void; reject: (e: unknown) => void } | undefined;
  #stopped = false;
  #health: WatchHealth = { healthy: true, since: Date.now() };
  #healthListeners: Set<(health: WatchHealth) => void> | undefined;
  readonly #onStop: (w: ListWatcher) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.stop();

  /** @internal Created by the kit's `WatchHub`. Aborting `signal` stops the watcher. */
  constructor(name: string, onStop: (w: ListWatcher) => void, signal?: AbortSignal) {
    this.#name = name;
    this.#onStop = onStop;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get health(): WatchHealth {
    return this.#health;
  }

  next(): Promise<ServiceInstance[]> {
    if (this.#stopped) return Promise.reject(this.stoppedError());
    if (this.#waiter !== undefined)
      return Promise.reject(new DiscoveryError('E_DISCOVERY_MISUSE', `watch '${this.#name}': next() called while another next() is pending`));
    if (this.#pending !== undefined) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pending = undefined;
    this.#healthListeners = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.stoppedError());
    this.#onStop(this);
  }

  /** `for await (const list of watcher)`: every list until `stop()`. */
  async *[Symbol.asyncIterator](): AsyncIterator<ServiceInstance[]> {
    while (!this.#stopped) {
      try {
        yield await this.next();
      } catch (err) {
        if (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_STOPPED') return;
        throw err;
      }
    }
  }

  /** @internal A new full list from the backend. */
  publish(list: readonly ServiceInstance[]): void {
    if (this.#stopped) return;
    if (this.#lastDelivered !== undefined && sameList(list, this.#lastDelivered)) {
      this.#pending = undefined; // back to what the consumer already has: nothing to report
      return;
    }
    this.#pending = [...list];
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve(this.take());
    }
  }

  /** @internal Backend health changed; the list is kept as it was. */
  setHealth(health: WatchHealth): void {
    this.#health = health;
    for (const fn of this.#healthListeners ?? []) fn(health);
  }

  /**
   * Calls `listener` whenever {@link health} is set, until the returned function is called.
   * For registries built over other registries (`multi://`), which show each source's health
   * without polling it.
   */
  onHealth(listener: (health: WatchHealth) => void): () => void {
    (this.#healthListeners ??= new Set()).add(listener);
    return () => void this.#healthListeners?.delete(listener);
  }

  private take(): ServiceInstance[] {
    const list = this.#pending!;
    this.#pending = undefined;
    this.#lastDelivered = list;
    return list;
  }

  private stoppedError(): DiscoveryError {
    return new DiscoveryError('E_DISCOVERY_STOPPED', `watch '${this.#name}': the watcher is stopped`);
  }
}
