import { expect } from 'chai';
import {
  defaultScope,
  FactoryRegistry,
  FrozenRegistryError,
  HandlerRegistry,
  ImplementationRegistry,
  RegistryKindError,
  resetDefaultScope,
  Scope,
  setDefaultScope,
  TaggedRegistry,
  VersionedRegistry,
  withScope,
} from '../../src/container/index.js';
import { UnknownNameError } from '../../src/container/errors.js';
import { expectError, expectRejection } from '../support/expect-error.js';

describe('Scope', () => {
  it('creates a registry on first use and returns the same one afterwards', () => {
    const scope = new Scope('app');
    const a = scope.registry('sql.drivers', ImplementationRegistry<string>);
    expect(scope.registry('sql.drivers', ImplementationRegistry<string>)).to.equal(a);
    expect(a.scopeName).to.equal('app');
    expect(scope.registries().map((r) => r.id)).to.deep.equal(['sql.drivers']);
  });

  // #32: scope.registry('storag', …) creates an empty registry on first use, and its lookups
  // said only "nothing is registered".
  describe('a registry id mistyped on a read', () => {
    it('new(), mustGet() and dispatch() in a registry never written to say "did you mean registry …?"', async () => {
      const scope = new Scope('app');
      scope.registry('storage', FactoryRegistry<string>).register('pg', () => 'pg');
      scope.registry('sql.drivers', ImplementationRegistry<string>).register('pq', 'pq');
      scope.registry('handlers', HandlerRegistry<() => string>).register('users.*', () => 'ok');
      const err = await expectRejection<UnknownNameError>(
        scope.registry('storag', FactoryRegistry<string>).new('pg'),
        UnknownNameError,
        'E_UNKNOWN',
        "storag: unknown name 'pg'; nothing is registered",
        "registry 'storag' was never written to: did you mean registry 'storage'?",
      );
      expect(err.registrySuggestion).to.equal('storage');
      expectError(
        () => scope.registry('sql.driver', ImplementationRegistry<string>).mustGet('pq'),
        UnknownNameError,
        'E_UNKNOWN',
        "did you mean registry 'sql.drivers'?",
      );
      expectError(
        () => scope.registry('handler', HandlerRegistry<() => string>).dispatch('users.get'),
        UnknownNameError,
        'E_UNKNOWN',
        "did you mean registry 'handlers'?",
      );
    });

    it('sees the registries of parent scopes; a registry once written to, or with no close id, gets no hint', () => {
      const root = new Scope('root');
      root.registry('storage', ImplementationRegistry<string>).register('pg', 'pg');
      const child = root.child('request');
      expectError(
        () => child.registry('storag', ImplementationRegistry<string>).mustGet('pg'),
        UnknownNameError,
        'E_UNKNOWN',
        "did you mean registry 'storage'?",
      );
      const emptied = root.registry('storages', ImplementationRegistry<string>);
      emptied.register('x', 'x');
      emptied.unregister('x');
      const once = expectError<UnknownNameError>(() => emptied.mustGet('pg'), UnknownNameError, 'E_UNKNOWN', 'nothing is registered');
      expect(once.registrySuggestion, 'written to once: not a typo').to.equal(undefined);
      const far = expectError<UnknownNameError>(() => root.registry('metrics', ImplementationRegistry<string>).mustGet('x'), UnknownNameError, 'E_UNKNOWN');
      expect(far.message).not.to.include('did you mean registry');
    });

    it('keeps decorators working: a registry created empty and written to by a registration is an ordinary registry', () => {
      const scope = new Scope('app');
      scope.registry('storage', ImplementationRegistry<string>).register('pg', 'pg');
      const drivers = scope.registry('storages', ImplementationRegistry<string>); // created before anything is registered
      drivers.register('mysql', 'mysql');
      expect(drivers.mustGet('mysql')).to.equal('mysql');
      expect(expectError<UnknownNameError>(() => drivers.mustGet('pg'), UnknownNameError, 'E_UNKNOWN').registrySuggestion).to.equal(undefined);
    });
  });

  it('type-checks a registry id against its kind', () => {
    const scope = new Scope('app');
    scope.registry('sql.drivers', ImplementationRegistry);
    expectError(() => scope.registry('sql.drivers', FactoryRegistry), RegistryKindError, 'E_KIND_MISMATCH', 'sql.drivers', 'implementation', 'factory');
  });

  it('passes kind options through', () => {
    const scope = new Scope('app');
    expect(scope.registry('events', HandlerRegistry, { separator: '.' }).separator).to.equal('.');
  });

  describe('child scopes', () => {
    it('fall through to the parent for reads and keep writes local', () => {
      const root = new Scope('root');
      root.registry('drivers', ImplementationRegistry<string>).register('pq', 'root-pq');
      const child = root.child('test');
      const drivers = child.registry('drivers', ImplementationRegistry<string>);
      expect(drivers.get('pq')).to.equal('root-pq');
      drivers.register('mock', 'child-mock');
      drivers.register('pq', 'child-pq');
      expect(drivers.get('pq')).to.equal('child-pq', 'a local entry shadows the parent');
      expect(drivers.names()).to.deep.equal(['mock', 'pq']);
      expect(drivers.size).to.equal(2);
      expect(root.registry('drivers', ImplementationRegistry<string>).names()).to.deep.equal(['pq']);
      expect(root.registry('drivers', ImplementationRegistry<string>).get('pq')).to.equal('root-pq');
    });

    it('see parent entries registered after the child was created', () => {
      const root = new Scope('root');
      const child = root.child('c');
      const tagged = child.registry('codecs', TaggedRegistry<string>);
      root.registry('codecs', TaggedRegistry<string>).register('json', 'J', { rank: 1 });
      expect(tagged.select().map((e) => e.name)).to.deep.equal(['json']);
      const versioned = child.registry('apis', VersionedRegistry<string>);
      root.registry('apis', VersionedRegistry<string>).register('greeter', 'g1', { version: '1.0.0' });
      versioned.register('greeter', 'g2', { version: '2.0.0' });
      expect(versioned.versions('greeter')).to.deep.equal(['1.0.0', '2.0.0']);
      expect(versioned.get('greeter', '^1')).to.equal('g1');
    });

    it('are listed by their parent', () => {
      const root = new Scope('root');
      const c = root.child('c');
      expect(root.children()).to.deep.equal([c]);
    });
  });

  describe('freeze', () => {
    it('freezes every registry, including ones created later', () => {
      const scope = new Scope('app');
      const a = scope.registry('a', ImplementationRegistry<number>);
      scope.freeze();
      expect(a.state).to.equal('frozen');
      const b = scope.registry('b', ImplementationRegistry<number>);
      expectError(() => b.register('late', 1), FrozenRegistryError, 'E_FROZEN', "b: registry is frozen; cannot register 'late'", 'scope.test.ts:');
    });
  });

  describe('snapshot / restore', () => {
    it('puts entries back and empties registries created since', () => {
      const scope = new Scope('app');
      const a = scope.registry('a', ImplementationRegistry<number>);
      a.register('one', 1);
      const snap = scope.snapshot();
      a.register('two', 2);
      a.unregister('one');
      scope.registry('b', ImplementationRegistry<number>).register('x', 1);
      scope.restore(snap);
      expect(a.names()).to.deep.equal(['one']);
      expect(a.entry('one')!.site).to.match(/scope\.test\.ts:\d+$/);
      expect(scope.registry('b', ImplementationRegistry<number>).size).to.equal(0);
      a.register('two', 2);
      expect(a.names()).to.deep.equal(['one', 'two']);
    });

    it('refuses to restore a frozen scope, and a snapshot of another scope', () => {
      const scope = new Scope('app');
      const snap = scope.snapshot();
      expectError(() => new Scope('other').restore(snap), Error as never, 'E_SNAPSHOT', "taken from scope 'app'");
      scope.freeze();
      expectError(() => scope.restore(snap), FrozenRegistryError, 'E_FROZEN');
    });
  });

  describe('default scope', () => {
    afterEach(() => {
      resetDefaultScope();
    });

    it('is one process-wide scope, shared through globalThis', () => {
      expect(defaultScope()).to.equal(defaultScope());
      expect((globalThis as unknown as Record<symbol, { scope: Scope }>)[Symbol.for('plugboard.defaultScope.v1')]!.scope).to.equal(defaultScope());
    });

    it('can be replaced with setDefaultScope', () => {
      const mine = new Scope('mine');
      const previous = setDefaultScope(mine);
      expect(defaultScope()).to.equal(mine);
      setDefaultScope(previous);
      expect(defaultScope()).to.equal(previous);
    });

    it('is isolated per async context by withScope', async () => {
      const a = new Scope('a');
      const b = new Scope('b');
      const seen: string[] = [];
      await Promise.all([
        withScope(a, async () => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push(defaultScope().name);
        }),
        withScope(b, async () => {
          seen.push(defaultScope().name);
          await new Promise((r) => setTimeout(r, 10));
          seen.push(defaultScope().name);
        }),
      ]);
      expect(seen).to.deep.equal(['b', 'a', 'b']);
      expect(defaultScope().name).to.equal('default');
    });
  });

  it('serialises scopes, registries and children in toJSON', () => {
    const root = new Scope('root');
    root.registry('a', ImplementationRegistry<number>).register('x', 1);
    const child = root.child('kid');
    child.registry('a', ImplementationRegistry<number>);
    const json = root.toJSON();
    expect(json.name).to.equal('root');
    expect(json.registries[0]!.entries[0]!.name).to.equal('x');
    expect(json.children[0]!.name).to.equal('kid');
    expect(JSON.parse(JSON.stringify(json)).registries[0].id).to.equal('a');
  });
});
