/**
 * The `plugboard_selector` load-balancing policy of grpc-js: one pick_first leaf per node of the
 * Selector the `discovery` resolver passes along, and a picker that asks the Selector (its
 * filters, tiers and balancer) among the connected nodes. Call duration and status go back to
 * the balancer, so P2C learns from real calls.
 */
import { connectivityState as ConnectivityState, experimental, Metadata, status, type ChannelOptions } from '@grpc/grpc-js';
import { DiscoveryError } from '../errors.js';
import { CHANNEL_OPTION, ChannelConfig, DEFAULT_ERROR_CODES, pickOptionsFromMetadata } from './grpc-config.js';
import { Reservations } from './grpc-reservation.js';
import { nodeAddress, SELECTOR_ATTRIBUTE } from './grpc-resolver.js';
import type { Node } from './node.js';
import { Selector } from './selector.js';

/** The policy's name in a service config: `{ loadBalancingConfig: [{ plugboard_selector: {} }] }`. */
export const POLICY_NAME = 'plugboard_selector';

type Picker = experimental.Picker;
type PickArgs = experimental.PickArgs;
type PickResult = experimental.PickResult;
type Leaf = experimental.LeafLoadBalancer;

class SelectorPolicyConfig implements experimental.TypedLoadBalancingConfig {
  getLoadBalancerName(): string {
    return POLICY_NAME;
  }
  toJsonObject(): object {
    return { [POLICY_NAME]: {} };
  }
  static createFromJson(_obj: unknown): SelectorPolicyConfig {
    return new SelectorPolicyConfig();
  }
}

function key(a: { host: string; port: number }): string {
  return `${a.host}:${a.port}`;
}

/** Picks through the Selector among the nodes that are connected right now. */
class SelectorPicker implements Picker {
  constructor(
    private readonly selector: Selector,
    private readonly config: ChannelConfig | undefined,
    private readonly ready: readonly Node[],
    private readonly leaves: ReadonlyMap<Node, Leaf>,
    // The ready nodes plus those still connecting: a pick that fits only these waits.
    private readonly pending: readonly Node[],
    private readonly reservations: Reservations,
  ) {}

  pick(args: PickArgs): PickResult {
    let chosen;
    try {
      const fromCall = (this.config?.opts.pickOptions ?? pickOptionsFromMetadata)(args.metadata);
      chosen = this.selector.choose(fromCall === undefined ? { among: this.ready } : { ...fromCall, among: this.ready });
    } catch (err) {
      if (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_NO_NODES') {
        // Nothing connected fits: wait only if a node still connecting would fit the same
        // pick; a call no node fits fails now instead of at its deadline.
        if (this.fitsPending(args))
          return { pickResultType: experimental.PickResultType.QUEUE, subchannel: null, status: null, onCallStarted: null, onCallEnded: null };
        return unavailable(err.message);
      }
      // Bad per-call input (an unknown filter name, a filter that threw): this call fails, named.
      const message = err instanceof Error ? `${(err as { code?: string }).code ?? 'error'}: ${err.message}` : String(err);
      return {
        pickResultType: experimental.PickResultType.DROP,
        subchannel: null,
        status: { code: status.INVALID_ARGUMENT, details: message, metadata: new Metadata() },
        onCallStarted: null,
        onCallEnded: null,
      };
    }
    const leaf = this.leaves.get(chosen.node);
    if (leaf === undefined) return unavailable(`node ${chosen.node.endpoint.host} has no connection`);
    const inner = leaf.getPicker().pick(args);
    if (inner.pickResultType !== experimental.PickResultType.COMPLETE) return inner;
    const errorCodes = this.config?.errorCodes ?? DEFAULT_CODES;
    // Count the call from its pick where the balancer can take a dropped pick back.
    const run = this.selector.balancer.release === undefined ? () => chosen.start() : this.reservations.hold(chosen);
    let started = 0;
    return {
      ...inner,
      onCallStarted: () => {
        started = performance.now();
        run();
        inner.onCallStarted?.();
      },
      onCallEnded: (code, details, metadata) => {
        const failed = errorCodes.has(code);
        chosen.done(
          failed ? { latencyMs: performance.now() - started, error: new Error(`${status[code]}: ${details}`) } : { latencyMs: performance.now() - started },
        );
        inner.onCallEnded?.(code, details, metadata);
      },
    };
  }

  /** Whether the pick that found no ready node would succeed once the connecting ones are up. */
  private fitsPending(args: PickArgs): boolean {
    if (this.pending.length === this.ready.length) return false;
    try {
      const fromCall = (this.config?.opts.pickOptions ?? pickOptionsFromMetadata)(args.metadata);
      this.selector.choose(fromCall === undefined ? { among: this.pending } : { ...fromCall, among: this.pending });
      return true;
    } catch {
      return false;
    }
  }
}

const DEFAULT_CODES: ReadonlySet<number> = new Set(DEFAULT_ERROR_CODES);

function unavailable(details: string): PickResult {
  return {
    pickResultType: experimental.PickResultType.TRANSIENT_FAILURE,
    subchannel: null,
    status: { code: status.UNAVAILABLE, details, metadata: new Metadata() },
    onCallStarted: null,
    onCallEnded: null,
  };
}

/** The policy: keeps a connection per node and publishes a {@link SelectorPicker} over the connected ones. */
class SelectorLoadBalancer implements experimental.LoadBalancer {
  readonly #helper: experimental.ChannelControlHelper;
  readonly #childHelper: experimental.ChannelControlHelper;
  #leaves = new Map<string, Leaf>();
  #selector: Selector | undefined;
  #config: ChannelConfig | undefined;
  #wasReady = new Set<Leaf>();
  readonly #reservations = new Reservations();
  #updating = false;
  #lastError: string | null = null;
  #note = '';

