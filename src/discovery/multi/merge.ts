/** How a multi registry combines what its sources report: by instance id, the first source winning. */
import type { ServiceInstance } from '../instance.js';
import type { SourceHealth, WatchHealth } from '../types.js';
import { sortInstances } from '../driver/codec.js';

/**
 * One list from the sources' lists (given in source order; `undefined` for a source with no
 * list yet): every id once, taken from the first source that has it, sorted by id.
 */
export function mergeById(lists: ReadonlyArray<readonly ServiceInstance[] | undefined>): ServiceInstance[] {
  const byId = new Map<string, ServiceInstance>();
  for (const list of lists) for (const i of list ?? []) if (!byId.has(i.id)) byId.set(i.id, i);
  return sortInstances(byId.values());
}

/**
 * The health a merged watcher shows: healthy while every source is, else the first degraded
 * source's error (its message naming the source); `since` is when that overall state began.
 */
export function mergeHealth(sources: readonly SourceHealth[], since: number): WatchHealth {
  const bad = sources.find((s) => !s.healthy);
  if (bad === undefined) return { healthy: true, since, sources };
  const error = new Error(`source '${bad.source}': ${bad.error?.message ?? 'unhealthy'}`, { cause: bad.error });
  return { healthy: false, error, since, sources };
}
