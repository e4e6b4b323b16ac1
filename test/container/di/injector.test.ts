/**
 * The native injector: providing, lifetimes, tokens and bad input. Compiled and run twice, with
 * legacy and with TC39 standard decorators; nothing here may depend on reflect-metadata.
 */
import { expect } from 'chai';
import {
  DiError,
  DuplicateRegistrationError,
  FactoryError,
  FrozenRegistryError,
  ImplementationRegistry,
  inject,
  InvalidNameError,
  InvalidOptionError,
  NilRegistrationError,
  Scope,
  token,
  TOKENS,
  registryToken,
  entryToken,
  UnknownNameError,
  withScope,
  defaultScope,
  type Resolver,
} from '../../../src/container/index.js';
import { expectError } from '../../support/expect-error.js';

const mode = process.env['PLUGBOARD_DECORATORS'] ?? 'legacy';

class Logger {
  readonly lines: string[] = [];
  info(line: string): void {
    this.lines.push(line);
  }
}
const LOGGER = token<Logger>('logger');
const PORT = token<number>('port');

describe(`native injector: provide, get, lifetimes (${mode} decorators)`, () => {
  it('needs no reflect-metadata', () => {
    if (mode === 'standard')
      expect((Reflect as unknown as { getMetadata?: unknown }).getMetadata, 'the standard suite loads no reflect-metadata').to.equal(undefined);
    const scope = new Scope('app').provide(Logger);
    expect(scope.get(Logger)).to.be.instanceOf(Logger);
  });

  it('is the Resolver of a scope with no container attached', () => {
    const scope = new Scope('app');
    expect(scope.resolver).to.equal(undefined);
    const r: Resolver = scope.injector;
    scope.provide(LOGGER, { useClass: Logger });
    class Uses {
      readonly log = inject(LOGGER);
    }
    expect(r.construct(Uses).log).to.equal(scope.get(LOGGER));
  });

  it('provides values, classes and factories under symbol and class tokens', () => {
    const scope = new Scope('app');
    scope.provide(PORT, { value: 8080 });
    scope.provide(LOGGER, { useClass: Logger });
    scope.provide(Logger);
    const URL_TOKEN = token<string>('url');
    scope.provide(URL_TOKEN, { useFactory: () => `http://localhost:${inject(PORT)}` });
    expect(scope.get(PORT)).to.equal(8080);
    expect(scope.get(URL_TOKEN)).to.equal('http://localhost:8080');
    expect(scope.get(LOGGER)).to.be.instanceOf(Logger);
    expect(scope.get(LOGGER)).to.not.equal(scope.get(Logger), 'two tokens, two singletons');
  });

  it('passes constructor arguments from `static inject`', () => {
    class Service {
      static inject = [LOGGER, PORT, TOKENS.Scope];
      constructor(
        readonly log: Logger,
        readonly port: number,
        readonly scope: Scope,
      ) {}
    }
    const scope = new Scope('app').provide(LOGGER, { useClass: Logger }).provide(PORT, { value: 1 }).provide(Service);
    const s = scope.get(Service);
    expect(s.log).to.equal(scope.get(LOGGER));
    expect(s.port).to.equal(1);
    expect(s.scope).to.equal(scope);
  });

  it('builds a singleton once per providing scope, a transient every time', () => {
    let built = 0;
    class Counted {
      readonly n = ++built;
    }
    const T = token<Counted>('transient');
    const scope = new Scope('app').provide(Counted).provide(T, { useClass: Counted, lifetime: 'transient' });
    expect(scope.get(Counted)).to.equal(scope.get(Counted));
    expect(scope.child('c').get(Counted)).to.equal(scope.get(Counted), 'a child sees the parent’s singleton');
    const a = scope.get(T);
    const b = scope.get(T);
    expect(a).to.not.equal(b);
    expect(built).to.equal(3);
  });

  it('builds a scoped instance once per resolving scope: one per request with withScope', async () => {
    class RequestContext {
      static seq = 0;
      readonly id = ++RequestContext.seq;
      readonly log = inject(Logger);
    }
    class Handler {
      readonly ctx = inject(RequestContext);
      readonly log = inject(Logger);
    }
    const root = new Scope('root').provide(Logger).provide(RequestContext, { lifetime: 'scoped' }).provide(Handler, { lifetime: 'transient' });
    const handle = (): Promise<[Handler, Handler]> =>
      withScope(root.child('request'), async () => {
        const first = defaultScope().get(Handler);
        await Promise.resolve();
        const second = await defaultScope().resolve(Handler);
        return [first, second] as [Handler, Handler];
      });
    const [[a1, a2], [b1, b2]] = await Promise.all([handle(), handle()]);
    expect(a1).to.not.equal(a2, 'handlers are transient');
    expect(a1.ctx).to.equal(a2.ctx, 'one context per request');
    expect(b1.ctx).to.equal(b2.ctx);
    expect(a1.ctx).to.not.equal(b1.ctx, 'each request has its own');
    expect(a1.log).to.equal(b1.log, 'the logger is a root singleton');
    expect(a1.ctx.log).to.equal(root.get(Logger));
  });

  it('builds a parent’s singleton in the parent: a child’s provider does not leak into it', () => {
    class Config {
      constructor(readonly name: string) {}
    }
    class Db {
      readonly cfg = inject(Config);
    }
    const root = new Scope('root').provide(Config, { value: new Config('root') }).provide(Db);
    const child = root.child('test').provide(Config, { value: new Config('child') });
    expect(child.get(Config).name).to.equal('child', 'the child’s own provider shadows the parent’s');
    expect(child.get(Db).cfg.name).to.equal('root', 'the root singleton was built with the root’s config');
    expect(child.get(Db)).to.equal(root.get(Db));
  });

  it('sees a provider added after a first build (parameter lookups are not cached past a provide)', () => {
    const NAME = token<string>('name');
    class Named {
      static inject = [NAME];
      constructor(readonly name: string) {}
    }
    const base = new Scope('base').provide(NAME, { value: 'from base' });
    const app = base.child('app').provide(Named, { lifetime: 'transient' });
    expect(app.get(Named).name).to.equal('from base');
    app.provide(NAME, { value: 'from app' });
    expect(app.get(Named).name).to.equal('from app', 'the new provider shadows the parent’s');
    expect(base.child('other').provide(Named, { lifetime: 'transient' }).get(Named).name).to.equal('from base');
  });

  it('resolves TOKENS.Scope, registryToken(id) and entryToken(id, name) without providers', () => {
    const root = new Scope('root');
    const drivers = root.registry('sql.drivers', ImplementationRegistry<string>);
    drivers.register('pq', 'pq driver');
    class Repo {
      readonly scope = inject(TOKENS.Scope);
      readonly drivers = inject(registryToken<ImplementationRegistry<string>>('sql.drivers'));
      readonly pq = inject(entryToken<string>('sql.drivers', 'pq'));
    }
    const child = root.child('c').provide(Repo, { lifetime: 'transient' });
    const repo = child.get(Repo);
    expect(repo.scope).to.equal(child);
    expect(repo.drivers).to.equal(drivers);
    expect(repo.pq).to.equal('pq driver');
    expectError(() => child.get(entryToken('sql.drivers', 'pg')), UnknownNameError, 'E_UNKNOWN', "unknown name 'pg'", "did you mean 'pq'");
    expect(child.get(entryToken('sql.drivers', 'pg'), { optional: true })).to.equal(undefined);
    expectError(() => child.get(registryToken('nope')), DiError, 'E_DI_MISSING', "registryToken('nope')");
  });

  it('returns undefined for optional tokens nobody provides', () => {
    class Service {
      readonly log = inject(LOGGER, { optional: true });
    }
    const scope = new Scope('app').provide(Service);
    expect(scope.get(Service).log).to.equal(undefined);
    expect(scope.get(PORT, { optional: true })).to.equal(undefined);
  });

  describe('errors', () => {
    it('E_DI_MISSING names the class, the token and the closest known token', () => {
      const LOGER = token<Logger>('loger');
      class Greeter {
        readonly log = inject(LOGER);
      }
      const scope = new Scope('app').provide(LOGGER, { useClass: Logger }).provide(Greeter);
      const err = expectError<DiError>(
        () => scope.get(Greeter),
        DiError,
        'E_DI_MISSING',
        "scope 'app': Greeter needs token('loger')",
        "did you mean token('logger')?",
      );
      expect(err.suggestion).to.equal("token('logger')");
      expect(err.path).to.deep.equal(['Greeter', "token('loger')"]);
      expectError(() => scope.get(TOKENS.Discovery), DiError, 'E_DI_MISSING', 'TOKENS.Discovery was requested', 'createRegistry');
    });

    it('E_DI_CYCLE names the path', () => {
      const A_TOKEN = token<unknown>('a');
      class B {
        readonly a = inject(A_TOKEN);
      }
      class A {
        static inject = [B];
        constructor(readonly b: B) {}
      }
      const scope = new Scope('app').provide(A_TOKEN, { useClass: A }).provide(B);
      const err = expectError<DiError>(() => scope.get(A_TOKEN), DiError, 'E_DI_CYCLE', "dependency cycle: token('a') → B → token('a')");
      expect(err.path).to.deep.equal(["token('a')", 'B', "token('a')"]);
      class Self {
        readonly me = inject(Self);
      }
      scope.provide(Self, { lifetime: 'transient' });
      expectError(() => scope.get(Self), DiError, 'E_DI_CYCLE', 'Self → Self');
      expectError(() => scope.get(B), DiError, 'E_DI_CYCLE', "B → token('a') → B"); // no flag left set by the failed build
    });

    it('E_DI_CONTEXT for inject() outside a construction, or after an await inside one', async () => {
      expectError(() => inject(LOGGER), DiError, 'E_DI_CONTEXT', "inject(token('logger')) was called outside a construction");
      class Eager {
        readonly log = inject(Logger);
      }
      expectError(() => new Eager(), DiError, 'E_DI_CONTEXT', 'inject(Logger)');
      let later: Promise<unknown> = Promise.resolve();
      class Late {
        constructor() {
          later = Promise.resolve().then(() => inject(Logger));
        }
      }
      new Scope('app').provide(Logger).provide(Late).get(Late);
      const err = await later.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DiError).with.property('code', 'E_DI_CONTEXT');
    });

    it('rejects bad tokens and bad providers with typed errors, and stores nothing', () => {
      const scope = new Scope('app');
      for (const bad of [null, undefined, 'logger', 42, {}, () => 1]) {
        expectError(() => scope.provide(bad as never, { value: 1 }), DiError, 'E_DI_TOKEN', "scope 'app': provide() needs a token");
        expectError(() => scope.get(bad as never), DiError, 'E_DI_TOKEN', 'not a token');
      }
      expectError(() => scope.provide(PORT, { value: null as never }), NilRegistrationError, 'E_NIL', "token('port')");
      expectError(() => scope.provide(PORT, { value: undefined as never }), NilRegistrationError, 'E_NIL');
      expectError(() => scope.provide(PORT), InvalidOptionError, 'E_INVALID_OPTION', 'a symbol token needs');
      expectError(() => scope.provide(PORT, { useValue: 1 } as never), InvalidOptionError, 'E_INVALID_OPTION', "unknown provider option 'useValue'");
      expectError(() => scope.provide(PORT, { value: 1, useFactory: () => 2 }), InvalidOptionError, 'E_INVALID_OPTION', 'exactly one of');
      expectError(() => scope.provide(LOGGER, { useClass: (() => new Logger()) as never }), InvalidOptionError, 'E_INVALID_OPTION', 'useClass must be a class');
      expectError(() => scope.provide(LOGGER, { useFactory: 'x' as never }), InvalidOptionError, 'E_INVALID_OPTION', 'useFactory must be a function');
      expectError(
        () => scope.provide(LOGGER, { useClass: Logger, lifetime: 'forever' as never }),
        InvalidOptionError,
        'E_INVALID_OPTION',
        "lifetime must be one of 'singleton', 'scoped', 'transient'",
      );
      expectError(() => scope.provide(PORT, { value: 1, lifetime: 'transient' } as never), InvalidOptionError, 'E_INVALID_OPTION', 'a value is shared');
      expectError(() => scope.provide(TOKENS.Scope, { value: scope }), InvalidOptionError, 'E_INVALID_OPTION', 'built in');
      expectError(() => scope.provide(LOGGER, null as never), InvalidOptionError, 'E_INVALID_OPTION', 'got null');
      expectError(() => token(''), InvalidNameError, 'E_INVALID_NAME');
      expectError(() => entryToken('storage', ' pg'), InvalidNameError, 'E_INVALID_NAME');
      expect(scope.get(PORT, { optional: true })).to.equal(undefined, 'nothing was stored');
      expect(scope.get(LOGGER, { optional: true })).to.equal(undefined);
    });

    it('rejects a bad `static inject` naming the class and the index', () => {
      class Broken {
        static inject = [Logger, undefined];
      }
      class NotAList {
        static inject = Logger;
      }
      const scope = new Scope('app').provide(Logger).provide(Broken).provide(NotAList);
      expectError(() => scope.get(Broken), DiError, 'E_DI_TOKEN', 'Broken.inject[1] is not a token', 'circular import');
      expectError(() => scope.get(NotAList), DiError, 'E_DI_TOKEN', 'NotAList.inject must be an array');
    });

    it('never calls a constructor with parameters nothing fills: E_DI_PARAMS names the class, the index and static inject', () => {
      let calls = 0;
      class PqDriver {
        constructor(readonly log: Logger) {
          calls++;
        }
      }
      const scope = new Scope('app').provide(Logger).provide(PqDriver);
      const err = expectError<DiError>(() => scope.get(PqDriver), DiError, 'E_DI_PARAMS', 'PqDriver', 'parameter #0', 'static inject = [');
      expect(err.token).to.equal('PqDriver');
      expect(calls).to.equal(0);
      class WithDefault {
        constructor(readonly label: string = 'default') {}
      }
      expect(scope.provide(WithDefault).get(WithDefault).label).to.equal('default', 'a parameter with a default needs nothing');
    });

    it('rejects providing a token twice, naming both sites', () => {
      const scope = new Scope('app').provide(LOGGER, { useClass: Logger });
      const err = expectError<DuplicateRegistrationError>(
        () => scope.provide(LOGGER, { useClass: Logger }),
        DuplicateRegistrationError,
        'E_DUPLICATE',
        "scope 'app': 'token('logger')' is already registered",
      );
      expect(err.message).to.match(/first at test\/container\/di\/injector\.test\.ts:\d+, again at test\/container\/di\/injector\.test\.ts:\d+/);
      expect(scope.child('c').provide(LOGGER, { useClass: Logger }).get(LOGGER)).to.not.equal(scope.get(LOGGER), 'a child may shadow its parent');
    });

    it('rejects providing on a frozen scope', () => {
      const scope = new Scope('app');
      scope.freeze();
      const err = expectError<FrozenRegistryError>(
        () => scope.provide(LOGGER, { useClass: Logger }),
        FrozenRegistryError,
        'E_FROZEN',
        "scope 'app'",
        "cannot provide 'token('logger')'",
      );
      expect(err.site).to.match(/injector\.test\.ts:\d+$/);
    });

    it('reports a throwing constructor or factory as E_FACTORY naming the scope and token, and builds again next time', () => {
      let fail = true;
      class Flaky {
        constructor() {
          if (fail) throw new Error('boom');
        }
      }
      const F = token<number>('flaky-factory');
      const scope = new Scope('app').provide(Flaky).provide(F, {
        useFactory: () => {
          throw new TypeError('bad factory');
        },
      });
      const err = expectError<FactoryError>(() => scope.get(Flaky), FactoryError, 'E_FACTORY', "scope 'app': constructing 'Flaky' failed: boom");
      expect((err.cause as Error).message).to.equal('boom');
      expectError(() => scope.get(F), FactoryError, 'E_FACTORY', "constructing 'token('flaky-factory')' failed: bad factory");
      fail = false;
      expect(scope.get(Flaky)).to.be.instanceOf(Flaky);
      const N = token<number>('nil');
      scope.provide(N, { useFactory: () => undefined as never });
      expectError(() => scope.get(N), NilRegistrationError, 'E_NIL', "token('nil')", 'useFactory returned undefined');
    });
  });
});
