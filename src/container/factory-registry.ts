import { BaseRegistry, type Prepared } from './base-registry.js';
import { configSpecProblem, validateConfig, type ConfigSpec } from './config-validation.js';
import type { RegisterOptions } from './entry.js';
import { FactoryError, InvalidOptionError, NilRegistrationError, PlugboardError } from './errors.js';

/** What a factory receives besides its config. */
export interface FactoryContext {
  /** Id of the registry the factory is registered in. */
  readonly registry: string;
  /** The name the factory was looked up by. */
  readonly name: string;
  /** Where the factory was registered, when known. */
  readonly site?: string;
}

/** A factory: builds a value from a validated config. */
export type Factory<V, C = unknown> = (cfg: C, ctx: FactoryContext) => V | Promise<V>;

/** Options of {@link FactoryRegistry.register}. */
export interface FactoryRegisterOptions<C = unknown> extends RegisterOptions {
  /** How `cfg` is validated: a class-validator class, a Standard Schema, or a function. */
  config?: ConfigSpec<C>;
}

const CONFIG = Symbol('plugboard.factory.config');

/**
 * Factories found by name, each building a value from a validated config: the
 * `registry.new(name, cfg)` shape.
 *
 * ```ts
 * class PgConfig { @IsString() host = 'localhost'; @IsInt() @Min(1) port = 5432; }
 * stores.register('pg', (cfg: PgConfig) => new PgStore(cfg), { config: PgConfig });
 * const store = await stores.new('pg', { port: 6543 }); // host defaults to 'localhost'
 * ```
 */
export class FactoryRegistry<V, C = unknown> extends BaseRegistry<Factory<V, C>, FactoryRegisterOptions<C>> {
  static override readonly kind: string = 'factory';

  protected override prepare(
    name: string,
    value: Factory<V, C>,
    opts: FactoryRegisterOptions<C> | undefined,
    site: string | undefined,
  ): Prepared<Factory<V, C>> {
    const p = super.prepare(name, value, opts, site);
    if (typeof value !== 'function') throw new InvalidOptionError(this.id, name, `a factory must be a function, got ${typeof value}`);
    const config = opts?.config;
    if (config !== undefined) {
      const problem = configSpecProblem(config);
      if (problem !== undefined) throw new InvalidOptionError(this.id, name, problem);
      p.meta = { config: typeof config === 'function' ? config.name || 'function' : 'standard-schema', [CONFIG]: config };
    }
    return p;
  }

  /**
   * Validates `cfg` against the factory's config spec (defaults applied, unknown keys
   * rejected), then builds the value. Throws `UnknownNameError`, `ConfigValidationError`,
   * `FactoryError` (the factory threw something other than a `PlugboardError`, which passes through) or `NilRegistrationError` (it returned nothing).
   */
  async new(name: string, cfg?: unknown): Promise<V> {
    const entry = this.entry(name);
    if (entry === undefined) throw this.unknown(name);
    const spec = entry.meta[CONFIG] as ConfigSpec<C> | undefined;
    const config = await validateConfig(this.id, name, spec, cfg);
    let product: V;
    try {
      product = await entry.value(config, { registry: this.id, name, ...(entry.site === undefined ? {} : { site: entry.site }) });
    } catch (err) {
      if (err instanceof PlugboardError) throw err; // already typed and named; do not bury it
      throw new FactoryError(this.id, name, err, entry.site);
    }
    if (product === undefined || product === null) {
      throw new NilRegistrationError(this.id, name, `factory returned ${product === null ? 'null' : 'undefined'}`, entry.site);
    }
    return product;
  }
}
