/**
 * Beats every confirmed instance of a client at the driver's interval, for backends whose
 * liveness is per instance (Consul's TTL check, memory's TTL). One loop per client, owned by
 * the kit: there is no per-registration timer that could outlive its registration. An instance
 * the store forgot (`'lost'`) is handed back to the reconciler, which writes it again; a beat
 * that fails is retried sooner, with backoff, but never later than the interval.
 */
import { sleep } from './abort.js';
import { backoff, type RetryPolicy } from './backoff.js';
import type { DriverHeartbeat } from './driver.js';
import type { Reconciler } from './reconciler.js';

/** Runs until `closed` fires. Resolves then. */
export async function runHeartbeat(
  hb: DriverHeartbeat,
  reconciler: Reconciler,
  retry: RetryPolicy,
  closed: AbortSignal,
  onError: (err: unknown, failures: number) => void,
  onOk: () => void,
): Promise<void> {
  let failures = 0;
  while (await sleep(failures === 0 ? hb.intervalMs : Math.min(hb.intervalMs, backoff(failures - 1, retry)), closed)) {
    const instances = reconciler.confirmed();
    const results = await Promise.allSettled(instances.map((i) => hb.beat(i, closed)));
    if (closed.aborted) return;
    const lost = instances.filter((_, n) => results[n]!.status === 'fulfilled' && (results[n] as PromiseFulfilledResult<string>).value === 'lost');
    if (lost.length > 0) reconciler.invalidate(lost);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) {
      if (failures > 0) onOk();
      failures = 0;
    } else onError(failed.reason, ++failures);
  }
}
