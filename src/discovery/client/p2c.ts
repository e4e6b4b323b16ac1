import { checkBalancerOptions, inRange, isFunction } from './balancer-options.js';
import type { Balancer, DoneInfo } from './balancers.js';
import type { Node } from './node.js';

/** Options of {@link P2CBalancer}. */
export interface P2COptions {
  /** Random source in [0, 1) (default `Math.random`); tests pass a seeded one. */
  random?: () => number;
  /** τ of the time-decayed averages, in ms (default 600, as in go-kratos). */
  decayMs?: number;
  /** A node left unpicked for longer than this is picked once even if it scores worse (default 3000, as in go-kratos). */
  forcePickMs?: number;
  /** Clock in ms (default `Date.now`); tests pass a fake one. */
  now?: () => number;
}

/** Per-node statistics. */
interface Stat {
  /** Latency EWMA in ms, as of `stamp`. */
  lat: number;
  /** Failure-rate EWMA in [0, 1], as of `stamp`. */
  fail: number;
  /** When `lat` and `fail` were last updated; `-Infinity` before the first `done`. */
  stamp: number;
  inflight: number;
  lastPick: number;
}

// An idle node nobody measured yet scores 0 (tried first); each call in flight to it costs
// as much as a 10 s call would, so a burst does not all land on an unknown node (go-kratos's
// penalty plays the same part).
const UNMEASURED_MS = 10_000;
// Added to every latency: differences well under a millisecond are noise, and a node that
// answers in 0 ms must still be outscored when it fails.
const FLOOR_MS = 1;
// The smallest success rate a score divides by: a node that always fails costs 100× more.
const MIN_HEALTH = 0.01;

/**
 * Power of two choices (go-kratos's `selector/p2c` over `node/ewma`): picks two distinct random
 * nodes and takes the one with the lower cost, `(latency + 1 ms) × (inflight + 1) / success rate`.
 *
 * - Latency and success rate are time-decayed EWMAs (τ = `decayMs`), updated by `done`.
 * - The latency also decays *when read*: a node that has not been measured for a while looks
 *   faster and faster until it is tried again, so one slow call does not exile it forever.
 * - A node left unpicked for more than `forcePickMs` is picked once when it is drawn, even if it
 *   scores worse; that is how a node that only failed gets a chance to show it recovered.
 * - Callers report with `start(node)` when the call begins and `done(node, info)` when it ends;
 *   an `info.error` lowers the node's success rate.
 */
export class P2CBalancer implements Balancer {
  readonly name = 'p2c';
  readonly usesKey = false;
  #nodes: readonly Node[] = [];
  // Stats parallel to #nodes (the hot path indexes them); #byNode serves `done` and subsets.
  #stats: Stat[] = [];
  #byNode = new Map<Node, Stat>();
  // The same stats by node key: a call that began before an update ends with the old Node object.
  #byKey = new Map<string, Stat>();
  // The stats of every Node object handed to `update`: a node that left and came back has new
  // stats, and calls from before it left end on the old ones, not on the calls of its return.
  #statOf = new WeakMap<Node, Stat>();
  readonly #random: () => number;
  readonly #tau: number;
  readonly #force: number;
  readonly #now: () => number;

  /** Throws `E_INVALID_OPTION` for an unknown option ("did you mean"), `decayMs` ≤ 0 or `forcePickMs` < 0. */
  constructor(opts: P2COptions = {}) {
    checkBalancerOptions('discovery.p2c', opts, {
      random: isFunction,
      decayMs: inRange(Number.MIN_VALUE, Number.MAX_VALUE),
      forcePickMs: inRange(0, Infinity),
      now: isFunction,
    });
    this.#random = opts.random ?? Math.random;
    this.#tau = opts.decayMs ?? 600;
    this.#force = opts.forcePickMs ?? 3000;
    this.#now = opts.now ?? Date.now;
  }

