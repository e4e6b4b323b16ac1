import { RegisterFactory } from '../../decorators/decorators.js';
import { BACKENDS, isBackendConfig, rememberBackend, parseDuration, type BackendConfig } from '../backends.js';
import { DiscoveryError, throwIfAborted } from '../errors.js';
import { sortInstances, validateInstance, type ServiceInstance, type ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { WatchHub } from '../watch-hub.js';
import { MemoryStore, namedStore } from './memory-store.js';

/** Options of a {@link MemoryRegistry}. */
export interface MemoryRegistryOptions {
  /** The shared store (default: the process-wide store named by the URL host, or `default`). */
  store?: MemoryStore;
  /** Instances expire this many ms after their last renewal; this client renews every ttl/3. Omit for no expiry. */
  ttl?: number | string;
}

/**
 * The embedded discovery backend (`memory://`): in-process, for tests, demos and single-process
 * apps. With a TTL it behaves like a lease-based backend: the registering client renews its
 * instances, and `abandon()` stops that, as a crashed process would.
 */
@RegisterFactory('memory', { registry: BACKENDS })
export class MemoryRegistry implements ServiceRegistry {
  /** URL scheme of this backend. */
  static readonly scheme = 'memory';
  readonly backend = 'memory';
  readonly store: MemoryStore;
  readonly ttl: number | undefined;
  readonly #owned = new Map<string, ServiceInstance>();
  readonly #hub: WatchHub;
  #renewTimer: NodeJS.Timeout | undefined;
  #unsubscribe: () => void;
  #closed = false;

  constructor(config: BackendConfig | MemoryRegistryOptions = {}) {
    const fromUrl = isBackendConfig(config) ? config : undefined;
    const opts = (fromUrl?.options ?? config) as MemoryRegistryOptions;
    this.store = opts.store ?? namedStore(fromUrl?.url.host || 'default');
    this.ttl = parseDuration('ttl', opts.ttl ?? fromUrl?.url.searchParams.get('ttl') ?? undefined, fromUrl !== undefined && opts.ttl === undefined ? 's' : 'ms');
    this.#hub = new WatchHub({
      follow: (name) => this.#hub.publish(name, this.store.list(name)),
      unfollow: () => undefined,
    });
    this.#unsubscribe = this.store.subscribe((name) => {
      if (this.#hub.watching(name)) this.#hub.publish(name, this.store.list(name));
    });
  }

  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    throwIfAborted(opts.signal, 'register');
    const instance = validateInstance(input);
    this.store.put(instance, this.ttl);
    this.#owned.set(key(instance), instance);
    this.scheduleRenewals();
  }

  async deregister(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    throwIfAborted(opts.signal, 'deregister');
    const instance = validateInstance(input);
    this.#owned.delete(key(instance));
    this.store.delete(instance.name, instance.id);
    if (this.#owned.size === 0) this.stopRenewals();
  }

  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    this.assertOpen('getService');
    throwIfAborted(opts.signal, `getService '${name}'`);
    return sortInstances(this.store.list(name));
  }

  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    return this.#hub.watch(name, opts);
  }

  /** Stops renewing this client's instances without deregistering them: they expire after the TTL, like a crashed process's. */
  abandon(): void {
    this.stopRenewals();
    this.#owned.clear();
  }

  /** Names with instances in the store. */
  services(): string[] {
    return this.store.services();
  }

  /** Stops watchers and renewals. Owned instances are not deregistered (use `deregister`, or an `App`). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.stopRenewals();
    this.#unsubscribe();
    this.#hub.stopAll();
  }

  private scheduleRenewals(): void {
    if (this.ttl === undefined || this.#renewTimer !== undefined) return;
    const ttl = this.ttl;
    this.#renewTimer = setInterval(() => {
      for (const inst of this.#owned.values()) if (!this.store.renew(inst, ttl)) this.store.put(inst, ttl); // expired meanwhile: put it back
    }, Math.max(1, Math.floor(ttl / 3)));
    this.#renewTimer.unref();
  }

  private stopRenewals(): void {
    if (this.#renewTimer !== undefined) clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  private assertOpen(op: string): void {
    if (this.#closed) throw new DiscoveryError('E_DISCOVERY_CLOSED', `memory registry: ${op} after close()`);
  }
}

rememberBackend(MemoryRegistry);

function key(i: ServiceInstance): string {
  return `${i.name}/${i.id}`;
}
