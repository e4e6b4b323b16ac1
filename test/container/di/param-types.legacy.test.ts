/**
 * Constructor injection by type (#32): under legacy decorators with `emitDecoratorMetadata`
 * and reflect-metadata loaded, the native injector reads `design:paramtypes`; a constructor
 * whose parameters nothing fills is never called with `undefined`s (`E_DI_PARAMS`).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { IsInt, Min } from 'class-validator';
import { DiError, FactoryRegistry, ImplementationRegistry, inject, Scope } from '../../../src/container/index.js';
import { RegisterFactory, RegisterProvider } from '../../../src/decorators/index.js';
import { expectError, expectRejection } from '../../support/expect-error.js';

class Logger {
  readonly lines: string[] = [];
  info(line: string): void {
    this.lines.push(line);
  }
}

interface Clock {
  now(): number;
}

class PgConfig {
  @IsInt() @Min(1) port = 5432;
}

describe('native injector: constructor parameters by type (legacy decorators, reflect-metadata)', () => {
  it('injects a decorated provider’s constructor parameters by their emitted types', () => {
    const scope = new Scope('app').provide(Logger);
    @RegisterProvider('pq', { registry: 'sql.drivers', scope })
    class PqDriver {
      constructor(private readonly log: Logger) {}
      connect(): string {
        this.log.info('connect');
        return 'ok';
      }
    }
    const driver = scope.registry('sql.drivers', ImplementationRegistry<PqDriver>).mustGet('pq');
    expect(driver.connect()).to.equal('ok');
    expect(scope.get(Logger).lines).to.deep.equal(['connect']);
  });

  it('a parameter typed by an interface is E_DI_PARAMS naming the class, the index and static inject; the constructor is not called', () => {
    const scope = new Scope('app').provide(Logger);
    let calls = 0;
    @RegisterProvider('timed', { registry: 'timers', scope })
    class Timed {
      constructor(
        readonly log: Logger,
        readonly clock: Clock,
      ) {
        calls++;
      }
    }
    const timers = scope.registry('timers', ImplementationRegistry<Timed>);
    const err = expectError<DiError>(() => timers.mustGet('timed'), DiError, 'E_DI_PARAMS', 'Timed', 'parameter #1', 'Object', 'static inject = [');
    expect(err.token).to.equal('Timed');
    expect(calls).to.equal(0);
  });

  it('builds a factory product with its config first and the other parameters by type; the config class is injectable too', async () => {
    const scope = new Scope('app').provide(Logger);
    @RegisterFactory('pg', { registry: 'storage', config: PgConfig, scope })
    class PgStore {
      readonly again = inject(PgConfig);
      constructor(
        readonly cfg: PgConfig,
        readonly log: Logger,
      ) {}
    }
    const store = await scope.registry('storage', FactoryRegistry<PgStore>).new('pg', { port: 6543 });
    expect(store.cfg).to.be.instanceOf(PgConfig);
    expect(store.cfg.port).to.equal(6543);
    expect(store.again).to.equal(store.cfg);
    expect(store.log).to.equal(scope.get(Logger));
  });

  it('a factory product with a second parameter nothing describes is E_DI_PARAMS, not undefined', async () => {
    const scope = new Scope('app');
    let calls = 0;
    class Undecorated {
      constructor(
        readonly cfg: unknown,
        readonly extra: unknown,
      ) {
        calls++;
      }
    }
    const storage = scope.registry('storage', FactoryRegistry<Undecorated>);
    storage.register('u', (cfg) => scope.construct(Undecorated, cfg));
    await expectRejection(storage.new('u', {}), DiError, 'E_DI_PARAMS', 'Undecorated', 'parameter #1');
    expect(calls).to.equal(0);
  });
});
