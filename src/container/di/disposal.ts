/**
 * Disposing what a scope built: `[Symbol.asyncDispose]()`, else `[Symbol.dispose]()`, else
 * `dispose()`, else `close()`, one at a time in reverse order of creation, every failure
 * collected while the others still run.
 *
 * Node 20 defines `Symbol.asyncDispose` and `Symbol.dispose` itself (as
 * `Symbol.for('nodejs.asyncDispose')` and `Symbol.for('nodejs.dispose')`), and TypeScript's
 * `await using` uses whatever `Symbol.asyncDispose` is, so the two agree without a polyfill.
 */
import { isThenable, raceAbort } from './promises.js';
import { DiError } from './errors.js';

const ASYNC_DISPOSE: symbol = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose');
const DISPOSE: symbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');

type Methods = Record<PropertyKey, unknown>;

/** The disposal method of `value`, if it has one. */
function disposer(value: unknown): ((this: unknown) => unknown) | undefined {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return undefined;
  const o = value as Methods;
  const fn = o[ASYNC_DISPOSE] ?? o[DISPOSE] ?? o['dispose'] ?? o['close'];
  return typeof fn === 'function' ? (fn as (this: unknown) => unknown) : undefined;
}

/** Whether a scope has anything to call on `value` when it is disposed. */
export function isDisposable(value: unknown): value is object {
  return disposer(value) !== undefined;
}

/**
 * Disposes `items` (value → label, in creation order) in reverse order, awaiting each. Returns
 * the failures, each an `E_DI_DISPOSE` naming the instance, with the original error as `cause`.
 */
export async function disposeReversed(items: ReadonlyMap<object, string>, scope: string, signal: AbortSignal | undefined): Promise<DiError[]> {
  const errors: DiError[] = [];
  for (const [value, label] of [...items].reverse()) {
    try {
      const result = disposer(value)?.call(value);
      // A synchronous disposal is done; an async one is awaited unless the signal fired.
      if (isThenable(result)) await raceAbort(Promise.resolve(result), signal, `disposing ${label}`, scope);
    } catch (err) {
      if (err instanceof DiError && err.code === 'E_DI_ABORTED') {
        errors.push(err);
        continue;
      }
      const reason = err instanceof Error ? err.message : String(err);
      errors.push(new DiError('E_DI_DISPOSE', `scope '${scope}': disposing ${label} failed: ${reason}`, { scope, token: label, cause: err }));
    }
  }
  return errors;
}
