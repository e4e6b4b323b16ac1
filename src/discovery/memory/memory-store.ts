import type { ServiceInstance } from '../instance.js';

type Listener = (name: string) => void;

/**
 * The shared state of a `memory://` registry: instances by service name, each with an
 * optional expiry. Several `MemoryRegistry` clients on one store behave like several
 * processes on one etcd. Timers are unref'd and exist only while instances have a TTL.
 */
export class MemoryStore {
  #services = new Map<string, Map<string, { instance: ServiceInstance; timer?: NodeJS.Timeout }>>();
  #listeners = new Set<Listener>();

  /** Adds or replaces an instance; with `ttlMs`, it expires unless {@link renew}ed in time. */
  put(instance: ServiceInstance, ttlMs?: number): void {
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
    const rec = this.#services.get(instance.name)?.get(instance.id);
    if (rec === undefined) return false;
    if (rec.timer !== undefined) clearTimeout(rec.timer);
    rec.timer = this.expiry(instance, ttlMs);
    return true;
  }

  /** Removes an instance. Returns whether it was there. */
  delete(name: string, id: string): boolean {
    const svc = this.#services.get(name);
    const rec = svc?.get(id);
    if (svc === undefined || rec === undefined) return false;
    if (rec.timer !== undefined) clearTimeout(rec.timer);
    svc.delete(id);
    if (svc.size === 0) this.#services.delete(name);
    this.changed(name);
    return true;
  }

  /** The instances of `name`. */
  list(name: string): ServiceInstance[] {
    return [...(this.#services.get(name)?.values() ?? [])].map((r) => r.instance);
  }

  /** Names with at least one instance. */
  services(): string[] {
    return [...this.#services.keys()].sort();
  }

  /** Calls `fn(name)` after every change of a service. Returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  private expiry(instance: ServiceInstance, ttlMs: number): NodeJS.Timeout {
    const t = setTimeout(() => this.delete(instance.name, instance.id), ttlMs);
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
