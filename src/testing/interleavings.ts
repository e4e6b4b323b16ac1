/**
 * The model-based interleaving check (Jepsen's check, with fast-check's scheduler): generated
 * sequences of register, update, deregister, watch, stop and close on two clients, mixed with
 * the backend's faults, run against the real backend. fast-check's scheduler chooses when each
 * operation starts, when each signal aborts, and in which order the results of the kit's
 * driver calls arrive (through the kit's `interpose` hook). Once the run settles:
 * - the store equals the ground truth computed from the calls' outcomes (nothing lost, no ghost);
 * - every live watcher's last list equals the store;
 * - close() finished, and left nothing running.
 *
 *   discoveryInterleavings('nats', { client: (kit) => new NatsRegistry({ url, ...kit }), observe, faults });
 *
 * A failure prints fast-check's seed and the scheduler's log; replay it with `{ seed, path }`.
 */
import assert from 'node:assert/strict';
// fast-check is an optional peer: loaded when a check runs, so importing plugboard/testing never needs it.
import type * as FastCheck from 'fast-check';
type FC = typeof FastCheck;
import { DiscoveryError } from '../discovery/errors.js';
import type { ServiceInstance } from '../discovery/instance.js';
import type { ServiceRegistry, Watcher } from '../discovery/types.js';
import type { Interposer, KitOptions } from '../discovery/driver/options.js';
import { eventually, uniqueName } from './helpers.js';
import { bdd, type BddRunner } from './runner.js';
import { FREEZE_LIVENESS_MS, freezeFault, type Partition } from './freeze-fault.js';

/** What the check needs from a backend. */
export interface InterleavingSetup {
  /** A new client of the backend under test, built with `kit` among its options (it carries the scheduler's hook and short timings). */
  client(kit: KitOptions): Promise<ServiceRegistry>;
  /** The instances of `name` as the store holds them, read without plugboard: the observation checked against the ground truth. */
  observe(name: string): Promise<ServiceInstance[]>;
  /**
   * Faults this backend can suffer, by name. Each must heal by itself before it resolves (stop
   * then start, cut then restore). A weight (default 1) makes a slow fault, such as a server
   * restart, come up less often than a quick one.
   */
  faults?: Readonly<Record<string, Fault | { run: Fault; weight: number }>>;
  /** How long convergence may take once the operations are over, in ms (default 15 000). */
  convergeMs?: number;
  /**
   * A silent partition of the run's clients (e.g. the `freeze()` and `restore()` of a
   * {@link TcpProxy} they all go through): adds the `freeze` fault, which checks that no
   * `getService` answers a stale list past the liveness bound and that health turns false
   * within it. The runs' clients then get `livenessTimeout` = `partition.livenessMs`.
   */
  partition?: Partition;
}

/** A fault: injects itself, and resolves once healed. */
export type Fault = (ctx: FaultContext) => Promise<void>;

/** What a fault is given. */
export interface FaultContext {
  /** The run's two clients (a closed one included). */
  readonly clients: readonly ServiceRegistry[];
  /** The service name the run uses. */
  readonly name: string;
}

/** Options of {@link discoveryInterleavings}. */
export interface InterleavingOptions {
  /** Generated sequences (default: `PLUGBOARD_INTERLEAVING_RUNS`, else 200). */
  runs?: number;
  /** Replays a failure. */
  seed?: number;
  path?: string;
  /** Longest sequence of operations (default 8). */
  maxOps?: number;
  /** The kit's call timeout for the run's clients, in ms (default 3000): a register outlasting a fault rejects and must leave no trace. */
  callTimeoutMs?: number;
  /** Budget of the whole mocha test, in ms (default 18 minutes). */
  testTimeoutMs?: number;
  /** A BDD runner, when its functions are not globals. */
  runner?: BddRunner;
}

type ClientIx = 0 | 1;
type Op =
  | { kind: 'register'; client: ClientIx; id: string; version: string; abort: boolean }
  | { kind: 'deregister'; client: ClientIx; id: string; abort: boolean }
  | { kind: 'watch'; client: ClientIx }
  | { kind: 'stop'; watcher: number }
  | { kind: 'close'; client: ClientIx }
  | { kind: 'fault'; fault: string };

/** Each client writes its own ids: a registry client owns its instances. */
const IDS: Record<ClientIx, readonly string[]> = { 0: ['a', 'b'], 1: ['x', 'y'] };

