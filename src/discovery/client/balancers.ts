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
 * EWMA decays with time (τ = `decayMs`), so a node that was slow long ago recovers.
 */
export class P2CBalancer implements Balancer {
  readonly name = 'p2c';
  #nodes: readonly Node[] = [];
  #stats = new Map<string, P2CStat>();

  constructor(
    private readonly random: () => number = Math.random,
    private readonly decayMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(nodes: readonly Node[]): void {
    this.#nodes = nodes;
    const keep = new Set(nodes.map(nodeKey));
    for (const k of this.#stats.keys()) if (!keep.has(k)) this.#stats.delete(k);
  }

  pick(): Node | undefined {
    const nodes = this.#nodes;
    const n = nodes.length;
    if (n === 0) return undefined;
    if (n === 1) return this.chosen(nodes[0]!);
    const i = Math.floor(this.random() * n);
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j++;
    const a = nodes[i]!;
    const b = nodes[j]!;
    return this.chosen(this.score(a) <= this.score(b) ? a : b);
  }

  done(node: Node, info: DoneInfo): void {
    const s = this.stat(node);
    if (s.inflight > 0) s.inflight--;
    const now = this.now();
    const w = Math.exp(-(now - s.stamp) / this.decayMs);
    // An error counts as a slow call, so failing nodes are avoided too.
    const latency = info.error === undefined ? info.latencyMs : Math.max(info.latencyMs, s.ewma * 2, 1000);
    s.ewma = s.stamp === 0 ? latency : s.ewma * w + latency * (1 - w);
    s.stamp = now;
  }

  private score(node: Node): number {
    const s = this.#stats.get(nodeKey(node));
    return s === undefined ? 0 : s.ewma * (s.inflight + 1);
  }

  private chosen(node: Node): Node {
    this.stat(node).inflight++;
    return node;
  }

  private stat(node: Node): P2CStat {
    const k = nodeKey(node);
    let s = this.#stats.get(k);
    if (s === undefined) {
      s = { ewma: 0, stamp: 0, inflight: 0 };
      this.#stats.set(k, s);
    }
    return s;
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
