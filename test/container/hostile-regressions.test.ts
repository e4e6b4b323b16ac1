import 'reflect-metadata';
import { expect } from 'chai';
import {
  FactoryRegistry,
  FormatRegistry,
  HandlerRegistry,
  HierarchicalRegistry,
  ImplementationRegistry,
  InvalidNameError,
  InvalidOptionError,
  PlugboardAggregateError,
  RegistryError,
  Scope,
  TaggedRegistry,
} from '../../src/container/index.js';
import { Register } from '../../src/decorators/index.js';
import { expectError, expectRejection } from '../support/expect-error.js';

/** Issue #28, registry core (7–15): each of these escaped as a raw TypeError, lost an entry, or let a reader change a registry. */
describe('registry core against hostile input (issue #28)', () => {
  it('7: a listener throwing a null-prototype object: register succeeds and later listeners still hear of it', async () => {
    const r = new ImplementationRegistry<number>('codecs');
    const heard: string[] = [];
    r.onChange(() => {
      throw Object.create(null) as Error;
    });
    r.onChange((c) => heard.push(c.key));
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    expect(r.register('a', 1)).to.equal('a');
    await new Promise<void>((done) => process.nextTick(done)); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    expect(heard).to.deep.equal(['a']);
    expect(warnings).to.deep.equal(['codecs: onChange listener threw: a thrown object that cannot be printed']);
  });

  it('8: mustGet(undefined), mustGet(42), factories.new(undefined) are E_INVALID_NAME', async () => {
    const r = new ImplementationRegistry<number>('drivers');
    r.register('pq', 1);
    expectError(() => r.mustGet(undefined as never), InvalidNameError, 'E_INVALID_NAME', 'drivers', 'a name must be a string');
    expectError(() => r.mustGet(42 as never), InvalidNameError, 'E_INVALID_NAME', 'drivers');
    const f = new FactoryRegistry<number>('sql.drivers');
    await expectRejection(f.new(undefined as never), InvalidNameError, 'E_INVALID_NAME', 'sql.drivers');
  });

  it('9: HandlerRegistry.dispatch(undefined) and match(42) are E_INVALID_NAME', () => {
    const h = new HandlerRegistry<() => number>('routes');
    h.register('/a/:id', () => 1);
    expectError(() => h.dispatch(undefined as never), InvalidNameError, 'E_INVALID_NAME', 'routes', 'must be a string');
    expectError(() => h.match(42 as never), InvalidNameError, 'E_INVALID_NAME', 'routes');
  });

  it('10: FormatRegistry.decode reads an ArrayBuffer and typed arrays; refuses arrays and undefined with a code', () => {
    const f = new FormatRegistry<string>('formats');
    f.register('json', '{', (b) => new TextDecoder().decode(b));
    const bytes = new TextEncoder().encode('{}');
    expect(f.decode(bytes.buffer.slice(0))).to.deep.equal({ name: 'json', value: '{}' });
    expect(f.decode(new DataView(bytes.buffer)).name).to.equal('json');
    expectError(() => f.decode([123, 125] as never), InvalidOptionError, 'E_INVALID_OPTION', 'formats', 'needs bytes', 'got an array');
    expectError(() => f.decode(undefined as never), InvalidOptionError, 'E_INVALID_OPTION', 'got undefined');
  });

  it('11: TaggedRegistry.select(null) is E_INVALID_OPTION', () => {
    const t = new TaggedRegistry<number>('codecs');
    t.register('a', 1, { tags: { kind: 'text' } });
    expectError(
      () => t.select(null as never),
      InvalidOptionError,
      'E_INVALID_OPTION',
      'codecs',
      'a tag filter must be an object of tags or a predicate, got null',
    );
    expect(t.select({ kind: 'text' }).map((e) => e.value)).to.deep.equal([1]);
  });

  it('12: Scope.restore(null | {} | undefined) is E_SNAPSHOT', () => {
    const s = new Scope('app');
    for (const bad of [null, {}, undefined]) expectError(() => s.restore(bad as never), RegistryError, 'E_SNAPSHOT', "scope 'app'");
  });

  it('13: scope.registry(id, undefined | {}) is E_INVALID_OPTION, and creates nothing', () => {
    const s = new Scope('app');
    for (const bad of [undefined, {}]) expectError(() => s.registry('codecs', bad as never), InvalidOptionError, 'E_INVALID_OPTION', 'needs a registry class');
    expect(s.registries()).to.deep.equal([]);
  });

  it('14: a failed install(A, B) puts back the entry A had replaced, exactly', () => {
    const scope = new Scope('app');
    const things = scope.registry('things', ImplementationRegistry);
    things.register('a', 'original');
    const before = things.entry('a');
    @Register('things', 'a', { scope: new Scope('decorations-a'), replace: true })
    class Replacer {}
    @Register('things', 'b', { scope: new Scope('decorations-b') })
    class Fine {}
    things.register('b', 'taken');
    expect(() => scope.install(Replacer, Fine)).to.throw();
    expect(things.entry('a')).to.equal(before);
    expect(things.get('a')).to.equal('original');
    expect(things.names()).to.deep.equal(['a', 'b']);
  });

  it('14: a failed install removes the registries it created', () => {
    const scope = new Scope('app');
    @Register('fresh', 'x', { scope: new Scope('decorations-c') })
    class X {}
    class NotDecorated {}
    expect(() => scope.install(X, NotDecorated)).to.throw();
    expect(scope.registries().map((r) => r.id)).to.deep.equal([]);
  });

  it('15: what entries() returns cannot change routing or sniffing', () => {
    const h = new HandlerRegistry<() => string>('routes');
    h.register('/users/:id', () => 'user');
    for (const e of h.entries()) {
      for (const k of Reflect.ownKeys(e.meta)) {
        const compiled = e.meta[k] as { segments?: Array<Record<string, unknown>> };
        if (typeof compiled !== 'object') continue;
        expect(Object.isFrozen(compiled)).to.equal(true);
        for (const seg of compiled.segments ?? []) expect(Object.isFrozen(seg)).to.equal(true);
      }
    }
    expect(h.match('/users/7')?.params).to.deep.equal({ id: '7' });
    const f = new FormatRegistry<string>('formats');
    f.register('json', { magic: '{', decode: () => 'json' });
    for (const e of f.entries()) for (const k of Reflect.ownKeys(e.meta)) if (typeof e.meta[k] === 'object') expect(Object.isFrozen(e.meta[k])).to.equal(true);
    expect(f.sniff(new TextEncoder().encode('{'))?.name).to.equal('json');
  });

  it('found by the generated-input test: callbacks, options, paths and namespaces of the wrong type are E_INVALID_OPTION / E_INVALID_NAME', () => {
    expectError(
      () => new ImplementationRegistry('codecs', null as never),
      InvalidOptionError,
      'E_INVALID_OPTION',
      'registry options must be an object, got null',
    );
    const r = new ImplementationRegistry<number>('codecs');
    expectError(() => r.range(42 as never), InvalidOptionError, 'E_INVALID_OPTION', 'range needs a function, got number');
    expectError(() => r.onChange(class {} as never), InvalidOptionError, 'E_INVALID_OPTION', 'onChange needs a function, got a class');
    const t = new TaggedRegistry<number>('tags');
    expectError(() => t.select(class {} as never), InvalidOptionError, 'E_INVALID_OPTION', 'not a class');
    const h = new HierarchicalRegistry<number>('commands');
    expectError(() => h.children(null as never), InvalidNameError, 'E_INVALID_NAME', 'a path must be a string');
    expectError(() => h.resolve(null as never), InvalidOptionError, 'E_INVALID_OPTION', 'resolve needs a path or an array of segments');
    const s = new Scope('app');
    expectError(() => s.onRegistryCreated(1 as never), InvalidOptionError, 'E_INVALID_OPTION', 'onRegistryCreated needs a function');
    expectError(() => s.installModule(null as never), InvalidOptionError, 'E_INVALID_OPTION', 'installModule needs a module namespace');
  });

  it('a 200,000-item batch of junk is refused quickly, reporting the first 100 problems', () => {
    const r = new ImplementationRegistry<number>('codecs');
    const err = expectError<PlugboardAggregateError>(() => r.registerAll(new Array<string>(200_000).fill('x') as never), PlugboardAggregateError, 'E_BATCH');
    expect(err.errors).to.have.length(100);
    expect(r.version).to.equal(0);
  });

  it('HierarchicalRegistry.resolve of 200,000 segments only tries prefixes that fit in a key', () => {
    const h = new HierarchicalRegistry<number>('commands');
    h.register('users', 1);
    const started = performance.now();
    const hit = h.resolve(['users', ...new Array<string>(200_000).fill('x')]);
    expect(hit?.path).to.equal('users');
    expect(hit?.rest).to.have.length(200_000);
    expect(performance.now() - started).to.be.below(5000); // minutes before (a join per prefix)
  });
});
