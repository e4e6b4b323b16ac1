import { AsyncLocalStorage } from 'node:async_hooks';
import { Scope } from './scope.js';

/**
 * Process-wide state lives on `globalThis` under a `Symbol.for` key, so that the ESM and CJS
 * builds (or two installed copies) share one default scope. Created lazily: importing
 * plugboard has no side effects.
 */
const KEY = Symbol.for('plugboard.defaultScope.v1');

interface GlobalScopeState {
  scope: Scope | undefined;
  als: AsyncLocalStorage<Scope>;
}

function state(): GlobalScopeState {
  const g = globalThis as unknown as Record<symbol, GlobalScopeState | undefined>;
  return (g[KEY] ??= { scope: undefined, als: new AsyncLocalStorage<Scope>() });
}

/**
 * The scope decorators and helpers write into by default: the one set by {@link withScope}
 * for the current async context, else the process-wide scope.
 */
export function defaultScope(): Scope {
  const s = state();
  return s.als.getStore() ?? (s.scope ??= new Scope('default'));
}

/** Replaces the process-wide default scope; returns the previous one. */
export function setDefaultScope(scope: Scope): Scope {
  const previous = defaultScope();
  state().scope = scope;
  return previous;
}

/** Replaces the process-wide default scope with a fresh, empty one; returns it. */
export function resetDefaultScope(): Scope {
  const fresh = new Scope('default');
  state().scope = fresh;
  return fresh;
}

/** Runs `fn` with `scope` as the default scope for everything in its async context. */
export function withScope<T>(scope: Scope, fn: () => T): T {
  return state().als.run(scope, fn);
}
