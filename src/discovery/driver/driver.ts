/**
 * What a backend implements: primitives only. The kit ({@link DriverRegistry}) owns every piece
 * of shared state — desired instances, sessions' consequences, subscriptions, watchers — so a
 * driver holds no bookkeeping of its own beyond its connection.
 *
 * | backend   | writes                               | liveness                 | follows |
 * |-----------|--------------------------------------|--------------------------|---------|
 * | etcd      | put under the lease, delete          | a {@link Session} (lease) | prefix  |
 * | ZooKeeper | create ephemeral, delete             | a {@link Session}         | name    |
 * | Consul    | agent register, agent deregister     | heartbeat: check pass    | name    |
 * | memory    | map put, map delete                  | heartbeat: TTL renew     | name    |
 */
import type { ServiceInstance } from '../instance.js';
import type { FollowMode } from './watch-hub.js';
import type { Subscribe } from './follow.js';
import type { InstanceKey } from './reconciler.js';

/** What the kit gives a driver when it creates it. */
export interface DriverContext {
  /** Fires when the registry closes: every loop of the driver must end. */
  readonly closed: AbortSignal;
  /**
   * The registry's `livenessTimeout` (ms). A driver with {@link DiscoveryDriver.streamLiveness}
   * makes its subscriptions report (`sink.alive()`, or any list or event) well within it.
   */
  readonly livenessMs: number;
  /** The store lost these instances (every one when `keys` is omitted): the reconciler writes them again. */
  lost(keys?: Iterable<InstanceKey>): void;
  /** The connection as a whole is down (or back): every watcher shows it. */
  health(healthy: boolean, error?: Error): void;
  /** Warns once per key: malformed data written by someone else, a failing write. */
  warnOnce(key: string, msg: string): void;
  /** Counts and warns once about a value under our prefix that is not one of our instances. */
  skip(key: string, why: string): void;
}

/** A per-instance keep-alive, for backends without a session: Consul's TTL check, memory's TTL. */
export interface DriverHeartbeat {
  /** How often every confirmed instance is beaten. */
  readonly intervalMs: number;
  /** Keeps `instance` alive; `'lost'` when the store no longer has it (it is then written again). */
  beat(instance: ServiceInstance, signal: AbortSignal): Promise<'alive' | 'lost'>;
}

/** A discovery backend's primitives. See the module comment and docs/writing-a-backend.md. */
export interface DiscoveryDriver {
  /** The URL scheme, e.g. `etcd`. */
  readonly backend: string;
  /** One subscription per watched name, or one for the whole prefix. */
  readonly follows: FollowMode;
  /**
   * `true`: the driver's subscriptions hear from the backend at least every
   * `ctx.livenessMs / 2` while it is reachable (progress requests, keepalive answers, bounded
   * blocking queries), so the kit ends one silent for `livenessMs` as partitioned. Leave it
   * out when silence is normal and the connection's health comes another way (a session's
   * state through `ctx.health`, or an in-process store).
   */
  readonly streamLiveness?: boolean;
  /** Writes `instance` (create or replace). Throws on failure; the reconciler retries. */
  apply(instance: ServiceInstance, signal: AbortSignal): Promise<void>;
  /** Removes the instance at `key`; an absent one is not an error. */
  remove(key: InstanceKey, signal: AbortSignal): Promise<void>;
  /** Present for backends whose instances need beating. */
  readonly heartbeat?: DriverHeartbeat;
  /** Follows a subject until the signal fires (resolve) or it fails (reject). */
  readonly subscribe: Subscribe;
  /** One round trip: the instances of `name` now (foreign values skipped through `ctx.skip`). */
  read(name: string, signal: AbortSignal): Promise<ServiceInstance[]>;
  /** Names with at least one instance. */
  services(signal: AbortSignal): Promise<string[]>;
  /**
   * Releases the connection. `present` are the instances this client may still have in the
   * store: remove them, unless ending the session removes them anyway. Bounded by `signal`.
   */
  close(present: readonly InstanceKey[], signal: AbortSignal): Promise<void>;
  /** Drops the connection at once, without waiting for anything (close() ran out of time). */
  destroy(): void;
  /** Backend-specific counters, merged into `stats()`. */
  stats?(): Record<string, number>;
}

/** Makes a driver, given the kit's context. */
export type DriverFactory<D extends DiscoveryDriver = DiscoveryDriver> = (ctx: DriverContext) => D;
