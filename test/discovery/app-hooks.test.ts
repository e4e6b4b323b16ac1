/**
 * Issue #18: the App's lifecycle hooks, readiness-gated registration and confirmed drain, on
 * the memory backend. Each test records a trace of the steps and checks their order and bounds.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { once } from 'node:events';
import {
  App,
  AppStopError,
  DiscoveryError,
  MemoryRegistry,
  MemoryStore,
  type AppHook,
  type AppOptions,
  type Discovery,
  type Registrar,
  type ServiceInstance,
  type Watcher,
} from '../../src/discovery/index.js';
import { PlugboardError } from '../../src/container/index.js';
import { uniqueName } from './contract.js';

/** A promise the test settles by hand. */
function gate<T = void>(): { promise: Promise<T>; open(v: T): void } {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}

/** A memory registry whose calls are recorded in `trace`. */
function traced(store: MemoryStore, trace: string[]): Registrar & Discovery {
  const reg = new MemoryRegistry({ store });
  return {
    register: async (i, o) => {
      trace.push('register');
      await reg.register(i, o);
    },
    deregister: async (i, o) => {
      trace.push('deregister');
      await reg.deregister(i, o);
    },
    getService: (n, o) => reg.getService(n, o),
    watch: (n, o) => reg.watch(n, o),
  };
}

/** A Discovery whose watcher lists instance `id` until the test calls `drop()`, or forever. */
function heldDiscovery(id: string, trace: string[]): Discovery & { drop(): void } {
  const dropped = gate();
  let first = true;
  const watcher: Watcher = {
    next: async () => {
      if (first) {
        first = false;
        const inst: ServiceInstance = { id, name: 'held', version: '', metadata: {}, endpoints: [] };
        return [inst];
      }
      await dropped.promise;
      trace.push('watcher: gone');
      return [];
    },
    stop: () => undefined,
    health: { healthy: true, since: 0 },
    stopped: false,
    [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
  };
  return { getService: async () => [], watch: async () => watcher, drop: () => dropped.open() };
}

const hook =
  (trace: string[], label: string): AppHook =>
  () =>
    void trace.push(label);
const base = (name: string, extra: Partial<AppOptions>): AppOptions => ({ name, endpoints: ['http://127.0.0.1:8000'], handleSignals: false, ...extra });

async function rejection(p: Promise<unknown>): Promise<DiscoveryError> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: DiscoveryError) => e,
  );
}

