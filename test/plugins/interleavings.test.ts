import { expect } from 'chai';
import fc from 'fast-check';
import { ImplementationRegistry } from '../../src/container/index.js';
import type { PluginHost } from '../../src/plugins/index.js';
import { newHost } from './host-fixtures.js';
import { Instances, lifeProblem } from './lifecycle-fixtures.js';

/**
 * The plugin host's state machine under generated interleavings (fast-check's scheduler) of
 * load, start, stop, reload and unload, with failures injected into setup, start and stop.
 * Every step of every plugin instance yields to the scheduler, so operations overlap in
 * every order the scheduler picks. Once everything has settled:
 * - the registries hold exactly the registrations of the live plugins' current instances;
 * - every instance lived a possible life (set up once, started and stopped in turn, never
 *   disposed while running, nothing after dispose), and the live ones are not disposed;
 * - after unloading everything, every instance that was set up was disposed exactly once.
 * fast-check prints the seed and the scheduler's order of a failing case.
 */
type Name = 'a' | 'b' | 'c';
type Step = 'setup' | 'start' | 'stop';
type Op = { kind: 'load' | 'reload'; name: Name; faults: Step[] } | { kind: 'start' | 'stop' } | { kind: 'unload'; name: Name; cascade: boolean };

/** `b` depends on `a`; `c` stands alone. */
const DEPENDENCIES: Record<Name, readonly string[]> = { a: [], b: ['a'], c: [] };

const name = fc.constantFrom<Name>('a', 'b', 'c');
/** Most instances behave; one in four fails in one step. */
const faults: fc.Arbitrary<Step[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step[]>([]) },
  { weight: 1, arbitrary: fc.constantFrom<Step[]>(['setup'], ['start'], ['stop']) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('load' as const), name, faults }),
  fc.record({ kind: fc.constant('reload' as const), name, faults }),
  fc.record({ kind: fc.constantFrom('start' as const, 'stop' as const) }),
  fc.record({ kind: fc.constant('unload' as const), name, cascade: fc.boolean() }),
);

const label = (o: Op): string =>
  'name' in o
    ? `${o.kind}(${o.name}${'faults' in o && o.faults.length > 0 ? `, ${o.faults[0]} fails` : ''}${'cascade' in o && o.cascade ? ', cascade' : ''})`
    : `${o.kind}()`;

describe('plugins: generated interleavings of lifecycle operations (fast-check scheduler)', function () {
  this.timeout(120_000);

  it('leave the registries equal to the live plugins’ registrations, and dispose every instance exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.subarray<Name>(['a', 'b', 'c']),
        fc.boolean(),
        fc.array(op, { minLength: 1, maxLength: 10 }),
        async (s, preloaded, started, ops) => {
          const host = newHost({ timeoutMs: 600_000 });
          const ids = host.scope.registry('ids', ImplementationRegistry<number>);
          const made = new Instances();
          const pause = (step: string): Promise<void> => s.schedule(Promise.resolve(), step).then(() => undefined);
          // The starting point: some plugins already loaded, maybe started (so that reloads and unloads have work to do).
          await s.waitFor(host.load(preloaded.map((n) => made.make(n, { dependencies: DEPENDENCIES[n], pause }).plugin)));
          if (started) await s.waitFor(host.start());
          const run = (o: Op): Promise<unknown> => {
            switch (o.kind) {
              case 'load':
                return host.load(made.make(o.name, { dependencies: DEPENDENCIES[o.name], faults: new Set(o.faults), pause }).plugin);
              case 'reload':
                return host.reload(o.name, made.make(o.name, { dependencies: DEPENDENCIES[o.name], faults: new Set(o.faults), pause }).plugin);
              case 'unload':
                return host.unload(o.name, { cascade: o.cascade });
              case 'start':
                return host.start();
              case 'stop':
                return host.stop();
            }
          };
          // Each call begins when the scheduler says so; refusals (E_PLUGIN_*) are part of the game.
          const calls = ops.map((o) =>
            s
              .schedule(Promise.resolve(), label(o))
              .then(() => run(o))
              .catch(() => undefined),
          );
          await s.waitFor(Promise.all(calls));

          checkSettled(host, ids, made);
          for (const i of made.all) expect(lifeProblem(i), lifeProblem(i)).to.equal(undefined);

          // Unload everything (the unload steps still go through the scheduler).
          const live = host
            .report()
            .plugins.filter((p) => ['loaded', 'started', 'stopped'].includes(p.state))
            .map((p) => p.name);
          await s.waitFor(Promise.all(live.map((n) => host.unload(n, { cascade: true }).catch(() => undefined))));
          expect(ids.names()).to.deep.equal([]);
          for (const i of made.all) {
            expect(lifeProblem(i), lifeProblem(i)).to.equal(undefined);
            const disposed = i.events.filter((e) => e === 'dispose').length;
            expect(disposed, `#${i.id} (${i.name}): ${i.events.join(' ') || 'never set up'}`).to.equal(i.events.length === 0 ? 0 : 1);
          }
        },
      ),
      { numRuns: 300, verbose: 1 },
    );
  });
});

/** The registries hold exactly the live plugins' current registrations, and only live instances are in service. */
function checkSettled(host: PluginHost, ids: ImplementationRegistry<number>, made: Instances): void {
  const records = host.report().plugins;
  expect(records.filter((r) => r.operation !== undefined)).to.deep.equal([], 'no operation is left running');
  const expected: Array<[string, number, string]> = [];
  for (const r of records) {
    if (!['loaded', 'started', 'stopped'].includes(r.state)) {
      expect(r.registrations, `${r.name} is ${r.state}`).to.deep.equal({});
      continue;
    }
    const current = made.of(host.get(r.name))!;
    expect(current, `the live instance of ${r.name}`).to.not.equal(undefined);
    expect(current.events, `live #${current.id} (${r.name})`).to.not.include('dispose');
    expect(current.events.at(-1) === 'start', `#${current.id} (${r.name}) running vs state ${r.state}: ${current.events.join(' ')}`).to.equal(
      r.state === 'started',
    );
    expect(r.registrations).to.deep.equal({ ids: [r.name, `${r.name}.${current.id}`].sort() });
    expected.push([r.name, current.id, r.name], [`${r.name}.${current.id}`, current.id, r.name]);
  }
  expect(ids.entries().map((e) => [e.key, e.value, e.owner])).to.deep.equal(expected.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
}
