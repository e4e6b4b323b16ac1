import { Etcd3, type IOptions } from 'etcd3';
import { RegisterFactory } from '../../decorators/decorators.js';
import { BACKENDS, isBackendConfig, rememberBackend, type BackendConfig } from '../backends.js';
import { DiscoveryError, throwIfAborted } from '../errors.js';
import { sortInstances, validateInstance, type ServiceInstance, type ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { WatchHub } from '../watch-hub.js';
import { etcdError } from './errors.js';
import { LeaseKeeper } from './lease-keeper.js';
import { resolveEtcdOptions, type EtcdConnectionOptions, type EtcdRegistryOptions } from './options.js';
import { PrefixMirror } from './prefix-mirror.js';

/**
 * The etcd backend (`etcd://h1:2379,h2:2379/services?ttl=15`), on the `etcd3` client. Keys are
 * `{prefix}/{name}/{id}` holding the instance as JSON, under one lease per client kept alive
 * and re-established forever. One list+watch over the prefix serves every watched name.
 *
 * ```ts
 * new EtcdRegistry({ hosts: ['http://127.0.0.1:2379'] }, { prefix: '/services', ttl: '15s' });
 * new EtcdRegistry(existingEtcd3Client, { ttl: 10_000 });      // the client stays yours
 * await createRegistry('etcd://user:pass@127.0.0.1:2379/services?ttl=15');
 * ```
 */
@RegisterFactory('etcd', { registry: BACKENDS })
export class EtcdRegistry implements ServiceRegistry {
  static readonly scheme = 'etcd';
  readonly backend = 'etcd';
  /** The key prefix, e.g. `/services`. */
  readonly prefix: string;
  /** The lease TTL in seconds. */
  readonly ttlSeconds: number;
  readonly client: Etcd3;
  readonly #ownsClient: boolean;
  readonly #keeper: LeaseKeeper;
  readonly #mirror: PrefixMirror;
  readonly #hub: WatchHub;
  #closed = false;

  constructor(first: BackendConfig | Etcd3 | (IOptions & EtcdRegistryOptions) | (EtcdConnectionOptions & EtcdRegistryOptions), opts: EtcdRegistryOptions = {}) {
    const isConfig = isBackendConfig(first);
    const isClient = first instanceof Etcd3;
    const code = { ...(isConfig ? (first as BackendConfig).options : isClient ? {} : first), ...opts } as EtcdRegistryOptions & EtcdConnectionOptions;
    const resolved = resolveEtcdOptions(isConfig ? (first as BackendConfig) : undefined, isClient || isConfig ? code : { ...code, hosts: normaliseHosts((first as IOptions).hosts) });
    this.prefix = resolved.prefix;
    this.ttlSeconds = resolved.ttlSeconds;
    // Plain etcd3 options (auth, credentials, grpcOptions…) given as the first argument pass through.
    const passthrough = isClient || isConfig ? {} : omitRegistryOptions(first as IOptions & EtcdRegistryOptions);
    this.client = isClient ? (first as Etcd3) : new Etcd3({ ...resolved.client, ...passthrough, hosts: resolved.client.hosts });
    this.#ownsClient = !isClient;
    const warn = (msg: string): void => resolved.logger.warn(msg);
    this.#keeper = new LeaseKeeper(this.client, resolved.ttlSeconds, resolved.retry, warn);
    this.#hub = new WatchHub({ follow: (name) => this.#mirror.follow(name), unfollow: () => this.#mirror.unfollow() });
    this.#mirror = new PrefixMirror(this.client, this.prefix, this.#hub, warn, resolved.retry);
  }

  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    throwIfAborted(opts.signal, 'register');
    const instance = validateInstance(input);
    await this.#keeper.put(this.key(instance), JSON.stringify(instance));
  }

  async deregister(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    throwIfAborted(opts.signal, 'deregister');
    const instance = validateInstance(input);
    await this.#keeper.delete(this.key(instance));
  }

  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    this.assertOpen('getService');
    throwIfAborted(opts.signal, `getService '${name}'`);
    let res;
    try {
      res = await this.client.getAll().prefix(`${this.prefix}/${name}/`).exec();
    } catch (err) {
      throw etcdError(`getService '${name}'`, err);
    }
    const out: ServiceInstance[] = [];
    for (const kv of res.kvs) {
      const inst = this.#mirror.parse(kv.key.toString(), kv.value);
      if (inst !== undefined) out.push(inst);
    }
    return sortInstances(out);
  }

  async services(opts: CallOptions = {}): Promise<string[]> {
    this.assertOpen('services');
    throwIfAborted(opts.signal, 'services');
    let keys: string[];
    try {
      keys = await this.client.getAll().prefix(`${this.prefix}/`).keys();
    } catch (err) {
      throw etcdError('services', err);
    }
    const names = new Set(keys.map((k) => k.slice(this.prefix.length + 1).split('/')[0]!).filter((n) => n !== ''));
    return [...names].sort();
  }

  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    return this.#hub.watch(name, opts);
  }

  /** Diagnostics: skipped foreign values, open watches, lease recoveries, owned keys, backend health. */
  stats(): { skipped: number; watches: number; recoveries: number; owned: number; healthy: boolean; listedAt: number } {
    return {
      skipped: this.#mirror.skipped,
      watches: this.#mirror.watchCount,
      recoveries: this.#keeper.recoveries,
      owned: this.#keeper.keys().length,
      healthy: this.#hub.health.healthy,
      listedAt: this.#mirror.listedAt,
    };
  }

  /** Stops watchers, revokes the lease (its instances go with it) and closes the client if it created it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.stopAll();
    await this.#mirror.stop();
    await this.#keeper.close();
    if (this.#ownsClient) this.client.close();
  }

  private key(i: ServiceInstance): string {
    return `${this.prefix}/${i.name}/${i.id}`;
  }

  private assertOpen(op: string): void {
    if (this.#closed) throw new DiscoveryError('E_DISCOVERY_CLOSED', `etcd registry: ${op} after close()`);
  }
}

rememberBackend(EtcdRegistry);

function normaliseHosts(hosts: IOptions['hosts'] | undefined): string[] | undefined {
  if (hosts === undefined) return undefined;
  return (Array.isArray(hosts) ? hosts : [hosts]).map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`));
}

function omitRegistryOptions(o: IOptions & EtcdRegistryOptions & Omit<EtcdConnectionOptions, "hosts">): Partial<IOptions> {
  const { prefix: _p, ttl: _t, retry: _r, logger: _l, username: _u, password: _pw, tls: _tls, hosts: _h, ...rest } = o;
  return rest;
}