describe('App hooks, readiness and confirmed drain (issue #18)', function () {
  this.timeout(20_000);

  it('starts in kratos order (beforeStart, readiness, register, afterStart) and stops in the drain order', async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    const name = uniqueName('app');
    let checks = 0;
    const app = new App(
      base(name, {
        registrar: traced(store, trace),
        beforeStart: [hook(trace, 'beforeStart 1'), hook(trace, 'beforeStart 2')],
        readiness: () => {
          trace.push('readiness');
          return ++checks >= 2;
        },
        readinessInterval: 1,
        afterStart: [() => void trace.push(`afterStart: ${store.list(name).length} listed`)],
        beforeStop: [() => void trace.push(`beforeStop: ${store.list(name).length} listed`)],
        drain: [() => void trace.push(`drain: ${store.list(name).length} listed`)],
        onStop: [hook(trace, 'onStop 1'), hook(trace, 'onStop 2')],
        afterStop: [hook(trace, 'afterStop')],
      }),
    );
    await app.start();
    expect(trace).to.deep.equal(['beforeStart 1', 'beforeStart 2', 'readiness', 'readiness', 'register', 'afterStart: 1 listed']);
    trace.length = 0;
    await app.stop();
    expect(trace).to.deep.equal(['beforeStop: 1 listed', 'deregister', 'drain: 0 listed', 'onStop 2', 'onStop 1', 'afterStop']);
    expect(app.state).to.equal('stopped');
  });

  it('runs the drain hooks only once its own watcher no longer lists the instance', async () => {
    const trace: string[] = [];
    const name = uniqueName('app');
    const discovery = heldDiscovery('held-1', trace);
    const app = new App(
      base(name, { id: 'held-1', registrar: traced(new MemoryStore(), trace), discovery, drain: [hook(trace, 'drain')], onStop: [hook(trace, 'close')] }),
    );
    await app.start();
    const stopped = app.stop();
    while (!trace.includes('deregister')) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(trace).to.deep.equal(['register', 'deregister'], 'waiting for the watcher: no drain yet');
    discovery.drop();
    await stopped;
    expect(trace).to.deep.equal(['register', 'deregister', 'watcher: gone', 'drain', 'close']);
  });

  it('gives up waiting for the watcher after drainWatchTimeout, reports it, and still drains and closes', async () => {
    const trace: string[] = [];
    const discovery = heldDiscovery('held-2', trace);
    const app = new App(
      base(uniqueName('app'), {
        id: 'held-2',
        registrar: traced(new MemoryStore(), trace),
        discovery,
        drainWatchTimeout: 50,
        drain: [hook(trace, 'drain')],
        onStop: [hook(trace, 'close')],
      }),
    );
    await app.start();
    const e = await rejection(app.stop());
    expect(e).to.be.instanceOf(AppStopError);
    expect(e.code).to.equal('E_DISCOVERY_STOP');
    const errors = (e as AppStopError).errors as DiscoveryError[];
    expect(errors.map((x) => x.code)).to.deep.equal(['E_DISCOVERY_TIMEOUT']);
    expect(errors[0]!.message).to.include('waiting for watchers to drop the instance: took longer than 50 ms');
    expect(trace).to.deep.equal(['register', 'deregister', 'drain', 'close']);
  });

  it('bounds stop() by stopTimeout: a hanging beforeStop hook is abandoned (its signal fires), deregistration and the later hooks still run', async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    const name = uniqueName('app');
    const seen: AbortSignal[] = [];
    const hang: AppHook = (signal) => {
      seen.push(signal);
      return new Promise(() => undefined);
    };
    const app = new App(
      base(name, {
        registrar: traced(store, trace),
        stopTimeout: 100,
        beforeStop: [hang],
        drain: [(s) => void trace.push(`drain, aborted=${s.aborted}`)],
        onStop: [hook(trace, 'close')],
        afterStop: [hook(trace, 'afterStop')],
      }),
    );
    await app.start();
    const e = (await rejection(app.stop())) as AppStopError;
    // The hanging hook, and the wait for the watcher, which the deadline left no time for.
    expect(e.errors.map((x) => (x as DiscoveryError).code)).to.deep.equal(['E_DISCOVERY_TIMEOUT', 'E_DISCOVERY_TIMEOUT']);
    expect(e.message).to.include('beforeStop hook #1: took longer than 100 ms');
    expect(e.message).to.include('watching the deregistration: took longer than 100 ms');
    expect(seen[0]!.aborted).to.equal(true);
    expect(trace).to.deep.equal(['register', 'deregister', 'drain, aborted=true', 'close', 'afterStop']);
    expect(store.list(name)).to.deep.equal([]);
    expect(app.state).to.equal('stopped');
  });

  it('reports every hook that throws during stop() as E_DISCOVERY_HOOK, and runs every step anyway', async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    const name = uniqueName('app');
    const boom =
      (label: string): AppHook =>
      () => {
        trace.push(label);
        throw new Error(`${label} broke`);
      };
    const app = new App(
      base(name, {
        registrar: traced(store, trace),
        beforeStop: [boom('beforeStop')],
        drain: [boom('drain')],
        onStop: [boom('close 1'), hook(trace, 'close 2')],
        afterStop: [hook(trace, 'afterStop')],
      }),
    );
    await app.start();
    const e = (await rejection(app.stop())) as AppStopError;
    const errors = e.errors as DiscoveryError[];
    expect(errors.map((x) => x.code)).to.deep.equal(['E_DISCOVERY_HOOK', 'E_DISCOVERY_HOOK', 'E_DISCOVERY_HOOK']);
    expect(errors.map((x) => x.message)).to.deep.equal([
      `app '${name}': beforeStop hook #1 failed: beforeStop broke`,
      `app '${name}': drain hook #1 failed: drain broke`,
      `app '${name}': onStop hook #1 failed: close 1 broke`,
    ]);
    expect((errors[0]!.cause as Error).message).to.equal('beforeStop broke');
    expect(e).to.be.instanceOf(PlugboardError);
    expect(trace).to.deep.equal(['register', 'beforeStop', 'deregister', 'drain', 'close 2', 'close 1', 'afterStop']);
    expect(store.list(name)).to.deep.equal([]);
  });

  describe('stop() during each step of start()', () => {
    const phases = ['beforeStart', 'readiness', 'register', 'afterStart'] as const;
    for (const phase of phases) {
      it(`during ${phase}: the step's signal fires, start() rejects with E_DISCOVERY_ABORTED, nothing stays registered`, async () => {
        const store = new MemoryStore();
        const trace: string[] = [];
        const name = uniqueName('app');
        const reached = gate();
        let signal: AbortSignal | undefined;
        const pending = (label: string) => (s: AbortSignal) => {
          trace.push(label);
          signal = s;
          reached.open();
          return new Promise<never>(() => undefined);
        };
        const inner = traced(store, trace);
        let lateWrite: Promise<void> | undefined;
        const release = gate();
        const registrar: Registrar & Discovery = {
          ...inner,
          register: (i, o) => {
            if (phase !== 'register') return inner.register(i, o);
            signal = o?.signal;
            reached.open();
            // The write lands only after stop(): the registry sees the aborted signal and withdraws it.
            lateWrite = release.promise.then(() => inner.register(i, o)).catch(() => undefined);
            return lateWrite;
          },
        };
        const app = new App(
          base(name, {
            registrar,
            // stop() waits for the register call (it lands only after stop()) until registrarTimeout.
            ...(phase === 'register' ? { registrarTimeout: 200 } : {}),
            ...(phase === 'beforeStart' ? { beforeStart: [pending('beforeStart')] } : {}),
            ...(phase === 'readiness' ? { readiness: pending('readiness') } : {}),
            ...(phase === 'afterStart' ? { afterStart: [pending('afterStart')] } : {}),
            onStop: [hook(trace, 'close')],
          }),
        );
        const starting = app.start();
        await reached.promise;
        const stopped = app.stop();
        const e = await rejection(starting);
        expect(e.code).to.equal('E_DISCOVERY_ABORTED');
        expect(signal!.aborted).to.equal(true);
        await stopped;
        release.open();
        await lateWrite;
        expect(store.list(name)).to.deep.equal([], 'nothing registered, even by a late write');
        expect(trace.filter((t) => t !== 'register' && t !== 'deregister' && t !== phase)).to.deep.equal(['close']);
        expect(trace.includes('deregister')).to.equal(phase === 'register' || phase === 'afterStart', 'deregisters when a register call was made');
        expect(app.state).to.equal('stopped');
      });
    }
  });

  // #32: a signal during start() ran the stop steps, then start() resolved, and the code after
  // `await app.start()` went on against a stopped app (a closed registry).
  it('a signal during start() rejects start() with E_DISCOVERY_ABORTED once the stop steps ran, even when the step finished regardless', async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    const name = uniqueName('app');
    const reached = gate();
    const finish = gate();
    const app = new App({
      ...base(name, { registrar: traced(store, trace), onStop: [hook(trace, 'close')] }),
      handleSignals: true,
      // A hook that ignores its signal and finishes anyway.
      beforeStart: [() => (reached.open(), finish.promise)],
    });
    const starting = app.start().then(
      () => 'resolved',
      (e: DiscoveryError) => e,
    );
    await reached.promise;
    expect(process.listenerCount('SIGTERM')).to.equal(1, 'only the app listens: emitting SIGTERM reaches nobody else');
    process.emit('SIGTERM', 'SIGTERM'); // as Node does: the listener gets the signal's name
    finish.open();
    const e = await starting;
    expect(e).to.be.instanceOf(DiscoveryError);
    expect((e as DiscoveryError).code).to.equal('E_DISCOVERY_ABORTED');
    expect((e as DiscoveryError).message, (e as DiscoveryError).message).to.include('stopped during start() by SIGTERM');
    expect(trace, 'the stop steps ran before start() settled; nothing was registered').to.deep.equal(['close']);
    expect(app.state).to.equal('stopped');
    expect(app.stoppedBy).to.equal('SIGTERM');
    expect(store.list(name)).to.deep.equal([]);
  });

  // #32: Ctrl-C during a start that could not reach its backend waited the whole
  // registrarTimeout in silence, deregistering an instance that was never written.
  it('a signal during a register call that cannot reach the backend stops at once: nothing was written, nothing is deregistered', async function () {
    this.timeout(30_000);
    const store = new MemoryStore();
    store.setReachable(false);
    const calling = gate();
    class Spied extends MemoryRegistry {
      override register(...args: Parameters<MemoryRegistry['register']>): Promise<void> {
        calling.open();
        return super.register(...args);
      }
    }
    const registry = new Spied({ store });
    const app = new App({ ...base(uniqueName('app'), { registrar: registry, registrarTimeout: 15_000, drainWatchTimeout: 0 }), handleSignals: true });
    const starting = app.start().catch((e: DiscoveryError) => e);
    await calling.promise;
    const t0 = Date.now();
    process.emit('SIGTERM', 'SIGTERM');
    expect(((await starting) as DiscoveryError).code).to.equal('E_DISCOVERY_ABORTED');
    expect(Date.now() - t0, 'stopped without waiting for registrarTimeout (15 s)').to.be.below(5_000);
    store.setReachable(true);
    await registry.close();
    expect(store.services()).to.deep.equal([], 'nothing appeared once the backend came back');
  });

  it('a signal-driven stop that waits on the backend says so in one line, and the same signal again then exits', async () => {
    const release = gate();
    const inner = new MemoryRegistry({ store: new MemoryStore() });
    const registrar: Registrar = {
      register: (i, o) => inner.register(i, o),
      deregister: async (i, o) => {
        await release.promise; // the backend answers only when the test says so
        await inner.deregister(i, o);
      },
    };
    const app = new App({ ...base(uniqueName('app'), { registrar, registrarTimeout: 10_000 }), handleSignals: true });
    await app.start();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const warned = once(process, 'warning');
      process.emit('SIGTERM', 'SIGTERM');
      const [w] = (await warned) as [Error & { code?: string }];
      expect(w.code).to.equal('PLUGBOARD_APP_STOP_WAIT');
      expect(w.message).to.include('stopping after SIGTERM: waiting for the registry to confirm the deregistration (up to 10 s)');
      expect(w.message).to.include('SIGTERM again exits at once');
      expect(process.listenerCount('SIGTERM')).to.equal(1, 'a second SIGTERM reaches the forced exit');
      release.open();
      await app.wait();
      expect(process.listenerCount('SIGTERM')).to.equal(0, 'the forced exit is removed once the stop ends');
      expect(warnings.filter((x) => (x as { code?: string }).code === 'PLUGBOARD_APP_STOP_WAIT')).to.have.length(1, 'one line');
    } finally {
      process.off('warning', onWarning);
      await inner.close();
    }
  });

  it('fails start() with E_DISCOVERY_NOT_READY when readiness never passes before startTimeout, without registering', async () => {
    const trace: string[] = [];
    const store = new MemoryStore();
    const app = new App(
      base('notready', {
        registrar: traced(store, trace),
        startTimeout: 150,
        readinessInterval: 10,
        readiness: () => ({ ok: false, detail: 'database unreachable' }),
      }),
    );
    const e = await rejection(app.start());
    expect(e.code).to.equal('E_DISCOVERY_NOT_READY');
    expect(e.message).to.match(/^app 'notready': readiness: not ready within 150 ms \(\d+ checks\); last answer: database unreachable$/);
    expect(trace).to.deep.equal([]);
    expect(app.state).to.equal('stopped');
    expect(process.listenerCount('SIGTERM')).to.equal(0);
  });

  it('treats a throwing readiness check as not ready, and passes once it answers true', async () => {
    const trace: string[] = [];
    let n = 0;
    const app = new App(
      base(uniqueName('app'), {
        registrar: traced(new MemoryStore(), trace),
        readinessInterval: 1,
        readiness: () => {
          if (++n < 3) throw new Error('not yet');
          return true;
        },
      }),
    );
    await app.start();
    expect(n).to.equal(3);
    expect(trace).to.deep.equal(['register']);
    await app.stop();
    const failing = new App(base('throws', { startTimeout: 50, readinessInterval: 5, readiness: () => Promise.reject(new Error('socket hang up')) }));
    expect((await rejection(failing.start())).message).to.include('last answer: threw: socket hang up');
  });

  it('fails start() on a throwing beforeStart hook (E_DISCOVERY_HOOK) without registering, and on a throwing afterStart hook after withdrawing the registration', async () => {
    const store = new MemoryStore();
    const trace: string[] = [];
    const name = uniqueName('app');
    const before = new App(base(name, { registrar: traced(store, trace), beforeStart: [() => Promise.reject(new Error('port in use'))] }));
    const e1 = await rejection(before.start());
    expect([e1.code, e1.message]).to.deep.equal(['E_DISCOVERY_HOOK', `app '${name}': beforeStart hook #1 failed: port in use`]);
    expect(trace).to.deep.equal([]);
    const after = new App(
      base(name, { registrar: traced(store, trace), afterStart: [hook(trace, 'afterStart 1'), () => Promise.reject(new Error('warmup failed'))] }),
    );
    const e2 = await rejection(after.start());
    expect([e2.code, e2.message]).to.deep.equal(['E_DISCOVERY_HOOK', `app '${name}': afterStart hook #2 failed: warmup failed`]);
    expect(trace).to.deep.equal(['register', 'afterStart 1', 'deregister']);
    expect(store.list(name)).to.deep.equal([]);
    expect(after.state).to.equal('stopped');
  });

  it('bounds start() by startTimeout, a hanging beforeStart hook included', async () => {
    let signal: AbortSignal | undefined;
    const app = new App(base('hangs', { startTimeout: 50, beforeStart: [(s) => ((signal = s), new Promise(() => undefined))] }));
    const e = await rejection(app.start());
    expect([e.code, e.message]).to.deep.equal(['E_DISCOVERY_TIMEOUT', "app 'hangs': beforeStart hook #1: took longer than 50 ms"]);
    expect(signal!.aborted).to.equal(true);
  });

  it('keeps the onStop option and method working; the registrar without watch() skips the wait', async () => {
    const calls: string[] = [];
    const registrar: Registrar = { register: async () => void calls.push('register'), deregister: async () => void calls.push('deregister') };
    const app = new App(base('plain', { registrar, onStop: [() => calls.push('option')] }));
    app.onStop(() => calls.push('method'));
    await app.start();
    await app.stop();
    expect(calls).to.deep.equal(['register', 'deregister', 'method', 'option']);
    // Asking for the wait when it cannot happen is said, not silently ignored.
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>;
    void new App(base('plain', { registrar, drainWatchTimeout: 1000 }));
    const [w] = await warned;
    expect([w.code, w.message]).to.deep.equal([
      'PLUGBOARD_APP_NO_WATCH',
      "app 'plain': the registrar is not a Discovery and no 'discovery' was given: stop() will not wait for the deregistration to be seen",
    ]);
  });

  it('refuses unknown options with a suggestion, and bad hooks and durations with typed errors', () => {
    const bad = (o: Record<string, unknown>): PlugboardError => {
      try {
        new App({ ...base('x', {}), ...o });
      } catch (e) {
        return e as PlugboardError;
      }
      return expect.fail('accepted');
    };
    const typo = bad({ stopTimout: 5 });
    expect(typo.code).to.equal('E_INVALID_OPTION');
    expect(typo.message).to.include("'stopTimout': unknown option (did you mean 'stopTimeout'?)");
    expect(bad({ drain: () => undefined }).message).to.include("'drain': must be an array of functions");
    expect(bad({ readiness: true }).code).to.equal('E_INVALID_OPTION');
    expect(bad({ stopTimeout: -1 }).code).to.equal('E_DISCOVERY_URL');
  });
});

