/**
 * The ZooKeeper discovery backend (`plugboard/discovery/zookeeper`). Importing this module
 * registers the `zookeeper` scheme for `createRegistry`. The `zookeeper` npm package (the
 * maintained native client) is an optional peer dependency.
 * @module
 */
export { ZooKeeperRegistry, type ZooKeeperRegistryOptions } from './zookeeper-registry.js';
