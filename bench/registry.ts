/**
 * Registry core benchmark (`npm run bench`). Compares, in one run:
 * hot `get` against raw `Map.get`, inversify 8 `container.get` and tsyringe `resolve`;
 * 10k registrations against 10k inversify binds (goals, issue #16: `register` with sites on
 * ≥ 2× faster, `registerAll` ≥ 10× faster); validated `new()` against raw class-validator;
 * and reads right after `replaceAll` of 10k entries.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, Max, Min, validate } from 'class-validator';
import { Container } from 'inversify';
import { container as tsyringeRoot } from 'tsyringe';
import { Registry as PromRegistry } from 'prom-client';
import { FactoryRegistry, ImplementationRegistry } from '../src/container/index.js';
import { PlugboardMetrics } from '../src/observability/metrics.js';
import { measure, table, target } from './harness.js';

const N_KEYS = 1000;
const keys = Array.from({ length: N_KEYS }, (_, i) => `driver-${i}`);
const values = keys.map((k) => ({ name: k }));

export async function registryBench(): Promise<string[]> {
  const out: string[] = [];

  // ---- hot get ------------------------------------------------------------------------
  const map = new Map<string, { name: string }>();
  const reg = new ImplementationRegistry<{ name: string }>('bench.get', { captureSites: false });
  const inv = new Container();
  const tsy = tsyringeRoot.createChildContainer();
  keys.forEach((k, i) => {
    map.set(k, values[i]!);
    reg.register(k, values[i]!);
    inv.bind(k).toConstantValue(values[i]!);
    tsy.registerInstance(k, values[i]!);
  });
  // Each call does 1000 lookups so that the harness's own per-call cost does not hide the lookup cost.
  let sink = 0;
  const getResults = await measure('hot get', [
    {
      name: 'Map.get',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (map.get(keys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'plugboard get',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (reg.get(keys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'inversify 8 container.get (constant)',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (inv.get(keys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'tsyringe 4 resolve (instance)',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (tsy.resolve(keys[i]!) !== undefined) sink++;
      },
    },
  ]);
  out.push(table('Hot get (1000 keys)', getResults, 'Map.get'));
  const g = getResults.get('plugboard get')!;
  out.push(target('get vs Map.get', g / getResults.get('Map.get')!, '<=', 1.2));
  out.push(target('tsyringe resolve / plugboard get', getResults.get('tsyringe 4 resolve (instance)')! / g, '>=', 5));
  out.push(target('inversify get / plugboard get', getResults.get('inversify 8 container.get (constant)')! / g, '>=', 1));

  // ---- get with metrics on (prom-client) and off ------------------------------------------
  const metered = new ImplementationRegistry<{ name: string }>('bench.metered', { captureSites: false });
  keys.forEach((k, i) => metered.register(k, values[i]!));
  const metrics = new PlugboardMetrics(new PromRegistry());
  metered.observe({ lookup: metrics.lookupRecorder('bench.metered') }); // what instrumentScope attaches
  const meterResults = await measure('get with metrics', [
    {
      name: 'plugboard get (metrics off)',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (reg.get(keys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'plugboard get (metrics on, prom-client)',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (metered.get(keys[i]!) !== undefined) sink++;
      },
    },
  ]);
  out.push(table('Hot get, metrics off and on (1000 keys)', meterResults, 'plugboard get (metrics off)'));

  // ---- 10k registrations ----------------------------------------------------------------
  const N_REG = 10_000;
  const regKeys = Array.from({ length: N_REG }, (_, i) => `svc-${i}`);
  const regItems = regKeys.map((k, i) => [k, i] as const); // inputs are given, as inversify's keys are
  const regResults = await measure(
    '10k registrations',
    [
      {
        name: 'plugboard register ×10k (sites on)',
        ops: 1,
        fn: () => {
          const r = new ImplementationRegistry<number>('bench.reg');
          for (let i = 0; i < N_REG; i++) r.register(regKeys[i]!, i);
        },
      },
      {
        name: 'plugboard register ×10k (sites off)',
        ops: 1,
        fn: () => {
          const r = new ImplementationRegistry<number>('bench.reg', { captureSites: false });
          for (let i = 0; i < N_REG; i++) r.register(regKeys[i]!, i);
        },
      },
      {
        name: 'plugboard registerAll ×10k (one site per batch)',
        ops: 1,
        fn: () => {
          const r = new ImplementationRegistry<number>('bench.reg');
          r.registerAll(regItems);
        },
      },
      {
        name: 'inversify 8 bind ×10k',
        ops: 1,
        fn: () => {
          const c = new Container();
          for (let i = 0; i < N_REG; i++) c.bind(regKeys[i]!).toConstantValue(i);
        },
      },
      {
        name: 'Map.set ×10k',
        ops: 1,
        fn: () => {
          const m = new Map<string, number>();
          for (let i = 0; i < N_REG; i++) m.set(regKeys[i]!, i);
        },
      },
    ],
    1500,
  );
  out.push(table('Registering 10k entries', regResults, 'inversify 8 bind ×10k'));
  const inversifyBind = regResults.get('inversify 8 bind ×10k')!;
  out.push(
    target('inversify 10k binds / plugboard 10k registrations (sites on)', inversifyBind / regResults.get('plugboard register ×10k (sites on)')!, '>=', 2),
  );
  out.push(
    target('inversify 10k binds / plugboard 10k registrations (sites off)', inversifyBind / regResults.get('plugboard register ×10k (sites off)')!, '>=', 10),
  );
  out.push(
    target(
      'inversify 10k binds / plugboard registerAll 10k (sites on)',
      inversifyBind / regResults.get('plugboard registerAll ×10k (one site per batch)')!,
      '>=',
      10,
    ),
  );

  // ---- validated new ---------------------------------------------------------------------
  class PgConfig {
    @IsString() host = 'localhost';
    @IsInt() @Min(1) @Max(65535) port = 5432;
  }
  const factories = new FactoryRegistry<{ cfg: PgConfig }, PgConfig>('bench.factory', { captureSites: false });
  factories.register('pg', (cfg) => ({ cfg }), { config: PgConfig });
  const raw = { host: 'db', port: 6543 };
  const opts = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
  const newResults = await measure('validated new', [
    {
      name: 'class-validator direct (plainToInstance + validate)',
      ops: 1,
      fn: async () => {
        const inst = plainToInstance(PgConfig, raw, { exposeDefaultValues: true });
        const errors = await validate(inst, opts);
        if (errors.length > 0) throw new Error('invalid');
        return { cfg: inst };
      },
    },
    { name: 'plugboard new(name, cfg)', ops: 1, fn: () => factories.new('pg', raw) },
  ]);
  out.push(table('Validated new(name, cfg)', newResults, 'class-validator direct (plainToInstance + validate)'));
  out.push(
    target(
      'new vs raw class-validator',
      newResults.get('plugboard new(name, cfg)')! / newResults.get('class-validator direct (plainToInstance + validate)')!,
      '<=',
      1.2,
    ),
  );

  // ---- reads around replaceAll of 10k -----------------------------------------------------
  const big = new ImplementationRegistry<number>('bench.swap', { captureSites: false });
  const setA = new Map(regKeys.map((k, i) => [k, i] as const));
  const setB = new Map(regKeys.map((k, i) => [k, i + 1] as const));
  big.replaceAll(setA);
  let flip = false;
  const swapResults = await measure('replaceAll', [
    {
      name: 'get ×1000 (no swaps)',
      ops: N_KEYS,
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (big.get(regKeys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'get ×1000 right after a replaceAll(10k)',
      ops: N_KEYS,
      beforeEach: () => {
        flip = !flip;
        big.replaceAll(flip ? setB : setA);
      },
      fn: () => {
        for (let i = 0; i < N_KEYS; i++) if (big.get(regKeys[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'replaceAll(10k entries)',
      ops: 1,
      fn: () => {
        flip = !flip;
        big.replaceAll(flip ? setB : setA);
      },
    },
  ]);
  out.push(table('Reads and replaceAll (10k entries)', swapResults, 'get ×1000 (no swaps)'));
  if (sink === -1) console.log(sink);
  return out;
}
