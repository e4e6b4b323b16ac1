import type { ServiceInstance, ServiceInstanceInput } from './instance.js';

/** Options of calls that can be cancelled. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Registers and deregisters instances (go-kratos's `Registrar`). */
export interface Registrar {
  register(instance: ServiceInstanceInput, opts?: CallOptions): Promise<void>;
  deregister(instance: ServiceInstanceInput, opts?: CallOptions): Promise<void>;
}

/** Backend health as a watcher sees it. */
export interface WatchHealth {
  /** `false` while the backend is unreachable; the watcher then keeps the last list. */
  readonly healthy: boolean;
  /** The last backend error while degraded. */
  readonly error?: Error;
  /** When the current state began (epoch ms). */
  readonly since: number;
}

/**
 * Follows one service's instance list. `next()` resolves with the full list: the first call
 * at once (even when empty), every later call on the next change (the empty list included).
 * Changes coalesce: the latest state wins. After `stop()`, `next()` rejects with
 * `E_DISCOVERY_STOPPED` and `for await` ends.
 */
export interface Watcher extends AsyncIterable<ServiceInstance[]> {
  next(): Promise<ServiceInstance[]>;
  stop(): void;
  readonly health: WatchHealth;
  readonly stopped: boolean;
}

/** Finds and follows instances (go-kratos's `Discovery`). */
export interface Discovery {
  /** The current instances of `name`, sorted by id; `[]` for an unknown name. */
  getService(name: string, opts?: CallOptions): Promise<ServiceInstance[]>;
  /** A watcher of `name`. Aborting `opts.signal` stops it. */
  watch(name: string, opts?: CallOptions): Promise<Watcher>;
}

/** A backend: both sides, plus `close()`. */
export interface ServiceRegistry extends Registrar, Discovery {
  /** The URL scheme of the backend (`memory`, `etcd`, …). */
  readonly backend: string;
  /** Names of the services with at least one instance (sorted), for tools such as `plugboard ls`. */
  services(opts?: CallOptions): string[] | Promise<string[]>;
  /** Releases everything: watchers stop, timers and connections close. Idempotent. */
  close(): Promise<void>;
}
