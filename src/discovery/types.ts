import type { ServiceInstance, ServiceInstanceInput } from './instance.js';

/** Options of calls that can be cancelled. */
export interface CallOptions {
  /** Ends the call (and, for `register`, withdraws it). The registry's own `timeout` applies as well. */
  signal?: AbortSignal;
}

/**
 * Registers and deregisters instances (go-kratos's `Registrar`). The contract every plugboard
 * backend keeps (docs/discovery.md, "What registered means"), and that a hand-written
 * `Registrar` should keep too:
 * - `register` resolves once the store holds the instance; it then stays, written again after
 *   any loss, until deregistered or its owner dies;
 * - a `register` that rejects (signal, timeout, error) leaves no trace: the instance never appears later;
 * - `deregister` resolves once the instance is gone; one cut short still happens.
 */
export interface Registrar {
  /** Registers (or replaces, by id) an instance. See the interface comment. */
  register(instance: ServiceInstanceInput, opts?: CallOptions): Promise<void>;
  /** Removes an instance; only its name and id are read. Removing an unknown one is not an error. */
  deregister(instance: ServiceInstanceInput | Pick<ServiceInstance, 'name' | 'id'>, opts?: CallOptions): Promise<void>;
}

/** Backend health as a watcher sees it. */
export interface WatchHealth {
  /** `false` while the backend is unreachable; the watcher then keeps the last list. */
  readonly healthy: boolean;
  /** The last backend error while degraded. */
  readonly error?: Error;
  /** When the current state began (epoch ms). */
  readonly since: number;
  /** Each source's own health, in the order of the sources, for a registry that merges several backends (`multi://`); absent otherwise. */
  readonly sources?: readonly SourceHealth[];
}

/** One source's health in a merged watch (`multi://`). */
export interface SourceHealth {
  /** The source, as given (a URL with its password hidden, or a backend's scheme). */
  readonly source: string;
  /** `false` while this source is unreachable; the merged list keeps its last list. */
  readonly healthy: boolean;
  /** The source's last error while degraded. */
  readonly error?: Error;
  /** When this source's current state began (epoch ms). */
  readonly since: number;
}

/**
 * Follows one service's instance list. `next()` resolves with the full list: the first call
 * at once (even when empty), every later call on the next change (the empty list included).
 * Changes coalesce: the latest state wins. After `stop()`, `next()` rejects with
 * `E_DISCOVERY_STOPPED` and `for await` ends.
 */
export interface Watcher extends AsyncIterable<ServiceInstance[]> {
  /** The current list (first call) or the next changed one. */
  next(): Promise<ServiceInstance[]>;
  /** Ends the watch; a pending `next()` rejects with `E_DISCOVERY_STOPPED`. Idempotent. */
  stop(): void;
  /** Backend health as this watcher sees it. */
  readonly health: WatchHealth;
  /** Whether `stop()` was called (or the signal aborted). */
  readonly stopped: boolean;
}

/** Finds and follows instances (go-kratos's `Discovery`). */
export interface Discovery {
  /** The current instances of `name`, sorted by id; `[]` for an unknown name. */
  getService(name: string, opts?: CallOptions): Promise<ServiceInstance[]>;
  /** A watcher of `name`; it does not wait for the backend (its first `next()` does). Aborting `opts.signal` stops it. */
  watch(name: string, opts?: CallOptions): Promise<Watcher>;
}

/** A backend: both sides, plus `close()`. */
export interface ServiceRegistry extends Registrar, Discovery {
  /** The URL scheme of the backend (`memory`, `etcd`, …). */
  readonly backend: string;
  /** Names of the services with at least one instance (sorted), for tools such as `plugboard ls`. */
  services(opts?: CallOptions): string[] | Promise<string[]>;
  /**
   * Releases everything: watchers stop, this client's instances are removed, timers and
   * connections close. Resolves within a bounded time (default 5 s), even with the backend
   * unreachable; afterwards nothing of ours keeps the process alive. Idempotent.
   */
  close(): Promise<void>;
}
