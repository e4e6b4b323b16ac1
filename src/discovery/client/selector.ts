import { closestName } from '../../container/names.js';
import { InvalidOptionError } from '../../container/errors.js';
import { abortable, sleep } from '../driver/abort.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { Discovery, Watcher } from '../types.js';
import { createBalancer, type Balancer, type BalancerName, type DoneInfo } from './balancers.js';
import { describeFilter, parseFilter, runFilter, type NodeFilter } from './filters.js';
import { toNodes, type Node } from './node.js';
import { Selection, type FilterLike, type PickOptions, type Tier } from './selection.js';

export { Selection, type FilterLike, type PickOptions, type Tier } from './selection.js';

/** Options of a {@link Selector}. */
export interface SelectorOptions {
  discovery: Discovery;
  /** The service to follow. */
  name: string;
  /** A balancer or its name (default `'round-robin'`); an unknown name throws `E_DISCOVERY_UNKNOWN`. */
  balancer?: Balancer | BalancerName;
  /** Filters every pick goes through, applied when the watcher delivers a list. */
  filters?: NodeFilter[];
  /** Fallback tiers of every pick that gives no `tiers` of its own. */
  tiers?: Tier[];
  /** Endpoint schemes to use, in order of preference (e.g. `['http', 'https']`); default: any. */
  schemes?: string[];
  /** Wait before re-watching after a watcher error, in ms (default 1000; doubles up to 30 s); must be above 0. */
  retryMs?: number;
}

const OPTION_NAMES = ['discovery', 'name', 'balancer', 'filters', 'tiers', 'schemes', 'retryMs'];

// Filters given as text are parsed once; the cache is dropped whole when it grows past a bound
// (specs come from call metadata, which a client controls).
const parsed = new Map<string, NodeFilter>();
function resolveFilter(f: FilterLike): NodeFilter {
  if (typeof f !== 'string') return f;
  let out = parsed.get(f);
  if (out === undefined) {
    out = parseFilter(f);
    if (parsed.size >= 512) parsed.clear();
    parsed.set(f, out);
  }
  return out;
}

/** What is wrong with the first malformed tier (JS or JSON config may give anything), if any. */
function badTier(tiers: readonly unknown[]): string | undefined {
  if (!Array.isArray(tiers)) return 'expected an array of tiers ({ name?, filters: [...] })';
  const i = tiers.findIndex((t) => typeof t !== 'object' || t === null || !Array.isArray((t as Tier).filters));
  return i < 0 ? undefined : `tier ${i}: expected { name?, filters: [...] } (filters: [] for anywhere), got ${JSON.stringify(tiers[i]) ?? String(tiers[i])}`;
}

/**
 * Follows a service's watcher and picks nodes through filters and a balancer (go-kratos's
 * `selector`). A real empty list is applied; when the watcher fails transiently the last good
 * list is kept and the watch is re-established with backoff.
 */
export class Selector {
  readonly name: string;
  readonly balancer: Balancer;
  readonly #opts: SelectorOptions;
  #nodes: Node[] = [];
  #instances: ServiceInstance[] = [];
  // Set when one of the selector's own filters threw on the last list: picks fail with it.
  #filterError: DiscoveryError | undefined;
  #watcher: Watcher | undefined;
  #closed = false;
  readonly #closer = new AbortController();
  #ready: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #listeners = new Set<(nodes: readonly Node[]) => void>();
  // The tier the last #choose served (read right after it, on the same tick).
  #tier = 0;
  #tierName: string | undefined;

  constructor(opts: SelectorOptions) {
    for (const key of Object.keys(opts)) {
      if (OPTION_NAMES.includes(key)) continue;
      const near = closestName(key, OPTION_NAMES);
      throw new InvalidOptionError(
        'discovery.selector',
        key,
        `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${OPTION_NAMES.join(', ')}`,
      );
    }
    const r = opts.retryMs;
    // 0, negative or NaN would re-open a failing watcher in a busy loop; Infinity never would.
    if (r !== undefined && !(typeof r === 'number' && r > 0 && Number.isFinite(r)))
      throw new InvalidOptionError('discovery.selector', 'retryMs', `expected a number of ms above 0, got ${String(r)}`);
    const bad = opts.tiers === undefined ? undefined : badTier(opts.tiers);
    if (bad !== undefined) throw new InvalidOptionError('discovery.selector', 'tiers', bad);
    this.#opts = opts;
    this.name = opts.name;
    this.balancer = typeof opts.balancer === 'object' ? opts.balancer : createBalancer(opts.balancer ?? 'round-robin');
  }

