import 'reflect-metadata';
import { expect } from 'chai';
import { IsInt, Min } from 'class-validator';
import { Container, inject, injectable } from 'inversify';
import { FactoryError, FactoryRegistry, ImplementationRegistry, registryToken, Scope, TOKENS } from '../../../src/container/index.js';
import { inversifyResolver, plugboardModule } from '../../../src/container/di/inversify.js';
import { RegisterFactory, RegisterProvider } from '../../../src/decorators/index.js';
import { MemoryRegistry, MemoryStore, type Discovery } from '../../../src/discovery/index.js';
import { expectError, expectRejection } from '../../support/expect-error.js';

@injectable()
class Logger {
  readonly lines: string[] = [];
  constructor(readonly label = 'root') {}
  info(line: string): void {
    this.lines.push(`${this.label}: ${line}`);
  }
}

class PgConfig {
  @IsInt() @Min(1) port = 5432;
}

describe('inversify 8 bridge', () => {
  it('injects Discovery, Registrar, the scope and a registry by token', async () => {
    const scope = new Scope('app');
    const drivers = scope.registry('sql.drivers', ImplementationRegistry<string>);
    drivers.register('pq', 'pq driver');
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    const c = new Container();
    c.load(plugboardModule(scope, { discovery }));
    @injectable()
    class Greeter {
      constructor(
        @inject(TOKENS.Discovery) readonly discovery: Discovery,
        @inject(TOKENS.Scope) readonly scope: Scope,
        @inject(registryToken('sql.drivers')) readonly drivers: ImplementationRegistry<string>,
      ) {}
    }
    c.bind(Greeter).toSelf();
    const g = c.get(Greeter);
    expect(g.discovery).to.equal(discovery);
    expect(c.get(TOKENS.Registrar)).to.equal(discovery);
    expect(g.scope).to.equal(scope);
    expect(g.drivers.get('pq')).to.equal('pq driver');
    expect(await g.discovery.getService('nothing')).to.deep.equal([]);
    await discovery.close();
  });

  it('builds a factory product with its validated cfg (TOKENS.Config) and an injected logger', async () => {
    const scope = new Scope('app');
    const c = new Container();
    c.bind(Logger).toConstantValue(new Logger('app'));
    scope.attach(inversifyResolver(c));
    @RegisterFactory('pg', { config: PgConfig, scope })
    @injectable()
    class PgStore {
      constructor(
        @inject(TOKENS.Config) readonly cfg: PgConfig,
        @inject(Logger) readonly log: Logger,
      ) {
        log.info(`pg on ${cfg.port}`);
      }
    }
    const store = await scope.registry('factories', FactoryRegistry<PgStore>).new('pg', { port: 6543 });
    expect(store).to.be.instanceOf(PgStore);
    expect(store.cfg).to.be.instanceOf(PgConfig);
    expect(store.cfg.port).to.equal(6543);
    expect(store.log.lines).to.deep.equal(['app: pg on 6543']);
  });

  it('builds the README’s PgStore (constructor(readonly cfg: PgConfig), no @inject) through the container: the config is bound to its class too', async () => {
    const scope = new Scope('app');
    scope.attach(inversifyResolver(new Container()));
    @RegisterFactory('pg', { registry: 'storage', config: PgConfig, scope })
    @injectable()
    class PgStore {
      constructor(readonly cfg: PgConfig) {}
    }
    const store = await scope.registry('storage', FactoryRegistry<PgStore>).new('pg', { port: 6543 });
    expect(store).to.be.instanceOf(PgStore);
    expect(store.cfg).to.be.instanceOf(PgConfig);
    expect(store.cfg.port).to.equal(6543);
  });

  it('a product inversify cannot build fails naming @inject(TOKENS.Config) and the config class, with inversify’s error as cause', async () => {
    const scope = new Scope('app');
    scope.attach(inversifyResolver(new Container()));
    class NoMetadata {
      constructor(readonly cfg: PgConfig) {}
    }
    const storage = scope.registry('storage', FactoryRegistry<NoMetadata>);
    storage.register('raw', (cfg) => scope.construct(NoMetadata, cfg), { config: PgConfig });
    const err = await expectRejection<FactoryError>(
      storage.new('raw', {}),
      FactoryError,
      'E_FACTORY',
      "storage: constructing 'raw' failed",
      '@inject(TOKENS.Config)',
      'PgConfig',
      'NoMetadata',
    );
    expect((err.cause as Error).cause).to.be.instanceOf(Error, 'inversify’s own error is kept');
  });

  it('lines child containers up with child scopes', () => {
    const root = new Scope('root');
    const parent = new Container();
    parent.bind(Logger).toConstantValue(new Logger('parent'));
    root.attach(inversifyResolver(parent));
    const childContainer = new Container({ parent });
    childContainer.bind(Logger).toConstantValue(new Logger('child'));
    const child = root.child('request').attach(inversifyResolver(childContainer));
    @RegisterProvider('root-handler', { scope: root })
    @injectable()
    class RootHandler {
      constructor(@inject(Logger) readonly log: Logger) {}
    }
    @RegisterProvider('child-handler', { scope: child })
    @injectable()
    class ChildHandler {
      constructor(@inject(Logger) readonly log: Logger) {}
    }
    type Handler = RootHandler | ChildHandler;
    const providers = child.registry('providers', ImplementationRegistry<Handler>);
    expect(providers.get('child-handler')!.log.label).to.equal('child');
    expect(providers.get('root-handler')!.log.label).to.equal('parent', 'read falls through to the parent scope, built by the parent container');
    const inherits = root.child('no-container');
    expect(inherits.resolver).to.equal(root.resolver, 'a child scope without its own container uses its parent’s');
  });

  it('reports a dependency the container cannot resolve as E_FACTORY naming the registry and key, with the container error as cause', () => {
    const scope = new Scope('app');
    scope.attach(inversifyResolver(new Container()));
    class Unbound {}
    @RegisterProvider('needs-unbound', { scope })
    @injectable()
    class NeedsUnbound {
      constructor(@inject(Unbound) readonly dep: Unbound) {}
    }
    void NeedsUnbound;
    const err = expectError<FactoryError>(
      () => scope.registry('providers', ImplementationRegistry).get('needs-unbound'),
      FactoryError,
      'E_FACTORY',
      "providers: constructing 'needs-unbound' failed",
    );
    expect(err.cause).to.be.instanceOf(Error);
    expect((err.cause as Error).message).to.match(/Unbound|No bindings/i);
  });
});
