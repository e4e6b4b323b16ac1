/**
 * The plugboard error hierarchy. Every error thrown by plugboard carries a stable `code`
 * (`E_DUPLICATE`, `E_NIL`, …; the catalogue is codes.ts and docs/errors.md) and, where known,
 * the registry id, the key and the registration site, so that a log line alone is enough to
 * find the culprit.
 */
import type { AggregateCode, PlugboardCode, RegistryCode } from './codes.js';

export type { AggregateCode, DecoratorCode, DICode, DiscoveryCode, PlugboardCode, PluginCode, RegistryCode } from './codes.js';

/** Brand shared by every copy of the package (ESM + CJS, or two installed versions). */
const BRAND: unique symbol = Symbol.for('plugboard.error') as never;

/** Context attached to a {@link PlugboardError}. */
export interface ErrorDetails {
  /** Id of the registry involved, e.g. `sql.drivers`. */
  registry?: string;
  /** Key (name) involved. */
  key?: string;
  /** Source location (`file:line`) of the registration involved. */
  site?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

function brand(err: object): void {
  Object.defineProperty(err, BRAND, { value: true });
}

function isBranded(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Base class of every plugboard error. `instanceof PlugboardError` also holds for errors
 * thrown by another copy of the package, and for {@link PlugboardAggregateError}.
 */
export class PlugboardError extends Error {
  /** Stable machine-readable code such as `E_DUPLICATE` (see docs/errors.md). */
  readonly code: PlugboardCode;
  /** Id of the registry involved, when there is one. */
  readonly registry?: string;
  /** Key involved, when there is one. */
  readonly key?: string;
  /** Registration site (`file:line`) involved, when known. */
  readonly site?: string;

  constructor(code: PlugboardCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    if (details.registry !== undefined) this.registry = details.registry;
    if (details.key !== undefined) this.key = details.key;
    if (details.site !== undefined) this.site = details.site;
    brand(this);
  }

  /** Brand check on the base class only; subclasses keep ordinary prototype checks. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === PlugboardError) return isBranded(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/**
 * One error standing for several (batch registration, plugin loading). It is a real
 * `AggregateError` and also passes `instanceof PlugboardError`.
 */
export class PlugboardAggregateError extends AggregateError {
  /** `E_BATCH` (an all-or-nothing operation failed for several reasons) or `E_PLUGIN_BOOT`. */
  readonly code: AggregateCode;
  /** Id of the registry involved, when there is one. */
  readonly registry?: string;

  constructor(code: AggregateCode, errors: Iterable<unknown>, message: string, details: { registry?: string } = {}) {
    super(errors, message);
    this.name = 'PlugboardAggregateError';
    this.code = code;
    if (details.registry !== undefined) this.registry = details.registry;
    brand(this);
  }
}

/**
 * @internal Throws what an all-or-nothing operation collected (a batch registration, a replaceAll,
 * `scope.install`, a plugin's commit), by one rule everywhere: one failure is thrown as
 * itself, several as one `E_BATCH` aggregate holding them all. Nothing was changed either way.
 */
export function throwCollected(errors: readonly unknown[], message: (count: number) => string, registry?: string): void {
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  throw new PlugboardAggregateError('E_BATCH', errors, message(errors.length), registry === undefined ? {} : { registry });
}

/** The family class of the registry core's errors; each code has its own subclass where it carries data. */
export class RegistryError extends PlugboardError {
  declare readonly code: RegistryCode;
  constructor(code: RegistryCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

function at(site: string | undefined): string {
  return site === undefined ? 'an unknown site' : site;
}

/** A key was registered twice (`E_DUPLICATE`). Carries both entries, like client_golang's `AlreadyRegisteredError`. */
export class DuplicateRegistrationError extends RegistryError {
  /** The entry already in the registry. */
  readonly existing: { value: unknown; site?: string };
  /** The rejected registration. */
  readonly incoming: { value: unknown; site?: string };

  constructor(registry: string, key: string, existing: { value: unknown; site?: string }, incoming: { value: unknown; site?: string }) {
    super('E_DUPLICATE', `${registry}: '${key}' is already registered (first at ${at(existing.site)}, again at ${at(incoming.site)})`, {
      registry,
      key,
      ...(incoming.site === undefined ? {} : { site: incoming.site }),
    });
    this.existing = existing;
    this.incoming = incoming;
  }
}

/** `null`/`undefined` was registered, or a factory/provider produced nothing (`E_NIL`). */
export class NilRegistrationError extends RegistryError {
  constructor(registry: string, key: string, what: string, site?: string) {
    super('E_NIL', `${registry}: ${what} for '${key}'${site === undefined ? '' : ` (at ${site})`}`, {
      registry,
      key,
      ...(site === undefined ? {} : { site }),
    });
  }
}

/** A mutation was attempted on a frozen registry (`E_FROZEN`). */
export class FrozenRegistryError extends RegistryError {
  constructor(registry: string, key: string | undefined, operation: string, site?: string) {
    const what = key === undefined ? operation : `${operation} '${key}'`;
    super('E_FROZEN', `${registry}: registry is frozen; cannot ${what} (at ${at(site)})`, {
      registry,
      ...(key === undefined ? {} : { key }),
      ...(site === undefined ? {} : { site }),
    });
  }
}

/** `mustGet` (or a lookup that needs a hit, such as a handler `dispatch`) missed (`E_UNKNOWN`). */
export class UnknownNameError extends RegistryError {
  /** The names that are registered, sorted. */
  readonly known: readonly string[];
  /** The closest known name, if one is close enough to be a likely typo. */
  readonly suggestion?: string;

  /**
   * The id of another registry of the scope, when this one was never written to and its id is
   * close to that one's: the registry was most likely created by a read with a mistyped id.
   */
  readonly registrySuggestion?: string;

  /**
   * `miss` says what missed (default `unknown name '<key>'`); `listed` names what `known` holds
   * (default `known`); `registrySuggestion`, see the field.
   */
  constructor(
    registry: string,
    key: string,
    known: readonly string[],
    suggestion?: string,
    miss = `unknown name '${key}'`,
    listed = 'known',
    registrySuggestion?: string,
  ) {
    const hint = suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
    const list = known.length === 0 ? 'nothing is registered' : `${listed}: ${formatList(known)}`;
    const typo =
      registrySuggestion === undefined
        ? ''
        : `; registry '${registry}' was never written to: did you mean registry '${registrySuggestion}'? (scope.registry(id, Kind) creates a registry on first use)`;
    super('E_UNKNOWN', `${registry}: ${miss}${hint}; ${list}${typo}`, { registry, key });
    this.known = known;
    if (suggestion !== undefined) this.suggestion = suggestion;
    if (registrySuggestion !== undefined) this.registrySuggestion = registrySuggestion;
  }
}

/** A key that is not a usable name (`E_INVALID_NAME`). */
export class InvalidNameError extends RegistryError {
  constructor(registry: string, key: unknown, reason: string) {
    super('E_INVALID_NAME', `${registry}: invalid name ${describeKey(key)}: ${reason}`, {
      registry,
      ...(typeof key === 'string' ? { key: key.length > 80 ? `${key.slice(0, 80)}…` : key } : {}),
    });
  }
}

/** A version or range that semver cannot parse (`E_INVALID_VERSION`). */
export class InvalidVersionError extends RegistryError {
  /** `version` is the input that was refused; when there was none (`undefined`), the message says only `reason`. */
  constructor(registry: string, key: string, version: unknown, reason: string) {
    super('E_INVALID_VERSION', `${registry}: '${key}': ${reason}${version === undefined ? '' : `: ${describeKey(version)}`}`, { registry, key });
  }
}

/** One violated property of a config object. */
export interface ConfigViolation {
  /** Dotted property path (`pool.max`). */
  property: string;
  /** Constraint name → message, as class-validator reports them. */
  constraints: Record<string, string>;
}

/** `new(name, cfg)` got a config that fails validation (`E_CONFIG`). */
export class ConfigValidationError extends RegistryError {
  /** Every violated property and constraint. */
  readonly violations: readonly ConfigViolation[];

  /** `cause`: what a validator threw, when it threw instead of reporting issues. */
  constructor(registry: string, key: string, violations: readonly ConfigViolation[], cause?: unknown) {
    const lines = violations.map((v) => `${v.property}: ${Object.values(v.constraints).join('; ')}`);
    super('E_CONFIG', `${registry}: invalid config for '${key}': ${lines.join(' | ')}`, { registry, key, ...(cause === undefined ? {} : { cause }) });
    this.violations = violations;
  }
}

/** A registry id was requested with a different kind than it was created with (`E_KIND_MISMATCH`). */
export class RegistryKindError extends RegistryError {
  constructor(scope: string, registry: string, existing: string, requested: string) {
    super(
      'E_KIND_MISMATCH',
      `${registry}: scope '${scope}' already has this registry as ${article(existing)} ${existing} registry; it was requested as ${article(requested)} ${requested} registry`,
      { registry },
    );
  }
}

/** A factory or provider threw while constructing a value (`E_FACTORY`). */
export class FactoryError extends RegistryError {
  constructor(registry: string, key: string, cause: unknown, site?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('E_FACTORY', `${registry}: constructing '${key}' failed: ${reason}`, {
      registry,
      key,
      cause,
      ...(site === undefined ? {} : { site }),
    });
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);
  if (key === null) return 'null';
  return typeof key;
}

function formatList(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => `'${n}'`);
  if (names.length > 20) shown.push(`… ${names.length - 20} more`);
  return shown.join(', ');
}

/** An option passed to a registry or decorator has a value it cannot use (`E_INVALID_OPTION`). */
export class InvalidOptionError extends RegistryError {
  constructor(registry: string, key: string | undefined, message: string) {
    super('E_INVALID_OPTION', `${registry}: ${key === undefined ? '' : `'${key}': `}${message}`, {
      registry,
      ...(key === undefined ? {} : { key }),
    });
  }
}
