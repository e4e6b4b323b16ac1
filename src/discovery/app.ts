import { randomUUID } from 'node:crypto';
import { InvalidOptionError } from '../container/errors.js';
import { closestName } from '../container/names.js';
import { awaitAbsent, awaitReadiness, forceExit, runHook, seconds, slowWaitNotice, type AppHook, type ReadinessCheck } from './app-steps.js';
import { abortable, callSignal } from './driver/abort.js';
import { validateInstance } from './driver/codec.js';
import { parseDuration } from './driver/options.js';
import { DriverRegistry } from './driver/registry.js';
import { DiscoveryError } from './errors.js';
import type { ServiceInstance } from './instance.js';
import type { Discovery, Registrar, Watcher } from './types.js';

export type { AppHook, ReadinessCheck, ReadinessResult } from './app-steps.js';

/** Options of an {@link App} (go-kratos's `kratos.New` options). Durations are in ms. */
export interface AppOptions {
  /** Instance id; generated (`<name>-<uuid>`) when absent. */
  id?: string;
  name: string;
  version?: string;
  metadata?: Record<string, string>;
  /** Endpoint URLs to register. */
  endpoints: string[];
  /** Where to register; omit to run without registration. */
  registrar?: Registrar;
  /** How long registering, and deregistering, may take (default 10 000). */
  registrarTimeout?: number;
  /** Stop gracefully on SIGTERM and SIGINT (default `true`). */
  handleSignals?: boolean;
  /** Run first by `start()`, in order (start your servers here). A failure fails the start. */
  beforeStart?: AppHook[];
  /** Must pass before the instance is registered; retried every `readinessInterval` until `startTimeout`. */
  readiness?: ReadinessCheck;
  /** Pause between two readiness checks (default 250). */
  readinessInterval?: number;
  /** Run by `start()` once registered, in order. A failure fails the start (and deregisters). */
  afterStart?: AppHook[];
  /** Bound of the whole `start()` (default 60 000); registration has `registrarTimeout` as well. */
  startTimeout?: number;
  /** Run first by `stop()`, in order, before deregistering. */
  beforeStop?: AppHook[];
  /** Where to see the deregistration happen; default: the registrar, when it is also a `Discovery`. */
  discovery?: Discovery;
  /** How long `stop()` waits, after deregistering, for a watcher of our own to stop listing the instance (default 5 000; 0 skips). */
  drainWatchTimeout?: number;
  /** Run by `stop()` once the instance is no longer listed, in order: finish in-flight work here. */
  drain?: AppHook[];
  /** Run by `stop()` after `drain`, in reverse order of registration: close your servers here. */
  onStop?: AppHook[];
  /** Run last by `stop()`, in order. */
  afterStop?: AppHook[];
  /** Bound of the hooks and the wait in `stop()` together (default 30 000); deregistration always runs, up to `registrarTimeout`. */
  stopTimeout?: number;
}

const OPTIONS = [
  'id',
  'name',
  'version',
  'metadata',
  'endpoints',
  'registrar',
  'registrarTimeout',
  'handleSignals',
  'beforeStart',
  'readiness',
  'readinessInterval',
  'afterStart',
  'startTimeout',
  'beforeStop',
  'discovery',
  'drainWatchTimeout',
  'drain',
  'onStop',
  'afterStop',
  'stopTimeout',
] as const satisfies ReadonlyArray<keyof AppOptions>;
const HOOKS = ['beforeStart', 'afterStart', 'beforeStop', 'drain', 'onStop', 'afterStop'] as const;
type Phase = (typeof HOOKS)[number];

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** `stop()` failed at one step or more (`E_DISCOVERY_STOP`); the later steps ran all the same. */
export class AppStopError extends DiscoveryError {
  /** What went wrong, step by step, each a typed error (`E_DISCOVERY_HOOK`, `E_DISCOVERY_TIMEOUT`, …). */
  readonly errors: readonly unknown[];
  constructor(app: string, errors: readonly unknown[]) {
    const lines = errors.map((e) => (e instanceof Error ? e.message : String(e)));
    super('E_DISCOVERY_STOP', `app '${app}': stop() finished with ${errors.length} failure${errors.length === 1 ? '' : 's'}: ${lines.join('; ')}`, {
      cause: errors[0],
    });
    this.errors = errors;
  }
}