  /**
   * Starts following the service; resolves once the first list is applied, or rejects when
   * the watcher's first `next()` does (a plugboard registry's: within its `timeout`). Idempotent while
   * it succeeds; after a failure, the next call tries again. `close()` during `start()` stops
   * the watcher and makes `start()` reject with `E_DISCOVERY_CLOSED`. `signal` ends this
   * caller's wait (`E_DISCOVERY_ABORTED`), not the start shared with others.
   */
  start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(this.closedError());
    this.#ready ??= this.begin().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    // The start is shared; a caller's signal only ends this caller's wait.
    return opts.signal === undefined ? this.#ready : abortable(this.#ready, opts.signal, `selector '${this.name}': start`);
  }

  private async begin(): Promise<void> {
    const w = await this.#opts.discovery.watch(this.name);
    if (this.#closed) {
      w.stop();
      throw this.closedError();
    }
    this.#watcher = w;
    try {
      this.apply(await w.next());
    } catch (err) {
      // Whatever failed (the first list, a balancer's update), this start leaves no watcher
      // behind: a later start() opens its own, and close() only knows the latest.
      w.stop();
      if (this.#watcher === w) this.#watcher = undefined;
      if (this.#closed) throw this.closedError();
      throw err;
    }
    this.#loop = this.follow(w);
  }

  private closedError(): DiscoveryError {
    return new DiscoveryError('E_DISCOVERY_CLOSED', `selector '${this.name}': closed`, { key: this.name });
  }

  /** The nodes after the selector's filters, as the balancer sees them. */
  nodes(): readonly Node[] {
    return this.#nodes;
  }

  /** The instances as last delivered by the watcher (before filters). */
  instances(): readonly ServiceInstance[] {
    return this.#instances;
  }

  /**
   * Calls `fn` with the filtered nodes after each update. Returns the unsubscribe function. A
   * listener that throws is reported with `process.emitWarning` (code
   * `PLUGBOARD_SELECTOR_LISTENER`); the other listeners and the watch are unaffected.
   */
  onUpdate(fn: (nodes: readonly Node[]) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * A node chosen by the balancer, counted as a call in flight: report it with `done`. Throws
   * `E_DISCOVERY_NO_NODES` naming the service, the filters and the tiers; `E_DISCOVERY_FILTER`
   * naming a filter that threw; `E_DISCOVERY_UNKNOWN` for a filter spec with an unknown name.
   */
  pick(opts?: PickOptions): Node {
    const node = this.#choose(opts);
    this.balancer.start?.(node);
    return node;
  }

  /** Like {@link pick}, but tells which tier served the pick and binds `done` to it. */
  select(opts?: PickOptions): Selection {
    const s = this.choose(opts);
    s.start();
    return s;
  }

  /**
   * Like {@link select}, but the call is not counted as in flight until `selection.start()`:
   * for transports that may drop a pick before the call begins (grpc-js picks again when the
   * connection it got is lost).
   */
  choose(opts?: PickOptions): Selection {
    const node = this.#choose(opts);
    return new Selection(node, this.#tier, this.#tierName, this.balancer);
  }

  /** Reports how a call to `node` (from {@link pick}) went. */
  done(node: Node, info: DoneInfo): void {
    this.balancer.done?.(node, info);
  }

  #choose(opts: PickOptions | undefined): Node {
    if (this.#filterError !== undefined) throw this.#filterError;
    const all = this.#nodes;
    const base = opts?.among ?? all;
    const tiers = opts?.tiers ?? this.#opts.tiers;
    const extra = opts?.filters;
    const key = opts?.key;
    if (tiers === undefined || tiers.length === 0) {
      const cand = extra === undefined ? base : this.filterAll(base, extra);
      const node = this.balancer.pick(cand === all ? undefined : cand, key);
      if (node === undefined) throw this.noNodes(opts, undefined);
      this.#tier = 0;
      this.#tierName = undefined;
      return node;
    }
    const common = extra === undefined ? base : this.filterAll(base, extra);
    for (let t = 0; t < tiers.length; t++) {
      const tier: unknown = tiers[t];
      if (typeof tier !== 'object' || tier === null || !Array.isArray((tier as Tier).filters))
        throw new DiscoveryError('E_DISCOVERY_FILTER', `service '${this.name}': ${badTier([tier])!.replace('tier 0', `tier ${t}`)}`, { key: this.name });
      const cand = this.filterAll(common, tiers[t]!.filters);
      if (cand.length === 0) continue;
      const node = this.balancer.pick(cand === all ? undefined : cand, key);
      if (node === undefined) continue;
      this.#tier = t;
      this.#tierName = tiers[t]!.name ?? `tier ${t}`;
      return node;
    }
    throw this.noNodes(opts, tiers);
  }

  private filterAll(nodes: readonly Node[], filters: readonly FilterLike[]): readonly Node[] {
    let out = nodes;
    for (const f of filters) out = runFilter(resolveFilter(f), out, this.name);
    return out;
  }

  private noNodes(opts: PickOptions | undefined, tiers: readonly Tier[] | undefined): DiscoveryError {
    const describe = (fs: readonly FilterLike[]): string => fs.map((f) => (typeof f === 'string' ? f : describeFilter(f))).join(', ');
    const parts = [`${this.#instances.length} instance(s)`];
    const filters = [...(this.#opts.filters ?? []), ...(opts?.filters ?? [])];
    if (filters.length > 0) parts.push(`filters: ${describe(filters)}`);
    if (opts?.among !== undefined) parts.push(`${opts.among.length} of ${this.#nodes.length} node(s) usable`);
    if (tiers !== undefined) parts.push(`every tier empty: ${tiers.map((t, i) => `${t.name ?? `tier ${i}`} [${describe(t.filters)}]`).join(' → ')}`);
    if (this.#ready === undefined) parts.push('the selector was not started');
    return new DiscoveryError('E_DISCOVERY_NO_NODES', `service '${this.name}': no nodes to pick from (${parts.join('; ')})`, { key: this.name });
  }

  /** Stops following (a `start()` in progress included). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closer.abort();
    this.#watcher?.stop();
    await this.#ready?.catch(() => undefined);
    await this.#loop;
  }

  private apply(instances: ServiceInstance[]): void {
    this.#instances = instances;
    let nodes = toNodes(instances, this.#opts.schemes ?? []);
    this.#filterError = undefined;
    try {
      for (const f of this.#opts.filters ?? []) nodes = runFilter(f, nodes, this.name);
    } catch (err) {
      // A broken filter of the selector's own: no node passes, and every pick says why.
      this.#filterError = err as DiscoveryError;
      nodes = [];
    }
    this.#nodes = nodes;
    this.balancer.update(nodes);
    // A listener's bug is its own: the others still hear the update, and the watch goes on.
    for (const l of [...this.#listeners]) {
      try {
        l(nodes);
      } catch (err) {
        process.emitWarning(`selector '${this.name}': an onUpdate listener threw: ${err instanceof Error ? err.message : String(err)}`, {
          code: 'PLUGBOARD_SELECTOR_LISTENER',
        });
      }
    }
  }

  private async follow(first: Watcher): Promise<void> {
    let w: Watcher | undefined = first;
    let delay = this.#opts.retryMs ?? 1000;
    while (!this.#closed) {
      try {
        if (w === undefined) {
          w = await this.#opts.discovery.watch(this.name);
          this.#watcher = w;
          if (this.#closed) {
            w.stop();
            return;
          }
        }
        this.apply(await w.next());
        delay = this.#opts.retryMs ?? 1000;
      } catch (err) {
        if (this.#closed || (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_STOPPED' && this.#closed)) return;
        // Transient failure: keep the last good list, re-watch after a backoff.
        w?.stop();
        w = undefined;
        await sleep(delay, this.#closer.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }
}
