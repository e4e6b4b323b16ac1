import type { ServiceInstance } from '../instance.js';

/** One endpoint of one instance, as balancers see it. */
export interface Node {
  readonly instance: ServiceInstance;
  /** The chosen endpoint URL. */
  readonly endpoint: URL;
  /** From `metadata.weight` (default 100), clamped to 1–10000. */
  readonly weight: number;
}

/** Default weight of a node whose instance has no `metadata.weight`. */
export const DEFAULT_WEIGHT = 100;
/** Largest weight a node gets (100× the default). */
export const MAX_WEIGHT = 10_000;

/**
 * A usable weight from `metadata.weight`: any registrant writes it, so it is bounded. Missing,
 * non-numeric, infinite, zero or negative gives {@link DEFAULT_WEIGHT}; the rest is clamped to
 * 1–{@link MAX_WEIGHT}, so sums cannot overflow (smooth WRR) and a ring cannot explode (ring-hash).
 */
export function boundedWeight(raw: unknown): number {
  const w = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(w) || w <= 0) return DEFAULT_WEIGHT;
  return Math.min(Math.max(w, 1), MAX_WEIGHT);
}

/**
 * An endpoint as a URL, or `undefined` when it is not a URL with a host. Endpoints read from a
 * store are kept as written (kratos may write `unix:///x.sock` or Go's `[fe80::1%25eth0]`), so
 * clients skip, endpoint by endpoint, the ones they cannot use, as kratos's selector does.
 */
export function endpointUrl(endpoint: string): URL | undefined {
  try {
    const url = new URL(endpoint);
    return url.host === '' ? undefined : url;
  } catch {
    return undefined;
  }
}

/**
 * Turns instances into nodes, choosing for each instance its first usable endpoint whose
 * scheme is in `schemes` (all schemes when empty). Instances without such an endpoint are left out.
 */
export function toNodes(instances: readonly ServiceInstance[], schemes: readonly string[] = []): Node[] {
  const nodes: Node[] = [];
  for (const instance of instances) {
    let endpoint: URL | undefined;
    for (const e of instance.endpoints) {
      const u = endpointUrl(e);
      if (u !== undefined && (schemes.length === 0 || schemes.includes(u.protocol.slice(0, -1)))) {
        endpoint = u;
        break;
      }
    }
    if (endpoint === undefined) continue;
    nodes.push({ instance, endpoint, weight: boundedWeight(instance.metadata['weight']) });
  }
  return nodes;
}
