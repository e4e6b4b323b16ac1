/**
 * grpc-js support for `discovery:///name` targets (go-kratos's `transport/grpc/resolver/discovery`
 * and its selector-driven balancer). grpc-js is an optional peer dependency: this module is its
 * own entry point (`plugboard/discovery/grpc`), and it and the modules it loads are the only ones
 * that import it.
 */
import { ChannelConfig, type DiscoveryChannelConfig } from './grpc-config.js';
import { registerSelectorPolicy } from './grpc-policy.js';
import { DiscoveryResolver, setDefaultChannelConfig } from './grpc-resolver.js';
import { experimental } from '@grpc/grpc-js';
import type { Discovery } from '../types.js';

export { discoveryChannelOptions, pickOptionsFromMetadata, CHANNEL_OPTION, type DiscoveryChannelConfig } from './grpc-config.js';
export { POLICY_NAME } from './grpc-policy.js';
export { grpcEndpoints } from './grpc-resolver.js';

/** Options of {@link registerDiscoveryResolver} (a {@link DiscoveryChannelConfig} without `discovery`). */
export type DiscoveryResolverOptions = Omit<DiscoveryChannelConfig, 'discovery'>;

/**
 * Registers the `discovery` resolver and the `plugboard_selector` policy with grpc-js
 * (idempotent), so that `new Client('discovery:///greeter', creds, discoveryChannelOptions({ discovery }))`
 * follows the live instances of `greeter` and picks through a Selector. With a `discovery`,
 * it also becomes the default of channels that carry no `discoveryChannelOptions`; calling it
 * again replaces that default.
 */
export function registerDiscoveryResolver(discovery?: Discovery, opts: DiscoveryResolverOptions = {}): void {
  registerSelectorPolicy();
  experimental.registerResolver('discovery', DiscoveryResolver);
  if (discovery !== undefined) setDefaultChannelConfig(new ChannelConfig({ ...opts, discovery }));
}
