/**
 * Abort handling shared by the kit and the drivers: every await of a discovery call can be cut
 * short by the caller's signal, by its timeout, or by `close()`.
 */
import { raceSignal } from '../../container/di/promises.js';
import { DiscoveryError } from '../errors.js';
import { showValue } from '../../container/show-value.js';

/** The reason a call was cut short, as a typed error: `E_DISCOVERY_TIMEOUT` for a deadline, `E_DISCOVERY_ABORTED` otherwise. */
export function abortError(what: string, signal: AbortSignal, lastError?: unknown): DiscoveryError {
  const reason: unknown = signal.reason;
  if (reason instanceof DiscoveryError) return reason;
  const last = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : showValue(lastError)}`;
  if (reason instanceof Deadline)
    return new DiscoveryError('E_DISCOVERY_TIMEOUT', `${what}: took longer than ${reason.ms} ms${last}`, { cause: lastError ?? reason });
  return new DiscoveryError('E_DISCOVERY_ABORTED', `${what}: aborted${last}`, { cause: lastError ?? reason });
}

/** Throws the typed abort error if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortError(what, signal);
}

/**
 * `task`, or a rejection with the typed abort error as soon as `signal` fires. The task itself
 * goes on (a write may still land); callers that care (the reconciler) account for that.
 */
export function abortable<T>(task: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  return raceSignal(task, signal, () => abortError(what, signal!));
}

/**
 * Waits `ms`. Resolves `true` when the time passed, `false` as soon as `signal` fires; it never
 * rejects, so retry loops just check their own state afterwards. The timer is unref'd (it never
 * keeps the process alive) unless `ref` is set: for waits someone is holding on to, such as the
 * retries of a followed name that still has watchers.
 */
export function sleep(ms: number, signal?: AbortSignal, ref = false): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (passed: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(passed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    if (!ref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The abort reason of a call's timeout: turned into `E_DISCOVERY_TIMEOUT` by {@link abortError}. */
export class Deadline extends Error {
  constructor(readonly ms: number) {
    super(`deadline of ${ms} ms passed`);
    this.name = 'Deadline';
  }
}

/** What {@link callSignal} returns. */
export interface CallSignal {
  /** Fires when any given signal fires, or at the timeout. */
  readonly signal: AbortSignal;
  /** Clears the timer and the listeners. */
  dispose(): void;
}

/**
 * One signal for a call: it fires when any of `signals` fires or after `timeoutMs`. `dispose()`
 * removes every listener and clears the timer, so a finished call leaves nothing behind
 * (unlike `AbortSignal.timeout`, whose timer lives on until it fires). The timer is ref'd on
 * purpose: a call someone awaits keeps the process alive until it settles (at most
 * `timeoutMs`), while the kit's background upkeep, whose timers are unref'd, never does.
 */
export function callSignal(signals: ReadonlyArray<AbortSignal | undefined>, timeoutMs?: number): CallSignal {
  const ac = new AbortController();
  const listeners: Array<[AbortSignal, () => void]> = [];
  let timer: NodeJS.Timeout | undefined;
  const dispose = (): void => {
    for (const [s, fn] of listeners) s.removeEventListener('abort', fn);
    listeners.length = 0;
    clearTimeout(timer);
  };
  for (const s of signals) {
    if (s === undefined) continue;
    if (s.aborted) {
      ac.abort(s.reason);
      return { signal: ac.signal, dispose };
    }
    const fn = (): void => {
      dispose();
      ac.abort(s.reason);
    };
    s.addEventListener('abort', fn, { once: true });
    listeners.push([s, fn]);
  }
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      dispose();
      ac.abort(new Deadline(timeoutMs));
    }, timeoutMs);
  }
  return { signal: ac.signal, dispose };
}

/** A promise with its settle functions, for hand-offs between a callback API and an await. */
export interface Deferred<T> {
  promise: Promise<T>;
  /** Fulfils {@link Deferred.promise}. */
  resolve(value: T): void;
  /** Rejects {@link Deferred.promise}. */
  reject(err: unknown): void;
}

/** A new {@link Deferred}. Its promise never causes an unhandled rejection by itself. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
