import type { Balancer, DoneInfo } from './balancers.js';
import type { NodeFilter } from './filters.js';
import type { Node } from './node.js';

/** A filter, or its text form for `parseFilter` (`version:v2`, `metadata:zone=eu`). */
export type FilterLike = NodeFilter | string;

/** One fallback tier: the nodes its filters leave, tried before the next tier. */
export interface Tier {
  /** Shown in `Selection.tierName` and in errors (default `tier <index>`). */
  readonly name?: string;
  /** Filters of this tier, applied after the selector's and the pick's own `filters`. */
  readonly filters: readonly FilterLike[];
}

/** Options of one pick (`Selector.pick`, `select`, `choose`). */
export interface PickOptions {
  /** Filters for this pick only, after the selector's own filters (and before any tier's). */
  readonly filters?: readonly FilterLike[];
  /**
   * Ordered fallback tiers (canary → stable; zone → region → anywhere): the first tier that
   * leaves at least one node serves the pick. Replaces the selector's `tiers` for this pick.
   */
  readonly tiers?: readonly Tier[];
  /** Routing key of key-aware balancers (`ring-hash`): the same key goes to the same node. Other balancers ignore it. */
  readonly key?: string;
  /**
   * Restricts the pick to these nodes (a subset of `selector.nodes()`), before filters and
   * tiers; transports pass the nodes they are connected to.
   */
  readonly among?: readonly Node[];
}

/**
 * The result of `Selector.select` / `choose`: the node, the tier that served it, and the
 * feedback methods bound to the balancer that chose it. `done` is reported once.
 */
export class Selection {
  #started = false;
  #ended = false;

  constructor(
    /** The chosen node. */
    readonly node: Node,
    /** Index of the tier that served the pick (0 without tiers). */
    readonly tier: number,
    /** That tier's name; `undefined` without tiers. */
    readonly tierName: string | undefined,
    private readonly balancer: Balancer,
  ) {}

  /** The call begins (`select` has already done this; `choose` leaves it to the caller). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.balancer.start?.(this.node);
  }

  /**
   * The call counted by `start` never ran (the transport dropped the pick): its count is taken
   * back without feedback, through the balancer's `release`. A later `start` counts it again.
   */
  release(): void {
    if (!this.#started || this.#ended) return;
    this.#started = false;
    this.balancer.release?.(this.node);
  }

  /** The call ended: latency and, for a failure, the error. Later calls are ignored. */
  done(info: DoneInfo): void {
    if (this.#ended) return;
    this.#ended = true;
    this.balancer.done?.(this.node, info);
  }
}
