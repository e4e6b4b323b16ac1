/**
 * What `scope.provide(token, provider)` accepts, checked into a {@link ProviderRecord}. Bad
 * input is rejected here, before anything is stored.
 */
import { InvalidOptionError, NilRegistrationError } from '../errors.js';
import { closestName } from '../names.js';
import type { Scope } from '../scope.js';
import type { LazySite } from '../site.js';
import { DiError } from './errors.js';
import type { Frame } from './context.js';
import type { Plan } from './plan.js';
import { isInjectionToken, TOKENS, tokenName, type InjectionToken } from './tokens.js';
import { showValue } from '../show-value.js';

/**
 * How long a provided instance lives:
 * - `'singleton'` (default): one per providing scope, built on first use;
 * - `'scoped'`: one per scope that resolves it (a child scope per request gets its own);
 * - `'transient'`: a new one on every resolution.
 */
export type DiLifetime = 'singleton' | 'scoped' | 'transient';

/** A ready value, shared as is. plugboard did not build it, so it does not dispose it. */
export interface ValueProvider<T> {
  /** The value (not `null` or `undefined`). */
  value: T;
}
/** A class to build, its dependencies injected. */
export interface ClassProvider<T> {
  /** The class to build; it declares its dependencies with `static inject`, `inject()` or `@Inject`. */
  useClass: new (...args: never[]) => T;
  /** Default `'singleton'`. */
  lifetime?: DiLifetime;
}
/** A function to call (inside the injection context: it may use `inject()`); it may return a promise. */
export interface FactoryProvider<T> {
  /** Called with the building scope; a promise makes the provider async (`await scope.resolve`). */
  useFactory: (scope: Scope) => T | Promise<T>;
  /** Default `'singleton'`. */
  lifetime?: DiLifetime;
}
/** For a class token: build the class itself. */
export interface SelfProvider {
  /** Default `'singleton'`. */
  lifetime?: DiLifetime;
}

/** What {@link Scope.provide} accepts. */
export type Provider<T> = ValueProvider<T> | ClassProvider<T> | FactoryProvider<T> | SelfProvider;

/** Marks a record with no cached value. */
export const UNSET: unique symbol = Symbol('plugboard.di.unset') as never;

const LIFETIMES: readonly string[] = ['singleton', 'scoped', 'transient'];
const KINDS = ['value', 'useClass', 'useFactory'] as const;
const OPTIONS: readonly string[] = [...KINDS, 'lifetime'];

/** One provided token in one scope. A class, so that every record has the same shape on the hot path. */
export class ProviderRecord {
  /** The singleton's value (or the provided value), else {@link UNSET}. */
  value: unknown = UNSET;
  /** A singleton's async factory in flight. */
  pending: Promise<unknown> | undefined = undefined;
  /** Set while the record is being built (cycle detection). */
  building = false;
  /** The class's plan, on first build. */
  plan: Plan | undefined = undefined;
  /**
   * The records of the plan's constructor parameters as last looked up from `depsFrom`, valid
   * while no provider was added anywhere since (`depsVersion`): saves a lookup per argument.
   */
  deps: ReadonlyArray<ProviderRecord | undefined> | undefined = undefined;
  depsFrom: object | undefined = undefined;
  depsVersion = -1;
  /** The construction frame of this record, reused by every build (see `Frame`). */
  frame: Frame | undefined = undefined;

  constructor(
    readonly token: InjectionToken,
    /** The token as it reads in messages. */
    readonly name: string,
    /** The injector of the providing scope. */
    readonly owner: object,
    readonly lifetime: DiLifetime,
    readonly kind: 'value' | 'class' | 'factory',
    readonly cls: (new (...args: unknown[]) => unknown) | undefined,
    readonly factory: ((scope: Scope) => unknown) | undefined,
    readonly site: LazySite | undefined,
  ) {}
}

/** Checks `token` and `provider` and returns the record to store. */
export function toRecord(scope: string, token: unknown, provider: unknown, owner: object, site: LazySite | undefined): ProviderRecord {
  const where = `scope '${scope}'`;
  if (!isInjectionToken(token)) {
    throw new DiError('E_DI_TOKEN', `${where}: provide() needs a token (a class, or a symbol from token<T>('name')), got ${tokenName(token)}`, { scope });
  }
  const name = tokenName(token);
  if (token === TOKENS.Scope || token === TOKENS.Config) {
    throw new InvalidOptionError(where, name, `${name} is built in (the building scope, the config of a factory product) and cannot be provided`);
  }
  if (provider === undefined && typeof token === 'symbol')
    throw new InvalidOptionError(where, name, 'a symbol token needs { value } | { useClass } | { useFactory }');
  const spec = provider === undefined ? {} : provider;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidOptionError(
      where,
      name,
      `a provider must be an object { value } | { useClass } | { useFactory }, got ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec}`,
    );
  }
  const keys = Object.keys(spec);
  for (const k of keys) {
    if (OPTIONS.includes(k)) continue;
    const near = closestName(k, OPTIONS);
    throw new InvalidOptionError(
      where,
      name,
      `unknown provider option '${k}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${OPTIONS.join(', ')}`,
    );
  }
  const given = KINDS.filter((k) => keys.includes(k));
  if (given.length > 1) throw new InvalidOptionError(where, name, `a provider takes exactly one of value, useClass, useFactory; got ${given.join(' and ')}`);
  const s = spec as { value?: unknown; useClass?: unknown; useFactory?: unknown; lifetime?: unknown };
  const lifetime = s.lifetime ?? 'singleton';
  if (typeof lifetime !== 'string' || !LIFETIMES.includes(lifetime)) {
    throw new InvalidOptionError(
      where,
      name,
      `lifetime must be one of ${LIFETIMES.map((l) => `'${l}'`).join(', ')}, got ${typeof lifetime === 'string' ? `'${lifetime}'` : showValue(lifetime)}`,
    );
  }
  const life = lifetime as DiLifetime;
  const kind = given[0] ?? (typeof token === 'function' ? 'useClass' : undefined);
  switch (kind) {
    case 'value': {
      if (s.value === undefined || s.value === null) throw new NilRegistrationError(where, name, `provided value is ${String(s.value)}`);
      if (life !== 'singleton') throw new InvalidOptionError(where, name, `a value is shared as is; lifetime '${life}' needs useClass or useFactory`);
      const r = new ProviderRecord(token, name, owner, life, 'value', undefined, undefined, site);
      r.value = s.value;
      return r;
    }
    case 'useClass': {
      const cls = s.useClass ?? token;
      if (typeof cls !== 'function' || cls.prototype === undefined)
        throw new InvalidOptionError(where, name, `useClass must be a class, got ${tokenName(cls)}`);
      return new ProviderRecord(token, name, owner, life, 'class', cls as new (...args: unknown[]) => unknown, undefined, site);
    }
    case 'useFactory':
      if (typeof s.useFactory !== 'function') throw new InvalidOptionError(where, name, `useFactory must be a function, got ${tokenName(s.useFactory)}`);
      return new ProviderRecord(token, name, owner, life, 'factory', undefined, s.useFactory as (scope: Scope) => unknown, site);
    default:
      throw new InvalidOptionError(where, name, 'a symbol token needs { value } | { useClass } | { useFactory }');
  }
}
