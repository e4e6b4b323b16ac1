/**
 * The one thing core needs from a DI container: build a class, resolving its constructor
 * dependencies. inversify and tsyringe are thin adapters of this; awilix or Nest can follow.
 * Without an attached container, a scope uses its native injector (`./injector.ts`).
 */
export interface Resolver {
  /**
   * Builds `cls`. `config`, when given, is the validated config of a factory product: adapters
   * make it injectable under `TOKENS.Config` for this one construction.
   */
  construct<T>(cls: new (...args: never[]) => T, config?: unknown): T;
}
