/**
 * The registry core: registry kinds, scopes, the default scope, the error hierarchy and its
 * code catalogue.
 * @module
 */
export * from './errors.js';
export type { Entry, RegisterOptions, RegistryChange, ChangeListener, RegistryJSON, RegistryState } from './entry.js';
export type { ReadonlyRegistry } from './readonly-registry.js';
export { BaseRegistry, type RegistryOptions, type BatchInput, type BatchItem, type Prepared } from './base-registry.js';
export { ImplementationRegistry } from './implementation-registry.js';
export { FactoryRegistry, type Factory, type FactoryContext, type FactoryRegisterOptions } from './factory-registry.js';
export { validateConfig, type ConfigSpec, type ConfigClass, type StandardSchemaV1 } from './config-validation.js';
export { HandlerRegistry, type HandlerMatch, type HandlerRegistryOptions } from './handler-registry.js';
export { FormatRegistry, type Format, type Magic, type SniffResult } from './format-registry.js';
export { TaggedRegistry, TaggedView, matchesFilter, type TaggedEntry, type TaggedRegisterOptions, type TagFilter, type Tags } from './tagged-registry.js';
export { VersionedRegistry, type VersionedRegisterOptions } from './versioned-registry.js';
export { HierarchicalRegistry, type HierarchicalRegistryOptions, type TreeNode } from './hierarchical-registry.js';
export { Scope, type RegistryClass, type ScopeSnapshot, type ScopeJSON } from './scope.js';
export { defaultScope, setDefaultScope, resetDefaultScope, withScope } from './default-scope.js';
export { validateName, MAX_NAME_LENGTH } from './names.js';
export { provider, type Lifetime, type ProviderSpec } from './provider.js';
export type { Resolver } from './di/resolver.js';
export { TOKENS, registryToken } from './di/tokens.js';
export type { Logger } from './logger.js';
export { token, entryToken, tokenName, type Token, type InjectionToken } from './di/tokens.js';
export { inject, type InjectOptions } from './di/context.js';
export { Injector, type GetOptions, type AbortOptions } from './di/injector.js';
export type { DiLifetime, Provider, ValueProvider, ClassProvider, FactoryProvider, SelfProvider } from './di/providers.js';
export { DiError, type DiCode, type DiErrorDetails } from './di/errors.js';
