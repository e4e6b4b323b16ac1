/**
 * Legacy-decorator-only checks: inversify, tsyringe and class-validator only support
 * `experimentalDecorators`, so this file is left out of the TC39 build.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { IsInt, IsString, Min } from 'class-validator';
import { Container, inject as inversifyInject, injectable as inversifyInjectable } from 'inversify';
import { container as tsyringeRoot, inject as tsyringeInject, injectable as tsyringeInjectable } from 'tsyringe';
import { ConfigValidationError, FactoryRegistry, ImplementationRegistry, Scope } from '../../src/container/index.js';
import { RegisterFactory, RegisterProvider } from '../../src/decorators/index.js';
import { expectRejection } from '../support/expect-error.js';

describe('decorators next to inversify and tsyringe (legacy decorators)', () => {
  it('sits next to inversify @injectable() in either order', () => {
    const scope = new Scope('t');
    @inversifyInjectable()
    class Clock {
      now(): number {
        return 42;
      }
    }
    @RegisterProvider('above', { scope })
    @inversifyInjectable()
    class Above {
      constructor(@inversifyInject(Clock) readonly clock: Clock) {}
    }
    @inversifyInjectable()
    @RegisterProvider('below', { scope })
    class Below {
      constructor(@inversifyInject(Clock) readonly clock: Clock) {}
    }
    const c = new Container();
    c.bind(Clock).toSelf();
    c.bind(Above).toSelf();
    c.bind(Below).toSelf();
    expect(c.get(Above).clock.now()).to.equal(42);
    expect(c.get(Below).clock.now()).to.equal(42);
    const providers = scope.registry('providers', ImplementationRegistry);
    expect(providers.names()).to.deep.equal(['above', 'below']);
    expect(Reflect.getMetadata('design:paramtypes', Above)).to.deep.equal([Clock], 'decorator metadata is intact');
  });

  it('sits next to tsyringe @injectable() in either order', () => {
    const scope = new Scope('t');
    class Greeting {
      text = 'hello';
    }
    @RegisterProvider('above', { scope })
    @tsyringeInjectable()
    class Above {
      constructor(@tsyringeInject(Greeting) readonly greeting: Greeting) {}
    }
    @tsyringeInjectable()
    @RegisterProvider('below', { scope })
    class Below {
      constructor(readonly greeting: Greeting) {}
    }
    const c = tsyringeRoot.createChildContainer();
    expect(c.resolve(Above).greeting.text).to.equal('hello');
    expect(c.resolve(Below).greeting.text).to.equal('hello');
    expect(scope.registry('providers', ImplementationRegistry).names()).to.deep.equal(['above', 'below']);
  });

  it('validates a @RegisterFactory config class with class-validator', async () => {
    const scope = new Scope('t');
    class PgConfig {
      @IsString() host = 'localhost';
      @IsInt() @Min(1) port = 5432;
    }
    @RegisterFactory('pg', { config: PgConfig, scope })
    class PgStore {
      constructor(readonly cfg: PgConfig) {}
    }
    const stores = scope.registry('factories', FactoryRegistry<PgStore>);
    const s = await stores.new('pg', { port: 6543 });
    expect(s).to.be.instanceOf(PgStore);
    expect(s.cfg).to.be.instanceOf(PgConfig);
    expect(s.cfg).to.deep.include({ host: 'localhost', port: 6543 });
    await expectRejection(stores.new('pg', { port: 0, nope: 1 }), ConfigValidationError, 'E_CONFIG', 'port', 'nope');
  });
});
