/**
 * The three ways to declare dependencies (`inject()`, `@Inject`, `static inject`), factory
 * products and decorated providers built by the native injector, and Discovery injected with
 * no inversify or tsyringe. Compiled and run twice, with legacy and TC39 standard decorators.
 */
import { expect } from 'chai';
import {
  DiError,
  FactoryRegistry,
  ImplementationRegistry,
  inject,
  Scope,
  token,
  TOKENS,
  entryToken,
  type StandardSchemaV1,
} from '../../../src/container/index.js';
import { DecoratorError, Inject, RegisterFactory, RegisterProvider } from '../../../src/decorators/index.js';
import { createRegistry, DiscoveryError, type Discovery, type Registrar } from '../../../src/discovery/index.js';
import { expectError, expectRejection } from '../../support/expect-error.js';

const mode = process.env['PLUGBOARD_DECORATORS'] ?? 'legacy';

class Logger {
  readonly lines: string[] = [];
  constructor(readonly label = 'app') {}
  info(line: string): void {
    this.lines.push(`${this.label}: ${line}`);
  }
}
const LOGGER = token<Logger>('logger');

interface PgConfig {
  host: string;
  port: number;
}
/** A Standard Schema validator: under TC39 decorators class-validator cannot be written with `@`. */
const pgConfig: StandardSchemaV1<PgConfig> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (raw) => {
      const r = (raw ?? {}) as Partial<PgConfig>;
      const port = r.port ?? 5432;
      if (typeof port !== 'number' || port < 1) return { issues: [{ message: 'port must be a positive number', path: ['port'] }] };
      return { value: { host: r.host ?? 'localhost', port } };
    },
  },
};

