/** Capped, jittered exponential backoff: the n-th delay (n ≥ 0), between half and all of min·2ⁿ (at most max). */
export function backoff(n: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(n, 20));
  return base / 2 + Math.random() * (base / 2);
}

/** A promise resolved after `ms`, whose timer does not hold the process open. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
