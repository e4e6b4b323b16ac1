/** Retry timing of every loop of the kit: capped, jittered exponential backoff. */
export interface RetryPolicy {
  /** First delay, in ms. */
  readonly minMs: number;
  /** Largest delay, in ms. */
  readonly maxMs: number;
}

/** The default: 200 ms, doubling up to 5 s. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ minMs: 200, maxMs: 5000 });

/** The n-th delay (n ≥ 0): between half and all of min·2ⁿ, at most max. Jitter keeps a fleet from retrying in step. */
export function backoff(n: number, policy: RetryPolicy): number {
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(n, 20));
  return base / 2 + Math.random() * (base / 2);
}
