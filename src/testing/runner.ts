import { DiscoveryError } from '../discovery/errors.js';

/** The four functions (unbound, as the runners' globals are) of a BDD test runner the suites need (mocha, node:test, vitest and jest all have them). */
export interface BddRunner {
  /** Groups tests. */
  describe: (title: string, fn: () => void) => unknown;
  /** One test. */
  it: (title: string, fn: () => Promise<void>) => unknown;
  /** Runs before each test of the group. */
  beforeEach: (fn: () => Promise<void> | void) => unknown;
  /** Runs after each test of the group. */
  afterEach: (fn: () => Promise<void> | void) => unknown;
}

/** `runner`, or the runner's globals; a clear error when there are none. */
export function bdd(runner: BddRunner | undefined): BddRunner {
  if (runner !== undefined) return runner;
  const g = globalThis as unknown as Partial<BddRunner>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.beforeEach !== 'function' || typeof g.afterEach !== 'function') {
    throw new DiscoveryError(
      'E_DISCOVERY_MISUSE',
      "plugboard/testing: no test runner found: run the suite under mocha (or jest, vitest), or pass { describe, it, beforeEach, afterEach } (e.g. from 'node:test')",
    );
  }
  return g as BddRunner;
}
