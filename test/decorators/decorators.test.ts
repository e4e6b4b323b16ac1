/**
 * Compiled and run twice: with legacy `experimentalDecorators` (.build/legacy) and with TC39
 * standard decorators (.build/standard). Everything here must hold under both.
 */
import { expect } from 'chai';
import {
  DuplicateRegistrationError,
  FactoryRegistry,
  FrozenRegistryError,
  HandlerRegistry,
  ImplementationRegistry,
  InvalidNameError,
  InvalidOptionError,
  InvalidVersionError,
  PlugboardError,
  resetDefaultScope,
  Scope,
  TaggedRegistry,
  VersionedRegistry,
  type StandardSchemaV1,
} from '../../src/container/index.js';
import { intentsOf } from '../../src/container/intents.js';
import { createRegistryDecorator, DecoratorError, Handles, Register, RegisterFactory, RegisterProvider, Tagged, Version } from '../../src/decorators/index.js';
import { expectError, expectRejection } from '../support/expect-error.js';

describe(`decorators (${process.env['PLUGBOARD_DECORATORS'] ?? 'legacy'} decorators)`, () => {
  afterEach(() => {
    resetDefaultScope();
  });

  describe('side-effect import', () => {
    it("makes drivers.get('pq') work after `import './fixtures/pq'` alone", async () => {
      const scope = resetDefaultScope();
      await import('./fixtures/pq.js');
      const drivers = scope.registry('sql.drivers', ImplementationRegistry<{ dial(d: string): string }>);
      expect(drivers.get('pq')!.dial('db')).to.equal('pq:db');
      expect(drivers.entry('pq')!.site).to.match(/test\/decorators\/fixtures\/pq\.ts:\d+$/);
      expect(drivers.toJSON().entries[0]!.site).to.match(/fixtures\/pq\.ts:\d+$/);
    });

    it('makes a late import into a frozen default scope fail with FrozenRegistryError naming the module', async () => {
      const scope = resetDefaultScope();
      scope.registry('sql.drivers', ImplementationRegistry);
      scope.freeze();
      const err = await expectRejection<FrozenRegistryError>(
        import('./fixtures/late.js'),
        FrozenRegistryError,
        'E_FROZEN',
        "sql.drivers: registry is frozen; cannot register 'late'",
        'fixtures/late.ts:',
      );
      expect(err.site).to.match(/fixtures\/late\.ts:\d+$/);
    });

    it('names both files when two modules register the same name', async () => {
      resetDefaultScope();
      await import('./fixtures/dup-a.js');
      const err = await expectRejection<DuplicateRegistrationError>(
        import('./fixtures/dup-b.js'),
        DuplicateRegistrationError,
        'E_DUPLICATE',
        "'mysql' is already registered",
      );
      expect(err.message).to.match(/first at test\/decorators\/fixtures\/dup-a\.ts:\d+, again at test\/decorators\/fixtures\/dup-b\.ts:\d+/);
    });
  });

  describe('scope.install / installModule', () => {
    it('replays recorded registrations into an isolated scope, independent of module caching', async () => {
      const mod = await import('./fixtures/drivers.js');
      const a = new Scope('a');
      const b = new Scope('b');
      a.installModule(mod);
      b.install(mod.SqliteDriver);
      expect(a.registry('sql.drivers', ImplementationRegistry).names()).to.deep.equal(['duckdb', 'sqlite']);
      expect(b.registry('sql.drivers', ImplementationRegistry).names()).to.deep.equal(['sqlite']);
      expect(a.registry('sql.drivers', ImplementationRegistry).get('sqlite')).to.be.instanceOf(mod.SqliteDriver);
      expect(a.registry('sql.drivers', ImplementationRegistry).get('sqlite')).to.not.equal(b.registry('sql.drivers', ImplementationRegistry).get('sqlite'));
    });

    it('records intents under Symbol.for("plugboard.registrations")', async () => {
      const mod = await import('./fixtures/drivers.js');
      const raw = (mod.SqliteDriver as unknown as Record<symbol, unknown>)[Symbol.for('plugboard.registrations')] as Array<{ name: string }>;
      expect(raw.map((i) => i.name)).to.deep.equal(['sqlite']);
      expect(Object.keys(mod.SqliteDriver)).to.deep.equal([], 'non-enumerable');
    });

    it('refuses an undecorated class, and rolls back a partial install', async () => {
      const mod = await import('./fixtures/drivers.js');
      const s = new Scope('s');
      expectError(() => s.install(mod.Undecorated), PlugboardError, 'E_NOT_DECORATED', 'class Undecorated');
      s.registry('sql.drivers', ImplementationRegistry).register('duckdb', 'taken');
      expectError(() => s.install(mod.SqliteDriver, mod.DuckDriver), DuplicateRegistrationError, 'E_DUPLICATE', "'duckdb'");
      expect(s.registry('sql.drivers', ImplementationRegistry).names()).to.deep.equal(['duckdb'], 'sqlite was rolled back');
    });

    it('does not make a subclass inherit its parent’s registrations', () => {
      const scope = new Scope('t');
      @RegisterProvider('parent', { scope })
      class Parent {}
      class Child extends Parent {}
      expect(intentsOf(Child)).to.deep.equal([]);
      expect(intentsOf(Parent)).to.have.length(1);
    });
  });

  describe('@RegisterProvider', () => {
    it('builds one instance lazily by default, and one per get() when transient', () => {
      const scope = new Scope('t');
      let built = 0;
      @RegisterProvider('lazy', { scope })
      class Lazy {
        constructor() {
          built++;
        }
      }
      @RegisterProvider('fresh', { scope, lifetime: 'transient' })
      class Fresh {}
      const providers = scope.registry('providers', ImplementationRegistry<object>);
      expect(built).to.equal(0, 'nothing is built at registration');
      expect(providers.toJSON().entries.find((e) => e.name === 'lazy')!.type).to.equal('provider Lazy (singleton)');
      const first = providers.get('lazy');
      expect(first).to.be.instanceOf(Lazy);
      expect(providers.get('lazy')).to.equal(first);
      expect(built).to.equal(1);
      expect(providers.get('fresh')).to.not.equal(providers.get('fresh'));
      expect(providers.get('fresh')).to.be.instanceOf(Fresh);
    });

    it('reports a throwing constructor as E_FACTORY naming the registry and key', () => {
      const scope = new Scope('t');
      @RegisterProvider('broken', { scope })
      class Broken {
        constructor() {
          throw new Error('no config');
        }
      }
      void Broken;
      const err = expectError<PlugboardError>(
        () => scope.registry('providers', ImplementationRegistry).get('broken'),
        PlugboardError,
        'E_FACTORY',
        "providers: constructing 'broken' failed: no config",
      );
      expect((err.cause as Error).message).to.equal('no config');
    });

    it('honours opts.registry and opts.scope', () => {
      const scope = new Scope('t');
      @RegisterProvider('x', { registry: 'my.things', scope })
      class X {}
      expect(scope.registry('my.things', ImplementationRegistry).get('x')).to.be.instanceOf(X);
    });
  });

  describe('@RegisterFactory', () => {
    it('constructs the class with the validated config (Standard Schema under both systems)', async () => {
      const scope = new Scope('t');
      const schema: StandardSchemaV1<{ port: number }> = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (v) => {
            const port = (v as { port?: unknown } | undefined)?.port ?? 5432;
            return typeof port === 'number' && port > 0 ? { value: { port } } : { issues: [{ message: 'port must be positive', path: ['port'] }] };
          },
        },
      };
      @RegisterFactory('pg', { config: schema, scope })
      class PgStore {
        constructor(readonly cfg: { port: number }) {}
      }
      const stores = scope.registry('factories', FactoryRegistry<PgStore>);
      const s = await stores.new('pg', { port: 6543 });
      expect(s).to.be.instanceOf(PgStore);
      expect(s.cfg.port).to.equal(6543);
      expect((await stores.new('pg')).cfg.port).to.equal(5432);
      await expectRejection(stores.new('pg', { port: -1 }), PlugboardError, 'E_CONFIG', 'port must be positive');
    });

    it('accepts a plain validate function as config (the docs/di.md shape), under both systems', async () => {
      const scope = new Scope('t');
      class S3Config {
        bucket = 'default';
      }
      const config = (raw: unknown): S3Config => {
        if (raw !== undefined && typeof (raw as { bucket?: unknown }).bucket !== 'string') throw new Error('bucket must be a string');
        return Object.assign(new S3Config(), raw);
      };
      @RegisterFactory('s3', { config, scope })
      class S3Storage {
        constructor(readonly cfg: S3Config) {}
      }
      const stores = scope.registry('factories', FactoryRegistry<S3Storage>);
      const s = await stores.new('s3', { bucket: 'photos' });
      expect(s).to.be.instanceOf(S3Storage);
      expect(s.cfg).to.be.instanceOf(S3Config).and.deep.include({ bucket: 'photos' });
      expect((await stores.new('s3')).cfg.bucket).to.equal('default');
      await expectRejection(stores.new('s3', { bucket: 7 }), PlugboardError, 'E_CONFIG', "factories: invalid config for 's3'", 'bucket must be a string');
    });
  });

  describe('@Handles', () => {
    it('dispatches to a lazily built handler instance', () => {
      const scope = new Scope('t');
      @Handles('/users/:id', { scope })
      class UserHandler {
        handle(body: string): string {
          return `user ${body}`;
        }
      }
      void UserHandler;
      const routes = scope.registry('handlers', HandlerRegistry<(b: string) => string>);
      expect(routes.dispatch('/users/7', 'x')).to.equal('user x');
      expect(routes.match('/users/7')!.params).to.deep.equal({ id: '7' });
    });

    it('rejects a class without handle()', () => {
      expectError(
        () => {
          @Handles('/x', { scope: new Scope('t') })
          class NoHandle {}
          void NoHandle;
        },
        DecoratorError,
        'E_DECORATOR',
        'class NoHandle needs a handle(...) method',
      );
    });
  });

  describe('@Tagged and @Version combined with registration decorators, in either order', () => {
    it('applies tags and rank whether written below or above', () => {
      const scope = new Scope('t');
      const Codec = createRegistryDecorator('codecs', TaggedRegistry, { scope });
      @Codec('json')
      @Tagged({ format: 'text' }, 1)
      class JsonCodec {}
      @Tagged({ format: 'binary' }, 10)
      @Codec('msgpack')
      class MsgpackCodec {}
      const codecs = scope.registry('codecs', TaggedRegistry<object>);
      expect(codecs.select().map((e) => e.name)).to.deep.equal(['msgpack', 'json']);
      expect(codecs.first({ format: 'text' })).to.be.instanceOf(JsonCodec);
      expect(codecs.first({ format: 'binary' })).to.be.instanceOf(MsgpackCodec);
    });

    it('registers versions into a VersionedRegistry with @Version below, or with { version }', () => {
      const scope = new Scope('t');
      scope.registry('apis', VersionedRegistry);
      @Register('apis', 'greeter', { scope })
      @Version('1.4.0')
      class GreeterV1 {}
      @Register('apis', 'greeter', { scope, version: '2.0.0' })
      class GreeterV2 {}
      const apis = scope.registry('apis', VersionedRegistry<object>);
      expect(apis.versions('greeter')).to.deep.equal(['1.4.0', '2.0.0']);
      expect(apis.get('greeter', '^1')).to.be.instanceOf(GreeterV1);
      expect(apis.latest('greeter')).to.be.instanceOf(GreeterV2);
    });

    it('re-registers with the version when @Version sits above a provider registration', () => {
      const scope = new Scope('t');
      @Version('3.1.0')
      @RegisterProvider('svc', { scope })
      class Svc {}
      void Svc;
      const providers = scope.registry('providers', ImplementationRegistry);
      expect(providers.names()).to.deep.equal(['svc']);
      expect(providers.version).to.equal(3, 'registered, removed, registered again');
    });

    it('explains the order when a versioned registration has no version yet', () => {
      const scope = new Scope('t');
      scope.registry('apis', VersionedRegistry);
      expectError(
        () => {
          @Version('2.0.0')
          @Register('apis', 'greeter', { scope })
          class Greeter {}
          void Greeter;
        },
        InvalidVersionError,
        'E_INVALID_VERSION',
        'a version is required',
        'write @Version(...) below',
      );
    });
  });

  describe('bad uses fail at decoration time with typed errors', () => {
    it('a decorator on a non-class (legacy-style and TC39-style calls)', () => {
      expectError(
        () => RegisterProvider('x', { scope: new Scope('t') })(function plain() {} as never),
        DecoratorError,
        'E_DECORATOR',
        '@RegisterProvider: can only decorate a class, not a plain function',
      );
      expectError(
        () => RegisterProvider('x', { scope: new Scope('t') })((() => 1) as never, { kind: 'method', name: 'run' } as never),
        DecoratorError,
        'E_DECORATOR',
        'not a method (run)',
      );
      expectError(() => (RegisterProvider('x') as (...a: unknown[]) => void)({}, 'prop', {}), DecoratorError, 'E_DECORATOR', 'a class member (prop)');
    });

    // #32: the options objects of decorators were not checked at run time (plain JS, casts).
    it('options that are not an object, an unknown option (with the closest one) or a known one of the wrong type; nothing is registered', () => {
      const scope = new Scope('t');
      expectError(
        () => RegisterProvider('x', { registy: 'drivers', scope } as never),
        DecoratorError,
        'E_DECORATOR',
        "@RegisterProvider: unknown option 'registy' (did you mean 'registry'?)",
      );
      expectError(() => RegisterFactory('x', { confg: {}, scope } as never), DecoratorError, 'E_DECORATOR', "unknown option 'confg' (did you mean 'config'?)");
      expectError(
        () => Handles('x.*', { lifetme: 'transient', scope } as never),
        DecoratorError,
        'E_DECORATOR',
        "unknown option 'lifetme' (did you mean 'lifetime'?)",
      );
      expectError(() => RegisterProvider('x', null as never), DecoratorError, 'E_DECORATOR', 'options must be an object, got null');
      expectError(() => RegisterProvider('x', { scope: {} } as never), DecoratorError, 'E_DECORATOR', 'scope must be a Scope');
      expectError(() => RegisterProvider('x', { replace: 'yes', scope } as never), DecoratorError, 'E_DECORATOR', 'replace must be a boolean');
      expectError(() => RegisterProvider('x', { registry: 42, scope } as never), DecoratorError, 'E_DECORATOR', 'registry must be a registry id');
      expectError(() => Register('drivers', 'x', { kind: 'tagged', scope } as never), DecoratorError, 'E_DECORATOR', 'kind must be a registry class');
      expect(scope.registries(), 'nothing was created').to.deep.equal([]);
    });

    it('a missing or empty name', () => {
      expectError(() => RegisterProvider(''), InvalidNameError, 'E_INVALID_NAME', 'providers: invalid name', 'must not be empty');
      expectError(() => RegisterProvider(undefined as never), InvalidNameError, 'E_INVALID_NAME', 'must be a string');
      expectError(() => Register('sql.drivers', '  '), InvalidNameError, 'E_INVALID_NAME', 'sql.drivers');
    });

    it("@Version('not-semver')", () => {
      expectError(() => Version('not-semver'), InvalidVersionError, 'E_INVALID_VERSION', 'not a valid semver version', 'not-semver');
    });

    it('a config option that is neither a class, a Standard Schema nor a function', () => {
      expectError(
        () => RegisterFactory('pg', { config: { port: 1 } as never }),
        InvalidOptionError,
        'E_INVALID_OPTION',
        'config must be a class',
        'got object',
      );
      expectError(() => RegisterFactory('pg', { config: 42 as never }), InvalidOptionError, 'E_INVALID_OPTION', 'config must be a class', 'got number');
    });

    it('a config class without class-validator decorators, naming the class', () => {
      class Bare {
        bucket = 'default';
      }
      expectError(
        () => RegisterFactory('s3', { config: Bare }),
        InvalidOptionError,
        'E_INVALID_OPTION',
        "'s3'",
        'config class Bare has no class-validator decorators',
      );
    });

    it('a bad lifetime', () => {
      expectError(() => RegisterProvider('x', { lifetime: 'forever' as never }), DecoratorError, 'E_DECORATOR', "lifetime must be 'singleton' or 'transient'");
    });
  });
});
