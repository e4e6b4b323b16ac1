/**
 * tsyringe 4 bridge (`plugboard/tsyringe`). tsyringe is an optional peer dependency: only this
 * entry point imports it. tsyringe needs `reflect-metadata` loaded first, as always.
 */
import type { DependencyContainer } from 'tsyringe';
import type { Scope } from '../scope.js';
import type { Resolver } from './resolver.js';
import { configClassOf } from './config-class.js';
import { registryToken, TOKENS } from './tokens.js';

/** What {@link registerPlugboard} registers besides the scope and its registries. */
export interface RegisterPlugboardOptions {
  /** A discovery backend: registered as `TOKENS.Discovery` and `TOKENS.Registrar`. */
  discovery?: object;
}

/**
 * Registers `TOKENS.Scope`, `registryToken(id)` for each of the scope's registries and, once a
 * backend is configured, `TOKENS.Discovery` / `TOKENS.Registrar` in a tsyringe container.
 * Returns the container.
 */
export function registerPlugboard(container: DependencyContainer, scope: Scope, opts: RegisterPlugboardOptions = {}): DependencyContainer {
  container.register(TOKENS.Scope, { useValue: scope });
  const ids = scope.registries().map((r) => r.id);
  for (const id of ids) {
    container.register(registryToken(id), { useFactory: () => scope.peek(id) });
  }
  if (opts.discovery !== undefined) {
    container.register(TOKENS.Discovery, { useValue: opts.discovery });
    container.register(TOKENS.Registrar, { useValue: opts.discovery });
  }
  return container;
}

/**
 * A {@link Resolver} backed by a tsyringe container: each construction resolves the class in a
 * child container where, for factory products, `TOKENS.Config` and the config's class are the validated config.
 */
export function tsyringeResolver(container: DependencyContainer): Resolver {
  return {
    construct<T>(cls: new (...args: never[]) => T, config?: unknown): T {
      if (config === undefined) return container.resolve<T>(cls as never);
      const child = container.createChildContainer();
      child.register(TOKENS.Config, { useValue: config });
      const configClass = configClassOf(config);
      if (configClass !== undefined && configClass !== (cls as unknown)) child.register(configClass as never, { useValue: config });
      return child.resolve<T>(cls as never);
    },
  };
}
