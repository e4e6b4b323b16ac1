import type { ServiceInstance } from '../instance.js';

/** One endpoint of one instance, as balancers see it. */
export interface Node {
  readonly instance: ServiceInstance;
  /** The chosen endpoint URL. */
  readonly endpoint: URL;
  /** From `metadata.weight` (default 100). */
  readonly weight: number;
}

/** Default weight of a node whose instance has no `metadata.weight`. */
export const DEFAULT_WEIGHT = 100;

/**
 * Turns instances into nodes, choosing for each instance its first endpoint whose scheme is in
 * `schemes` (all schemes when empty). Instances without such an endpoint are left out.
 */
export function toNodes(instances: readonly ServiceInstance[], schemes: readonly string[] = []): Node[] {
  const nodes: Node[] = [];
  for (const instance of instances) {
    const endpoint = instance.endpoints.map((e) => new URL(e)).find((u) => schemes.length === 0 || schemes.includes(u.protocol.slice(0, -1)));
    if (endpoint === undefined) continue;
    const w = Number(instance.metadata['weight']);
    nodes.push({ instance, endpoint, weight: Number.isFinite(w) && w > 0 ? w : DEFAULT_WEIGHT });
  }
  return nodes;
}
