import Consul from 'consul';
import { RegisterFactory } from '../../decorators/decorators.js';
import { BACKENDS, isBackendConfig, rememberBackend, type BackendConfig } from '../backends.js';
import { DiscoveryError, throwIfAborted } from '../errors.js';
import { sortInstances, validateInstance, type ServiceInstance, type ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { WatchHub } from '../watch-hub.js';
import { fromHealthEntry, toRegistration, type HealthEntry } from './codec.js';
import { ConsulApi } from './consul-api.js';
import { Heartbeat } from './heartbeat.js';
import { resolveConsulOptions, type ConsulRegistryOptions, type ResolvedConsulOptions } from './options.js';
import { ServicePoller } from './service-poller.js';

/**
 * The Consul backend (`consul://127.0.0.1:8500?ttl=15s&deregisterCriticalServiceAfter=1m`), on
 * the `consul` npm client. Each instance is an agent service with a TTL check kept passing at
 * TTL/2 and `DeregisterCriticalServiceAfter` set; a service the agent lost is registered
 * again. Each watched name has one blocking-query poller shared by its watchers.
 *
 * ```ts
 * new ConsulRegistry({ host: '127.0.0.1', port: 8500, token, dc: 'dc1', ttl: '10s' });
 * new ConsulRegistry(existingConsulClient, { ttl: 10_000 });   // the client stays yours
 * await createRegistry('consul://127.0.0.1:8500?ttl=15s&dc=dc1');
 * ```
 */
@RegisterFactory('consul', { registry: BACKENDS })
export class ConsulRegistry implements ServiceRegistry {
  static readonly scheme = 'consul';
  readonly backend = 'consul';
  readonly client: Consul;
  /** The options in force (URL and code merged). */
  readonly options: Readonly<ResolvedConsulOptions>;
  readonly #api: ConsulApi;
  readonly #ownsClient: boolean;
  readonly #hub: WatchHub;
  readonly #beats = new Map<string, Heartbeat>();
  readonly #pollers = new Map<string, ServicePoller>();
  readonly #badIds = new Set<string>();
  #closed = false;
  /** Health entries that were not valid instances, skipped. */
  skipped = 0;

  constructor(first: BackendConfig | Consul | ConsulRegistryOptions = {}, opts: ConsulRegistryOptions = {}) {
    const isConfig = isBackendConfig(first);
    const isClient = first instanceof Consul;
    const code = { ...(isConfig ? ((first as BackendConfig).options as ConsulRegistryOptions) : isClient ? {} : (first as ConsulRegistryOptions)), ...opts };
    this.options = Object.freeze(resolveConsulOptions(isConfig ? (first as BackendConfig) : undefined, code));
    this.client = isClient ? (first as Consul) : ConsulApi.create(this.options);
    this.#ownsClient = !isClient;
    this.#api = new ConsulApi(this.client, this.options);
    this.#hub = new WatchHub({ follow: (name) => this.follow(name), unfollow: (name) => this.unfollow(name) });
  }

  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    throwIfAborted(opts.signal, 'register');
    const registration = toRegistration(validateInstance(input), this.options);
    await this.#beats.get(registration.ID)?.stop();
    this.#beats.delete(registration.ID);
    await this.#api.register(registration);
    const beat = new Heartbeat(this.#api, registration, this.options.ttlMs, this.options.retry, (m) => this.options.logger.warn(m));
    this.#beats.set(registration.ID, beat);
    beat.start();
  }

  /** Stops the heartbeat first (and waits for one in flight), then deregisters: no beat follows. */
  async deregister(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    throwIfAborted(opts.signal, 'deregister');
    const { id } = validateInstance(input);
    const beat = this.#beats.get(id);
    this.#beats.delete(id);
    await beat?.stop();
    await this.#api.deregister(id);
  }

  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    this.assertOpen('getService');
    throwIfAborted(opts.signal, `getService '${name}'`);
    return this.parse((await this.#api.health(name)).entries);
  }

  /** Service names in the catalog (`GET /v1/catalog/services`), Consul's own `consul` service left out. */
  async services(opts: CallOptions = {}): Promise<string[]> {
    this.assertOpen('services');
    throwIfAborted(opts.signal, 'services');
    return this.#api.serviceNames();
  }

  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    return this.#hub.watch(name, opts);
  }

  /** Diagnostics: skipped entries, pollers, owned services, re-registrations, index resets, health. */
  stats(): { skipped: number; pollers: number; owned: number; reRegistrations: number; indexResets: number; healthy: boolean } {
    return {
      skipped: this.skipped,
      pollers: this.#pollers.size,
      owned: this.#beats.size,
      reRegistrations: [...this.#beats.values()].reduce((n, b) => n + b.reRegistrations, 0),
      indexResets: [...this.#pollers.values()].reduce((n, p) => n + p.resets, 0),
      healthy: this.#hub.health.healthy,
    };
  }

  /** Stops watchers and heartbeats, deregisters this client's services, and closes the client if it created it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.stopAll();
    const beats = [...this.#beats.values()];
    this.#beats.clear();
    await Promise.all(beats.map(async (b) => {
      await b.stop();
      await this.#api.deregister(b.registration.ID).catch((err: unknown) => this.options.logger.warn(`consul: deregistering '${b.registration.ID}' on close failed: ${(err as Error).message}`));
    }));
    if (this.#ownsClient) this.client.destroy();
  }

  private follow(name: string): Promise<void> {
    const poller = new ServicePoller(this.#api, name, this.#hub, (e) => this.parse(e), this.options);
    this.#pollers.set(name, poller);
    return poller.start();
  }

  private unfollow(name: string): void {
    this.#pollers.get(name)?.stop();
    this.#pollers.delete(name);
  }

  private parse(entries: HealthEntry[]): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const e of entries) {
      const inst = fromHealthEntry(e);
      if (inst !== undefined) {
        out.push(inst);
        continue;
      }
      this.skipped++;
      const id = String((e?.Service as { ID?: unknown } | undefined)?.ID ?? '?');
      if (!this.#badIds.has(id)) {
        this.#badIds.add(id);
        this.options.logger.warn(`consul: skipped service '${id}': not a valid instance (registered by someone else, or malformed)`);
      }
    }
    return sortInstances(out);
  }

  private assertOpen(op: string): void {
    if (this.#closed) throw new DiscoveryError('E_DISCOVERY_CLOSED', `consul registry: ${op} after close()`);
  }
}

rememberBackend(ConsulRegistry);
