/**
 * The chain of async providers whose factories are running, carried across `await`s with
 * AsyncLocalStorage. Synchronous cycles are caught by the construction frames; a cycle through
 * async factories (A's factory awaits B, B's awaits A) would instead wait on itself forever,
 * so `scope.resolve` checks this chain before it awaits a pending provider.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const EMPTY: readonly object[] = Object.freeze([]);
let storage: AsyncLocalStorage<readonly object[]> | undefined; // created on first use: no work at import

/** The providers whose async factories the current async context runs inside, outermost first. */
export function asyncPath(): readonly object[] {
  return storage?.getStore() ?? EMPTY;
}

/** Calls `fn` (a provider's factory) with `record` appended to the async path. */
export function withinAsyncPath<T>(record: object, fn: () => T): T {
  return (storage ??= new AsyncLocalStorage()).run([...asyncPath(), record], fn);
}
