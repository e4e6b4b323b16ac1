/**
 * Injection tokens: what `inject()`, `@Inject()`, `static inject` and `scope.provide` name a
 * dependency by. A token is a class or a symbol. A symbol token carries the type of its value
 * in the type system only (`Token<Logger>`); at run time it is a plain symbol, so inversify
 * and tsyringe accept the same tokens.
 */
import { validateName } from '../names.js';

declare const VALUE: unique symbol;

/**
 * A symbol naming a dependency of type `T`. The type parameter is a phantom, and it is
 * bivariant on purpose: `inject<Discovery>(TOKENS.Discovery)` narrows an untyped token.
 */
export type Token<T> = symbol & {
  /** Type-level only: never present at run time. */
  [VALUE]?(value: T): void;
};

/** Anything a dependency can be named by: a symbol token or a class (abstract classes too). */
export type InjectionToken<T = unknown> = Token<T> | (abstract new (...args: never[]) => T);

/** Well-known injection tokens, shared by every adapter (and every copy of plugboard). */
export const TOKENS = Object.freeze({
  /** The plugboard `Scope`: natively, the scope building the instance. */
  Scope: Symbol.for('plugboard.token.Scope'),
  /** The discovery side of the configured backend (`Discovery`): `inject<Discovery>(TOKENS.Discovery)`. */
  Discovery: Symbol.for('plugboard.token.Discovery'),
  /** The registrar side of the configured backend (`Registrar`). */
  Registrar: Symbol.for('plugboard.token.Registrar'),
  /** The validated config of the factory product being built by `registry.new(name, cfg)`. */
  Config: Symbol.for('plugboard.token.Config'),
});

const WELL_KNOWN = 'plugboard.token.';
const REGISTRY = 'plugboard.registry:';
const ENTRY = 'plugboard.entry:';

/** The injection token of registry `id` (`inject(registryToken('sql.drivers'))`). */
export function registryToken<R = unknown>(id: string): Token<R> {
  return Symbol.for(`${REGISTRY}${id}`);
}

/**
 * The injection token of entry `name` of registry `registryId` (`entryToken('storage', 'pg')`).
 * Natively it resolves to `registry.mustGet(name)`, or, for a factory registry, to one product
 * `registry.new(name)` built with the default config (async: resolve it with `await`).
 */
export function entryToken<V = unknown>(registryId: string, name: string): Token<V> {
  validateName('entryToken', registryId);
  validateName(registryId, name);
  return Symbol.for(`${ENTRY}${JSON.stringify([registryId, name])}`);
}

/** A token of your own: `const LOGGER = token<Logger>('logger')`. Each call makes a new, unique token. */
export function token<T>(name: string): Token<T> {
  validateName('token', name);
  return Symbol(name);
}

/** What a registry or entry token names, parsed back from its `Symbol.for` key. */
export type RegistryTokenTarget =
  { readonly kind: 'registry'; readonly id: string } | { readonly kind: 'entry'; readonly registry: string; readonly name: string };

/** @internal The registry or entry a token stands for, or `undefined` for any other token. */
export function registryTarget(t: symbol): RegistryTokenTarget | undefined {
  const key = Symbol.keyFor(t);
  if (key === undefined) return undefined;
  if (key.startsWith(REGISTRY)) return { kind: 'registry', id: key.slice(REGISTRY.length) };
  if (!key.startsWith(ENTRY)) return undefined;
  try {
    // Anyone can call Symbol.for with our prefix; a key we did not write is just not an entry token.
    const parsed: unknown = JSON.parse(key.slice(ENTRY.length));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { kind: 'entry', registry: parsed[0], name: parsed[1] };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Whether `t` can be used as a token: a symbol, or a function that can be called with `new`. */
export function isInjectionToken(t: unknown): t is InjectionToken {
  return typeof t === 'symbol' || (typeof t === 'function' && t.prototype !== undefined);
}

/** The short name of a token, for "did you mean" matching: a class name, a symbol's description. */
export function shortName(t: unknown): string {
  if (typeof t === 'function') return t.name || '(anonymous class)';
  if (typeof t !== 'symbol') return String(t);
  const key = Symbol.keyFor(t);
  if (key?.startsWith(WELL_KNOWN)) return `TOKENS.${key.slice(WELL_KNOWN.length)}`;
  const target = registryTarget(t);
  if (target !== undefined) return target.kind === 'registry' ? target.id : `${target.registry}/${target.name}`;
  return t.description ?? '(unnamed symbol)';
}

/** How a token reads in messages: `Logger`, `token('logger')`, `TOKENS.Discovery`, `registryToken('sql.drivers')`. */
export function tokenName(t: unknown): string {
  if (typeof t === 'function') return shortName(t);
  if (typeof t !== 'symbol') return t === null ? 'null' : typeof t === 'string' ? JSON.stringify(t) : typeof t;
  const key = Symbol.keyFor(t);
  if (key?.startsWith(WELL_KNOWN)) return shortName(t);
  const target = registryTarget(t);
  if (target?.kind === 'registry') return `registryToken('${target.id}')`;
  if (target?.kind === 'entry') return `entryToken('${target.registry}', '${target.name}')`;
  return `token('${t.description ?? ''}')`;
}
