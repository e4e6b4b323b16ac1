import type { Etcd3, IOptions } from 'etcd3';
import { isBackendConfig, type BackendConfig } from '../backend-config.js';
import { RegisterBackend } from '../driver/register-backend.js';
import { requirePeer } from '../peer.js';
import { DriverRegistry } from '../driver/registry.js';
import { EtcdDriver } from './etcd-driver.js';
import { MAX_RECEIVE_BYTES } from './paged-range.js';
import { resolveEtcdOptions, type EtcdConnectionOptions, type EtcdRegistryOptions } from './options.js';

/**
 * The etcd backend (`etcd://h1:2379,h2:2379/microservices?ttl=15`), on the `etcd3` client. Keys are
 * `{prefix}/{name}/{id}` holding the instance as go-kratos's JSON (docs/kratos.md), under one lease per client, kept alive
 * and granted again forever after a loss (every instance is then written again). One list+watch
 * over the prefix serves every watched name, and `getService` of a watched name.
 *
 * ```ts
 * new EtcdRegistry({ hosts: ['http://127.0.0.1:2379'] }, { prefix: '/microservices', ttl: '15s' });
 * new EtcdRegistry(existingEtcd3Client, { ttl: 10_000 });      // the client stays yours
 * await createRegistry('etcd://user:pass@127.0.0.1:2379/microservices?ttl=15');
 * ```
 */
@RegisterBackend('etcd')
export class EtcdRegistry extends DriverRegistry<EtcdDriver> {
  static readonly scheme = 'etcd';
  /** The key prefix, e.g. `/microservices` (kratos's default, and ours). */
  readonly prefix: string;
  /** The lease TTL in seconds. */
  readonly ttlSeconds: number;
  /** The etcd3 client (yours if you passed one; closed by `close()` otherwise). */
  readonly client: Etcd3;

  constructor(first: BackendConfig | Etcd3 | (IOptions & EtcdRegistryOptions) | (EtcdConnectionOptions & EtcdRegistryOptions), opts: EtcdRegistryOptions = {}) {
    // Loaded here, not at import: without etcd3 installed, `import 'plugboard/discovery/etcd'` works and this says what to install.
    const { Etcd3 } = requirePeer<typeof import('etcd3')>('etcd', 'etcd3');
    const config = isBackendConfig(first) ? first : undefined;
    const given = config !== undefined ? 'url' : first instanceof Etcd3 ? 'client' : 'options';
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc (the rule's inference differs)
    const code = { ...(config !== undefined ? config.options : given === 'client' ? {} : (first as object)), ...opts };
    const r = resolveEtcdOptions(config, code, given);
    const client = given === 'client' ? (first as Etcd3) : new Etcd3(withChannelDefaults(r.client!, r.kit.livenessMs));
    // Our own clients: a second one for the lease and the writes, with breakers of its own (see EtcdDriver).
    const writer = given === 'client' ? client : new Etcd3(withChannelDefaults(r.client!, r.kit.livenessMs));
    super((ctx) => new EtcdDriver(ctx, client, given !== 'client', r.prefix, r.ttlSeconds, writer), r.kit);
    this.prefix = r.prefix;
    this.ttlSeconds = r.ttlSeconds;
    this.client = client;
  }
}

/**
 * The channel options of a client we make, unless given: gRPC keepalive pings on open streams
 * (the watch, the lease keepalive), so a connection gone silent is closed and dialled again
 * rather than trusted forever; never more often than etcd's default `--grpc-keepalive-min-time`
 * of 5 s allows. And the receive limit, set on purpose (lists are paged to stay well below it).
 */
function withChannelDefaults(o: IOptions, livenessMs: number): IOptions {
  return {
    ...o,
    grpcOptions: {
      'grpc.keepalive_time_ms': Math.max(10_000, livenessMs),
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(livenessMs / 2)),
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      ...o.grpcOptions,
    },
  };
}
