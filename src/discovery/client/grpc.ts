/**
 * A `@grpc/grpc-js` resolver for `discovery:///name` targets (go-kratos's
 * `transport/grpc/resolver/discovery`). grpc-js is an optional peer dependency: this module is
 * its own entry point (`plugboard/discovery/grpc`) and is the only one that imports it.
 */
import { experimental, status, type ChannelOptions } from '@grpc/grpc-js';
import type { ServiceInstance } from '../instance.js';
import type { Discovery, Watcher } from '../types.js';

type ResolverListener = experimental.ResolverListener;
type GrpcUri = experimental.GrpcUri;

/** Options of {@link registerDiscoveryResolver}. */
export interface DiscoveryResolverOptions {
  /** Endpoint schemes that are gRPC endpoints (default `['grpc', 'grpcs']`). */
  schemes?: string[];
  /** grpc-js load-balancing policy (default `round_robin`, so calls spread over all instances). */
  loadBalancing?: 'round_robin' | 'pick_first';
}

/** The endpoints of `instances` whose scheme is in `schemes`, as grpc-js addresses. */
export function grpcEndpoints(instances: readonly ServiceInstance[], schemes: readonly string[]): experimental.Endpoint[] {
  const out: experimental.Endpoint[] = [];
  for (const inst of instances) {
    for (const e of inst.endpoints) {
      const u = new URL(e);
      if (!schemes.includes(u.protocol.slice(0, -1)) || u.port === '') continue;
      out.push({ addresses: [{ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) }] });
      break;
    }
  }
  return out;
}

/**
 * Registers a resolver for the `discovery` scheme, so that
 * `new Client('discovery:///greeter', creds)` load-balances over the live instances of
 * `greeter` and follows them as they come and go. One discovery per process (grpc-js keeps
 * resolvers in a global table); calling it again replaces the previous one.
 */
export function registerDiscoveryResolver(discovery: Discovery, opts: DiscoveryResolverOptions = {}): void {
  const schemes = opts.schemes ?? ['grpc', 'grpcs'];
  const serviceConfig = { loadBalancingConfig: [{ [opts.loadBalancing ?? 'round_robin']: {} }], methodConfig: [] };

  class DiscoveryResolver implements experimental.Resolver {
    readonly #name: string;
    readonly #listener: ResolverListener;
    #watcher: Watcher | undefined;
    #last: readonly ServiceInstance[] | undefined;
    #running = false;
    #destroyed = false;

    constructor(target: GrpcUri, listener: ResolverListener, _options: ChannelOptions) {
      this.#name = target.path.replace(/^\//, '');
      this.#listener = listener;
    }

    updateResolution(): void {
      this.#destroyed = false;
      if (this.#running) {
        const last = this.#last;
        if (last !== undefined) setImmediate(() => this.report(last));
        return;
      }
      this.#running = true;
      void this.follow();
    }

    destroy(): void {
      this.#destroyed = true;
      this.#running = false;
      this.#watcher?.stop();
      this.#watcher = undefined;
    }

    static getDefaultAuthority(target: GrpcUri): string {
      return target.path.replace(/^\//, '');
    }

    private async follow(): Promise<void> {
      try {
        const w = await discovery.watch(this.#name);
        if (this.#destroyed) return w.stop();
        this.#watcher = w;
        for await (const list of w) {
          if (this.#destroyed) break;
          this.#last = list;
          this.report(list);
        }
      } catch (err) {
        this.#running = false;
        if (!this.#destroyed) {
          this.#listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details: `discovery:///${this.#name}: ${err instanceof Error ? err.message : String(err)}` }), {}, null, '');
        }
      }
    }

    private report(list: readonly ServiceInstance[]): void {
      if (this.#destroyed) return;
      const endpoints = grpcEndpoints(list, schemes);
      if (endpoints.length === 0) {
        this.#listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details: `discovery:///${this.#name}: no instances with a ${schemes.join('/')} endpoint` }), {}, null, '');
        return;
      }
      this.#listener(experimental.statusOrFromValue(endpoints), {}, experimental.statusOrFromValue(serviceConfig as never), '');
    }
  }

  experimental.registerResolver('discovery', DiscoveryResolver);
}
