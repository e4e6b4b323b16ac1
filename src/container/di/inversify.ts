/**
 * inversify 8 bridge (`plugboard/inversify`). inversify is an optional peer dependency: only
 * this entry point imports it. inversify 8 is ESM-only; the CJS build loads it through
 * `require(esm)` (Node ≥ 20.19).
 */
import { Container, ContainerModule } from 'inversify';
import type { Scope } from '../scope.js';
import type { Resolver } from './resolver.js';
import { configClassOf } from './config-class.js';
import { registryToken, TOKENS } from './tokens.js';

/** What {@link plugboardModule} binds besides the scope and its registries. */
export interface PlugboardModuleOptions {
  /** A discovery backend (`createRegistry(...)`): bound to `TOKENS.Discovery` and `TOKENS.Registrar`. */
  discovery?: object;
}

/**
 * A ContainerModule binding `TOKENS.Scope` to `scope`, `registryToken(id)` to each of the
 * scope's registries, and, once a backend is configured, `TOKENS.Discovery` and
 * `TOKENS.Registrar`.
 */
export function plugboardModule(scope: Scope, opts: PlugboardModuleOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Scope).toConstantValue(scope);
    const ids = scope.registries().map((r) => r.id);
    for (const id of ids) {
      bind(registryToken(id)).toDynamicValue(() => scope.peek(id));
    }
    if (opts.discovery !== undefined) {
      bind(TOKENS.Discovery).toConstantValue(opts.discovery);
      bind(TOKENS.Registrar).toConstantValue(opts.discovery);
    }
  });
}

/**
 * A {@link Resolver} backed by an inversify container. Each construction happens in a
 * short-lived child container where the class is bound to itself and, for factory products,
 * `TOKENS.Config` and the config's class (`PgConfig`, for a class-validator spec) to the
 * validated config; every other dependency comes from `container`. When inversify cannot build
 * the class, its error is kept and told how to fix it: `@inject(TOKENS.Config)` for the config.
 */
export function inversifyResolver(container: Container): Resolver {
  return {
    construct<T>(cls: new (...args: never[]) => T, config?: unknown): T {
      try {
        const child = new Container({ parent: container });
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc (the rule's inference differs)
        const id = cls as unknown as new () => T;
        child.bind(id).toSelf();
        if (config !== undefined) {
          child.bind(TOKENS.Config).toConstantValue(config);
          const configClass = configClassOf(config);
          if (configClass !== undefined && configClass !== (id as unknown)) child.bind(configClass).toConstantValue(config);
        }
        return child.get(id);
      } catch (err) {
        throw withHint(err, cls, config);
      }
    },
  };
}

/** inversify's "missing metadata" and "No bindings found", with what to write in plugboard's terms. */
function withHint(err: unknown, cls: { name: string }, config: unknown): unknown {
  if (!(err instanceof Error) || !/missing metadata|no bindings found/i.test(err.message)) return err;
  const name = cls.name || 'the class';
  const configPart =
    config === undefined
      ? ''
      : ` The validated config is bound to @inject(TOKENS.Config)${configClassOf(config) === undefined ? '' : ` and to its class ${configClassOf(config)!.name}`}.`;
  const hint =
    `plugboard: inversify could not build ${name}: give each constructor parameter an @inject(token) (or compile with emitDecoratorMetadata and import 'reflect-metadata'), ` +
    `and bind what it needs in the container.${configPart} inversify said: ${err.message}`;
  return new Error(hint, { cause: err });
}
