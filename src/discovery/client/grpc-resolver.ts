/**
 * The `discovery` resolver of grpc-js, one per channel: it follows the service through a
 * Selector built from the channel's {@link ChannelConfig} and hands grpc-js the selector's
 * nodes as endpoints, with the selector itself as an attribute for the `plugboard_selector`
 * policy.
 */
import { experimental, status, type ChannelOptions } from '@grpc/grpc-js';
import type { ServiceInstance } from '../instance.js';
import { CHANNEL_OPTION, ChannelConfig } from './grpc-config.js';
import { endpointUrl, type Node } from './node.js';
import { Selector } from './selector.js';

type ResolverListener = experimental.ResolverListener;
type GrpcUri = experimental.GrpcUri;

/** The attribute under which the resolver passes its Selector to the policy. */
export const SELECTOR_ATTRIBUTE = 'plugboard.selector';

/** `host:port` of a node's endpoint, the key of its grpc-js endpoint. */
export function nodeAddress(node: Node): { host: string; port: number } | undefined {
  if (node.endpoint.port === '') return undefined;
  return { host: node.endpoint.hostname.replace(/^\[|\]$/g, ''), port: Number(node.endpoint.port) };
}

/** The endpoints of `instances` whose scheme is in `schemes`, as grpc-js addresses. */
export function grpcEndpoints(instances: readonly ServiceInstance[], schemes: readonly string[]): experimental.Endpoint[] {
  const out: experimental.Endpoint[] = [];
  for (const inst of instances) {
    for (const e of inst.endpoints) {
      const u = endpointUrl(e); // undefined for an endpoint we cannot use (kept raw on read)
      if (u === undefined || !schemes.includes(u.protocol.slice(0, -1)) || u.port === '') continue;
      out.push({ addresses: [{ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) }] });
      break;
    }
  }
  return out;
}

/** The process-wide default config, for channels without {@link CHANNEL_OPTION} (set by `registerDiscoveryResolver(discovery)`). */
let fallback: ChannelConfig | undefined;

/** Sets (or clears) the config of channels that carry none. */
export function setDefaultChannelConfig(config: ChannelConfig | undefined): void {
  fallback = config;
}

/** The grpc-js resolver class for the `discovery` scheme. */
export class DiscoveryResolver implements experimental.Resolver {
  readonly #name: string;
  readonly #listener: ResolverListener;
  readonly #config: ChannelConfig | undefined;
  #selector: Selector | undefined;
  #starting: Promise<void> | undefined;
  #destroyed = false;

  constructor(target: GrpcUri, listener: ResolverListener, options: ChannelOptions) {
    this.#name = target.path.replace(/^\//, '');
    this.#listener = listener;
    const own: unknown = options[CHANNEL_OPTION];
    this.#config = own instanceof ChannelConfig ? own : fallback;
  }

  static getDefaultAuthority(target: GrpcUri): string {
    return target.path.replace(/^\//, '');
  }

  updateResolution(): void {
    if (this.#destroyed) return;
    const config = this.#config;
    if (config === undefined) {
      this.fail(`no Discovery for this channel: pass discoveryChannelOptions({ discovery }) as channel options, or call registerDiscoveryResolver(discovery)`);
      return;
    }
    if (this.#selector !== undefined && this.#starting === undefined) {
      // Already following: answer a re-resolution request with the current list.
      const sel = this.#selector;
      setImmediate(() => this.report(sel));
      return;
    }
    if (this.#starting !== undefined) return;
    const o = config.opts;
    const sel = new Selector({
      discovery: o.discovery,
      name: this.#name,
      balancer: typeof o.balancer === 'function' ? o.balancer() : (o.balancer ?? 'round-robin'),
      schemes: o.schemes ?? ['grpc', 'grpcs'],
      ...(o.filters === undefined ? {} : { filters: o.filters }),
      ...(o.tiers === undefined ? {} : { tiers: o.tiers }),
    });
    this.#selector = sel;
    this.#starting = sel.start().then(
      () => {
        this.#starting = undefined;
        if (this.#destroyed) return;
        sel.onUpdate(() => this.report(sel));
        this.report(sel);
      },
      (err: unknown) => {
        this.#starting = undefined;
        if (this.#selector === sel) this.#selector = undefined;
        void sel.close();
        // The next updateResolution (grpc-js retries with backoff) tries again.
        if (!this.#destroyed) this.fail(err instanceof Error ? err.message : String(err));
      },
    );
  }

  destroy(): void {
    this.#destroyed = true;
    const sel = this.#selector;
    this.#selector = undefined;
    if (sel !== undefined) void sel.close();
  }

  private fail(details: string): void {
    this.#listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details: `discovery:///${this.#name}: ${details}` }), {}, null, '');
  }

  private report(sel: Selector): void {
    if (this.#destroyed || sel !== this.#selector) return;
    const endpoints: experimental.Endpoint[] = [];
    for (const node of sel.nodes()) {
      const address = nodeAddress(node);
      if (address !== undefined) endpoints.push({ addresses: [address] });
    }
    // An empty list is real (everyone left): it is delivered, so the policy drops its
    // connections and calls fail with UNAVAILABLE, rather than reported as an error that
    // grpc-js would answer by keeping the old connections.
    const schemes = (this.#config?.opts.schemes ?? ['grpc', 'grpcs']).join('/');
    // Never empty: grpc-js's own policies end their messages with "Resolution note: <note>".
    const note =
      endpoints.length > 0
        ? `discovery:///${sel.name}: ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}`
        : `no instances with a ${schemes} endpoint${sel.instances().length > 0 ? ` passing the filters (${sel.instances().length} instance(s))` : ''}`;
    const policy = this.#config?.opts.loadBalancing ?? 'plugboard_selector';
    const serviceConfig = { loadBalancingConfig: [{ [policy]: {} }], methodConfig: [] };
    // The config goes along too: a channel without options of its own uses the process-wide
    // default the resolver took, and the policy must read the same one.
    this.#listener(
      experimental.statusOrFromValue(endpoints),
      { [SELECTOR_ATTRIBUTE]: sel, [CHANNEL_OPTION]: this.#config },
      experimental.statusOrFromValue(serviceConfig as never),
      note,
    );
  }
}
