/**
 * Fans each service's list out to its watchers, and owns what the watchers share: one
 * {@link Follow} state machine per subject (a name, or the driver's whole prefix) and the
 * mirror of the lists the subscriptions reported. Every backend gets the same watch
 * semantics from here: the first `next()` resolves as soon as a list exists (even empty),
 * changes coalesce, watchers of one name are independent, and a watcher whose subscription is
 * failing shows degraded health while the kit keeps retrying.
 */
import { sortInstances } from './codec.js';
import type { ServiceInstance } from '../instance.js';
import type { WatchHealth, Watcher } from '../types.js';
import type { RetryPolicy } from './backoff.js';
import { Follow, type FollowEvents, type Subscribe } from './follow.js';
import type { InstanceKey } from './reconciler.js';
import { ListWatcher } from './watcher.js';

/** How a driver's subscriptions map onto names. */
export type FollowMode =
  /** One subscription per watched name; its subject is the name. */
  | 'name'
  /** One subscription for every name (a prefix list + watch); its subject is `''`. */
  | 'prefix';

/** Options of a {@link WatchHub}. */
export interface WatchHubOptions {
  mode: FollowMode;
  subscribe: Subscribe;
  retry: RetryPolicy;
  /** Fires on close(): every follow stops. */
  closed: AbortSignal;
  /** A subscription silent for this long is ended as partitioned; absent for drivers whose subscriptions may be silent (a session tells). */
  livenessMs?: number;
  /** How long a watcher's first `next()` waits for a first list before it rejects with `E_DISCOVERY_TIMEOUT` (the registry's `timeout`). */
  firstListMs?: number;
}

/** The mirror of one subject: instances by name and id, with sorted lists built on demand. */
class Mirror {
  readonly byName = new Map<string, Map<string, ServiceInstance>>();
  readonly sorted = new Map<string, ServiceInstance[]>();
  /** Whether a complete list was reported since the subscription (re)started. */
  listed = false;

  list(name: string): ServiceInstance[] {
    let l = this.sorted.get(name);
    if (l === undefined) {
      l = sortInstances(this.byName.get(name)?.values() ?? []);
      this.sorted.set(name, l);
    }
    return l;
  }

  clear(): void {
    this.byName.clear();
    this.sorted.clear();
    this.listed = false;
  }
}

/** See the module comment. */
export class WatchHub {
  readonly #opts: WatchHubOptions;
  readonly #watchers = new Map<string, Set<ListWatcher>>();
  readonly #follows = new Map<string, Follow>();
  readonly #mirrors = new Map<string, Mirror>();
  readonly #events: FollowEvents;
  #client: { healthy: boolean; error?: Error; since: number } = { healthy: true, since: Date.now() };

