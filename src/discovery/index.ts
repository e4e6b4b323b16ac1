/**
 * Service discovery: the Registrar/Discovery/Watcher contract, the embedded memory backend,
 * `createRegistry(url)`, the App lifecycle and the client side (selector, balancers, fetch).
 * The gRPC resolver is in `plugboard/discovery/grpc`.
 * @module
 */
export { DiscoveryError, type DiscoveryCode } from './errors.js';
export { validateInstance, parseStoredInstance, sortInstances, MAX_INSTANCE_BYTES, type ServiceInstance, type ServiceInstanceInput } from './instance.js';
export type { Registrar, Discovery, Watcher, WatchHealth, ServiceRegistry, ServiceRegistry as Registry, CallOptions } from './types.js';
export { ListWatcher } from './watcher.js';
export { WatchHub, type HubHooks } from './watch-hub.js';
export { createRegistry, backendRegistry, parseRegistryUrl, parseDuration, BACKENDS, type BackendConfig, type CreateRegistryOptions } from './backends.js';
export { MemoryRegistry, type MemoryRegistryOptions } from './memory/memory-registry.js';
export { MemoryStore } from './memory/memory-store.js';
export { App, type AppOptions } from './app.js';
export { parseTarget, type DiscoveryTarget } from './client/target.js';
export { toNodes, DEFAULT_WEIGHT, type Node } from './client/node.js';
export { versionFilter, metadataFilter, type NodeFilter } from './client/filters.js';
export {
  RoundRobinBalancer,
  RandomBalancer,
  WeightedRoundRobinBalancer,
  P2CBalancer,
  createBalancer,
  type Balancer,
  type BalancerName,
  type DoneInfo,
} from './client/balancers.js';
export { Selector, type SelectorOptions } from './client/selector.js';
export { createDiscoveryFetch, type DiscoveryFetch, type DiscoveryFetchOptions } from './client/fetch.js';
