import { randomUUID } from 'node:crypto';
import { DiscoveryError } from './errors.js';
import { validateInstance, type ServiceInstance } from './instance.js';
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
  /** How long `start()` may spend registering, in ms (default 10 000). */
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
 * `stop()` before `start()` and a second `stop()` are safe. After a signal-driven stop the
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
  #registered = false;
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

  /** Registers the instance; rejects with `E_DISCOVERY_TIMEOUT` if that takes longer than `registrarTimeout`. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new DiscoveryError('E_DISCOVERY_BACKEND', `app '${this.instance.name}': start() called in state '${this.#state}'`);
    this.#state = 'starting';
    if (this.#handleSignals) {
      process.once('SIGTERM', this.#onSignal);
      process.once('SIGINT', this.#onSignal);
    }
    try {
      if (this.#registrar !== undefined) {
        await withTimeout(this.#timeout, `app '${this.instance.name}': registering`, (signal) => this.#registrar!.register(this.instance, { signal }));
        this.#registered = true;
      }
    } catch (err) {
      this.removeSignalHandlers();
      this.#state = 'stopped';
      this.#resolveDone();
      throw err;
    }
    if ((this.#state as State) === 'starting') this.#state = 'running';
  }

  /** Deregisters (if registered), runs the stop hooks, and removes the signal handlers. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.doStop();
    return this.#stopping;
  }

  /** Resolves once the app has stopped. */
  wait(): Promise<void> {
    return this.#done;
  }

  private async doStop(): Promise<void> {
    this.#state = 'stopping';
    this.removeSignalHandlers();
    const errors: unknown[] = [];
    if (this.#registered && this.#registrar !== undefined) {
      try {
        await withTimeout(this.#timeout, `app '${this.instance.name}': deregistering`, (signal) => this.#registrar!.deregister(this.instance, { signal }));
        this.#registered = false;
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

  private removeSignalHandlers(): void {
    process.off('SIGTERM', this.#onSignal);
    process.off('SIGINT', this.#onSignal);
  }
}

async function withTimeout<T>(ms: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new DiscoveryError('E_DISCOVERY_TIMEOUT', `${what} took longer than ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([fn(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
