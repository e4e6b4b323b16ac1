import { DiscoveryError } from '../errors.js';
import type { Discovery } from '../types.js';
import type { Balancer, BalancerName } from './balancers.js';
import type { NodeFilter } from './filters.js';
import { Selector } from './selector.js';
import { parseTarget } from './target.js';

/** Options of {@link createDiscoveryFetch}. */
export interface DiscoveryFetchOptions {
  discovery: Discovery;
  /** A balancer name, or a function making one balancer per service (default `'round-robin'`). */
  balancer?: BalancerName | (() => Balancer);
  filters?: NodeFilter[];
  /** Endpoint schemes to use (default `['http', 'https']`). */
  schemes?: string[];
}

/** A `fetch` that also accepts `discovery:///service/path` URLs; `close()` stops its watchers. */
export interface DiscoveryFetch {
  (input: string | URL, init?: RequestInit): Promise<Response>;
  /** The selector following `service` (created on first use). */
  selector(service: string): Promise<Selector>;
  /** Stops the watchers this fetch opened. */
  close(): Promise<void>;
}

/**
 * A fetch helper: `discovery:///greeter/hello` is sent to `<picked endpoint>/hello`, and the
 * latency (or the error) is reported to the balancer. Other URLs go to the global fetch.
 */
export function createDiscoveryFetch(opts: DiscoveryFetchOptions): DiscoveryFetch {
  const selectors = new Map<string, Promise<Selector>>();
  const selector = (service: string): Promise<Selector> => {
    let s = selectors.get(service);
    if (s === undefined) {
      const sel = new Selector({
        discovery: opts.discovery,
        name: service,
        ...(opts.balancer === undefined ? {} : { balancer: typeof opts.balancer === 'function' ? opts.balancer() : opts.balancer }),
        ...(opts.filters === undefined ? {} : { filters: opts.filters }),
        schemes: opts.schemes ?? ['http', 'https'],
      });
      s = sel.start().then(() => sel);
      s.catch(() => selectors.delete(service));
      selectors.set(service, s);
    }
    return s;
  };
  const fetchFn = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const href = String(input);
    if (!href.startsWith('discovery:')) return fetch(input, init);
    const target = parseTarget(href);
    const sel = await selector(target.name);
    const node = sel.pick();
    const url = new URL(target.rest === '' ? '/' : target.rest, node.endpoint);
    const started = performance.now();
    try {
      const res = await fetch(url, init);
      sel.done(node, { latencyMs: performance.now() - started, ...(res.status >= 500 ? { error: new Error(`HTTP ${res.status}`) } : {}) });
      return res;
    } catch (err) {
      sel.done(node, { latencyMs: performance.now() - started, error: err });
      throw new DiscoveryError('E_DISCOVERY_BACKEND', `fetch ${href} via ${node.endpoint.origin} (instance ${node.instance.id}) failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, key: target.name });
    }
  };
  return Object.assign(fetchFn, {
    selector,
    close: async () => {
      const all = [...selectors.values()];
      selectors.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
    },
  });
}