  /** Takes the current nodes, keeping the statistics of nodes that stay. */
  update(nodes: readonly Node[]): void {
    const old = this.#byKey;
    const now = this.#now();
    const keys = nodes.map(nodeKey);
    this.#stats = keys.map((k) => old.get(k) ?? { lat: 0, fail: 0, stamp: -Infinity, inflight: 0, lastPick: now });
    this.#byNode = new Map(nodes.map((n, i) => [n, this.#stats[i]!] as const));
    this.#byKey = new Map(keys.map((k, i) => [k, this.#stats[i]!] as const));
    nodes.forEach((n, i) => this.#statOf.set(n, this.#stats[i]!));
    this.#nodes = nodes;
  }

  /** Picks among `candidates` (default: every node); a `key` is ignored. */
  pick(candidates?: readonly Node[]): Node | undefined {
    const full = candidates === undefined || candidates === this.#nodes;
    const list = full ? this.#nodes : candidates;
    const n = list.length;
    if (n === 0) return undefined;
    const now = this.#now();
    let k = 0;
    let s: Stat;
    if (n === 1) {
      s = this.stat(list, 0, full);
    } else {
      const i = Math.floor(this.#random() * n);
      let j = Math.floor(this.#random() * (n - 1));
      if (j >= i) j++;
      const a = this.stat(list, i, full);
      const b = this.stat(list, j, full);
      const aWins = this.cost(a, now) <= this.cost(b, now);
      // The loser gets its turn if it has waited too long: a forced pick refreshes its stats.
      const loser = aWins ? b : a;
      if (now - loser.lastPick > this.#force) {
        k = aWins ? j : i;
        s = loser;
      } else {
        k = aWins ? i : j;
        s = aWins ? a : b;
      }
    }
    if (s !== UNKNOWN) s.lastPick = now;
    return list[k];
  }

  /** A call to `node` begins: it counts as in flight until `done`. */
  start(node: Node): void {
    const s = this.find(node);
    if (s !== undefined) s.inflight++;
  }

  /** A call counted by `start` never ran: it is no longer in flight, and teaches nothing. */
  release(node: Node): void {
    const s = this.find(node);
    if (s !== undefined && s.inflight > 0) s.inflight--;
  }

  /** A call to `node` ended: updates its latency and success rate. */
  done(node: Node, info: DoneInfo): void {
    const s = this.find(node);
    if (s === undefined) return; // a node from before the last update that is gone now
    if (s.inflight > 0) s.inflight--;
    const now = this.#now();
    const w = s.stamp === -Infinity ? 0 : Math.exp(-Math.max(0, now - s.stamp) / this.#tau);
    s.lat = s.lat * w + Math.max(0, info.latencyMs) * (1 - w);
    s.fail = s.fail * w + (info.error === undefined ? 0 : 1 - w);
    s.stamp = now;
  }

  private find(node: Node): Stat | undefined {
    return this.#byNode.get(node) ?? this.#statOf.get(node) ?? this.#byKey.get(nodeKey(node));
  }

  private stat(list: readonly Node[], i: number, full: boolean): Stat {
    return full ? this.#stats[i]! : (this.#byNode.get(list[i]!) ?? UNKNOWN);
  }

  private cost(s: Stat, now: number): number {
    if (s.stamp === -Infinity) return s.inflight * UNMEASURED_MS;
    const lat = s.lat * Math.exp(-Math.max(0, now - s.stamp) / this.#tau);
    return ((lat + FLOOR_MS) * (s.inflight + 1)) / Math.max(1 - s.fail, MIN_HEALTH);
  }
}

// A candidate the balancer was never told about (a caller passed a node from elsewhere): it
// scores like an unmeasured idle node, and its lastPick writes go nowhere that matters.
const UNKNOWN: Stat = { lat: 0, fail: 0, stamp: -Infinity, inflight: 0, lastPick: Infinity };

/** Identity of a node across updates. */
export function nodeKey(n: Node): string {
  return `${n.instance.id} ${n.endpoint.href}`;
}
