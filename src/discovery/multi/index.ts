/**
 * `multi://`: one registry over several backends (docs/multi.md). Importing this module
 * registers the scheme; `plugboard/discovery` does, so `createRegistry([…])` works out of the box.
 * @module
 */
export { MultiRegistry } from './multi-registry.js';
export { openMulti, type MultiRegistryOptions } from './open.js';
