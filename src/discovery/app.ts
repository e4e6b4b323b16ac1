import { randomUUID } from 'node:crypto';
import { abortable, callSignal } from './driver/abort.js';
import { validateInstance } from './driver/codec.js';
import { DriverRegistry } from './driver/registry.js';
import { DiscoveryError } from './errors.js';
import type { ServiceInstance } from './instance.js';
import type { Registrar } from './types.js';

/** Options of an {@link App} (go-kratos's `app.New` options). */
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
  /** How long `start()` may spend registering, and `stop()` deregistering, in ms (default 10 000). */
  registrarTimeout?: number;
  /** Stop gracefully on SIGTERM and SIGINT (default `true`). */
  handleSignals?: boolean;
  /** Called after deregistration on stop, in reverse order of registration (close servers here). */
  onStop?: Array<() => unknown>;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * An application's registration lifecycle: `start()` registers the instance (with a timeout),
 * `stop()` deregisters it and runs the stop hooks, and SIGTERM/SIGINT trigger `stop()`.
 *
 * `stop()` may come at any time: before `start()`, during it (the registration is withdrawn
 * and anything it wrote removed), or twice. A `start()` that times out withdraws its
 * registration, so nothing appears once the backend recovers. After a signal-driven stop the
 * process is left to exit by itself (exit code 0 once nothing else keeps it alive).
 */
export class App {
  /** The instance this app registers. */
  readonly instance: ServiceInstance;
  readonly #registrar: Registrar | undefined;
  readonly #timeout: number;
  readonly #handleSignals: boolean;
  readonly #stopHooks: Array<() => unknown>;
  #state: State = 'new';
  /** Whether a register call was made: stop() must then deregister, whatever came of it. */
  #registering = false;
  #starting: Promise<void> | undefined;
  readonly #startAbort = new AbortController();
  #stopping: Promise<void> | undefined;
  #resolveDone!: () => void;
  readonly #done = new Promise<void>((r) => (this.#resolveDone = r));
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#signal = signal;
    this.stop().catch((err: unknown) => {
      process.emitWarning(`app '${this.instance.name}': graceful stop after ${signal} failed: ${err instanceof Error ? err.message : String(err)}`, { code: 'PLUGBOARD_APP_STOP' });
    });
  };
  #signal: NodeJS.Signals | undefined;

  constructor(opts: AppOptions) {
    this.instance = validateInstance({
      id: opts.id ?? `${opts.name}-${randomUUID()}`,
      name: opts.name,
      version: opts.version ?? '',
      metadata: opts.metadata ?? {},
      endpoints: opts.endpoints,
    });
    this.#registrar = opts.registrar;
    this.#timeout = opts.registrarTimeout ?? 10_000;
    this.#handleSignals = opts.handleSignals ?? true;
    this.#stopHooks = [...(opts.onStop ?? [])];
  }

  /** `'new' | 'starting' | 'running' | 'stopping' | 'stopped'`. */
  get state(): State {
    return this.#state;
  }

  /** The signal that stopped the app, if one did. */
  get stoppedBy(): NodeJS.Signals | undefined {
    return this.#signal;
  }

  /** Adds a hook run on stop, after deregistration. */
  onStop(fn: () => unknown): void {
    this.#stopHooks.push(fn);
  }

  /**
   * Registers the instance; rejects with `E_DISCOVERY_TIMEOUT` if that takes longer than
   * `registrarTimeout`, and with `E_DISCOVERY_ABORTED` if `stop()` came first. Either way the
   * registration is withdrawn. A second call gives `E_DISCOVERY_MISUSE`.
   */
  start(): Promise<void> {
    if (this.#state !== 'new') return Promise.reject(new DiscoveryError('E_DISCOVERY_MISUSE', `app '${this.instance.name}': start() called in state '${this.#state}'`));
    this.#state = 'starting';
    this.#starting = this.doStart();
    return this.#starting;
  }

  /** Deregisters (if a registration was made), runs the stop hooks, and removes the signal handlers. Idempotent. */
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
    const registrar = this.#registrar;
    if (registrar === undefined) {
      this.#state = 'running';
      return;
    }
    const call = callSignal([this.#startAbort.signal], this.#timeout);
    const what = `app '${this.instance.name}': registering`;
    try {
      this.#registering = true;
      await abortable(registrar.register(this.instance, { signal: call.signal }), call.signal, what);
    } catch (err) {
      if (this.#stopping === undefined) {
        this.removeSignalHandlers();
        this.#state = 'stopped';
        this.#resolveDone();
        // plugboard's registries withdraw a registration that rejects; a hand-written
        // Registrar may not, so remove whatever it may have written (best effort).
        if (!(registrar instanceof DriverRegistry)) void this.deregister(registrar).catch(() => undefined);
      }
      throw err;
    } finally {
      call.dispose();
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  private async doStop(): Promise<void> {
    this.#state = 'stopping';
    this.removeSignalHandlers();
    // A start in progress is cut short; its registration is then withdrawn (and removed below).
    this.#startAbort.abort(new DiscoveryError('E_DISCOVERY_ABORTED', `app '${this.instance.name}': stopped during start()`));
    await this.#starting?.catch(() => undefined);
    const errors: unknown[] = [];
    if (this.#registering && this.#registrar !== undefined) {
      try {
        await this.deregister(this.#registrar);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const hook of [...this.#stopHooks].reverse()) {
      try {
        await hook();
      } catch (err) {
        errors.push(err);
      }
    }
    this.#state = 'stopped';
    this.#resolveDone();
    if (errors.length > 0) throw errors[0];
  }

  private async deregister(registrar: Registrar): Promise<void> {
    const call = callSignal([], this.#timeout);
    try {
      await abortable(registrar.deregister(this.instance, { signal: call.signal }), call.signal, `app '${this.instance.name}': deregistering`);
    } finally {
      call.dispose();
    }
  }

  private removeSignalHandlers(): void {
    process.off('SIGTERM', this.#onSignal);
    process.off('SIGINT', this.#onSignal);
  }
}
