/**
 * plugboard: registries, plugins and service discovery for TypeScript.
 * @module
 */
export * from './container/index.js';
export * from './decorators/index.js';
