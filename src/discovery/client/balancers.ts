import type { Node } from './node.js';

/** What the caller reports after using a picked node. */
export interface DoneInfo {
  /** How long the call took, in ms. */
  latencyMs: number;
  error?: unknown;
}

/** Chooses one node per call. `update` gets the full current list. */
export interface Balancer {
  readonly name: string;
  /** Takes the current nodes (after filters), keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void;
  /** A node, or `undefined` when there are none. */
  pick(): Node | undefined;
  /** Feedback for the node `pick` returned (P2C uses it; others ignore it). */
  done?(node: Node, info: DoneInfo): void;
}

/** Round-robin over the nodes, in list order. */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  #nodes: readonly Node[] = [];
  #next = 0;

  /** Takes the current nodes, keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void {
    this.#nodes = nodes;
    if (this.#next >= nodes.length) this.#next = 0;
  }

  pick(): Node | undefined {
    const n = this.#nodes.length;
    if (n === 0) return undefined;
    const node = this.#nodes[this.#next]!;
    this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
    return node;
  }
}

/** A uniformly random node. */
export class RandomBalancer implements Balancer {
  readonly name = 'random';
  #nodes: readonly Node[] = [];
  constructor(private readonly random: () => number = Math.random) {}

  /** Takes the current nodes, keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void {
    this.#nodes = nodes;
  }

  pick(): Node | undefined {
    const n = this.#nodes.length;
    return n === 0 ? undefined : this.#nodes[Math.floor(this.random() * n)];
  }
}

/**
 * Smooth weighted round-robin (nginx's): over any window of `sum(weights)` picks, each node is
 * chosen exactly `weight` times, interleaved rather than in bursts. Weight comes from
 * `metadata.weight` (default 100).
 */
export class WeightedRoundRobinBalancer implements Balancer {
  readonly name = 'weighted-round-robin';
  #nodes: readonly Node[] = [];
  #current: Float64Array = new Float64Array(0);
  #total = 0;

  /** Takes the current nodes, keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void {
    // Keep the running state of nodes that stay, so an update does not reset the rotation.
    const old = new Map(this.#nodes.map((n, i) => [nodeKey(n), this.#current[i]!]));
    this.#nodes = nodes;
    this.#current = Float64Array.from(nodes, (n) => old.get(nodeKey(n)) ?? 0);
    this.#total = nodes.reduce((s, n) => s + n.weight, 0);
  }

  pick(): Node | undefined {
    const nodes = this.#nodes;
    const cur = this.#current;
    if (nodes.length === 0) return undefined;
    let best = 0;
    for (let i = 0; i < nodes.length; i++) {
      cur[i]! += nodes[i]!.weight;
      if (cur[i]! > cur[best]!) best = i;
    }
    cur[best]! -= this.#total;
    return nodes[best];
  }
}

interface P2CStat {
  ewma: number; // ms
  stamp: number; // last update, ms
  inflight: number;
}

/**
 * Power of two choices with EWMA latency: picks two distinct random nodes and takes the one
 * with the lower `ewma latency × (inflight + 1)`. Callers report latency with `done`. The
 * EWMA is time-weighted (τ = `decayMs`, 600 ms as in go-kratos), so a node that was slow long
 * ago recovers. A node never reported on scores 0 and is tried first.
 */
export class P2CBalancer implements Balancer {
  readonly name = 'p2c';
  #nodes: readonly Node[] = [];
  // Stats parallel to #nodes (indexed on the hot path); `done` finds its node through #index.
  #stats: P2CStat[] = [];
  #index = new Map<Node, number>();

  constructor(
    private readonly random: () => number = Math.random,
    private readonly decayMs = 600,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the current nodes, keeping per-node state for nodes that stay. */
  update(nodes: readonly Node[]): void {
    // Carry each surviving node's stats over by key, so an update does not forget latencies.
    const byKey = new Map(this.#nodes.map((n, i) => [nodeKey(n), this.#stats[i]!] as const));
    this.#stats = nodes.map((n) => byKey.get(nodeKey(n)) ?? { ewma: 0, stamp: 0, inflight: 0 });
    this.#index = new Map(nodes.map((n, i) => [n, i] as const));
    this.#nodes = nodes;
  }

  pick(): Node | undefined {
    const n = this.#nodes.length;
    if (n === 0) return undefined;
    let k = 0;
    if (n > 1) {
      const i = Math.floor(this.random() * n);
      let j = Math.floor(this.random() * (n - 1));
      if (j >= i) j++;
      const a = this.#stats[i]!;
      const b = this.#stats[j]!;
      k = a.ewma * (a.inflight + 1) <= b.ewma * (b.inflight + 1) ? i : j;
    }
    this.#stats[k]!.inflight++;
    return this.#nodes[k];
  }

  done(node: Node, info: DoneInfo): void {
    const i = this.#index.get(node);
    if (i === undefined) return; // a node from before the last update that is gone now
    const s = this.#stats[i]!;
    if (s.inflight > 0) s.inflight--;
    const now = this.now();
    const w = Math.exp(-(now - s.stamp) / this.decayMs);
    // An error counts as a slow call, so failing nodes are avoided too.
    const latency = info.error === undefined ? info.latencyMs : Math.max(info.latencyMs, s.ewma * 2, 1000);
    s.ewma = s.stamp === 0 ? latency : s.ewma * w + latency * (1 - w);
    s.stamp = now;
  }
}

function nodeKey(n: Node): string {
  return `${n.instance.id} ${n.endpoint.href}`;
}

/** Balancer names accepted by `Selector`. */
export type BalancerName = 'round-robin' | 'random' | 'weighted-round-robin' | 'p2c';

/** A new balancer by name. */
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
  }
}