/**
 * An application's lifecycle, as go-kratos's `App`. `start()`: `beforeStart` hooks, the
 * readiness check, registration, `afterStart` hooks. `stop()` (or SIGTERM/SIGINT):
 * `beforeStop` hooks, deregistration, a bounded wait until a watcher of our own no longer lists
 * the instance, `drain` hooks, `onStop` hooks (close servers), `afterStop` hooks. Every step
 * of `stop()` runs whatever came of the earlier ones, and `stop()` always finishes.
 *
 * `stop()` may come at any time: before `start()`, during it (the step under way is aborted,
 * nothing is registered afterwards, the stop steps run, and only then does `start()` reject
 * with `E_DISCOVERY_ABORTED`), or twice. A `start()` that fails withdraws its registration. After a signal-driven stop the
 * process is left to exit by itself.
 */
export class App {
  /** The instance this app registers. */
  readonly instance: ServiceInstance;
  readonly #registrar: Registrar | undefined;
  readonly #discovery: Discovery | undefined;
  readonly #registrarTimeout: number;
  readonly #startTimeout: number;
  readonly #stopTimeout: number;
  readonly #drainWatchTimeout: number;
  readonly #readiness: ReadinessCheck | undefined;
  readonly #readinessInterval: number;
  readonly #handleSignals: boolean;
  readonly #hooks: Record<Phase, AppHook[]>;
  #state: State = 'new';
  /**
   * The register call start() made, if any: stop() must then deregister, whatever came of it.
   * `settled` says whether it succeeded; `deadline` is when its registrarTimeout runs out.
   */
  #registerCall: { settled: Promise<boolean>; deadline: number } | undefined;
  #starting: Promise<void> | undefined;
  readonly #startAbort = new AbortController();
  #stopping: Promise<void> | undefined;
  /** Whether stop() came while start() was under way: start() then rejects, whatever its step did. */
  #stoppedInStart = false;
  #resolveDone!: () => void;
  readonly #done = new Promise<void>((r) => (this.#resolveDone = r));
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#signal = signal;
    this.stop().catch((err: unknown) => {
      process.emitWarning(`app '${this.instance.name}': graceful stop after ${signal} failed: ${err instanceof Error ? err.message : String(err)}`, {
        code: 'PLUGBOARD_APP_STOP',
      });
    });
  };
  #signal: NodeJS.Signals | undefined;
  /** Whether a slow wait of this stop was announced (once is enough). */
  #noticed = false;

  constructor(opts: AppOptions) {
    for (const key of Object.keys(opts)) {
      if ((OPTIONS as readonly string[]).includes(key)) continue;
      const near = closestName(key, OPTIONS);
      throw new InvalidOptionError(
        'discovery.app',
        key,
        `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${[...OPTIONS].sort().join(', ')}`,
      );
    }
    this.instance = validateInstance({
      id: opts.id ?? `${opts.name}-${randomUUID()}`,
      name: opts.name,
      version: opts.version ?? '',
      metadata: opts.metadata ?? {},
      endpoints: opts.endpoints,
    });
    const ms = (key: keyof AppOptions, fallback: number, min = 1): number => parseDuration(key, opts[key], { min }) ?? fallback;
    // Checked here, not at start(): a registrar that cannot deregister would leave a ghost.
    if ('registrar' in opts && opts.registrar !== undefined && !hasMethods(opts.registrar, ['register', 'deregister'])) {
      throw new InvalidOptionError(
        'discovery.app',
        'registrar',
        `must be a Registrar with register() and deregister() methods, got ${describeValue(opts.registrar)}`,
      );
    }
    if ('discovery' in opts && opts.discovery !== undefined && !hasMethods(opts.discovery, ['watch'])) {
      throw new InvalidOptionError('discovery.app', 'discovery', `must be a Discovery with a watch() method, got ${describeValue(opts.discovery)}`);
    }
    this.#registrar = opts.registrar;
    this.#registrarTimeout = ms('registrarTimeout', 10_000);
    this.#startTimeout = ms('startTimeout', 60_000);
    this.#stopTimeout = ms('stopTimeout', 30_000);
    this.#drainWatchTimeout = ms('drainWatchTimeout', 5_000, 0);
    this.#readinessInterval = ms('readinessInterval', 250);
    if (opts.readiness !== undefined && typeof opts.readiness !== 'function') throw new InvalidOptionError('discovery.app', 'readiness', 'must be a function');
    this.#readiness = opts.readiness;
    this.#handleSignals = opts.handleSignals ?? true;
    const hooks = {} as Record<Phase, AppHook[]>;
    for (const phase of HOOKS) {
      const list: unknown = opts[phase] ?? [];
      if (!Array.isArray(list) || !list.every((f) => typeof f === 'function'))
        throw new InvalidOptionError('discovery.app', phase, 'must be an array of functions');
      hooks[phase] = [...(list as AppHook[])];
    }
    this.#hooks = hooks;
    const registrar = opts.registrar as Partial<Discovery> | undefined;
    this.#discovery = opts.discovery ?? (typeof registrar?.watch === 'function' ? (registrar as Discovery) : undefined);
    if (this.#discovery === undefined && opts.drainWatchTimeout !== undefined && opts.drainWatchTimeout > 0 && opts.registrar !== undefined) {
      // Asked for, but impossible: say so once rather than pretend the wait happened.
      process.emitWarning(
        `app '${opts.name}': the registrar is not a Discovery and no 'discovery' was given: stop() will not wait for the deregistration to be seen`,
        { code: 'PLUGBOARD_APP_NO_WATCH' },
      );
    }
  }

  /** `'new' | 'starting' | 'running' | 'stopping' | 'stopped'`. */
  get state(): State {
    return this.#state;
  }

  /** The signal that stopped the app, if one did. */
  get stoppedBy(): NodeJS.Signals | undefined {
    return this.#signal;
  }

  /** Adds a hook run on stop after the `drain` hooks, in reverse order of registration (close servers here). */
  onStop(fn: AppHook): void {
    this.#hooks.onStop.push(fn);
  }

  /**
   * Runs `beforeStart`, the readiness check, registration and `afterStart`. Rejects with the
   * failing step's typed error: `E_DISCOVERY_HOOK`, `E_DISCOVERY_NOT_READY`,
   * `E_DISCOVERY_TIMEOUT` (`registrarTimeout` or `startTimeout`), `E_DISCOVERY_ABORTED` if
   * `stop()` came first. Either way nothing stays registered. A second call gives `E_DISCOVERY_MISUSE`.
   *
   * Cut short by `stop()` or by SIGTERM/SIGINT, it settles only once the stop steps have run,
   * and rejects with `E_DISCOVERY_ABORTED` ("stopped during start()", the step's error as
   * `cause`), even when the step under way finished regardless: the code after
   * `await app.start()` must not run against a stopped app. `app.stoppedBy` names the signal.
   */
  start(): Promise<void> {
    if (this.#state !== 'new')
      return Promise.reject(new DiscoveryError('E_DISCOVERY_MISUSE', `app '${this.instance.name}': start() called in state '${this.#state}'`));
    this.#state = 'starting';
    this.#starting = this.doStart();
    const cutShort = async (cause: unknown): Promise<never> => {
      await this.#stopping!.catch(() => undefined);
      const by = this.#signal === undefined ? 'stop()' : this.#signal;
      throw new DiscoveryError('E_DISCOVERY_ABORTED', `app '${this.instance.name}': stopped during start() by ${by}; the stop steps have run`, {
        ...(cause === undefined ? {} : { cause }),
      });
    };
    return this.#starting.then(
      () => (this.#stoppedInStart ? cutShort(undefined) : undefined),
      (err: unknown) => {
        if (!this.#stoppedInStart) throw err;
        return cutShort(err);
      },
    );
  }

  /**
   * Runs the stop steps (see the class comment) and removes the signal handlers. Rejects with
   * `E_DISCOVERY_STOP` listing every step that failed, once all ran. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.doStop();
    return this.#stopping;
  }

  /** Resolves once the app has stopped. */
  wait(): Promise<void> {
    return this.#done;
  }

  private async doStart(): Promise<void> {
    if (this.#handleSignals) {
      process.once('SIGTERM', this.#onSignal);
      process.once('SIGINT', this.#onSignal);
    }
    const name = `app '${this.instance.name}'`;
    const start = callSignal([this.#startAbort.signal], this.#startTimeout);
    try {
      await this.runPhase('beforeStart', start.signal);
      if (this.#readiness !== undefined) await awaitReadiness(`${name}: readiness`, this.#readiness, this.#readinessInterval, start.signal);
      const registrar = this.#registrar;
      if (registrar !== undefined) {
        const call = callSignal([start.signal], this.#registrarTimeout);
        try {
          // Kept apart from the race below: a registrar may ignore its signal and write later.
          const task = Promise.resolve().then(() => registrar.register(this.instance, { signal: call.signal }));
          this.#registerCall = {
            settled: task.then(
              () => true,
              () => false,
            ),
            deadline: Date.now() + this.#registrarTimeout,
          };
          await abortable(task, call.signal, `${name}: registering`);
        } finally {
          call.dispose();
        }
      }
      await this.runPhase('afterStart', start.signal);
    } catch (err) {
      if (this.#stopping === undefined) await this.failStart();
      throw err;
    } finally {
      start.dispose();
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  /** A start that failed by itself (not cut short by stop()): withdraw, then settle as stopped. */
  private async failStart(): Promise<void> {
    this.removeSignalHandlers();
    this.#state = 'stopped';
    const registrar = this.#registrar;
    // plugboard's registries withdraw a registration that rejects; a hand-written Registrar
    // may not, and a registration that succeeded (afterStart failed) must be removed.
    if (registrar !== undefined) await this.withdraw(registrar, registrar instanceof DriverRegistry).catch(() => undefined);
    this.#resolveDone();
  }

  private async doStop(): Promise<void> {
    this.#stoppedInStart = this.#state === 'starting';
    this.#state = 'stopping';
    this.removeSignalHandlers();
    // A start in progress is cut short: every step of it is abortable, so it settles at once.
    this.#startAbort.abort(new DiscoveryError('E_DISCOVERY_ABORTED', `app '${this.instance.name}': stopped during start()`));
    await this.#starting?.catch(() => undefined);
    const errors: unknown[] = [];
    const deadline = callSignal([], this.#stopTimeout);
    try {
      errors.push(...(await this.runPhase('beforeStop', deadline.signal, true)));
      if (this.#registerCall !== undefined && this.#registrar !== undefined) await this.deregisterAndConfirm(this.#registrar, deadline.signal, errors);
      for (const phase of ['drain', 'onStop', 'afterStop'] as const) errors.push(...(await this.runPhase(phase, deadline.signal, true)));
    } finally {
      deadline.dispose();
      if (this.#signal !== undefined) process.off(this.#signal, forceExit);
      this.#state = 'stopped';
      this.#resolveDone();
    }
    if (errors.length > 0) throw new AppStopError(this.instance.name, errors);
  }

  /**
   * Deregisters (always, even past the stop deadline: a listed instance that is gone is the
   * worst outcome), then waits until our own watcher no longer lists the instance, so clients
   * have been told before the servers stop accepting.
   */
  private async deregisterAndConfirm(registrar: Registrar, deadline: AbortSignal, errors: unknown[]): Promise<void> {
    const name = `app '${this.instance.name}'`;
    const discovery = this.#drainWatchTimeout > 0 ? this.#discovery : undefined;
    const life = new AbortController(); // ends the watcher, whatever happens below
    // Opened alongside the deregistration, not before it: a slow watch() must not delay it.
    const opening =
      discovery === undefined ? undefined : new Promise<Watcher>((resolve) => resolve(discovery.watch(this.instance.name, { signal: life.signal })));
    opening?.catch(() => undefined);
    try {
      try {
        // A register call of plugboard's own registries that rejected left nothing behind: nothing to deregister or wait for.
        if (!(await this.withdraw(registrar, registrar instanceof DriverRegistry))) return;
      } catch (err) {
        errors.push(err);
        return;
      }
      if (opening === undefined) return;
      const wait = callSignal([deadline], this.#drainWatchTimeout);
      try {
        const watcher = await abortable(opening, wait.signal, `${name}: watching the deregistration`);
        await awaitAbsent(`${name}: waiting for watchers to drop the instance`, watcher, this.instance.id, wait.signal);
      } catch (err) {
        errors.push(err);
      } finally {
        wait.dispose();
      }
    } finally {
      life.abort();
      opening?.then(
        (w) => w.stop(),
        () => undefined,
      );
    }
  }

  /** Runs a phase's hooks in turn. With `collect`, failures are returned and later hooks still run; without, the first one throws. */
  private async runPhase(phase: Phase, signal: AbortSignal, collect = false): Promise<unknown[]> {
    const numbered = this.#hooks[phase].map((hook, i) => [i + 1, hook] as const);
    if (phase === 'onStop') numbered.reverse();
    const errors: unknown[] = [];
    for (const [n, hook] of numbered) {
      try {
        await runHook(`app '${this.instance.name}': ${phase} hook #${n}`, hook, signal);
      } catch (err) {
        if (!collect) throw err;
        errors.push(err);
      }
    }
    return errors;
  }

  /**
   * Deregisters once the register call has settled, waiting for it until its registrarTimeout
   * runs out: a registrar that ignores its signal may still write, and a deregistration sent
   * before that write would leave the instance listed for good. Past that bound it deregisters
   * at once, and again when the call settles. With `keepIfRejected`, a register call that
   * rejected is left alone (plugboard's registries withdraw it themselves).
   */
  private async withdraw(registrar: Registrar, keepIfRejected: boolean): Promise<boolean> {
    const call = this.#registerCall;
    if (call === undefined) return false;
    const settling = this.slowNotice(`the register call to settle (up to ${seconds(call.deadline - Date.now())})`);
    const ok = await settledWithin(call.settled, call.deadline - Date.now()).finally(settling);
    if (ok === false && keepIfRejected) return false;
    if (ok === undefined) {
      void call.settled.then(() =>
        this.deregister(registrar).catch((err: unknown) => {
          process.emitWarning(
            `app '${this.instance.name}': deregistering after a late registration failed: ${err instanceof Error ? err.message : String(err)}`,
            { code: 'PLUGBOARD_APP_STOP' },
          );
        }),
      );
    }
    await this.deregister(registrar);
    return true;
  }

  private async deregister(registrar: Registrar): Promise<void> {
    const notice = this.slowNotice(`the registry to confirm the deregistration (up to ${seconds(this.#registrarTimeout)})`);
    const call = callSignal([], this.#registrarTimeout);
    try {
      // Through then(): a registrar in plain JS may return undefined, or throw synchronously.
      const task = Promise.resolve().then(() => registrar.deregister(this.instance, { signal: call.signal }));
      await abortable(task, call.signal, `app '${this.instance.name}': deregistering`);
    } finally {
      notice();
      call.dispose();
    }
  }

  /** During a signal-driven stop, announces a wait on the backend that lasts (once per stop; see `slowWaitNotice`). */
  private slowNotice(what: string): () => void {
    const signal = this.#signal;
    if (signal === undefined || this.#noticed) return () => undefined;
    return slowWaitNotice(`app '${this.instance.name}'`, signal, what, () => (this.#noticed = true));
  }

  private removeSignalHandlers(): void {
    process.off('SIGTERM', this.#onSignal);
    process.off('SIGINT', this.#onSignal);
  }
}

/** What `settled` resolves to, or `undefined` if it has not within `ms`. */
function settledWithin<T>(settled: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    void settled.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

/** Whether `v` is an object with a function under each of `names`. */
function hasMethods(v: unknown, names: readonly string[]): boolean {
  if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return false;
  const o = v as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}

/** `null`, a type, or an object's methods, for messages. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const methods = Object.keys(v).filter((k) => typeof (v as Record<string, unknown>)[k] === 'function');
  return methods.length === 0 ? 'an object without methods' : `an object with ${methods.map((m) => `${m}()`).join(', ')}`;
}
