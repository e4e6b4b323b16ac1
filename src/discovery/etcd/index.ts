/**
 * The etcd discovery backend (`plugboard/discovery/etcd`). Importing this module registers the
 * `etcd` scheme for `createRegistry`. `etcd3` is an optional peer dependency.
 * @module
 */
export { EtcdRegistry } from './etcd-registry.js';
export type { EtcdRegistryOptions, EtcdConnectionOptions } from './options.js';
