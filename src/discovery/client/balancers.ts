import { closestName } from '../../container/names.js';
import { DiscoveryError } from '../errors.js';
import type { Node } from './node.js';
import { nodeKey, P2CBalancer } from './p2c.js';
import { RingHashBalancer } from './ring-hash.js';

export { P2CBalancer, type P2COptions } from './p2c.js';
export { RingHashBalancer, type RingHashOptions } from './ring-hash.js';

/** What the caller reports after using a picked node. */
export interface DoneInfo {
  /** How long the call took, in ms. */
  latencyMs: number;
  /** Set when the call failed in a way that says something about the node (P2C lowers its score). */
  error?: unknown;
}

/**
 * Chooses one node per call. `update` gets the full current list; `pick` chooses among a subset
 * of it (the nodes left by per-call filters or tiers), or among all of them when `candidates`
 * is omitted. Balancers that count calls in flight (P2C, ring-hash) hear about them through
 * `start` and `done`.
 */
export interface Balancer {
  readonly name: string;
  /** Whether `pick` uses its `key` (ring-hash); the others ignore it. */
  readonly usesKey?: boolean;
  /** Takes the current nodes (after the selector's filters), keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void;
  /**
   * A node among `candidates` (a subset of the last `update`'s nodes; all of them when omitted),
   * or `undefined` when there are none. `key` routes sticky calls on key-aware balancers.
   */
  pick(candidates?: readonly Node[], key?: string): Node | undefined;
  /** A call to `node` (as returned by `pick`) begins. */
  start?(node: Node): void;
  /** The call ended: feedback for the node `pick` returned. */
  done?(node: Node, info: DoneInfo): void;
  /**
   * A call counted by `start` never ran (the transport dropped the pick): undo the count, with
   * no feedback. Transports count a call from its pick only when the balancer has this.
   */
  release?(node: Node): void;
}

/** Round-robin over the nodes, in list order. */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  readonly usesKey = false;
  #nodes: readonly Node[] = [];
  #next = 0;

  /** Takes the current nodes. */
  update(nodes: readonly Node[]): void {
    this.#nodes = nodes;
    if (this.#next >= nodes.length) this.#next = 0;
  }

  pick(candidates?: readonly Node[]): Node | undefined {
    const list = candidates ?? this.#nodes;
    const n = list.length;
    if (n === 0) return undefined;
    if (this.#next >= n) this.#next = 0;
    const node = list[this.#next]!;
    this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
    return node;
  }
}

/** A uniformly random node. */
export class RandomBalancer implements Balancer {
  readonly name = 'random';
  readonly usesKey = false;
  #nodes: readonly Node[] = [];
  constructor(private readonly random: () => number = Math.random) {}

  /** Takes the current nodes. */
  update(nodes: readonly Node[]): void {
    this.#nodes = nodes;
  }

  pick(candidates?: readonly Node[]): Node | undefined {
    const list = candidates ?? this.#nodes;
    const n = list.length;
    return n === 0 ? undefined : list[Math.floor(this.random() * n)];
  }
}

/**
 * Smooth weighted round-robin (nginx's): over any window of `sum(weights)` picks, each node is
 * chosen exactly `weight` times, interleaved rather than in bursts. Weight comes from
 * `metadata.weight` (default 100). Over a subset, the same running state is used, as nginx
 * does when it skips peers that are down.
 */
export class WeightedRoundRobinBalancer implements Balancer {
  readonly name = 'weighted-round-robin';
  readonly usesKey = false;
  #nodes: readonly Node[] = [];
  #current: Float64Array = new Float64Array(0);
  #index = new Map<Node, number>();
  #total = 0;

  /** Takes the current nodes, keeping the running state of nodes that stay. */
  update(nodes: readonly Node[]): void {
    // Keep the running state of nodes that stay, so an update does not reset the rotation.
    const old = new Map(this.#nodes.map((n, i) => [nodeKey(n), this.#current[i]!]));
    this.#nodes = nodes;
    this.#current = Float64Array.from(nodes, (n) => old.get(nodeKey(n)) ?? 0);
    this.#index = new Map(nodes.map((n, i) => [n, i] as const));
    this.#total = nodes.reduce((s, n) => s + n.weight, 0);
  }

  pick(candidates?: readonly Node[]): Node | undefined {
    const cur = this.#current;
    if (candidates === undefined || candidates === this.#nodes) {
      const nodes = this.#nodes;
      if (nodes.length === 0) return undefined;
      let best = 0;
      for (let i = 0; i < nodes.length; i++) {
        cur[i]! += nodes[i]!.weight;
        if (cur[i]! > cur[best]!) best = i;
      }
      cur[best]! -= this.#total;
      return nodes[best];
    }
    let best = -1;
    let total = 0;
    for (const node of candidates) {
      const i = this.#index.get(node);
      if (i === undefined) continue;
      cur[i]! += node.weight;
      total += node.weight;
      if (best < 0 || cur[i]! > cur[best]!) best = i;
    }
    if (best < 0) return candidates[0];
    cur[best]! -= total;
    return this.#nodes[best];
  }
}

/** Balancer names accepted by `Selector` and {@link createBalancer}. */
export type BalancerName = 'round-robin' | 'random' | 'weighted-round-robin' | 'p2c' | 'ring-hash';

/** The names {@link createBalancer} knows. */
export const BALANCER_NAMES: readonly BalancerName[] = Object.freeze(['round-robin', 'random', 'weighted-round-robin', 'p2c', 'ring-hash']);

/** A new balancer by name. An unknown name throws `E_DISCOVERY_UNKNOWN`, listing the known ones. */
export function createBalancer(name: BalancerName): Balancer {
  switch (name) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'random':
      return new RandomBalancer();
    case 'weighted-round-robin':
      return new WeightedRoundRobinBalancer();
    case 'p2c':
      return new P2CBalancer();
    case 'ring-hash':
      return new RingHashBalancer();
    default:
      throw unknownName('balancer', name, BALANCER_NAMES);
  }
}

/** `E_DISCOVERY_UNKNOWN` for an unknown balancer or filter name, with the known ones and the closest. */
export function unknownName(what: string, name: unknown, known: readonly string[]): DiscoveryError {
  const near = typeof name === 'string' ? closestName(name, known) : undefined;
  return new DiscoveryError(
    'E_DISCOVERY_UNKNOWN',
    `unknown ${what} '${String(name)}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${known.join(', ')}`,
    { key: String(name) },
  );
}
