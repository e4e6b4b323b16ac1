/**
 * The interleaving checker's `freeze` fault: a silent partition of the run's clients from the
 * backend (nothing forwarded, nothing closed), held for the liveness bound and a little more.
 * While frozen, every client asks `getService` every 100 ms and every live watcher's health is
 * sampled; the checks:
 * - no `getService` answered past the liveness bound while still frozen: a client that cannot
 *   reach the store has nothing but its mirror, which is then older than the bound;
 * - every watcher live through the freeze showed `healthy: false` within the bound.
 * A freeze overlapping another fault (a cut's restore also thaws it) is not checked.
 */
import type { ServiceRegistry, Watcher } from '../discovery/types.js';
import { nextWithin } from './helpers.js';
import { SLACK_MS } from './partition-check.js';

/** How the run's clients are partitioned from the backend, e.g. a shared {@link TcpProxy}'s `freeze()` and `restore()`. */
export interface Partition {
  /** Stops forwarding between every client of the run and the backend, closing nothing. */
  freeze(): Promise<void>;
  /** Forwards again. */
  restore(): Promise<void>;
  /** The clients' `livenessTimeout` during the check, in ms (default 1000). */
  livenessMs?: number;
  /** Relative weight of the fault (default 1, like the others). */
  weight?: number;
}

/** The default `livenessTimeout` of the runs' clients when a partition is given. */
export const FREEZE_LIVENESS_MS = 1000;

/** What the fault looks at. */
export interface FreezeView {
  readonly clients: readonly ServiceRegistry[];
  readonly closed: readonly boolean[];
  readonly name: string;
  /** The run's watchers so far. */
  watchers(): readonly Watcher[];
  /** How many faults have started so far (this one included) and ended: to tell an overlap. */
  faults(): { started: number; ended: number };
}

/** Runs the freeze; resolves with what went wrong (empty when all is well). */
export async function freezeFault(p: Partition, v: FreezeView): Promise<string[]> {
  const livenessMs = p.livenessMs ?? FREEZE_LIVENESS_MS;
  const before = v.faults();
  // A watcher of our own on every open client, with its first list, so that each freeze has a
  // mirror to go stale (the run's own watchers may not exist yet). One that gets no list in
  // time (another fault is on) is simply not checked.
  const own: Watcher[] = [];
  await Promise.all(
    v.clients.map(async (c, i) => {
      if (v.closed[i] === true) return;
      const w = await c.watch(v.name).catch(() => undefined);
      if (w === undefined) return;
      own.push(w);
      await nextWithin(w, livenessMs * 3).catch(() => w.stop());
    }),
  );
  await p.freeze();
  const frozenAt = Date.now();
  const bound = frozenAt + livenessMs + SLACK_MS;
  const seenUnhealthy = new Set<Watcher>();
  const live = new Set<Watcher>([...v.watchers(), ...own].filter((w) => !w.stopped));
  const late: string[] = [];
  let restoredAt = Infinity;
  const asked: Array<Promise<void>> = [];
  try {
    while (Date.now() < bound + 300) {
      for (const w of live) if (!w.health.healthy) seenUnhealthy.add(w);
      v.clients.forEach((c, i) => {
        if (v.closed[i] === true) return;
        asked.push(
          c.getService(v.name).then(
            (list) => {
              const at = Date.now();
              if (at > bound && at < restoredAt) late.push(`client ${i}'s getService answered ${list.length} instance(s) ${at - frozenAt} ms into the freeze`);
            },
            () => undefined, // failing is what a partitioned client should do past the bound
          ),
        );
      });
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    restoredAt = Date.now();
    await p.restore();
  }
  await Promise.all(asked);
  const deaf = [...live].filter((w) => !w.stopped && !seenUnhealthy.has(w));
  for (const w of own) w.stop();
  const after = v.faults();
  const overlapped = before.started - before.ended !== 1 || after.started !== before.started;
  if (overlapped) return [];
  return [
    ...late,
    ...(deaf.length === 0
      ? []
      : [`${deaf.length} watcher(s) stayed healthy through ${restoredAt - frozenAt} ms of silence (livenessTimeout ${livenessMs} ms)`]),
  ];
}
