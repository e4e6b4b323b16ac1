import { throwIfAborted } from './errors.js';
import { sortInstances, type ServiceInstance } from './instance.js';
import type { CallOptions, WatchHealth, Watcher } from './types.js';
import { ListWatcher } from './watcher.js';

/** What a backend does when the first watcher of a name appears or the last one leaves. */
export interface HubHooks {
  /** Start following `name`; call `hub.publish(name, list)` with its list, now and on changes. */
  follow(name: string): void | Promise<void>;
  /** Stop following `name` (no watcher left). */
  unfollow(name: string): void | Promise<void>;
}

/**
 * Fans each service's list out to its watchers. Backends feed it full lists and health;
 * it owns the watchers, so every backend gets the same watch semantics, and one backend
 * subscription per name (or one for the whole prefix) serves every watcher of that name.
 */
export class WatchHub {
  #watchers = new Map<string, Set<ListWatcher>>();
  #lists = new Map<string, ServiceInstance[]>();
  #health: WatchHealth = { healthy: true, since: Date.now() };
  readonly #hooks: HubHooks;

  constructor(hooks: HubHooks) {
    this.#hooks = hooks;
  }

  /** Creates a watcher of `name`. Its first `next()` returns the list once the backend has published one. */
  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    throwIfAborted(opts.signal, `watch '${name}'`);
    const w = new ListWatcher(name, (stopped) => this.remove(name, stopped), opts.signal);
    let set = this.#watchers.get(name);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(name, set);
    }
    set.add(w);
    w.setHealth(this.#health);
    try {
      if (first) await this.#hooks.follow(name);
      else if (this.#lists.has(name)) w.publish(this.#lists.get(name)!);
    } catch (err) {
      w.stop();
      throw err;
    }
    return w;
  }

  /** The backend's current full list for `name`. Watchers get it if it differs from what they saw. */
  publish(name: string, list: Iterable<ServiceInstance>): void {
    const sorted = sortInstances(list);
    this.#lists.set(name, sorted);
    for (const w of this.#watchers.get(name) ?? []) w.publish(sorted);
  }

  /** The last list published for `name`, if any. */
  current(name: string): ServiceInstance[] | undefined {
    return this.#lists.get(name);
  }

  /** Whether `name` has at least one watcher (cheap: backends ask on every event). */
  watching(name: string): boolean {
    return this.#watchers.has(name);
  }

  /** Names with at least one watcher. */
  names(): string[] {
    return [...this.#watchers.keys()];
  }

  /** Marks the backend degraded (watchers keep their last list) or healthy again. */
  setHealth(healthy: boolean, error?: Error): void {
    if (healthy === this.#health.healthy && error === this.#health.error) return;
    this.#health = { healthy, ...(error === undefined ? {} : { error }), since: Date.now() };
    for (const set of this.#watchers.values()) for (const w of set) w.setHealth(this.#health);
  }

  get health(): WatchHealth {
    return this.#health;
  }

  /** Stops every watcher. */
  stopAll(): void {
    for (const set of [...this.#watchers.values()]) for (const w of [...set]) w.stop();
  }

  private remove(name: string, w: ListWatcher): void {
    const set = this.#watchers.get(name);
    if (set === undefined || !set.delete(w)) return;
    if (set.size > 0) return;
    this.#watchers.delete(name);
    this.#lists.delete(name);
    void Promise.resolve(this.#hooks.unfollow(name)).catch(() => undefined);
  }
}