function opArbitrary(fc: FC, faults: ReadonlyArray<{ name: string; weight: number }>): FastCheck.Arbitrary<Op> {
  const client = fc.constantFrom<ClientIx>(0, 1);
  const forClient = <T>(f: (c: ClientIx, id: string) => T): FastCheck.Arbitrary<T> => client.chain((c) => fc.constantFrom(...IDS[c]).map((id) => f(c, id)));
  const ops: Array<FastCheck.WeightedArbitrary<Op>> = [
    {
      weight: 6,
      arbitrary: client.chain((c) =>
        fc.record({
          kind: fc.constant('register' as const),
          client: fc.constant(c),
          id: fc.constantFrom(...IDS[c]),
          version: fc.constantFrom('v1', 'v2'),
          abort: fc.boolean(),
        }),
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          forClient((c, id) => ({ c, id })),
          fc.boolean(),
        )
        .map(([{ c, id }, abort]) => ({ kind: 'deregister' as const, client: c, id, abort })),
    },
    { weight: 2, arbitrary: client.map((c) => ({ kind: 'watch' as const, client: c })) },
    { weight: 1, arbitrary: fc.nat(3).map((w) => ({ kind: 'stop' as const, watcher: w })) },
    { weight: 1, arbitrary: client.map((c) => ({ kind: 'close' as const, client: c })) },
  ];
  if (faults.length > 0) {
    // fast-check wants integer weights: quarters of the relative weights given.
    const fault = fc.oneof(
      ...faults.map((f) => ({ weight: Math.max(1, Math.round(f.weight * 4)), arbitrary: fc.constant({ kind: 'fault' as const, fault: f.name }) })),
    );
    ops.push({ weight: 2, arbitrary: fault });
  }
  return fc.oneof(...ops);
}

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'register':
      return `register(c${op.client}, ${op.id}@${op.version}${op.abort ? ', abortable' : ''})`;
    case 'deregister':
      return `deregister(c${op.client}, ${op.id}${op.abort ? ', abortable' : ''})`;
    case 'watch':
      return `watch(c${op.client})`;
    case 'stop':
      return `stop(w${op.watcher})`;
    case 'close':
      return `close(c${op.client})`;
    case 'fault':
      return `fault(${op.fault})`;
  }
}

interface Call {
  readonly client: ClientIx;
  readonly id: string;
  /** The instance a register wrote, `undefined` for a deregister. */
  readonly instance: ServiceInstance | undefined;
  outcome?: 'resolved' | 'rejected';
  /** How many faults had started when the call was made. */
  readonly faultsBefore: number;
  /** Whether a fault was still running when the call was made (its effect may land at any time). */
  readonly faultRunning: boolean;
}

interface Watching {
  readonly client: ClientIx;
  readonly w: Watcher;
  last: ServiceInstance[] | undefined;
}

const key = (l: readonly ServiceInstance[]): string =>
  l
    .map((i) => `${i.id}@${i.version}`)
    .sort()
    .join(',');

/**
 * The ground truth: per id, the latest call in force, in the order the calls were made. A
 * register is in force once it resolved; a deregister always is (one cut short still
 * happens); a rejected register leaves no trace; a closed client's instances are gone.
 */
function expected(calls: readonly Call[], closed: readonly boolean[]): ServiceInstance[] {
  const last = new Map<string, ServiceInstance | undefined>();
  for (const c of calls) {
    if (c.instance !== undefined && c.outcome !== 'resolved') continue;
    last.set(`${c.client}/${c.id}`, c.instance);
  }
  const out: ServiceInstance[] = [];
  for (const [k, inst] of last) if (inst !== undefined && !closed[Number(k.split('/')[0])]) out.push(inst);
  return out;
}

/** The kit's view of a client, for failure messages. */
function diagnose(c: ServiceRegistry): string {
  const k = c as unknown as { follows?(): ReadonlyMap<string, { state: string; runs: number }>; stats?(): object };
  const follows = [...(k.follows?.() ?? new Map<string, { state: string; runs: number }>()).entries()].map(
    ([subject, f]) => `${subject || '*'}: ${f.state} after ${f.runs} run(s)`,
  );
  return `follows ${follows.join(', ') || 'none'}; stats ${JSON.stringify(k.stats?.() ?? {})}`;
}

