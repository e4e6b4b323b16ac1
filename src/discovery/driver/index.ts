/**
 * The implementer's entry (`plugboard/discovery/driver`), as `database/sql/driver` is to
 * `database/sql`: what a discovery backend needs. A backend supplies primitives
 * ({@link DiscoveryDriver}); the kit ({@link DriverRegistry}) owns every piece of shared state:
 * the reconciler of registrations, the follow state machines and the watchers, sessions, the
 * heartbeat, and the guards. docs/writing-a-backend.md walks through a new backend, and
 * `plugboard/testing` proves it with the same suites ours pass.
 * @module
 */
export type { DiscoveryDriver, DriverContext, DriverFactory, DriverHeartbeat } from './driver.js';
export { DriverRegistry, instanceKey, type KitStats } from './registry.js';
export { RegisterBackend } from './register-backend.js';
export { Reconciler, type InstanceKey, type StoreWrites, type ReconcilerOptions, type ReconcilerStats } from './reconciler.js';
export { Session, type SessionHooks, type Live } from './session.js';
export { Follow, type FollowState, type FollowSink, type Subscribe } from './follow.js';
export { WatchHub, type FollowMode, type WatchHubOptions } from './watch-hub.js';
export { ListWatcher } from './watcher.js';
export { WarnOnce } from './warn-once.js';
export { abortable, abortError, callSignal, deferred, sleep, throwIfAborted, Deadline, type CallSignal, type Deferred } from './abort.js';
export { backoff, DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
export {
  validateInstance,
  validateServiceName,
  validateId,
  serviceNameProblem,
  encodeInstance,
  decodeInstance,
  sameInstance,
  sameList,
  sortInstances,
  MAX_INSTANCE_BYTES,
  MAX_READ_INSTANCE_BYTES,
  type Strictness,
} from './codec.js';
export {
  parseRegistryUrl,
  parseDuration,
  redact,
  rejectUnknownOptions,
  resolveKitOptions,
  KIT_OPTIONS,
  KIT_URL_OPTIONS,
  MAX_TIMER_MS,
  type DurationBounds,
  type KitOptions,
  type ResolvedKitOptions,
  type Interposer,
} from './options.js';
export { isBackendConfig, type BackendConfig } from '../backend-config.js';
export { BACKENDS, backendRegistry, libraryScope } from '../backends.js';
