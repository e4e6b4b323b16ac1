import { abortable } from '../driver/abort.js';
import { DiscoveryError } from '../errors.js';
import type { Discovery } from '../types.js';
import { BALANCER_NAMES, unknownName, type Balancer, type BalancerName } from './balancers.js';
import type { NodeFilter } from './filters.js';
import { Selector, type PickOptions, type Tier } from './selector.js';
import { parseTarget } from './target.js';

/** Options of {@link createDiscoveryFetch}. */
export interface DiscoveryFetchOptions {
  discovery: Discovery;
  /** A balancer name, or a function making one balancer per service (default `'round-robin'`). */
  balancer?: BalancerName | (() => Balancer);
  filters?: NodeFilter[];
  /** Fallback tiers of every call that gives none (see `Selector`). */
  tiers?: Tier[];
  /** Endpoint schemes to use (default `['http', 'https']`). */
  schemes?: string[];
}

/** `fetch`'s init, plus how to pick the node of a `discovery:` URL. */
export interface DiscoveryRequestInit extends RequestInit {
  /** Per-call filters, tiers and routing key (see `PickOptions`). */
  pick?: PickOptions;
}

/** A `fetch` that also accepts `discovery:///service/path` URLs; `close()` stops its watchers. */
export interface DiscoveryFetch {
  (input: string | URL, init?: DiscoveryRequestInit): Promise<Response>;
  /** The selector following `service` (created on first use). */
  selector(service: string): Promise<Selector>;
  /** Stops the watchers this fetch opened; later `discovery:` calls reject with `E_DISCOVERY_CLOSED`. */
  close(): Promise<void>;
}

/**
 * A fetch helper: `discovery:///greeter/hello` is sent to `<picked endpoint>/hello` (the path is
 * appended to the endpoint's scheme and host as text, so `//host/x` stays on the instance), and the
 * latency (or the error) is reported to the balancer. `init.pick` gives the call's own filters,
 * tiers and routing key. Other URLs go to the global fetch.
 */
export function createDiscoveryFetch(opts: DiscoveryFetchOptions): DiscoveryFetch {
  if (typeof opts.balancer === 'string' && !BALANCER_NAMES.includes(opts.balancer)) throw unknownName('balancer', opts.balancer, BALANCER_NAMES);
  const selectors = new Map<string, Promise<Selector>>();
  // Set by close(): a late call (a request racing shutdown) must not open a watcher nobody stops.
  let closed = false;
  const selector = (service: string): Promise<Selector> => {
    if (closed) return Promise.reject(new DiscoveryError('E_DISCOVERY_CLOSED', `discovery fetch: closed (service '${service}')`, { key: service }));
    let s = selectors.get(service);
    if (s === undefined) {
      const sel = new Selector({
        discovery: opts.discovery,
        name: service,
        ...(opts.balancer === undefined ? {} : { balancer: typeof opts.balancer === 'function' ? opts.balancer() : opts.balancer }),
        ...(opts.filters === undefined ? {} : { filters: opts.filters }),
        ...(opts.tiers === undefined ? {} : { tiers: opts.tiers }),
        schemes: opts.schemes ?? ['http', 'https'],
      });
      s = sel.start().then(() => sel);
      s.catch(() => selectors.delete(service));
      selectors.set(service, s);
    }
    return s;
  };
  const fetchFn = async (input: string | URL, init?: DiscoveryRequestInit): Promise<Response> => {
    const href = String(input);
    const { pick, ...rest } = init ?? {};
    if (!href.startsWith('discovery:')) return fetch(input, rest);
    const target = parseTarget(href);
    // The selector's start is shared by every call; this call stops waiting on its own signal
    // (the start itself ends within the registry's timeout, when the first list is late).
    const sel = await abortable(selector(target.name), rest.signal ?? undefined, `fetch ${href}`);
    let picked: ReturnType<typeof sel.select>;
    try {
      picked = sel.select(pick);
    } catch (err) {
      throw target.authority === '' || !(err instanceof DiscoveryError) ? err : twoSlashes(err, href, target.authority);
    }
    const node = picked.node;
    // Joined as text, never resolved as a URL reference: a path of `//other:80/x` resolved
    // against the endpoint would be a protocol-relative URL to another host.
    const url = new URL(`${node.endpoint.protocol}//${node.endpoint.host}${target.rest.startsWith('/') ? '' : '/'}${target.rest}`);
    const started = performance.now();
    try {
      const res = await fetch(url, rest);
      picked.done({ latencyMs: performance.now() - started, ...(res.status >= 500 ? { error: new Error(`HTTP ${res.status}`) } : {}) });
      return res;
    } catch (err) {
      picked.done({ latencyMs: performance.now() - started, error: err });
      throw new DiscoveryError(
        'E_DISCOVERY_BACKEND',
        `fetch ${href} via ${node.endpoint.origin} (instance ${node.instance.id}) failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, key: target.name },
      );
    }
  };
  return Object.assign(fetchFn, {
    selector,
    close: async () => {
      closed = true;
      const all = [...selectors.values()];
      selectors.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
    },
  });
}

/**
 * A pick that failed for `discovery://greeter/hello`: two slashes make `greeter` the
 * authority and `hello` the service, which is rarely what was meant.
 */
function twoSlashes(err: DiscoveryError, href: string, authority: string): DiscoveryError {
  const meant = `discovery:///${href.slice('discovery://'.length)}`;
  return new DiscoveryError(
    err.code,
    `${err.message} (did you mean ${meant}? in ${href}, '${authority}' is the authority and what follows it the service; a service name comes after three slashes)`,
    { cause: err },
  );
}