  constructor(opts: WatchHubOptions) {
    this.#opts = opts;
    this.#events = {
      sink: (f) => this.sinkOf(f),
      changed: (f) => this.onFollowChanged(f),
    };
  }

  /** Creates a watcher of `name`. Its first `next()` resolves once a list of `name` exists. */
  watch(name: string, signal?: AbortSignal): Watcher {
    const w = new ListWatcher(name, (stopped) => this.remove(name, stopped), signal, this.#opts.firstListMs);
    let set = this.#watchers.get(name);
    if (set === undefined) this.#watchers.set(name, (set = new Set()));
    set.add(w);
    const subject = this.subjectOf(name);
    const follow = this.followOf(subject);
    w.setHealth(this.healthOf(follow));
    const mirror = this.#mirrors.get(subject);
    if (mirror?.listed === true && (this.#opts.mode === 'prefix' || mirror.byName.has(name))) w.publish(mirror.list(name));
    follow.acquire();
    return w;
  }

  /**
   * The mirrored list of `name`, when a subscription covering it is following and healthy
   * (so `getService` needs no round trip); `undefined` otherwise.
   */
  current(name: string): ServiceInstance[] | undefined {
    const subject = this.subjectOf(name);
    const follow = this.#follows.get(subject);
    const mirror = this.#mirrors.get(subject);
    if (follow === undefined || mirror === undefined || follow.state !== 'following' || !follow.healthy || !this.#client.healthy || !mirror.listed)
      return undefined;
    if (this.#opts.mode === 'name' && !mirror.byName.has(name)) return undefined;
    return mirror.list(name);
  }

  /** The client as a whole is unreachable (or reachable again), e.g. a lost connection: every watcher shows it. */
  setClientHealth(healthy: boolean, error?: Error): void {
    if (healthy === this.#client.healthy && error === this.#client.error) return;
    this.#client = { healthy, ...(error === undefined ? {} : { error }), since: Date.now() };
    for (const f of this.#follows.values()) this.pushHealth(f);
  }

  /** Backend health as a new watcher would see it: the client's, else the worst subject's. */
  get health(): WatchHealth {
    if (!this.#client.healthy) return this.#client;
    for (const f of this.#follows.values()) if (!f.healthy) return this.healthOf(f);
    return this.#client;
  }

  /** The state machine of each followed subject (diagnostics and tests). */
  follows(): ReadonlyMap<string, Follow> {
    return this.#follows;
  }

  /** Whether `name` has at least one watcher. */
  watching(name: string): boolean {
    return this.#watchers.has(name);
  }

  /** Stops every watcher (close()). */
  stopAll(): void {
    for (const set of [...this.#watchers.values()]) for (const w of [...set]) w.stop();
  }

  /** Resolves when every follow is idle. */
  async idle(): Promise<void> {
    await Promise.all([...this.#follows.values()].map((f) => f.idle()));
  }

  // ------------------------------------------------------------------ internals

  private subjectOf(name: string): string {
    return this.#opts.mode === 'prefix' ? '' : name;
  }

  private followOf(subject: string): Follow {
    let f = this.#follows.get(subject);
    if (f === undefined) {
      f = new Follow(subject, this.#opts.subscribe, this.#events, this.#opts.retry, this.#opts.closed, this.#opts.livenessMs);
      this.#follows.set(subject, f);
    }
    return f;
  }

  private mirrorOf(subject: string): Mirror {
    let m = this.#mirrors.get(subject);
    if (m === undefined) this.#mirrors.set(subject, (m = new Mirror()));
    return m;
  }

  private remove(name: string, w: ListWatcher): void {
    const set = this.#watchers.get(name);
    if (set === undefined || !set.delete(w)) return;
    if (set.size > 0) return;
    this.#watchers.delete(name);
    const subject = this.subjectOf(name);
    if (this.#opts.mode === 'name') {
      this.#mirrors.get(subject)?.clear();
      this.#follows.get(subject)?.release();
      return;
    }
    if (this.#watchers.size === 0) this.#follows.get(subject)?.release();
  }

  private sinkOf(f: Follow): ReturnType<FollowEvents['sink']> {
    const mirror = this.mirrorOf(f.subject);
    const changed = (name: string): void => {
      mirror.sorted.delete(name);
      this.publish(name, mirror);
    };
    return {
      list: (name, instances) => {
        const m = new Map<string, ServiceInstance>();
        for (const i of instances) m.set(i.id, i);
        mirror.byName.set(name, m);
        mirror.listed = true;
        changed(name);
      },
      snapshot: (instances) => {
        mirror.byName.clear();
        mirror.sorted.clear();
        for (const i of instances) {
          let m = mirror.byName.get(i.name);
          if (m === undefined) mirror.byName.set(i.name, (m = new Map<string, ServiceInstance>()));
          m.set(i.id, i);
        }
        mirror.listed = true;
        for (const name of this.#watchers.keys()) if (this.subjectOf(name) === f.subject) this.publish(name, mirror);
      },
      put: (instance) => {
        let m = mirror.byName.get(instance.name);
        if (m === undefined) mirror.byName.set(instance.name, (m = new Map<string, ServiceInstance>()));
        m.set(instance.id, instance);
        changed(instance.name);
      },
      remove: (key: InstanceKey) => {
        const m = mirror.byName.get(key.name);
        if (m === undefined || !m.delete(key.id)) return;
        if (m.size === 0) mirror.byName.delete(key.name);
        changed(key.name);
      },
    };
  }

  private publish(name: string, mirror: Mirror): void {
    const set = this.#watchers.get(name);
    if (set === undefined || !mirror.listed) return;
    const list = mirror.list(name);
    for (const w of set) w.publish(list);
  }

  private onFollowChanged(f: Follow): void {
    if (f.state === 'idle' && !f.active) {
      this.#mirrors.get(f.subject)?.clear(); // nobody follows: the mirror would go stale
      if (this.#follows.get(f.subject) === f && this.#opts.mode === 'name') this.#follows.delete(f.subject);
    }
    if (f.state === 'starting' || f.state === 'retrying') {
      const m = this.#mirrors.get(f.subject);
      if (m !== undefined) m.listed = m.listed && f.state === 'retrying'; // a retry keeps the last lists; a fresh start has none
    }
    this.pushHealth(f);
  }

  private pushHealth(f: Follow): void {
    const health = this.healthOf(f);
    for (const [name, set] of this.#watchers) if (this.subjectOf(name) === f.subject) for (const w of set) w.setHealth(health);
  }

  private healthOf(f: Follow): WatchHealth {
    if (!this.#client.healthy) return this.#client;
    if (!f.healthy) return { healthy: false, ...(f.error === undefined ? {} : { error: f.error }), since: f.since };
    return { healthy: true, since: Math.max(f.since, this.#client.since) };
  }
}
