import type Consul from 'consul';
import { isBackendConfig, type BackendConfig } from '../backend-config.js';
import { RegisterBackend } from '../driver/register-backend.js';
import { DriverRegistry } from '../driver/registry.js';
import { requirePeer } from '../peer.js';
import { ConsulApi } from './consul-api.js';
import { ConsulDriver } from './consul-driver.js';
import { resolveConsulOptions, type ConsulRegistryOptions, type ResolvedConsulOptions } from './options.js';

/**
 * The Consul backend (`consul://127.0.0.1:8500?ttl=15s&deregisterCriticalServiceAfter=1m`), on
 * the `consul` npm client. Each instance is an agent service with a TTL check kept passing at
 * TTL/2 and `DeregisterCriticalServiceAfter` set; a service the agent lost is registered
 * again. Each watched name has one blocking-query subscription shared by its watchers.
 *
 * ```ts
 * new ConsulRegistry({ host: '127.0.0.1', port: 8500, token, dc: 'dc1', ttl: '10s' });
 * new ConsulRegistry(existingConsulClient, { ttl: 10_000 });   // the client stays yours
 * await createRegistry('consul://127.0.0.1:8500?ttl=15s&dc=dc1');
 * ```
 */
@RegisterBackend('consul')
export class ConsulRegistry extends DriverRegistry<ConsulDriver> {
  static readonly scheme = 'consul';
  readonly client: Consul;
  /** The options in force (URL and code merged). */
  readonly options: Readonly<ResolvedConsulOptions>;

  constructor(first: BackendConfig | Consul | ConsulRegistryOptions = {}, opts: ConsulRegistryOptions = {}) {
    // Loaded here, not at import: without consul installed, `import 'plugboard/discovery/consul'` works and this says what to install.
    const ConsulClass = requirePeer<typeof Consul>('consul', 'consul');
    const config = isBackendConfig(first) ? first : undefined;
    const isClient = first instanceof ConsulClass;
    const code = { ...(config !== undefined ? (config.options as ConsulRegistryOptions) : isClient ? {} : (first as ConsulRegistryOptions)), ...opts };
    const options = Object.freeze(resolveConsulOptions(config, code));
    const client = isClient ? first : ConsulApi.create(ConsulClass, options);
    super((ctx) => new ConsulDriver(ctx, new ConsulApi(client, options), client, !isClient, options), options.kit);
    this.client = client;
    this.options = options;
  }
}