/** The longest one run's operations may take (faults included) before the run counts as hung. */
const RUN_DEADLINE_MS = 60_000;

const EXPECTED_REJECTIONS = new Set(['E_DISCOVERY_ABORTED', 'E_DISCOVERY_TIMEOUT', 'E_DISCOVERY_CLOSED']);

/** Registers one test that runs the check for `backend`. See the module comment. */
export function discoveryInterleavings(backend: string, setup: InterleavingSetup, opts: InterleavingOptions = {}): void {
  const { it } = bdd(opts.runner);
  const runs = opts.runs ?? (Number(process.env['PLUGBOARD_INTERLEAVING_RUNS']) || 200);
  const faults = Object.entries(setup.faults ?? {}).map(([name, f]) => ({
    name,
    weight: typeof f === 'function' ? 1 : f.weight,
    run: typeof f === 'function' ? f : f.run,
  }));
  const partition = setup.partition;
  if (partition !== undefined) faults.push({ name: 'freeze', weight: partition.weight ?? 1, run: () => Promise.resolve() }); // run by runOnce, which sees the watchers
  const faultNames = faults.map((f) => f.name);
  it(`${backend}: ${runs} generated interleavings of calls${faultNames.length > 0 ? ` and faults (${faultNames.join(', ')})` : ''} converge to the ground truth`, async function (this: {
    timeout?(ms: number): void;
  }) {
    this.timeout?.(opts.testTimeoutMs ?? 18 * 60_000);
    Object.assign(profile, { runs: 0, open: 0, ops: 0, converge: 0, close: 0 });
    let done = 0;
    const fc = await loadFastCheck();
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(opArbitrary(fc, faults), { minLength: 1, maxLength: opts.maxOps ?? 8 }), async (s, ops) => {
        await runOnce(setup, new Map(faults.map((f) => [f.name, f.run])), opts, s, ops);
        done++;
      }),
      {
        numRuns: runs,
        endOnFailure: process.env['PLUGBOARD_INTERLEAVING_SHRINK'] === undefined,
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(opts.path === undefined ? {} : { path: opts.path }),
      },
    );
    assert.equal(done, runs);
    if (process.env['PLUGBOARD_INTERLEAVING_PROFILE'] !== undefined) {
      const per = (ms: number): string => `${(ms / Math.max(1, profile.runs)).toFixed(0)} ms`;
      console.log(
        `      (per run: open ${per(profile.open)}, operations ${per(profile.ops)}, convergence ${per(profile.converge)}, close ${per(profile.close)}; ${profile.runs} runs)`,
      );
    }
  });
}

async function loadFastCheck(): Promise<FC> {
  try {
    const m = (await import('fast-check')) as FC & { default?: FC };
    return m.default ?? m;
  } catch (cause) {
    throw new DiscoveryError('E_DISCOVERY_MISUSE', 'discoveryInterleavings needs fast-check: npm install --save-dev fast-check', { cause });
  }
}

/** Where runs spend their time (`PLUGBOARD_INTERLEAVING_PROFILE=1` prints it). */
const profile = { runs: 0, open: 0, ops: 0, converge: 0, close: 0 };
const lap = (since: number, phase: 'open' | 'ops' | 'converge' | 'close'): number => {
  const now = performance.now();
  profile[phase] += now - since;
  return now;
};

