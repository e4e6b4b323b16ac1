import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';

type Listener = (name: string) => void;

/**
 * The shared state of a `memory://` registry: instances by service name, each with an
 * optional expiry. Several `MemoryRegistry` clients on one store behave like several
 * processes on one etcd. Timers are unref'd and exist only while instances have a TTL.
 *
 * For tests, {@link setReachable} simulates an outage: while unreachable, every operation
 * fails with `E_DISCOVERY_BACKEND` and every subscription ends, as a lost server would.
 */
export class MemoryStore {
  #services = new Map<string, Map<string, { instance: ServiceInstance; timer?: NodeJS.Timeout }>>();
  #listeners = new Set<Listener>();
  #outageListeners = new Set<() => void>();
  #reachable = true;

  /** Adds or replaces an instance; with `ttlMs`, it expires unless {@link renew}ed in time. */
  put(instance: ServiceInstance, ttlMs?: number): void {
    this.assertReachable('put');
    let svc = this.#services.get(instance.name);
    if (svc === undefined) {
      svc = new Map();
      this.#services.set(instance.name, svc);
    }
    const old = svc.get(instance.id);
    if (old?.timer !== undefined) clearTimeout(old.timer);
    svc.set(instance.id, { instance, ...(ttlMs === undefined ? {} : { timer: this.expiry(instance, ttlMs) }) });
    this.changed(instance.name);
  }

  /** Pushes an instance's expiry back by `ttlMs`. Returns false if it is gone (expired or removed). */
  renew(instance: ServiceInstance, ttlMs: number): boolean {
    this.assertReachable('renew');
    const rec = this.#services.get(instance.name)?.get(instance.id);
    if (rec === undefined) return false;
    if (rec.timer !== undefined) clearTimeout(rec.timer);
    rec.timer = this.expiry(instance, ttlMs);
    return true;
  }

  /** Removes an instance. Returns whether it was there. */
  delete(name: string, id: string): boolean {
    this.assertReachable('delete');
    return this.drop(name, id);
  }

  /** The instances of `name`. */
  list(name: string): ServiceInstance[] {
    this.assertReachable('list');
    return [...(this.#services.get(name)?.values() ?? [])].map((r) => r.instance);
  }

  /** Names with at least one instance. */
  services(): string[] {
    this.assertReachable('services');
    return [...this.#services.keys()].sort();
  }

  /** Calls `fn(name)` after every change of a service. Returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` when the store becomes unreachable ({@link setReachable}). Returns the unsubscribe function. */
  onOutage(fn: () => void): () => void {
    this.#outageListeners.add(fn);
    return () => this.#outageListeners.delete(fn);
  }

  /** Whether operations currently succeed. */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** Test aid: simulates an outage (`false`) or its end (`true`). Instances and their expiry timers are kept. */
  setReachable(reachable: boolean): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    if (!reachable) for (const fn of [...this.#outageListeners]) fn();
  }

  /** Throws `E_DISCOVERY_BACKEND` while the store is unreachable. */
  assertReachable(op: string): void {
    if (!this.#reachable) throw new DiscoveryError('E_DISCOVERY_BACKEND', `memory store: ${op} failed: the store is unreachable (simulated outage)`);
  }

  private drop(name: string, id: string): boolean {
    const svc = this.#services.get(name);
    const rec = svc?.get(id);
    if (svc === undefined || rec === undefined) return false;
    if (rec.timer !== undefined) clearTimeout(rec.timer);
    svc.delete(id);
    if (svc.size === 0) this.#services.delete(name);
    this.changed(name);
    return true;
  }

  private expiry(instance: ServiceInstance, ttlMs: number): NodeJS.Timeout {
    const t = setTimeout(() => this.drop(instance.name, instance.id), ttlMs); // expiry happens even during an outage
    t.unref();
    return t;
  }

  private changed(name: string): void {
    for (const l of [...this.#listeners]) l(name);
  }
}

const stores = new Map<string, MemoryStore>();

/** The process-wide store called `name` (`memory://name`; `memory://` is `default`), created on first use. */
export function namedStore(name: string): MemoryStore {
  let s = stores.get(name);
  if (s === undefined) {
    s = new MemoryStore();
    stores.set(name, s);
  }
  return s;
}
