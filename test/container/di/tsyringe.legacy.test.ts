import 'reflect-metadata';
import { expect } from 'chai';
import { IsInt, Min } from 'class-validator';
import { container as rootContainer, inject, injectable } from 'tsyringe';
import { FactoryError, FactoryRegistry, ImplementationRegistry, registryToken, Scope, TOKENS } from '../../../src/container/index.js';
import { registerPlugboard, tsyringeResolver } from '../../../src/container/di/tsyringe.js';
import { RegisterFactory, RegisterProvider } from '../../../src/decorators/index.js';
import { MemoryRegistry, MemoryStore, type Discovery } from '../../../src/discovery/index.js';
import { expectError } from '../../support/expect-error.js';

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

describe('tsyringe 4 bridge', () => {
  it('injects Discovery, Registrar, the scope and a registry by token', async () => {
    const scope = new Scope('app');
    scope.registry('sql.drivers', ImplementationRegistry<string>).register('pq', 'pq driver');
    const discovery = new MemoryRegistry({ store: new MemoryStore() });
    const c = registerPlugboard(rootContainer.createChildContainer(), scope, { discovery });
    @injectable()
    class Greeter {
      constructor(
        @inject(TOKENS.Discovery) readonly discovery: Discovery,
        @inject(TOKENS.Scope) readonly scope: Scope,
        @inject(registryToken('sql.drivers')) readonly drivers: ImplementationRegistry<string>,
      ) {}
    }
    const g = c.resolve(Greeter);
    expect(g.discovery).to.equal(discovery);
    expect(c.resolve(TOKENS.Registrar)).to.equal(discovery);
    expect(g.scope).to.equal(scope);
    expect(g.drivers.get('pq')).to.equal('pq driver');
    await discovery.close();
  });

  it('builds a factory product with its validated cfg (TOKENS.Config) and an injected logger', async () => {
    const scope = new Scope('app');
    const c = rootContainer.createChildContainer();
    c.register(Logger, { useValue: new Logger('app') });
    scope.attach(tsyringeResolver(c));
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
    expect(store.cfg).to.be.instanceOf(PgConfig);
    expect(store.cfg.port).to.equal(6543);
    expect(store.log.lines).to.deep.equal(['app: pg on 6543']);
  });

  it('lines child containers up with child scopes', () => {
    const root = new Scope('root');
    const parent = rootContainer.createChildContainer();
    parent.register(Logger, { useValue: new Logger('parent') });
    root.attach(tsyringeResolver(parent));
    const childContainer = parent.createChildContainer();
    childContainer.register(Logger, { useValue: new Logger('child') });
    const child = root.child('request').attach(tsyringeResolver(childContainer));
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
    const providers = child.registry('providers', ImplementationRegistry<RootHandler | ChildHandler>);
    expect(providers.get('child-handler')!.log.label).to.equal('child');
    expect(providers.get('root-handler')!.log.label).to.equal('parent');
  });

  it('reports a dependency the container cannot resolve as E_FACTORY naming the registry and key, with the container error as cause', () => {
    const scope = new Scope('app');
    scope.attach(tsyringeResolver(rootContainer.createChildContainer()));
    @RegisterProvider('needs-token', { scope })
    @injectable()
    class NeedsToken {
      constructor(@inject('missing-token') readonly dep: unknown) {}
    }
    void NeedsToken;
    const err = expectError<FactoryError>(
      () => scope.registry('providers', ImplementationRegistry).get('needs-token'),
      FactoryError,
      'E_FACTORY',
      "providers: constructing 'needs-token' failed",
    );
    expect((err.cause as Error).message).to.include('missing-token');
  });
});
