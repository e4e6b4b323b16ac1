import 'reflect-metadata';
import { expect } from 'chai';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import {
  ConfigValidationError,
  FactoryError,
  FactoryRegistry,
  InvalidOptionError,
  NilRegistrationError,
  UnknownNameError,
  type StandardSchemaV1,
} from '../../src/container/index.js';
import { expectError, expectRejection } from '../support/expect-error.js';

class PoolConfig {
  @IsInt() @Min(1) @Max(100) max = 10;
}

class PgConfig {
  @IsString() host = 'localhost';
  @IsInt() @Min(1) @Max(65535) port = 5432;
  @IsOptional() @IsIn(['disable', 'require']) sslmode?: string;
  @ValidateNested() @Type(() => PoolConfig) pool: PoolConfig = new PoolConfig();
}

class Store {
  constructor(readonly cfg: unknown) {}
}

describe('FactoryRegistry', () => {
  let stores: FactoryRegistry<Store, PgConfig>;
  beforeEach(() => {
    stores = new FactoryRegistry('storage.drivers');
    stores.register('pg', (cfg) => new Store(cfg), { config: PgConfig });
  });

  it('validates cfg with class-validator and applies defaults from the initialisers', async () => {
    const s = await stores.new('pg', { port: 6543 });
    expect(s.cfg).to.be.instanceOf(PgConfig);
    expect(s.cfg).to.deep.include({ host: 'localhost', port: 6543 });
    expect((s.cfg as PgConfig).pool.max).to.equal(10);
  });

  it('accepts an omitted cfg as all defaults', async () => {
    const s = await stores.new('pg');
    expect(s.cfg).to.deep.include({ host: 'localhost', port: 5432 });
  });

  it('lists every violated property and constraint, nested ones included', async () => {
    const err = await expectRejection<ConfigValidationError>(
      stores.new('pg', { host: 42, port: 0, sslmode: 'maybe', pool: { max: 1000 } }),
      ConfigValidationError,
      'E_CONFIG',
      "storage.drivers: invalid config for 'pg'",
    );
    const byProp = Object.fromEntries(err.violations.map((v) => [v.property, Object.keys(v.constraints).sort()]));
    expect(byProp).to.deep.equal({ host: ['isString'], port: ['min'], sslmode: ['isIn'], 'pool.max': ['max'] });
  });

  it('rejects unknown keys', async () => {
    const err = await expectRejection<ConfigValidationError>(stores.new('pg', { hots: 'db' }), ConfigValidationError, 'E_CONFIG', 'hots');
    expect(err.violations[0]!.property).to.equal('hots');
  });

  it('rejects a cfg that is not an object', async () => {
    for (const bad of [null, 42, 'host=db', [1]]) {
      await expectRejection(stores.new('pg', bad), ConfigValidationError, 'E_CONFIG', 'config must be an object');
    }
  });

  it('rejects __proto__ and constructor keys as unknown keys (E_CONFIG), at any depth, and pollutes nothing', async () => {
    for (const json of ['{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"admin": true}}}', '{"pool": {"__proto__": {"max": 1}}}']) {
      const err = await expectRejection<ConfigValidationError>(
        stores.new('pg', JSON.parse(json)),
        ConfigValidationError,
        'E_CONFIG',
        "storage.drivers: invalid config for 'pg'",
        'should not exist',
      );
      expect(err.violations.map((v) => v.property)).to.have.length(1);
      expect(err.violations[0]!.property).to.match(/^(pool\.)?(__proto__|constructor)$/);
    }
    expect(({} as Record<string, unknown>)['admin']).to.equal(undefined);
    expect(Object.getPrototypeOf((await stores.new('pg', {})).cfg)).to.equal(PgConfig.prototype);
  });

  it('throws UnknownNameError for an unknown factory', async () => {
    await expectRejection(stores.new('pgx', {}), UnknownNameError, 'E_UNKNOWN', "did you mean 'pg'?");
  });

  it('fails at new() when the factory returns nothing, naming the registry, key and site', async () => {
    stores.register('broken', () => undefined as unknown as Store);
    await expectRejection(
      stores.new('broken'),
      NilRegistrationError,
      'E_NIL',
      "storage.drivers: factory returned undefined for 'broken'",
      'factory-registry.test.ts:',
    );
    stores.register('async-broken', async () => null as unknown as Store);
    await expectRejection(stores.new('async-broken'), NilRegistrationError, 'E_NIL', 'factory returned null');
  });

  it('wraps a throwing factory in FactoryError with the cause', async () => {
    const boom = new Error('connection refused');
    stores.register('down', () => {
      throw boom;
    });
    const err = await expectRejection<FactoryError>(stores.new('down'), FactoryError, 'E_FACTORY', "constructing 'down' failed: connection refused");
    expect(err.cause).to.equal(boom);
  });

  it('passes a context naming the registry and key', async () => {
    let seen: unknown;
    stores.register('ctx', (_cfg, ctx) => {
      seen = ctx;
      return new Store(null);
    });
    await stores.new('ctx');
    expect(seen).to.deep.include({ registry: 'storage.drivers', name: 'ctx' });
  });

  it('rejects a factory that is not a function and a bad config spec', () => {
    expectError(() => stores.register('x', 42 as never), InvalidOptionError, 'E_INVALID_OPTION', 'a factory must be a function');
    expectError(() => stores.register('y', () => new Store(1), { config: 42 as never }), InvalidOptionError, 'E_INVALID_OPTION', 'config must be');
    expect(stores.names()).to.deep.equal(['pg']);
  });

  it('accepts a Standard Schema validator', async () => {
    const schema: StandardSchemaV1<{ url: string }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) =>
          typeof v === 'object' && v !== null && typeof (v as { url?: unknown }).url === 'string'
            ? { value: v as { url: string } }
            : { issues: [{ message: 'url is required', path: ['url'] }] },
      },
    };
    const r = new FactoryRegistry<string, { url: string }>('schema');
    r.register('s', (cfg) => cfg.url, { config: schema });
    expect(await r.new('s', { url: 'x' })).to.equal('x');
    const err = await expectRejection<ConfigValidationError>(r.new('s', {}), ConfigValidationError, 'E_CONFIG', 'url is required');
    expect(err.violations).to.deep.equal([{ property: 'url', constraints: { schema: 'url is required' } }]);
  });

  it('accepts a plain validate function', async () => {
    const r = new FactoryRegistry<number, number>('fn');
    r.register('n', (n) => n * 2, {
      config: (raw: unknown) => {
        if (typeof raw !== 'number') throw new Error('expected a number');
        return raw;
      },
    });
    expect(await r.new('n', 21)).to.equal(42);
    await expectRejection(r.new('n', 'x'), ConfigValidationError, 'E_CONFIG', 'expected a number');
  });

  it('shows the config class in toJSON', () => {
    expect(stores.toJSON().entries[0]).to.include({ name: 'pg', config: 'PgConfig' });
  });
});
