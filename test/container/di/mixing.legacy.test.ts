/**
 * Mixing: one class, declared for both (`static inject` for the native injector, `@inject`
 * parameters for inversify), gives equivalent results through either. Legacy decorators only:
 * inversify needs them.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import fc from 'fast-check';
import { Container, inject as inversifyInject, injectable } from 'inversify';
import { FactoryRegistry, ImplementationRegistry, registryToken, Scope, TOKENS, type StandardSchemaV1 } from '../../../src/container/index.js';
import { inversifyResolver, plugboardModule } from '../../../src/container/di/inversify.js';
import { RegisterFactory } from '../../../src/decorators/index.js';
import { MemoryRegistry, MemoryStore, type Discovery } from '../../../src/discovery/index.js';

@injectable()
class Logger {
  readonly lines: string[] = [];
  info(line: string): void {
    this.lines.push(line);
  }
}

const DRIVERS = registryToken<ImplementationRegistry<string>>('sql.drivers');

@injectable()
class Greeter {
  static inject = [Logger, TOKENS.Discovery, DRIVERS, TOKENS.Scope];
  constructor(
    @inversifyInject(Logger) readonly log: Logger,
    @inversifyInject(TOKENS.Discovery) readonly discovery: Discovery,
    @inversifyInject(DRIVERS) readonly drivers: ImplementationRegistry<string>,
    @inversifyInject(TOKENS.Scope) readonly scope: Scope,
  ) {}
}

interface StoreConfig {
  host: string;
  port: number;
}
const storeConfig: StandardSchemaV1<StoreConfig> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (raw) => {
      const r = raw as Partial<StoreConfig>;
      return { value: { host: r.host ?? 'localhost', port: r.port ?? 5432 } };
    },
  },
};

/** The same factory class, registered into two scopes: one native, one with inversify attached. */
function defineStore(scope: Scope) {
  @RegisterFactory('store', { config: storeConfig, scope })
  @injectable()
  class Store {
    static inject = [TOKENS.Config, Logger];
    constructor(
      @inversifyInject(TOKENS.Config) readonly cfg: StoreConfig,
      @inversifyInject(Logger) readonly log: Logger,
    ) {
      log.info(`store on ${cfg.host}:${cfg.port}`);
    }
  }
  return Store;
}

describe('mixing the native injector and inversify (legacy decorators)', () => {
  it('resolves the same class to equivalent objects', async () => {
    const scope = new Scope('app');
    scope.registry('sql.drivers', ImplementationRegistry<string>).register('pq', 'pq driver');
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    scope.provide(Logger).provide(TOKENS.Discovery, { value: discovery }).provide(Greeter);
    const native = scope.get(Greeter);

    const container = new Container();
    container.load(plugboardModule(scope, { discovery }));
    container.bind(Logger).toSelf().inSingletonScope();
    container.bind(Greeter).toSelf();
    const viaInversify = container.get(Greeter);

    for (const g of [native, viaInversify]) {
      expect(g).to.be.instanceOf(Greeter);
      expect(g.log).to.be.instanceOf(Logger);
      expect(g.discovery).to.equal(discovery);
      expect(g.drivers.get('pq')).to.equal('pq driver');
      expect(g.scope).to.equal(scope);
    }
    expect(native.drivers).to.equal(viaInversify.drivers);
    await discovery.close();
  });

  it('builds factory products with the same cfg and injected logger either way (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ host: fc.constantFrom('db', 'localhost', 'replica'), port: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: [] }),
        async (raw) => {
          const nativeScope = new Scope('native').provide(Logger);
          const inversifyScope = new Scope('inversify');
          const container = new Container();
          container.bind(Logger).toSelf().inSingletonScope();
          inversifyScope.attach(inversifyResolver(container));
          defineStore(nativeScope);
          defineStore(inversifyScope);
          type Store = InstanceType<ReturnType<typeof defineStore>>;
          const a = await nativeScope.registry('factories', FactoryRegistry<Store>).new('store', raw);
          const b = await inversifyScope.registry('factories', FactoryRegistry<Store>).new('store', raw);
          expect(a.cfg).to.deep.equal(b.cfg);
          expect(a.log.lines).to.deep.equal(b.log.lines);
          expect(a.log).to.equal(nativeScope.get(Logger));
          expect(b.log).to.equal(container.get(Logger));
        },
      ),
      { numRuns: 50 },
    );
  });
});
