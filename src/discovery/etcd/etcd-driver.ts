import type { Etcd3 } from 'etcd3';
import { abortable } from '../driver/abort.js';
import { decodeInstance, encodeInstance } from '../driver/codec.js';
import type { DiscoveryDriver, DriverContext } from '../driver/driver.js';
import type { FollowSink } from '../driver/follow.js';
import type { InstanceKey } from '../driver/reconciler.js';
import { Session } from '../driver/session.js';
import type { ServiceInstance } from '../instance.js';
import { DiscoveryError } from '../errors.js';
import { etcdError, isLeaseGone, rpcOptions } from './errors.js';
import { pagedRange, prefixEnd } from './paged-range.js';
import { LeaseSession } from './lease-session.js';
import { followPrefix, type PrefixCodec } from './prefix-watch.js';

/**
 * The etcd backend's primitives. Keys are `{prefix}/{name}/{id}`, holding the instance as JSON,
 * all under one lease per client (a {@link Session}); one list+watch of the prefix serves every
 * watched name.
 */
export class EtcdDriver implements DiscoveryDriver, PrefixCodec {
  readonly backend = 'etcd';
  readonly follows = 'prefix' as const;
  readonly streamLiveness = true;
  readonly session: Session<LeaseSession>;
  /** Ends each running subscription with an error (a lost lease). */
  readonly #following = new Set<(err: Error) => void>();

  /**
   * `client` serves reads and the watch; `writer` the lease (grant, keepalive, revoke) and the
   * writes under it. When the registry made its clients they are two, each with its own
   * etcd3 circuit breakers: failing reads (a huge list, a slow range) never open the breaker
   * that the keepalive goes through, so they can never delay it.
   */
  constructor(
    private readonly ctx: DriverContext,
    readonly client: Etcd3,
    private readonly ownsClient: boolean,
    readonly prefix: string,
    readonly ttlSeconds: number,
    readonly writer: Etcd3 = client,
  ) {
    this.session = new Session<LeaseSession>('etcd', {
      open: (signal) => LeaseSession.grant(writer, ttlSeconds, signal, (l, err) => this.session.fail(l, err)),
      release: (lease, why) => lease.end(true).then(() => void why),
      onLost: (err) => {
        ctx.warnOnce('lease', `etcd: lease lost (${err.message}); granting a new one and writing this client's instances again`);
        // The keepalives stopped getting through: the watch cannot be trusted either. Its run
        // ends now (its watchers show it), and the follow lists again: healthy once etcd answers.
        const lost = new DiscoveryError('E_DISCOVERY_UNREACHABLE', `etcd: this client's lease was lost (${err.message}); listing again`, { cause: err });
        for (const fail of [...this.#following]) fail(lost);
        ctx.lost();
      },
    });
  }

  keyFor(k: InstanceKey): string {
    return `${this.prefix}/${k.name}/${k.id}`;
  }

  async apply(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    const { value: lease } = await this.session.get(signal);
    const key = this.keyFor(instance);
    try {
      await abortable(this.writer.put(key).value(encodeInstance(instance)).lease(lease.id).options(rpcOptions()).exec(), signal, `etcd: put ${key}`);
    } catch (err) {
      // Revoked or expired before we noticed: drop it now, so the retry (and every other instance) goes under a new one.
      if (isLeaseGone(err)) this.session.fail(lease, err as Error);
      throw etcdError(`put ${key}`, err);
    }
  }

  async remove(k: InstanceKey, signal: AbortSignal): Promise<void> {
    const key = this.keyFor(k);
    try {
      await abortable(this.writer.delete().key(key).options(rpcOptions()).exec(), signal, `etcd: delete ${key}`);
    } catch (err) {
      throw etcdError(`delete ${key}`, err);
    }
  }

  async read(name: string, signal: AbortSignal): Promise<ServiceInstance[]> {
    const from = `${this.prefix}/${name}/`;
    let res;
    try {
      res = await pagedRange(this.client, Buffer.from(from), prefixEnd(from), signal, `etcd: list ${from}`);
    } catch (err) {
      throw etcdError(`getService '${name}'`, err);
    }
    const out: ServiceInstance[] = [];
    for (const kv of res.kvs) {
      const inst = this.parse(kv.key.toString(), kv.value);
      if (inst !== undefined) out.push(inst);
    }
    return out;
  }

  async services(signal: AbortSignal): Promise<string[]> {
    let keys: string[];
    try {
      const from = `${this.prefix}/`;
      keys = (await pagedRange(this.client, Buffer.from(from), prefixEnd(from), signal, 'etcd: services', { keysOnly: true })).kvs.map((kv) =>
        kv.key.toString(),
      );
    } catch (err) {
      throw etcdError('services', err);
    }
    return [...new Set(keys.map((k) => this.keyOf(k)?.name).filter((n): n is string => n !== undefined))];
  }

  async subscribe(_subject: string, sink: FollowSink, signal: AbortSignal): Promise<void> {
    const run = new AbortController();
    let failed: Error | undefined;
    const fail = (err: Error): void => {
      failed ??= err;
      run.abort(err);
    };
    const onAbort = (): void => run.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#following.add(fail);
    try {
      await followPrefix(this.client, this, sink, run.signal, this.ctx.livenessMs);
    } finally {
      this.#following.delete(fail);
      signal.removeEventListener('abort', onAbort);
    }
    if (failed !== undefined && !signal.aborted) throw failed;
  }

  /** The instance at `key`, or `undefined` (counted, warned once per key) when it is not one of ours. */
  parse(key: string, value: Buffer): ServiceInstance | undefined {
    const k = this.keyOf(key);
    const inst = k === undefined ? undefined : decodeInstance(value);
    if (inst !== undefined && inst.name === k!.name && inst.id === k!.id) return inst;
    this.ctx.skip(key, 'not a valid service instance at {prefix}/{name}/{id} (written by someone else?)');
    return undefined;
  }

  keyOf(key: string): InstanceKey | undefined {
    const rest = key.slice(this.prefix.length + 1).split('/');
    return rest.length === 2 && rest[0] !== '' && rest[1] !== '' ? { name: rest[0]!, id: rest[1]! } : undefined;
  }

  /** Revoking the lease removes every key of this client at once. */
  async close(_present: readonly InstanceKey[], signal: AbortSignal): Promise<void> {
    await abortable(this.session.close(), signal, 'etcd: close').catch(() => undefined);
    this.destroy();
  }

  destroy(): void {
    if (!this.ownsClient) return;
    this.client.close();
    if (this.writer !== this.client) this.writer.close();
  }

  stats(): { leases: number; leasesLost: number } {
    return { leases: this.session.opened, leasesLost: this.session.lost };
  }
}

export { etcdError };
