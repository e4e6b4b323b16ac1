/**
 * The one thing core needs from a DI container: build a class, resolving its constructor
 * dependencies. inversify and tsyringe are thin adapters of this; awilix or Nest can follow.
 */
export interface Resolver {
  /**
   * Builds `cls`. `config`, when given, is the validated config of a factory product: adapters
   * make it injectable under {@link TOKENS}.Config for this one construction.
   */
  construct<T>(cls: new (...args: never[]) => T, config?: unknown): T;
}

/** Well-known injection tokens, shared by every adapter (and every copy of plugboard). */
export const TOKENS = Object.freeze({
  /** The plugboard `Scope` bound into the container. */
  Scope: Symbol.for('plugboard.token.Scope'),
  /** The discovery side of the configured backend (`Discovery`). */
  Discovery: Symbol.for('plugboard.token.Discovery'),
  /** The registrar side of the configured backend (`Registrar`). */
  Registrar: Symbol.for('plugboard.token.Registrar'),
  /** The validated config of the factory product being built by `registry.new(name, cfg)`. */
  Config: Symbol.for('plugboard.token.Config'),
});

/** The injection token of registry `id` (`@inject(registryToken('sql.drivers'))`). */
export function registryToken(id: string): symbol {
  return Symbol.for(`plugboard.registry:${id}`);
}
