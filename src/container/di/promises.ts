/** Promise helpers of the injector. */
import { DiError } from './errors.js';

/** Whether `v` is a promise or another thenable (an async factory's result). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return ((typeof v === 'object' && v !== null) || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Waits for `promise` unless `signal` fires first, which rejects with `E_DI_ABORTED` (the
 * work itself goes on; whatever it builds is still tracked and disposed by its scope).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string, scope: string): Promise<T> {
  return raceSignal(promise, signal, () => new DiError('E_DI_ABORTED', `scope '${scope}': ${what}: aborted`, { scope, cause: signal?.reason }));
}

/**
 * `task`, or a rejection with `error()` as soon as `signal` fires, with the listener removed
 * either way. The task itself goes on; its later failure is not reported as unhandled.
 * Shared by the injector and the discovery kit.
 */
export function raceSignal<T>(task: Promise<T>, signal: AbortSignal | undefined, error: () => Error): Promise<T> {
  if (signal === undefined) return task;
  if (signal.aborted) {
    task.catch(() => undefined); // the caller stopped listening; its failure is not unhandled
    return Promise.reject(error());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    task.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
