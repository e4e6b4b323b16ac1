import { checkBalancerOptions, inRange, isFunction } from './balancer-options.js';
import type { Balancer, DoneInfo } from './balancers.js';
import { boundedWeight, type Node } from './node.js';
import { nodeKey } from './p2c.js';

/** Options of {@link RingHashBalancer}. */
export interface RingHashOptions {
  /** Points on the ring per node of weight 100 (default 100, at most 1000); a node's share follows its weight. */
  replicas?: number;
  /** Load bound `c` (≥ 1): no node takes a call while it carries `c ×` the average in-flight load or more (default 1.25). */
  loadFactor?: number;
  /** Random source for picks without a key (default `Math.random`). */
  random?: () => number;
}

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, 2016), counting calls
 * in flight as the load, as HAProxy and Vimeo do.
 *
 * - A key hashes to a point on a ring of `replicas` points per node (more for heavier nodes);
 *   the call goes to the first node clockwise whose load after the call would stay within
 *   `ceil(loadFactor × (calls in flight + 1) / nodes)`.
 * - So the same key reaches the same node while the node set is unchanged and that node is not
 *   overloaded, and a node joining or leaving moves only about 1/n of the keys.
 * - A pick without a key uses a random point: load stays bounded, nothing is sticky.
 * - Report calls with `start(node)` and `done(node)`; without them every load is 0 and the
 *   bound never applies (picks are plain consistent hashing).
 */
export class RingHashBalancer implements Balancer {
  readonly name = 'ring-hash';
  readonly usesKey = true;
  #nodes: readonly Node[] = [];
  #index = new Map<Node, number>();
  // The same by node key: a call that began before an update ends with the old Node object.
  #keyIndex = new Map<string, number>();
  // Which stay of a node each Node object belongs to. A node that left and came back is a new
  // stay: calls of its earlier stay must not end the calls of this one (see `find`).
  #stay = new Int32Array(0);
  #stayOf = new WeakMap<Node, number>();
  #stays = 0;
  // The ring: sorted points and, for each point, the index of the node that owns it.
  #points = new Uint32Array(0);
  #owners = new Int32Array(0);
  #load = new Int32Array(0);
  #total = 0;
  // Marks the candidates of a subset pick: #mark[i] === #gen means node i may be chosen.
  #mark = new Uint32Array(0);
  #gen = 0;
  readonly #replicas: number;
  readonly #c: number;
  readonly #random: () => number;

  /** Throws `E_INVALID_OPTION` for an unknown option ("did you mean"), `loadFactor` < 1, or `replicas` outside 1–1000. */
  constructor(opts: RingHashOptions = {}) {
    // Below 1, a node already carrying the average could never be picked, even the only one.
    checkBalancerOptions('discovery.ring-hash', opts, { replicas: inRange(1, 1000, true), loadFactor: inRange(1, Infinity), random: isFunction });
    this.#replicas = opts.replicas ?? 100;
    this.#c = opts.loadFactor ?? 1.25;
    this.#random = opts.random ?? Math.random;
  }

  /** Rebuilds the ring; nodes that stay keep their load and their points. */
  update(nodes: readonly Node[]): void {
    const oldLoad = new Map<string, number>();
    const oldStay = new Map<string, number>();
    for (const [k, i] of this.#keyIndex) {
      oldLoad.set(k, this.#load[i]!);
      oldStay.set(k, this.#stay[i]!);
    }
    const pts: Array<[number, number]> = [];
    nodes.forEach((n, i) => {
      const key = nodeKey(n);
      // Bounded again here: a Node built by hand bypasses toNodes's clamp.
      const count = Math.max(1, Math.round((this.#replicas * boundedWeight(n.weight)) / 100));
      for (let r = 0; r < count; r++) pts.push([hash32(`${key}#${r}`), i]);
    });
    pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#points = Uint32Array.from(pts, (p) => p[0]);
    this.#owners = Int32Array.from(pts, (p) => p[1]);
    this.#load = Int32Array.from(nodes, (n) => oldLoad.get(nodeKey(n)) ?? 0);
    this.#total = this.#load.reduce((s, x) => s + x, 0);
    this.#mark = new Uint32Array(nodes.length);
    this.#index = new Map(nodes.map((n, i) => [n, i] as const));
    this.#keyIndex = new Map(nodes.map((n, i) => [nodeKey(n), i] as const));
    this.#stay = Int32Array.from(nodes, (n) => oldStay.get(nodeKey(n)) ?? ++this.#stays);
    nodes.forEach((n, i) => this.#stayOf.set(n, this.#stay[i]!));
    this.#nodes = nodes;
  }

  /** The node for `key` among `candidates` (default: all), skipping nodes at the load bound. */
  pick(candidates?: readonly Node[], key?: string): Node | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    const load = this.#load;
    let count: number;
    let total: number;
    let mark: Uint32Array | undefined;
    if (candidates === undefined || candidates === this.#nodes) {
      count = this.#nodes.length;
      total = this.#total;
    } else {
      mark = this.#mark;
      const gen = this.nextGen();
      count = 0;
      total = 0;
      for (const c of candidates) {
        const i = this.#index.get(c);
        if (i === undefined || mark[i] === gen) continue;
        mark[i] = gen;
        count++;
        total += load[i]!;
      }
      if (count === 0) return undefined;
    }
    const cap = Math.ceil((this.#c * (total + 1)) / count);
    const h = key === undefined ? (this.#random() * 0x1_0000_0000) >>> 0 : hash32(key);
    // First point at or after h (wrapping to 0).
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const gen = this.#gen;
    // Some candidate is under the cap (they cannot all be at it: count × cap > total), so one
    // lap of the ring finds it.
    for (let step = 0, p = lo; step < points.length; step++, p++) {
      if (p === points.length) p = 0;
      const o = this.#owners[p]!;
      if (mark !== undefined && mark[o] !== gen) continue;
      if (load[o]! + 1 <= cap) return this.#nodes[o];
    }
    return undefined;
  }

  /** A call to `node` begins: it adds to the node's load. */
  start(node: Node): void {
    const i = this.find(node);
    if (i === undefined) return;
    this.#load[i]!++;
    this.#total++;
  }

  /** A call to `node` ended. */
  done(node: Node, _info?: DoneInfo): void {
    const i = this.find(node);
    if (i === undefined || this.#load[i]! === 0) return;
    this.#load[i]!--;
    this.#total--;
  }

  /** A call counted by `start` never ran: its load is taken back. */
  release(node: Node): void {
    this.done(node);
  }

  /** Calls in flight per node, by instance id and endpoint (for tests and diagnostics). */
  loads(): Map<Node, number> {
    return new Map(this.#nodes.map((n, i) => [n, this.#load[i]!] as const));
  }

  /** The index of `node`: itself, or the same node (by key) in the same stay. */
  private find(node: Node): number | undefined {
    const i = this.#index.get(node);
    if (i !== undefined) return i;
    const k = this.#keyIndex.get(nodeKey(node));
    if (k === undefined) return undefined;
    const stay = this.#stayOf.get(node);
    return stay === undefined || stay === this.#stay[k] ? k : undefined;
  }

  private nextGen(): number {
    this.#gen = (this.#gen + 1) >>> 0;
    if (this.#gen === 0) {
      this.#mark.fill(0);
      this.#gen = 1;
    }
    return this.#gen;
  }
}

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so nearby keys spread over the ring. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
