import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { DiscoveryDriver, DriverHeartbeat } from '../driver/driver.js';
import type { FollowSink } from '../driver/follow.js';
import type { InstanceKey } from '../driver/reconciler.js';
import type { MemoryStore } from './memory-store.js';

/** The memory backend's primitives: map operations on a {@link MemoryStore}, and TTL renewal as a heartbeat. */
export class MemoryDriver implements DiscoveryDriver {
  readonly backend = 'memory';
  readonly follows = 'name' as const;
  readonly heartbeat: DriverHeartbeat | undefined;

  constructor(
    readonly store: MemoryStore,
    readonly ttlMs: number | undefined,
  ) {
    const ttl = ttlMs;
    // Renew at a third of the TTL, so one late renewal does not expire an instance.
    this.heartbeat =
      ttl === undefined ? undefined : { intervalMs: Math.max(1, Math.floor(ttl / 3)), beat: async (i) => (store.renew(i, ttl) ? 'alive' : 'lost') };
  }

  async apply(instance: ServiceInstance): Promise<void> {
    this.store.put(instance, this.ttlMs);
  }

  async remove(key: InstanceKey): Promise<void> {
    this.store.delete(key.name, key.id);
  }

  async read(name: string): Promise<ServiceInstance[]> {
    return this.store.list(name);
  }

  async services(): Promise<string[]> {
    return this.store.services();
  }

  /** Lists `name` now and on every change, until the signal fires or the store becomes unreachable. */
  subscribe(name: string, sink: FollowSink, signal: AbortSignal): Promise<void> {
    this.store.assertReachable('watch');
    return new Promise((resolve, reject) => {
      const unsubscribe = this.store.subscribe((changed) => {
        if (changed === name) sink.list(name, this.store.list(name));
      });
      const stopOutage = this.store.onOutage(() => {
        cleanup();
        reject(new DiscoveryError('E_DISCOVERY_BACKEND', `memory store: watch '${name}' ended: the store is unreachable (simulated outage)`));
      });
      const onAbort = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        unsubscribe();
        stopOutage();
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sink.list(name, this.store.list(name));
    });
  }

  async close(present: readonly InstanceKey[]): Promise<void> {
    if (!this.store.reachable) return;
    for (const k of present) this.store.delete(k.name, k.id);
  }

  destroy(): void {}
}
