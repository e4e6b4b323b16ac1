/**
 * A tour of the registry core (`node .build/examples/examples/core/main.js` after `npm start`): a driver
 * registry in a scope, a validated factory, a duplicate and a late registration after freeze.
 */
import 'reflect-metadata';
import { IsInt, IsString, Min } from 'class-validator';
import { FactoryRegistry, ImplementationRegistry, PlugboardError, Scope } from '../../src/index.js';

interface Driver {
  dial(dsn: string): string;
}

class StoreConfig {
  @IsString() host = 'localhost';
  @IsInt() @Min(1) port = 5432;
}

async function main(): Promise<void> {
  const app = new Scope('app');
  const drivers = app.registry('sql.drivers', ImplementationRegistry<Driver>);
  drivers.register('pq', { dial: (dsn) => `pq connected to ${dsn}` });
  drivers.register('sqlite', { dial: (dsn) => `sqlite opened ${dsn}` });
  console.log(`drivers: ${drivers.names().join(', ')}`);
  console.log(drivers.mustGet('pq').dial('postgres://db'));

  const stores = app.registry('storage', FactoryRegistry<{ url: string }, StoreConfig>);
  stores.register('pg', (cfg) => ({ url: `pg://${cfg.host}:${cfg.port}` }), { config: StoreConfig });
  console.log(`store: ${(await stores.new('pg', { port: 6543 })).url}`);

  const show = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof PlugboardError) console.log(`  ${err.code}: ${err.message}`);
      else throw err;
    }
  };
  console.log('a duplicate registration:');
  show(() => drivers.register('pq', { dial: () => 'imposter' }));
  console.log('a typo:');
  show(() => drivers.mustGet('sqlit'));
  console.log('a late registration after freeze:');
  app.freeze();
  show(() => drivers.register('mysql', { dial: () => 'mysql' }));
  await stores.new('pg', { port: 0 }).catch((err: PlugboardError) => console.log(`a bad config:\n  ${err.code}: ${err.message}`));
  console.log('ready');
}

await main();
