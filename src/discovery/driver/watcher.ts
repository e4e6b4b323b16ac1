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
  readonly #firstListMs: number | undefined;
  #firstTimer: NodeJS.Timeout | undefined;

  /**
   * @internal Created by the kit's `WatchHub`. Aborting `signal` stops the watcher. With
   * `firstListMs`, a first `next()` that has no list after that long rejects with
   * `E_DISCOVERY_TIMEOUT` (the watcher goes on: a later `next()` waits again).
   */
  constructor(name: string, onStop: (w: ListWatcher) => void, signal?: AbortSignal, firstListMs?: number) {
    this.#name = name;
    this.#onStop = onStop;
    this.#signal = signal;
    this.#firstListMs = firstListMs;
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
      if (this.#lastDelivered === undefined && this.#firstListMs !== undefined && Number.isFinite(this.#firstListMs)) {
        // Ref'd, like a call's timeout: someone awaits this next().
        this.#firstTimer = setTimeout(() => this.firstListLate(), this.#firstListMs);
      }
    });
  }

  /** The first list did not come within `firstListMs`: the pending first `next()` rejects, naming the backend's last trouble. */
  private firstListLate(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#firstTimer = undefined;
    const last = this.#health.error;
    waiter?.reject(
      new DiscoveryError(
        'E_DISCOVERY_TIMEOUT',
        `watch '${this.#name}': no list from the backend within ${this.#firstListMs} ms${last === undefined ? '' : ` (${last.message})`}`,
        last === undefined ? {} : { cause: last },
      ),
    );
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pending = undefined;
    this.#healthListeners = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    clearTimeout(this.#firstTimer);
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
      clearTimeout(this.#firstTimer);
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
