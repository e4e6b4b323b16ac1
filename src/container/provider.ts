import { FactoryError, InvalidOptionError, NilRegistrationError, PlugboardError } from './errors.js';

/** How often a provider constructs: once, on first `get` (default), or on every `get`. */
export type Lifetime = 'singleton' | 'transient';

/** A lazily constructed value: what a decorated class becomes in a registry. */
export interface ProviderSpec<V> {
  /** Builds the value; called on first `get` (singleton) or on every `get` (transient). */
  readonly construct: () => V;
  readonly lifetime: Lifetime;
  /** What it builds, for diagnostics (usually the class name). */
  readonly label: string;
}

/** Marks a value passed to `register` as a provider, so the registry stores a lazy entry. */
export class Provided<V> {
  constructor(readonly spec: ProviderSpec<V>) {}
}

/**
 * Wraps `construct` so that `registry.register(name, provider(...))` stores a lazily
 * constructed entry: `get(name)` builds the value on first use (or on every use for
 * `'transient'`). Construction errors are reported as `FactoryError`; a construction that
 * yields nothing as `NilRegistrationError`, both naming the registry and the key.
 */
export function provider<V>(construct: () => V, options: { lifetime?: Lifetime; label?: string } = {}): V {
  const lifetime = options.lifetime ?? 'singleton';
  if (lifetime !== 'singleton' && lifetime !== 'transient') {
    throw new InvalidOptionError('provider', undefined, `lifetime must be 'singleton' or 'transient', got ${String(lifetime)}`);
  }
  return new Provided({ construct, lifetime, label: options.label ?? (construct.name || 'provider') }) as unknown as V;
}

/** Builds a provider's value, turning failures into registry-named errors. */
export function constructProvided<V>(spec: ProviderSpec<V>, registry: string, key: string, site: string | undefined): V {
  let value: V;
  try {
    value = spec.construct();
  } catch (err) {
    if (err instanceof PlugboardError) throw err;
    throw new FactoryError(registry, key, err, site);
  }
  if (value === undefined || value === null) {
    throw new NilRegistrationError(registry, key, `provider ${spec.label} constructed ${value === null ? 'null' : 'undefined'}`, site);
  }
  return value;
}
