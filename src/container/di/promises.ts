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
  if (signal === undefined) return promise;
  const aborted = (): DiError => new DiError('E_DI_ABORTED', `scope '${scope}': ${what}: aborted`, { scope, cause: signal.reason });
  if (signal.aborted) {
    promise.catch(() => undefined); // the caller stopped listening; its failure is not unhandled
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
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
