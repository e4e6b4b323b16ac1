/**
 * Per-channel configuration of the `discovery` resolver and the `plugboard_selector` policy. It
 * travels in the channel options, so each channel has its own Discovery and selector options.
 */
import { status, type Metadata } from '@grpc/grpc-js';
import { closestName } from '../../container/names.js';
import { InvalidOptionError } from '../../container/errors.js';
import type { Discovery } from '../types.js';
import { BALANCER_NAMES, unknownName, type Balancer, type BalancerName } from './balancers.js';
import type { NodeFilter } from './filters.js';
import type { PickOptions, Tier } from './selection.js';

/** The channel option that carries a {@link DiscoveryChannelConfig}. */
export const CHANNEL_OPTION = 'plugboard.discovery';

/** What {@link discoveryChannelOptions} takes: where to find the service, and how to pick. */
export interface DiscoveryChannelConfig {
  discovery: Discovery;
  /** A balancer name, or a function making one per channel (default `'round-robin'`). */
  balancer?: BalancerName | (() => Balancer);
  /** Filters every call goes through. */
  filters?: NodeFilter[];
  /** Fallback tiers of calls whose metadata gives none. */
  tiers?: Tier[];
  /** Endpoint schemes that are gRPC endpoints (default `['grpc', 'grpcs']`). */
  schemes?: string[];
  /**
   * grpc-js policy (default `plugboard_selector`: calls go through the selector's filters and
   * balancer). `round_robin` and `pick_first` get the filtered list but ignore per-call options.
   */
  loadBalancing?: 'plugboard_selector' | 'round_robin' | 'pick_first';
  /**
   * The pick options of one call, from its metadata (default {@link pickOptionsFromMetadata}:
   * `plugboard-key`, `plugboard-filter`, `plugboard-tier`).
   */
  pickOptions?: (metadata: Metadata) => PickOptions | undefined;
  /** Status codes that count as a failure of the node for P2C (default UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL). */
  errorCodes?: readonly status[];
}

/** Status codes that count as a failure of the node when a config gives no `errorCodes`. */
export const DEFAULT_ERROR_CODES: readonly status[] = Object.freeze([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.INTERNAL]);

const KNOWN = ['discovery', 'balancer', 'filters', 'tiers', 'schemes', 'loadBalancing', 'pickOptions', 'errorCodes'];
const POLICIES = ['plugboard_selector', 'round_robin', 'pick_first'];

/** The validated config as it rides in the channel options (opaque to grpc-js: `toJSON` keeps traces readable). */
export class ChannelConfig {
  readonly errorCodes: ReadonlySet<number>;
  constructor(readonly opts: DiscoveryChannelConfig) {
    for (const key of Object.keys(opts)) {
      if (KNOWN.includes(key)) continue;
      const near = closestName(key, KNOWN);
      throw new InvalidOptionError(
        'discovery.grpc',
        key,
        `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${KNOWN.join(', ')}`,
      );
    }
    if (typeof opts.balancer === 'string' && !BALANCER_NAMES.includes(opts.balancer)) throw unknownName('balancer', opts.balancer, BALANCER_NAMES);
    if (opts.loadBalancing !== undefined && !POLICIES.includes(opts.loadBalancing))
      throw unknownName('gRPC load-balancing policy', opts.loadBalancing, POLICIES);
    this.errorCodes = new Set(opts.errorCodes ?? DEFAULT_ERROR_CODES);
  }

  toJSON(): string {
    return `[plugboard discovery config${typeof this.opts.balancer === 'string' ? `, balancer ${this.opts.balancer}` : ''}]`;
  }
}

/**
 * Channel options that give a channel its own Discovery and selector options:
 * `new Client('discovery:///greeter', creds, discoveryChannelOptions({ discovery, balancer: 'p2c' }))`.
 * Unknown options are refused (`E_INVALID_OPTION`), unknown balancer names too (`E_DISCOVERY_UNKNOWN`).
 */
export function discoveryChannelOptions(config: DiscoveryChannelConfig): { [CHANNEL_OPTION]: ChannelConfig } {
  return { [CHANNEL_OPTION]: new ChannelConfig(config) };
}

/**
 * The default mapping from call metadata to pick options:
 * - `plugboard-key: <key>`: the routing key (ring-hash);
 * - `plugboard-filter: <spec>`: a filter for this call (repeat the header for several);
 * - `plugboard-tier: <spec>[;<spec>…]`: one fallback tier per value, in order; `*` is a tier
 *   without filters (anywhere).
 *
 * Specs are those of `parseFilter` (plugboard/discovery): `version:v2`, `metadata:zone=eu,track=canary`.
 */
export function pickOptionsFromMetadata(metadata: Metadata): PickOptions | undefined {
  const key = metadata.get('plugboard-key');
  const filters = metadata.get('plugboard-filter');
  const tiers = metadata.get('plugboard-tier');
  if (key.length === 0 && filters.length === 0 && tiers.length === 0) return undefined;
  return {
    ...(key.length === 0 ? {} : { key: String(key[0]) }),
    ...(filters.length === 0 ? {} : { filters: filters.map(String) }),
    ...(tiers.length === 0
      ? {}
      : {
          tiers: tiers.map((v, i) => {
            const text = String(v).trim();
            return { name: `tier ${i} (${text})`, filters: text === '*' || text === '' ? [] : text.split(';').map((s) => s.trim()) };
          }),
        }),
  };
}
