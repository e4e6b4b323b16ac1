import { sleep } from '../driver/abort.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { Discovery, Watcher } from '../types.js';
import { createBalancer, type Balancer, type BalancerName, type DoneInfo } from './balancers.js';
import type { NodeFilter } from './filters.js';
import { toNodes, type Node } from './node.js';

/** Options of a {@link Selector}. */
export interface SelectorOptions {
  discovery: Discovery;
  /** The service to follow. */
  name: string;
  /** A balancer or its name (default `'round-robin'`). */
  balancer?: Balancer | BalancerName;
  filters?: NodeFilter[];
  /** Endpoint schemes to use, in order of preference (e.g. `['http', 'https']`); default: any. */
  schemes?: string[];
  /** Wait before re-watching after a watcher error, in ms (default 1000; doubles up to 30 s). */
  retryMs?: number;
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
  #watcher: Watcher | undefined;
  #closed = false;
  readonly #closer = new AbortController();
  #ready: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #listeners = new Set<(nodes: readonly Node[]) => void>();

  constructor(opts: SelectorOptions) {
    this.#opts = opts;
    this.name = opts.name;
    this.balancer = typeof opts.balancer === 'object' ? opts.balancer : createBalancer(opts.balancer ?? 'round-robin');
  }

  /**
   * Starts following the service; resolves once the first list is applied. Idempotent while
   * it succeeds; after a failure, the next call tries again. `close()` during `start()` stops
   * the watcher and makes `start()` reject with `E_DISCOVERY_CLOSED`.
   */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(this.closedError());
    this.#ready ??= this.begin().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  private async begin(): Promise<void> {
    const w = await this.#opts.discovery.watch(this.name);
    if (this.#closed) {
      w.stop();
      throw this.closedError();
    }
    this.#watcher = w;
    let first: ServiceInstance[];
    try {
      first = await w.next();
    } catch (err) {
      if (this.#closed) throw this.closedError();
      w.stop();
      throw err;
    }
    this.apply(first);
    this.#loop = this.follow(w);
  }

  private closedError(): DiscoveryError {
    return new DiscoveryError('E_DISCOVERY_CLOSED', `selector '${this.name}': closed`, { key: this.name });
  }

  /** The nodes after filters, as the balancer sees them. */
  nodes(): readonly Node[] {
    return this.#nodes;
  }

  /** The instances as last delivered by the watcher (before filters). */
  instances(): readonly ServiceInstance[] {
    return this.#instances;
  }

  /** Calls `fn` with the filtered nodes after each update. Returns the unsubscribe function. */
  onUpdate(fn: (nodes: readonly Node[]) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** A node chosen by the balancer. Throws `E_DISCOVERY_NO_NODES` naming the service and the filters. */
  pick(): Node {
    const node = this.balancer.pick();
    if (node !== undefined) return node;
    const filters = (this.#opts.filters ?? []).map((f) => f.describe);
    throw new DiscoveryError(
      'E_DISCOVERY_NO_NODES',
      `service '${this.name}': no nodes to pick from (${this.#instances.length} instance(s)${filters.length > 0 ? `, filters: ${filters.join('; ')}` : ''}${this.#ready === undefined ? '; the selector was not started' : ''})`,
      { key: this.name },
    );
  }

  /** Reports how a call to `node` went (for P2C). */
  done(node: Node, info: DoneInfo): void {
    this.balancer.done?.(node, info);
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
    for (const f of this.#opts.filters ?? []) nodes = f(nodes);
    this.#nodes = nodes;
    this.balancer.update(nodes);
    for (const l of [...this.#listeners]) l(nodes);
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
