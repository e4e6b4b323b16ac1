import 'reflect-metadata';
import { expect } from 'chai';
import { IsString } from 'class-validator';
import {
  ConfigValidationError,
  DuplicateRegistrationError,
  FactoryRegistry,
  HandlerRegistry,
  ImplementationRegistry,
  InvalidOptionError,
  InvalidVersionError,
  PlugboardAggregateError,
  RegistryKindError,
  Scope,
  TaggedRegistry,
  UnknownNameError,
  VersionedRegistry,
  type RegistryChange,
  type StandardSchemaV1,
} from '../../src/container/index.js';
import { expectError, expectRejection } from '../support/expect-error.js';

/**
 * Issue #16: inputs nobody had tried. Each one used to escape as a TypeError or RangeError,
 * lose events or data, or read badly; each is now a typed error naming the registry and the
 * input, or works.
 */
describe('registry core: bad input and lost events', () => {
  describe('batch input of the wrong shape is E_INVALID_OPTION naming the registry', () => {
    it('registerAll(null), registerAll(42), replaceAll("abc")', () => {
      const r = new ImplementationRegistry<number>('codecs');
      expectError(() => r.registerAll(null as never), InvalidOptionError, 'E_INVALID_OPTION', 'codecs: registerAll', 'got null');
      expectError(() => r.registerAll(42 as never), InvalidOptionError, 'E_INVALID_OPTION', 'codecs: registerAll', 'got number');
      expectError(() => r.replaceAll('abc' as never), InvalidOptionError, 'E_INVALID_OPTION', 'codecs: replaceAll', 'got string');
      expect(r.version).to.equal(0);
    });

    it('registerAll([null]) and replaceAll([undefined]) name the item; good items around it are not committed', () => {
      const r = new ImplementationRegistry<number>('codecs');
      r.register('kept', 1);
      expectError(
        () => r.registerAll([null as never]),
        InvalidOptionError,
        'E_INVALID_OPTION',
        'codecs',
        'item 0 must be a [name, value, opts?] tuple, got null',
      );
      const batch = [['a', 1], undefined, 7] as unknown as Array<[string, number]>; // two bad items among good ones
      const agg = expectError<PlugboardAggregateError>(() => r.replaceAll(batch), PlugboardAggregateError, 'E_BATCH', 'codecs: replaceAll rejected (2 errors)');
      expect(agg.errors.map((e: Error) => e.message)).to.deep.equal([
        'codecs: item 1 must be a [name, value, opts?] tuple, got undefined',
        'codecs: item 2 must be a [name, value, opts?] tuple, got number',
      ]);
      expect(r.names()).to.deep.equal(['kept']);
      expect(r.version).to.equal(1);
    });
  });

  describe('FactoryRegistry.new: configs that used to crash the validator', () => {
    class S3Config {
      @IsString() bucket = 'default';
    }
    let stores: FactoryRegistry<{ cfg: unknown }, S3Config>;
    beforeEach(() => {
      stores = new FactoryRegistry('storage');
      stores.register('s3', (cfg) => ({ cfg }), { config: S3Config });
    });

    it('a cyclic config is E_CONFIG naming where the cycle is', async () => {
      const cfg: Record<string, unknown> = { bucket: 'b', nested: { deeper: {} } };
      (cfg['nested'] as { deeper: Record<string, unknown> }).deeper['back'] = cfg;
      const err = await expectRejection<ConfigValidationError>(
        stores.new('s3', cfg),
        ConfigValidationError,
        'E_CONFIG',
        "storage: invalid config for 's3'",
        'cycle',
      );
      expect(err.violations[0]!.property).to.equal('nested.deeper.back');
    });

    it('a 20,000-deep config is E_CONFIG, not a RangeError', async () => {
      const root: Record<string, unknown> = { bucket: 'b' };
      let node = root;
      for (let i = 0; i < 20_000; i++) node = node['n'] = {};
      await expectRejection(stores.new('s3', root), ConfigValidationError, 'E_CONFIG', 'nested deeper than 32 levels');
    });

    it('an async Standard Schema validator that rejects is E_CONFIG, with the rejection as cause', async () => {
      const boom = new Error('schema service unavailable');
      const schema: StandardSchemaV1<{ url: string }> = { '~standard': { version: 1, vendor: 'test', validate: () => Promise.reject(boom) } };
      const r = new FactoryRegistry<string, { url: string }>('links');
      r.register('l', (cfg) => cfg.url, { config: schema });
      const err = await expectRejection<ConfigValidationError>(
        r.new('l', {}),
        ConfigValidationError,
        'E_CONFIG',
        "links: invalid config for 'l'",
        'schema service unavailable',
      );
      expect(err.cause).to.equal(boom);
    });

    it('an async validate function that rejects is E_CONFIG too', async () => {
      const r = new FactoryRegistry<string, string>('links');
      r.register('l', (cfg) => cfg, { config: async (raw: unknown) => (typeof raw === 'string' ? raw : Promise.reject(new Error('not a string'))) });
      expect(await r.new('l', 'ok')).to.equal('ok');
      await expectRejection(r.new('l', 42), ConfigValidationError, 'E_CONFIG', 'not a string');
    });

    it('a config class with no class-validator decorators is refused at registration, naming the class', () => {
      class Bare {
        bucket = 'default';
      }
      expectError(
        () => stores.register('bare', (cfg) => ({ cfg }), { config: Bare as never }),
        InvalidOptionError,
        'E_INVALID_OPTION',
        "storage: 'bare'",
        'config class Bare has no class-validator decorators',
      );
      expect(stores.has('bare')).to.equal(false);
    });
  });

  describe('lost events and lost data', () => {
    it('Scope.restore of a snapshot of more than 120k entries restores them, bumps the version and reports the changes', () => {
      const scope = new Scope('big');
      const r = scope.registry('many', ImplementationRegistry<number>, { captureSites: false });
      r.registerAll(Array.from({ length: 130_000 }, (_, i) => [`k${i}`, i] as const));
      const snap = scope.snapshot();
      r.replaceAll([['other', 1]]);
      const before = r.version;
      let adds = 0;
      let removes = 0;
      r.onChange((c) => (c.type === 'add' ? adds++ : c.type === 'remove' ? removes++ : 0));
      scope.restore(snap);
      expect(r.size).to.equal(130_000);
      expect(r.version).to.equal(before + 1);
      expect([adds, removes]).to.deep.equal([130_000, 1]);
      r.register('after', 1); // the registration order goes on past the restored entries
      expect(r.entry('after')!.seq).to.be.greaterThan(r.entry('k129999')!.seq);
    });

    it('onChange: a change made inside a listener reaches every listener after the change being delivered', () => {
      const r = new ImplementationRegistry<number>('mirrored');
      const order: string[][] = [[], []];
      r.onChange((c) => {
        order[0]!.push(`${c.type}:${c.key}@${c.version}`);
        if (c.type === 'add' && c.key === 'a') r.register('b', 2); // re-entrant change
      });
      const mirror = new Map<string, number>();
      const sizes: Array<[number, number]> = []; // (mirror size, version told): equal when no change is lost or reordered
      r.onChange((c) => {
        order[1]!.push(`${c.type}:${c.key}@${c.version}`);
        if (c.type === 'remove') mirror.delete(c.key);
        else mirror.set(c.key, c.entry.value);
        sizes.push([mirror.size, c.version]);
      });
      r.register('a', 1);
      expect(order).to.deep.equal([
        ['add:a@1', 'add:b@2'],
        ['add:a@1', 'add:b@2'],
      ]);
      expect(sizes).to.deep.equal([
        [1, 1],
        [2, 2],
      ]);
      expect([...mirror.keys()].sort()).to.deep.equal(r.names());
    });

    it('replaceAll with a different config validator of the same function name emits a replace', () => {
      const r = new FactoryRegistry<string, string>('factories');
      const factory = (cfg: string): string => cfg;
      const v1 = { validate: (raw: unknown) => String(raw) }.validate;
      const v2 = { validate: (raw: unknown) => String(raw).toUpperCase() }.validate;
      expect(v1.name).to.equal(v2.name);
      r.replaceAll([['f', factory, { config: v1 }]]);
      const seen: Array<RegistryChange<unknown>> = [];
      r.onChange((c) => seen.push(c));
      r.replaceAll([['f', factory, { config: v1 }]]);
      expect(seen).to.deep.equal([], 'the very same validator: nothing changed');
      r.replaceAll([['f', factory, { config: v2 }]]);
      expect(seen.map((c) => c.type)).to.deep.equal(['replace']);
    });

    it('replaceAll still reports no change for equal plain metadata (tags rebuilt from equal input)', () => {
      const r = new TaggedRegistry<number>('tagged');
      r.replaceAll([['a', 1, { tags: { env: 'prod' }, rank: 2 }]]);
      const seen: string[] = [];
      r.onChange((c) => seen.push(c.type));
      r.replaceAll([['a', 1, { tags: { env: 'prod' }, rank: 2 }]]);
      r.replaceAll([['a', 1, { tags: { env: 'dev' }, rank: 2 }]]);
      expect(seen).to.deep.equal(['replace']);
    });
  });

  describe('messages', () => {
    it('"did you mean" counts a transposition as one edit', () => {
      const r = new ImplementationRegistry<number>('codecs');
      r.register('json', 1);
      r.register('yaml', 2);
      const err = expectError<UnknownNameError>(() => r.mustGet('jsno'), UnknownNameError, 'E_UNKNOWN', "did you mean 'json'?");
      expect(err.suggestion).to.equal('json');
    });

    it('a kind mismatch reads "an implementation registry"', () => {
      const scope = new Scope('s');
      scope.registry('x', ImplementationRegistry);
      expectError(() => scope.registry('x', FactoryRegistry), RegistryKindError, 'E_KIND_MISMATCH', 'as an implementation registry', 'as a factory registry');
    });

    it('a missing version does not end in ": undefined"', () => {
      const r = new VersionedRegistry<number>('apis');
      const err = expectError<InvalidVersionError>(() => r.register('x', 1, {} as never), InvalidVersionError, 'E_INVALID_VERSION', 'a version is required');
      expect(err.message).to.not.match(/undefined$/);
    });

    it('a handler dispatch that matches nothing is an UnknownNameError listing the patterns and the closest', () => {
      const r = new HandlerRegistry<() => string>('routes');
      r.handle('/users/:id', () => 'u');
      r.handle('/health', () => 'h');
      const err = expectError<UnknownNameError>(
        () => r.dispatch('/helth'),
        UnknownNameError,
        'E_UNKNOWN',
        "routes: no handler matches '/helth'",
        "did you mean '/health'?",
        "patterns: '/health', '/users/:id'",
      );
      expect(err.known).to.deep.equal(['/health', '/users/:id']);
    });

    it('a registration captures one stack frame, its caller (sites stay cheap)', () => {
      const r = new ImplementationRegistry<number>('sites');
      r.register('a', 1);
      // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back, never called
      const prepare = Error.prepareStackTrace;
      let frames = -1;
      Error.prepareStackTrace = (err, callSites) => {
        frames = callSites.length;
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a CallSite formats itself as V8 does
        return `${err.name}: ${err.message}\n${callSites.map((c) => `    at ${c.toString()}`).join('\n')}`;
      };
      try {
        expect(r.entry('a')!.site).to.match(/bad-input\.test\.(ts|js):\d+$/); // formatted now, under the spy
      } finally {
        Error.prepareStackTrace = prepare;
      }
      expect(frames).to.equal(1);
    });

    it('handle() records the caller as the site, like register()', () => {
      const r = new HandlerRegistry<() => string>('routes');
      r.handle('/a', () => 'a');
      expect(r.entry('/a')!.site).to.match(/bad-input\.test\.ts:\d+$/);
    });
  });

  describe('one wrapping rule for all-or-nothing operations', () => {
    it('one failure is thrown as itself, several as one E_BATCH (registerAll)', () => {
      const r = new ImplementationRegistry<number>('one');
      r.register('a', 1);
      expectError(() => r.registerAll([['a', 2]]), DuplicateRegistrationError, 'E_DUPLICATE', "one: 'a' is already registered");
      const agg = expectError<PlugboardAggregateError>(
        () =>
          r.registerAll([
            ['a', 2],
            ['', 3],
          ]),
        PlugboardAggregateError,
        'E_BATCH',
        'one: batch registration rejected (2 errors)',
      );
      expect(agg.registry).to.equal('one');
      expect(agg.errors.map((e: { code: string }) => e.code)).to.deep.equal(['E_DUPLICATE', 'E_INVALID_NAME']);
    });
  });
});
