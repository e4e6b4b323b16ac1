/**
 * The error catalogue: every `code` a plugboard error can carry, in one place (as avvio's
 * `lib/errors.js`). Each family has one error class; docs/errors.md has a row per code saying
 * what it means and what to do. This module sits at the bottom of the layers, so every layer
 * (registry core, decorators, DI, plugins, discovery) takes its codes from here.
 */

/** Codes of the registry core: registries, scopes, factories and providers (`RegistryError` and its subclasses). */
export const REGISTRY_CODES = [
  'E_DUPLICATE',
  'E_NIL',
  'E_FROZEN',
  'E_UNKNOWN',
  'E_INVALID_NAME',
  'E_INVALID_VERSION',
  'E_INVALID_OPTION',
  'E_CONFIG',
  'E_KIND_MISMATCH',
  'E_FACTORY',
  'E_SNAPSHOT',
  'E_NOT_DECORATED',
  'E_UNKNOWN_FORMAT',
] as const;

/** Code of an all-or-nothing operation that failed for several reasons (`PlugboardAggregateError`). */
export const AGGREGATE_CODES = ['E_BATCH'] as const;

/** Code of a misused decorator (`DecoratorError`). */
export const DECORATOR_CODES = ['E_DECORATOR'] as const;

/** Codes of the native DI injector (`DiError`). */
export const DI_CODES = [
  'E_DI_CYCLE',
  'E_DI_MISSING',
  'E_DI_CONTEXT',
  'E_DI_ASYNC',
  'E_DI_TOKEN',
  'E_DI_PARAMS',
  'E_DI_DISPOSED',
  'E_DI_ABORTED',
  'E_DI_DISPOSE',
] as const;

/** Codes of the plugin layer (`PluginError`). */
export const PLUGIN_CODES = [
  'E_PLUGIN_MANIFEST',
  'E_PLUGIN_API',
  'E_PLUGIN_PATH',
  'E_PLUGIN_LOAD',
  'E_PLUGIN_CYCLE',
  'E_PLUGIN_DEPENDENCY',
  'E_PLUGIN_DUPLICATE',
  'E_PLUGIN_TIMEOUT',
  'E_PLUGIN_SETUP',
  'E_PLUGIN_STATE',
  'E_PLUGIN_DEPENDENTS',
  'E_PLUGIN_UNKNOWN',
  'E_PLUGIN_BOOT',
] as const;

/** Codes of the discovery layer (`DiscoveryError`). */
export const DISCOVERY_CODES = [
  'E_DISCOVERY_INSTANCE',
  'E_DISCOVERY_URL',
  'E_DISCOVERY_STOPPED',
  'E_DISCOVERY_NO_NODES',
  'E_DISCOVERY_TIMEOUT',
  'E_DISCOVERY_CLOSED',
  'E_DISCOVERY_ABORTED',
  'E_DISCOVERY_BACKEND',
  'E_DISCOVERY_AUTH',
  'E_DISCOVERY_MISUSE',
  'E_DISCOVERY_UNKNOWN',
  'E_DISCOVERY_FILTER',
  'E_DISCOVERY_HOOK',
  'E_DISCOVERY_NOT_READY',
  'E_DISCOVERY_STOP',
  'E_DISCOVERY_UNREACHABLE',
] as const;

/** A code of the registry core. */
export type RegistryCode = (typeof REGISTRY_CODES)[number];
/** A code a `PlugboardAggregateError` carries: `E_BATCH`, the injector's `E_DI_DISPOSE`, or the plugin layer's `E_PLUGIN_BOOT`. */
export type AggregateCode = (typeof AGGREGATE_CODES)[number] | 'E_PLUGIN_BOOT' | 'E_DI_DISPOSE';
/** The code of a misused decorator. */
export type DecoratorCode = (typeof DECORATOR_CODES)[number];
/** A code of the native DI injector. */
export type DICode = (typeof DI_CODES)[number];
/** A code of the plugin layer. */
export type PluginCode = (typeof PLUGIN_CODES)[number];
/** A code of the discovery layer. */
export type DiscoveryCode = (typeof DISCOVERY_CODES)[number];

/** Every code a plugboard error can carry. */
export type PlugboardCode = RegistryCode | AggregateCode | DecoratorCode | DICode | PluginCode | DiscoveryCode;

/** Every code, family by family (docs/errors.md lists them in this order). */
export const PLUGBOARD_CODES: readonly PlugboardCode[] = Object.freeze([
  ...REGISTRY_CODES,
  ...AGGREGATE_CODES,
  ...DECORATOR_CODES,
  ...DI_CODES,
  ...PLUGIN_CODES,
  ...DISCOVERY_CODES,
]);
