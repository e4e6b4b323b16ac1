/**
 * The Consul discovery backend (`plugboard/discovery/consul`). Importing this module registers
 * the `consul` scheme for `createRegistry`. The `consul` npm client is an optional peer dependency.
 * @module
 */
export { ConsulRegistry } from './consul-registry.js';
export type { ConsulRegistryOptions, ConsulCheck } from './options.js';
