/**
 * Service discovery, the user's entry (`plugboard/discovery`): `createRegistry(url)`, the
 * Registrar/Discovery/Watcher contract, the embedded memory backend, the App lifecycle and
 * the client side (selector, balancers, filters, fetch). Backends live in their own entries
 * (`plugboard/discovery/etcd`, `…/zookeeper`, `…/consul`), the gRPC resolver in
 * `plugboard/discovery/grpc`, and what a backend implementer needs in `plugboard/discovery/driver`.
 * @module
 */
export { DiscoveryError, type DiscoveryCode } from './errors.js';
export type { ServiceInstance, ServiceInstanceInput } from './instance.js';
export type { Registrar, Discovery, Watcher, WatchHealth, SourceHealth, ServiceRegistry, ServiceRegistry as Registry, CallOptions } from './types.js';
export { createRegistry, backendRegistry, BACKENDS, type CreateRegistryOptions } from './backends.js';
export type { BackendConfig } from './backend-config.js';
export type { KitOptions } from './driver/options.js';
export type { KitStats } from './driver/registry.js';
export { MemoryRegistry, type MemoryRegistryOptions } from './memory/memory-registry.js';
export { MemoryStore } from './memory/memory-store.js';
export { MultiRegistry, type MultiRegistryOptions } from './multi/index.js';
export { App, AppStopError, type AppOptions, type AppHook, type ReadinessCheck, type ReadinessResult } from './app.js';
export { parseTarget, type DiscoveryTarget } from './client/target.js';
export { toNodes, DEFAULT_WEIGHT, MAX_WEIGHT, type Node } from './client/node.js';
export { versionFilter, metadataFilter, parseFilter, FILTER_NAMES, type NodeFilter } from './client/filters.js';
export {
  RoundRobinBalancer,
  RandomBalancer,
  WeightedRoundRobinBalancer,
  P2CBalancer,
  RingHashBalancer,
  createBalancer,
  BALANCER_NAMES,
  type P2COptions,
  type RingHashOptions,
  type Balancer,
  type BalancerName,
  type DoneInfo,
} from './client/balancers.js';
export { Selector, Selection, type SelectorOptions, type PickOptions, type Tier, type FilterLike } from './client/selector.js';
export { createDiscoveryFetch, type DiscoveryFetch, type DiscoveryFetchOptions, type DiscoveryRequestInit } from './client/fetch.js';