  constructor(helper: experimental.ChannelControlHelper) {
    this.#helper = helper;
    this.#childHelper = experimental.createChildChannelControlHelper(helper, {
      updateState: (_state, _picker, errorMessage) => {
        if (errorMessage !== null) this.#lastError = errorMessage;
        this.publish();
      },
    });
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    lbConfig: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    note: string,
  ): boolean {
    if (!(lbConfig instanceof SelectorPolicyConfig)) return false;
    if (!endpoints.ok) {
      if (this.#leaves.size === 0)
        this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker(endpoints.error), endpoints.error.details);
      return true;
    }
    const selector: unknown = options[SELECTOR_ATTRIBUTE];
    if (!(selector instanceof Selector)) {
      const details = `${POLICY_NAME} works with discovery:/// targets only (the discovery resolver passes it the selector)`;
      this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ code: status.UNAVAILABLE, details }), details);
      return true;
    }
    this.#selector = selector;
    this.#note = note;
    // The resolver passes the config it uses (the channel's own, or the process-wide default).
    const config: unknown = options[CHANNEL_OPTION];
    this.#config = config instanceof ChannelConfig ? config : undefined;
    // Leaves get the channel's own options, so subchannels are shared as usual.
    const childOptions: ChannelOptions = { ...options };
    delete childOptions[SELECTOR_ATTRIBUTE];
    delete childOptions[CHANNEL_OPTION];
    const next = new Map<string, Leaf>();
    this.#updating = true;
    for (const node of selector.nodes()) {
      const address = nodeAddress(node);
      if (address === undefined) continue;
      const k = key(address);
      if (next.has(k)) continue;
      let leaf = this.#leaves.get(k);
      if (leaf === undefined) {
        leaf = new experimental.LeafLoadBalancer({ addresses: [address] }, this.#childHelper, childOptions, note);
        leaf.startConnecting();
      }
      next.set(k, leaf);
    }
    for (const [k, leaf] of this.#leaves) {
      if (!next.has(k)) {
        leaf.destroy();
        this.#wasReady.delete(leaf);
      }
    }
    this.#leaves = next;
    this.#updating = false;
    this.publish();
    return true;
  }

  /** Publishes the channel state and a picker over the connected nodes. */
  private publish(): void {
    if (this.#updating || this.#selector === undefined) return;
    const selector = this.#selector;
    const ready: Node[] = [];
    const waiting: Node[] = [];
    const byNode = new Map<Node, Leaf>();
    let connecting = false;
    let failing = false;
    let lost = false;
    const idle: Leaf[] = [];
    for (const node of selector.nodes()) {
      const address = nodeAddress(node);
      const leaf = address === undefined ? undefined : this.#leaves.get(key(address));
      if (leaf === undefined) continue;
      const state = leaf.getConnectivityState();
      if (state === ConnectivityState.READY) {
        ready.push(node);
        byNode.set(node, leaf);
        this.#wasReady.add(leaf);
        continue;
      }
      if (this.#wasReady.delete(leaf)) lost = true;
      if (state === ConnectivityState.CONNECTING) {
        waiting.push(node);
        connecting = true;
      } else if (state === ConnectivityState.TRANSIENT_FAILURE) failing = true;
      else if (state === ConnectivityState.IDLE) {
        idle.push(leaf);
        waiting.push(node);
        connecting = true;
      }
    }
    if (ready.length > 0) {
      this.#helper.updateState(
        ConnectivityState.READY,
        new SelectorPicker(selector, this.#config, ready, byNode, waiting.length === 0 ? ready : [...ready, ...waiting], this.#reservations),
        null,
      );
    } else if (connecting) {
      this.#helper.updateState(ConnectivityState.CONNECTING, new experimental.QueuePicker(this), null);
    } else if (this.#leaves.size === 0) {
      const details = `discovery:///${selector.name}: ${this.#note || 'no instances'}`;
      this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ code: status.UNAVAILABLE, details }), details);
    } else if (failing) {
      const details = `${POLICY_NAME}: no connection to any instance of '${selector.name}'${this.#lastError === null ? '' : `; last error: ${this.#lastError}`}`;
      this.#helper.updateState(ConnectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ code: status.UNAVAILABLE, details }), details);
    } else {
      this.#helper.updateState(ConnectivityState.IDLE, new experimental.QueuePicker(this), null);
    }
    // Keep every node connected (as round_robin does), so the balancer has all of them to
    // choose from. After publishing: exitIdle may report a new state at once, which must win.
    for (const leaf of idle) leaf.exitIdle();
    // A connection that was up went down: the instance may have left; ask the resolver again.
    if (lost) this.#helper.requestReresolution();
  }

  exitIdle(): void {
    for (const leaf of this.#leaves.values()) leaf.exitIdle();
  }

  resetBackoff(): void {
    // The leaves' pick_first balancers own the backoff.
  }

  destroy(): void {
    for (const leaf of this.#leaves.values()) leaf.destroy();
    this.#leaves.clear();
    this.#wasReady.clear();
    this.#selector = undefined;
  }

  getTypeName(): string {
    return POLICY_NAME;
  }
}

/** Registers the `plugboard_selector` policy with grpc-js (idempotent). */
export function registerSelectorPolicy(): void {
  if (experimental.isLoadBalancerNameRegistered(POLICY_NAME)) return;
  experimental.registerLoadBalancerType(POLICY_NAME, SelectorLoadBalancer, SelectorPolicyConfig);
}