describe('App: any interleaving of start, stop and hook outcomes (issue #18, property)', function () {
  this.timeout(60_000);
  type Outcome = 'ok' | 'throw' | 'hang';
  const PHASES = ['beforeStart', 'afterStart', 'beforeStop', 'drain', 'onStop', 'afterStop'] as const;
  const STOP_ORDER = ['beforeStop', 'deregister', 'drain', 'onStop', 'afterStop'];

  it('settles start() and stop() with typed errors, keeps the step order, and leaves nothing registered', async () => {
    const sigterms = process.listenerCount('SIGTERM');
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'throw', 'hang'), { minLength: PHASES.length, maxLength: PHASES.length }),
        fc.constantFrom('none', 'ready', 'never'),
        fc.boolean(),
        async (s, outcomes, readiness, stopEarly) => {
          const store = new MemoryStore();
          const name = uniqueName('prop');
          const inner = new MemoryRegistry({ store });
          const trace: string[] = [];
          const registrar: Registrar & Discovery = {
            register: async (i, o) => {
              trace.push('register');
              await s.schedule(Promise.resolve(), 'register');
              await inner.register(i, o); // refused, and withdrawn, once the signal fired
            },
            deregister: async (i, o) => {
              await s.schedule(Promise.resolve(), 'deregister');
              trace.push('deregister');
              await inner.deregister(i, o);
            },
            getService: (n, o) => inner.getService(n, o),
            watch: (n, o) => inner.watch(n, o),
          };
          const hooks = Object.fromEntries(
            PHASES.map((phase, i) => [
              phase,
              [
                () => {
                  trace.push(phase);
                  if (outcomes[i] === 'hang') return new Promise(() => undefined);
                  return s.schedule(Promise.resolve(), phase).then(() => {
                    if (outcomes[i] === 'throw') throw new Error(`${phase} broke`);
                  });
                },
              ],
            ]),
          ) as Pick<AppOptions, (typeof PHASES)[number]>;
          const app = new App({
            name,
            endpoints: ['http://127.0.0.1:8000'],
            registrar,
            ...hooks,
            ...(readiness === 'none' ? {} : { readiness: () => s.schedule(Promise.resolve(readiness === 'ready'), 'readiness') }),
            readinessInterval: 5,
            startTimeout: 40,
            stopTimeout: 40,
            drainWatchTimeout: 100,
          });
          const settled = { start: false, stop: false };
          const starting = app.start().then(
            () => 'ok',
            (e: DiscoveryError) => e.code,
          );
          void starting.then(() => (settled.start = true));
          // stop() lands wherever the scheduler puts it among the other steps, or after start() settled.
          let stopping: Promise<unknown> | undefined;
          const doStop = (): void => {
            stopping = app.stop().then(
              () => undefined,
              (e: unknown) => e,
            );
            void stopping.then(() => (settled.stop = true));
          };
          if (stopEarly) void s.schedule(Promise.resolve(), 'stop()').then(doStop);
          for (;;) {
            if (settled.start && stopping === undefined) doStop();
            if (settled.start && settled.stop) break;
            if (s.count() > 0) await s.waitOne();
            else await new Promise((r) => setTimeout(r, 1)); // a hanging hook's deadline is a real timer
          }
          await s.waitAll(); // late steps, such as a register abandoned by stop()
          const startResult = await starting;
          const stopError = await stopping!;
          if (stopError !== undefined) expect(stopError).to.be.instanceOf(AppStopError);
          const stopErrors = stopError === undefined ? [] : (stopError as AppStopError).errors.map((x) => (x as DiscoveryError).code);

          expect(['ok', 'E_DISCOVERY_HOOK', 'E_DISCOVERY_TIMEOUT', 'E_DISCOVERY_NOT_READY', 'E_DISCOVERY_ABORTED']).to.include(startResult);
          for (const code of stopErrors) expect(['E_DISCOVERY_HOOK', 'E_DISCOVERY_TIMEOUT']).to.include(code);
          expect(store.list(name)).to.deep.equal([], `trace: ${trace.join(', ')}`);
          expect(app.state).to.equal('stopped');
          expect(process.listenerCount('SIGTERM')).to.equal(sigterms);
          // Start steps in order, and never registered unless ready.
          const startSteps = trace.filter((t) => t === 'beforeStart' || t === 'register' || t === 'afterStart');
          expect(['beforeStart', 'register', 'afterStart'].slice(0, startSteps.length)).to.deep.equal(startSteps);
          if (readiness === 'never') expect(trace).not.to.include('register');
          if (startResult === 'ok') expect(startSteps).to.deep.equal(['beforeStart', 'register', 'afterStart']);
          // stop() ran every step, in order, after the start's last step; deregistering iff a register call was made.
          const stopSteps = trace.slice(trace.indexOf('beforeStop'));
          const expected = STOP_ORDER.filter((t) => t !== 'deregister' || trace.includes('register'));
          expect(stopSteps).to.deep.equal(expected, `trace: ${trace.join(', ')}`);
          await inner.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * A hand-written Registrar over a MemoryStore, as many are (an HTTP PUT with no abort wired in):
 * its register call ignores its signal and writes once `release` opens. `deregistered(n)`
 * resolves once the n-th deregister call has finished.
 */
function naiveRegistrar(
  store: MemoryStore,
  release: Promise<void>,
): Registrar & { called: Promise<void>; landed: Promise<void>; deregistered(n: number): Promise<void> } {
  const called = gate();
  const landed = gate();
  const done: Array<{ promise: Promise<void>; open(): void }> = [];
  const nth = (n: number): { promise: Promise<void>; open(): void } => (done[n] ??= gate());
  let calls = 0;
  return {
    called: called.promise,
    landed: landed.promise,
    deregistered: (n) => nth(n).promise,
    register: async (i) => {
      called.open();
      await release;
      store.put(i as ServiceInstance);
      landed.open();
    },
    deregister: async (i) => {
      const n = ++calls;
      store.delete(i.name, i.id);
      nth(n).open();
    },
  };
}

/** `p`, or a failure naming `what` if it has not settled within `ms` (an event expected soon, not a sleep). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('App: a register call that ignores its signal (review 2, A1)', function () {
  this.timeout(20_000);

  // docs/discovery.md: "stop() during start() aborts the step under way (no registration appears
  // later)". Before the fix stop() deregistered while the abandoned register call was still in
  // flight; its write then landed after the removal and the instance stayed listed for good.
  it('A1: stop() during a register call waits for it to land, then deregisters: nothing stays listed', async () => {
    const store = new MemoryStore();
    const release = gate();
    const registrar = naiveRegistrar(store, release.promise);
    const name = uniqueName('app');
    // Released once stop() has run beforeStop: the old code deregistered right after it.
    const app = new App(base(name, { registrar, drainWatchTimeout: 0, beforeStop: [() => void setImmediate(() => release.open())] }));
    const starting = app.start();
    starting.catch(() => undefined);
    await registrar.called;
    await app.stop();
    await registrar.landed;
    expect((await rejection(starting)).code).to.equal('E_DISCOVERY_ABORTED');
    expect(
      store.list(name).map((i) => i.id),
      'a ghost: registered after stop() deregistered',
    ).to.deep.equal([]);
  });

  // Past registrarTimeout stop() cannot wait any longer: it deregisters, and once more when the
  // late write lands.
  it('A1: a register call still in flight past registrarTimeout is withdrawn again once its late write lands', async () => {
    const store = new MemoryStore();
    const release = gate();
    const registrar = naiveRegistrar(store, release.promise);
    const name = uniqueName('app');
    const app = new App(base(name, { registrar, registrarTimeout: 100, drainWatchTimeout: 0 }));
    const starting = app.start();
    starting.catch(() => undefined);
    await registrar.called;
    await app.stop();
    await registrar.deregistered(1);
    release.open();
    await registrar.landed;
    await within(registrar.deregistered(2), 2000, 'a second deregistration after the late write');
    expect((await rejection(starting)).code).to.equal('E_DISCOVERY_ABORTED');
    expect(
      store.list(name).map((i) => i.id),
      'a ghost: registered after stop() deregistered',
    ).to.deep.equal([]);
  });

  // docs/discovery.md: "a registration that times out is withdrawn: nothing appears once the
  // backend recovers". Before the fix failStart() deregistered once, before the late write.
  it('A1b: a register past registrarTimeout that ignores its signal leaves no instance once the late write lands', async () => {
    const store = new MemoryStore();
    const release = gate();
    const registrar = naiveRegistrar(store, release.promise);
    const name = uniqueName('app');
    const app = new App(base(name, { registrar, registrarTimeout: 100, drainWatchTimeout: 0 }));
    expect((await rejection(app.start())).code).to.equal('E_DISCOVERY_TIMEOUT');
    release.open();
    await registrar.landed;
    await within(registrar.deregistered(2), 2000, 'a second deregistration after the late write');
    expect(
      store.list(name).map((i) => i.id),
      'a ghost: registered after the failed start withdrew it',
    ).to.deep.equal([]);
  });
});

describe('App: options of the wrong shape (review 2)', () => {
  // Standards: bad input gets E_INVALID_OPTION naming the key, never a raw TypeError. Before the
  // fix `registrar: {}` failed start() with a TypeError, and a registrar without deregister()
  // (a typo such as `deRegister` in plain JS) registered on start() and could never be removed.
  it('A6: refuses a registrar or discovery of the wrong shape at construction (E_INVALID_OPTION)', async () => {
    const store = new MemoryStore();
    const name = uniqueName('app');
    const make = (o: Record<string, unknown>): unknown => {
      try {
        return new App(base(name, o));
      } catch (e) {
        return e;
      }
    };
    const typo = { register: async (i: ServiceInstance) => void store.put(i), deRegister: async (i: ServiceInstance) => void store.delete(i.name, i.id) };
    const got = make({ registrar: typo });
    if (got instanceof App) {
      await got.start();
      await got.stop().catch(() => undefined);
    }
    expect(
      store.list(name).map((i) => i.id),
      'registered by start(), never removed by stop()',
    ).to.deep.equal([]);
    for (const [o, key] of [
      [{ registrar: typo }, 'registrar'],
      [{ registrar: {} }, 'registrar'],
      [{ registrar: null }, 'registrar'],
      [{ registrar: 'memory://' }, 'registrar'],
      [{ discovery: {} }, 'discovery'],
      [{ discovery: null }, 'discovery'],
    ] as const) {
      const e = make(o);
      expect(e, JSON.stringify(o)).to.be.instanceOf(PlugboardError);
      expect(e).to.have.property('code', 'E_INVALID_OPTION');
      expect(e).to.have.property('key', key);
    }
  });
});

describe('App: readiness answers and hook results of the wrong shape (review 2)', () => {
  const quiet = { warn: () => undefined };

  // docs/discovery.md: readiness answers true/false or { ok, detail }; nothing is registered
  // before it passes. Before the fix the answer was read by truthiness: { ok: 'false' } (a
  // string, e.g. from a health endpoint's JSON) registered the instance.
  it('A2: a readiness answer of the wrong shape fails start() at once with E_DISCOVERY_NOT_READY naming it, and registers nothing', async () => {
    for (const answer of ['{"ok":"false"}', '"yes"', '1', 'null', '{"ok":true,"detail":5}', '{}']) {
      const store = new MemoryStore();
      const registrar = new MemoryRegistry({ store, logger: quiet });
      const name = uniqueName('app');
      const app = new App(base(name, { registrar, readiness: () => JSON.parse(answer) as boolean, startTimeout: 5000, readinessInterval: 20 }));
      const e = await rejection(app.start());
      expect(
        store.list(name).map((i) => i.id),
        `registered on ${answer}`,
      ).to.deep.equal([]);
      expect(e, answer).to.be.instanceOf(PlugboardError);
      expect(e.code, answer).to.equal('E_DISCOVERY_NOT_READY');
      expect(e.message, answer).to.include('expected true/false or { ok: boolean');
      await registrar.close();
    }
  });

  // Standards: no raw TypeError reaches the user; docs/discovery.md: a hook that throws fails the
  // start with E_DISCOVERY_HOOK. Before the fix a hook result that throws when inspected (a
  // revoked Proxy, a throwing `then` getter) escaped runHook's try as a raw TypeError.
  it('A3: a hook whose result throws when inspected fails start() with E_DISCOVERY_HOOK, not a raw TypeError', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwingThen = {
      get then(): never {
        throw new TypeError('then getter');
      },
    };
    for (const result of [proxy, throwingThen]) {
      const app = new App(base(uniqueName('app'), { beforeStart: [() => result] }));
      const e = await rejection(app.start());
      expect(e, String(e)).to.be.instanceOf(PlugboardError);
      expect(e.code).to.equal('E_DISCOVERY_HOOK');
      expect(e.message).to.include('beforeStart hook #1 failed');
    }
  });

  // Same rule: a Registrar in plain JS whose methods are synchronous (return undefined). Before
  // the fix abortable() called `.then` on undefined: start() and stop() failed with raw TypeErrors.
  it('A4: a synchronous registrar (methods return undefined) works: start() registers, stop() deregisters', async () => {
    const store = new MemoryStore();
    const registrar = {
      register: (i: ServiceInstance) => void store.put(i),
      deregister: (i: ServiceInstance) => void store.delete(i.name, i.id),
    } as unknown as Registrar;
    const name = uniqueName('app');
    const app = new App(base(name, { registrar }));
    await app.start();
    expect(store.list(name).map((i) => i.id)).to.deep.equal([app.instance.id]);
    await app.stop();
    expect(store.list(name)).to.deep.equal([]);
  });

  // A synchronous registrar whose deregister throws: a typed AppStopError, never a raw TypeError thrown by stop().
  it('A4: a synchronous registrar that throws gives typed errors', async () => {
    const boom = (): never => {
      throw new Error('backend down');
    };
    const app = new App(base(uniqueName('app'), { registrar: { register: boom, deregister: boom } }));
    const e = await rejection(app.start());
    expect(e.message).to.include('backend down');
    const app2 = new App(base(uniqueName('app'), { registrar: { register: () => undefined, deregister: boom } as unknown as Registrar }));
    await app2.start();
    const stopError = (await rejection(app2.stop())) as AppStopError;
    expect(stopError).to.be.instanceOf(AppStopError);
    expect(String(stopError.errors[0])).to.include('backend down');
  });
});