async function runOnce(
  setup: InterleavingSetup,
  faults: ReadonlyMap<string, Fault>,
  opts: InterleavingOptions,
  s: FastCheck.Scheduler,
  ops: readonly Op[],
): Promise<void> {
  let t = performance.now();
  profile.runs++;
  const name = uniqueName('il');
  let controlled = true;
  // Both when a driver call starts and when its result arrives are the scheduler's choice.
  const interpose: Interposer = (what, run) => {
    if (!controlled) return run();
    return s.schedule(Promise.resolve(), `${what}: start`).then(() => {
      if (!controlled) return run();
      const result = run();
      result.catch(() => undefined); // its outcome is delivered when the scheduler says
      return s.schedule(result, `${what}: result`);
    });
  };
  const warnings: string[] = [];
  const kit: KitOptions = {
    interpose,
    timeout: opts.callTimeoutMs ?? 3000,
    closeTimeout: 5000,
    ...(setup.partition === undefined ? {} : { livenessTimeout: setup.partition.livenessMs ?? FREEZE_LIVENESS_MS }),
    retry: { minMs: 10, maxMs: 200 },
    logger: {
      warn: (m) => (warnings.push(m), process.env['PLUGBOARD_INTERLEAVING_WARNINGS'] === undefined ? undefined : console.error(`      warning: ${m}`)),
    },
  };
  const clients = [await setup.client(kit), await setup.client(kit)] as const;
  t = lap(t, 'open');
  const closed = [false, false];
  const closing: Array<Promise<void>> = [];
  const calls: Call[] = [];
  const watching: Watching[] = [];
  const unexpected: unknown[] = [];
  const checks: Array<Promise<void>> = [];
  let faultsStarted = 0;
  let faultsEnded = 0;
  /**
   * The linearization check: when a call resolves, the store holds what it wrote (nothing, for
   * a deregister). Skipped when a later call on the same key, a fault or a close came first.
   */
  const checkAtResolution = (call: Call, index: number): void => {
    checks.push(
      setup.observe(name).then(
        (list) => {
          const superseded = calls.slice(index + 1).some((c) => c.client === call.client && c.id === call.id);
          // A fault that started after the call, or was still running when it was made (a revoke
          // whose RPC lands after the call's write), may have undone what the call wrote.
          if (superseded || faultsStarted !== call.faultsBefore || call.faultRunning || closed[call.client]) return;
          const got = list.find((i) => i.id === call.id);
          const want = call.instance;
          if ((got === undefined) !== (want === undefined) || (got !== undefined && want !== undefined && got.version !== want.version)) {
            unexpected.push(
              new Error(
                `${want === undefined ? 'deregister' : `register ${want.id}@${want.version}`} on client ${call.client} resolved while the store held ${got === undefined ? 'nothing' : `${got.id}@${got.version}`}`,
              ),
            );
          }
        },
        () => undefined, // the store could not be read (a fault): nothing to check
      ),
    );
  };
  const expectRejection = (what: string) => (err: unknown) => {
    if (!(err instanceof DiscoveryError && EXPECTED_REJECTIONS.has(err.code)))
      unexpected.push(
        new Error(`${what} rejected with ${err instanceof Error ? `${(err as DiscoveryError).code ?? err.name}: ${err.message}` : String(err)}`, {
          cause: err,
        }),
      );
  };

  const execute = async (op: Op, n: number): Promise<void> => {
    switch (op.kind) {
      case 'register':
      case 'deregister': {
        const c = clients[op.client];
        const inst =
          op.kind === 'register'
            ? { id: op.id, name, version: op.version, metadata: {}, endpoints: [`http://127.0.0.1:${op.version === 'v1' ? 8001 : 8002}`] }
            : undefined;
        const call: Call = { client: op.client, id: op.id, instance: inst, faultsBefore: faultsStarted, faultRunning: faultsStarted !== faultsEnded };
        const index = calls.push(call) - 1;
        const ac = op.abort ? new AbortController() : undefined;
        const abort = ac === undefined ? undefined : s.schedule(Promise.resolve(), `abort op ${n}`).then(() => ac.abort());
        const signal = ac === undefined ? {} : { signal: ac.signal };
        const p = inst === undefined ? c.deregister({ id: op.id, name }, signal) : c.register(inst, signal);
        await p.then(
          () => {
            call.outcome = 'resolved';
            checkAtResolution(call, index);
          },
          (err: unknown) => {
            call.outcome = 'rejected';
            expectRejection(describeOp(op))(err);
          },
        );
        await abort;
        return;
      }
      case 'watch': {
        const w = await clients[op.client].watch(name).catch((err: unknown) => expectRejection(describeOp(op))(err));
        if (w === undefined) return;
        const entry: Watching = { client: op.client, w, last: undefined };
        watching.push(entry);
        void (async () => {
          for (;;) {
            try {
              entry.last = await w.next();
            } catch (err) {
              if (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_STOPPED') return;
              // A first list later than the timeout (a fault at the start) is reported, and the watcher goes on.
              if (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_TIMEOUT' && entry.last === undefined) continue;
              unexpected.push(new Error(`a watcher failed: ${err instanceof Error ? err.message : String(err)}`));
              return;
            }
          }
        })();
        return;
      }
      case 'stop':
        watching[op.watcher % Math.max(1, watching.length)]?.w.stop();
        return;
      case 'close': {
        closed[op.client] = true;
        const p = clients[op.client].close();
        closing.push(p);
        await p;
        return;
      }
      case 'fault':
        faultsStarted++;
        if (op.fault === 'freeze' && setup.partition !== undefined) {
          const view = { clients, closed, name, watchers: () => watching.map((x) => x.w), faults: () => ({ started: faultsStarted, ended: faultsEnded }) };
          const found = await freezeFault(setup.partition, view).finally(() => faultsEnded++);
          for (const f of found) unexpected.push(new Error(`freeze: ${f}`));
          return;
        }
        // A fault that cannot be injected now (revoking leases while the server restarts) is no fault.
        await faults.get(op.fault)!({ clients, name })
          .catch(() => undefined)
          .finally(() => faultsEnded++);
        return;
    }
  };

  const pending = new Set(ops.map((op, n) => `op ${n}: ${describeOp(op)}`));
  const all = Promise.all(
    ops.map((op, n) =>
      s
        .schedule(Promise.resolve(), `op ${n}: ${describeOp(op)}`)
        .then(() => execute(op, n))
        .finally(() => pending.delete(`op ${n}: ${describeOp(op)}`)),
    ),
  );
  // A run that hangs fails with what it was waiting for, rather than hanging the suite.
  let watchdog: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    watchdog = setTimeout(
      () =>
        reject(
          new Error(
            `the run hung: still waiting for ${[...pending].join('; ') || 'the scheduler'} after ${RUN_DEADLINE_MS} ms; scheduler: ${JSON.stringify(
              s
                .report()
                .slice(-20)
                .map((t) => `${t.label} ${t.status}`),
            )}; ${clients.map(diagnose).join(' | ')}`,
          ),
        ),
      RUN_DEADLINE_MS,
    );
  });
  try {
    await Promise.race([s.waitFor(all), hung]);
  } finally {
    clearTimeout(watchdog);
  }
  controlled = false;
  await s.waitIdle();
  await Promise.all(checks);
  t = lap(t, 'ops');
  assert.deepEqual(
    unexpected.map((e) => (e as Error).message),
    [],
    'only the expected rejections (aborted, timed out, closed), no call resolved before the store held it, and no stale read while frozen',
  );

  // Settle: the reconcilers converge, then the store must equal the ground truth.
  const want = expected(calls, closed);
  const converge = setup.convergeMs ?? 15_000;
  let seen: ServiceInstance[] = [];
  await eventually(
    async () => {
      seen = await setup.observe(name).catch(() => seen);
      return key(seen) === key(want);
    },
    converge,
    'the store matching the ground truth',
  ).catch(() =>
    assert.fail(
      `store ${key(seen) || '(empty)'} != ground truth ${key(want) || '(empty)'} after the calls ${calls.map((c) => `${c.client}:${c.id}@${c.instance?.version ?? 'deregister'}=${c.outcome}`).join(' ')}`,
    ),
  );
  for (const [n, x] of watching.entries()) {
    if (x.w.stopped) continue;
    await eventually(() => x.last !== undefined && key(x.last) === key(want), converge, `watcher ${n}`).catch(() =>
      assert.fail(
        `watcher ${n} of client ${x.client} shows ${x.last === undefined ? 'nothing' : key(x.last) || '(empty)'}, the store ${key(want) || '(empty)'} (health: ${JSON.stringify(x.w.health)}; ${diagnose(clients[x.client])})`,
      ),
    );
  }

  t = lap(t, 'converge');
  // close() always finishes, and leaves nothing running or waiting.
  await Promise.all(closing);
  await Promise.all(clients.map((c) => c.close()));
  for (const c of clients) {
    const st = (c as unknown as { stats?(): { waiting: number; follows: number } }).stats?.();
    if (st !== undefined) assert.deepEqual({ waiting: st.waiting, follows: st.follows }, { waiting: 0, follows: 0 }, 'nothing left after close()');
  }
  for (const x of watching) assert.equal(x.w.stopped, true, 'close() stopped every watcher');
  await eventually(async () => (await setup.observe(name).catch(() => [{}] as ServiceInstance[])).length === 0, converge, 'the closed clients’ instances gone');
  lap(t, 'close');
}