describe(`native injector: declaring dependencies (${mode} decorators)`, () => {
  it('injects with inject() in field initializers and in the constructor body', () => {
    class Service {
      readonly log = inject(LOGGER);
      readonly label: string;
      constructor() {
        this.label = inject(LOGGER).label; // also in the constructor, before any await
      }
    }
    const scope = new Scope('app').provide(LOGGER, { value: new Logger('root') }).provide(Service);
    const s = scope.get(Service);
    expect(s.log).to.equal(scope.get(LOGGER));
    expect(s.label).to.equal('root');
  });

  it('injects fields and accessors decorated with @Inject', () => {
    let seenInConstructor: Logger | undefined;
    class Service {
      @Inject(LOGGER) readonly log!: Logger;
      @Inject(Logger) accessor plain!: Logger;
      @Inject(token<string>('absent'), { optional: true }) fallback = 'default';
      constructor() {
        seenInConstructor = this.log;
      }
    }
    const scope = new Scope('app').provide(LOGGER, { useClass: Logger }).provide(Logger).provide(Service, { lifetime: 'transient' });
    const s = scope.get(Service);
    expect(s.log).to.equal(scope.get(LOGGER));
    expect(s.plain).to.equal(scope.get(Logger));
    expect(s.fallback).to.equal('default', 'an optional token nobody provides keeps the field’s value');
    // TC39 runs the field's initializer inside the constructor; a legacy field decorator cannot
    // add one, so the injector sets the field right after the constructor returns.
    if (mode === 'standard') expect(seenInConstructor).to.equal(scope.get(LOGGER));
    else expect(seenInConstructor).to.equal(undefined);
  });

  it('injects @Inject members of a base class into subclasses', () => {
    class Base {
      @Inject(LOGGER) readonly log!: Logger;
    }
    class Derived extends Base {
      @Inject(Logger) readonly other!: Logger;
    }
    const scope = new Scope('app').provide(LOGGER, { useClass: Logger }).provide(Logger).provide(Derived);
    const d = scope.get(Derived);
    expect(d.log).to.equal(scope.get(LOGGER));
    expect(d.other).to.equal(scope.get(Logger));
  });

  it('rejects @Inject on a method, a static member or a bad token at decoration time', () => {
    const anywhere = Inject(LOGGER) as unknown as (...args: unknown[]) => void; // past the type check, to test the run-time one
    expectError(
      () => {
        class OnMethod {
          @anywhere run(): void {}
        }
        return OnMethod;
      },
      DecoratorError,
      'E_DECORATOR',
      '@Inject: can only decorate a field or an accessor',
    );
    expectError(
      () => {
        class OnStatic {
          @Inject(LOGGER) static log: Logger;
        }
        return OnStatic;
      },
      DecoratorError,
      'E_DECORATOR',
      'static',
    );
    expectError(() => Inject(undefined as never), DiError, 'E_DI_TOKEN', '@Inject: not a token', 'circular import');
    expectError(() => Inject('logger' as never), DiError, 'E_DI_TOKEN', '"logger"');
  });

  it('builds a factory product with its validated cfg plus an injected logger', async () => {
    const scope = new Scope('app').provide(LOGGER, { value: new Logger('app') });
    @RegisterFactory('pg', { config: pgConfig, scope })
    class PgStore {
      readonly log = inject(LOGGER);
      readonly viaToken = inject<PgConfig>(TOKENS.Config);
      constructor(readonly cfg: PgConfig) {
        this.log.info(`pg on ${cfg.host}:${cfg.port}`);
      }
    }
    @RegisterFactory('pg-static', { config: pgConfig, scope })
    class PgStatic {
      static inject = [LOGGER, TOKENS.Config];
      constructor(
        readonly log: Logger,
        readonly cfg: PgConfig,
      ) {}
    }
    const factories = scope.registry('factories', FactoryRegistry<PgStore | PgStatic>);
    const store = (await factories.new('pg', { port: 6543 })) as PgStore;
    expect(store).to.be.instanceOf(PgStore);
    expect(store.cfg).to.deep.equal({ host: 'localhost', port: 6543 });
    expect(store.viaToken).to.equal(store.cfg, 'the first constructor argument and inject(TOKENS.Config) are the same validated cfg');
    expect(store.log.lines).to.deep.equal(['app: pg on localhost:6543']);
    const other = await factories.new('pg-static', { host: 'db' });
    expect(other.cfg).to.deep.equal({ host: 'db', port: 5432 });
    expect(other.log).to.equal(store.log);
    await expectRejection(factories.new('pg', { port: -1 }), Error, 'E_CONFIG', 'port must be a positive number');
  });

  it('does not let TOKENS.Config leak into the product’s dependencies', async () => {
    class Dep {
      readonly cfg = inject(TOKENS.Config, { optional: true });
    }
    const scope = new Scope('app').provide(Dep, { lifetime: 'transient' });
    @RegisterFactory('leak', { config: pgConfig, scope })
    class Product {
      readonly dep = inject(Dep);
      constructor(readonly cfg: PgConfig) {}
    }
    const p = await scope.registry('factories', FactoryRegistry<Product>).new('leak', {});
    expect(p.cfg.port).to.equal(5432);
    expect(p.dep.cfg).to.equal(undefined);
    expectError(() => scope.get(TOKENS.Config), DiError, 'E_DI_MISSING', 'TOKENS.Config exists only while registry.new');
  });

  it('builds decorated providers with their injected dependencies, and an entry by entryToken', async () => {
    const scope = new Scope('app').provide(LOGGER, { useClass: Logger });
    @RegisterProvider('pq', { registry: 'sql.drivers', scope })
    class PqDriver {
      readonly log = inject(LOGGER);
    }
    @RegisterFactory('mem', { registry: 'storage', scope })
    class MemStore {
      readonly log = inject(LOGGER);
    }
    class Repo {
      readonly driver = inject(entryToken<PqDriver>('sql.drivers', 'pq'));
      readonly store = inject(entryToken<MemStore>('storage', 'mem'));
    }
    scope.provide(Repo);
    const driver = scope.registry('sql.drivers', ImplementationRegistry<PqDriver>).get('pq')!;
    expect(driver).to.be.instanceOf(PqDriver);
    expect(driver.log).to.equal(scope.get(LOGGER));
    expectError(() => scope.get(Repo), DiError, 'E_DI_ASYNC', "entryToken('storage', 'mem')", 'await scope.resolve');
    const repo = await scope.resolve(Repo);
    expect(repo.driver).to.equal(driver);
    expect(repo.store).to.be.instanceOf(MemStore);
    expect(await scope.resolve(entryToken('storage', 'mem'))).to.equal(repo.store, 'one product per scope');
  });

  it('injects Discovery into a service, with no inversify or tsyringe', async () => {
    class Greeter {
      readonly discovery = inject<Discovery>(TOKENS.Discovery);
      async peers(): Promise<number> {
        return (await this.discovery.getService('greeter')).length;
      }
    }
    let discovery: Discovery;
    {
      await using scope = new Scope('app');
      scope.provide(TOKENS.Discovery, { useFactory: () => createRegistry('memory://di-native-test', { scope }) });
      scope.provide(TOKENS.Registrar, { useFactory: () => inject(TOKENS.Discovery) });
      scope.provide(Greeter);
      expectError(() => scope.get(Greeter), DiError, 'E_DI_ASYNC', 'TOKENS.Discovery has an async provider', 'Greeter');
      const greeter = await scope.resolve(Greeter);
      const registrar = await scope.resolve<Registrar>(TOKENS.Registrar);
      expect(registrar).to.equal(greeter.discovery);
      await registrar.register({ id: 'g1', name: 'greeter', endpoints: ['http://127.0.0.1:8000'] });
      expect(await greeter.peers()).to.equal(1);
      expect(scope.get(Greeter)).to.equal(greeter, 'settled: now synchronous');
      discovery = greeter.discovery;
    } // `await using` disposes the scope here, which closes the backend it built
    await expectRejection(discovery.getService('greeter'), DiscoveryError, 'E_DISCOVERY_CLOSED');
  });
});
