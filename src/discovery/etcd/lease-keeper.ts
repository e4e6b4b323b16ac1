import type { Etcd3, Lease } from 'etcd3';
import { backoff, sleep } from '../backoff.js';
import { etcdError } from './errors.js';

/**
 * Liveness of one client's instances: one lease with a TTL, kept alive, holding every key this
 * client registered. When the lease is lost — revoked, expired, or etcd unreachable for longer
 * than the TTL — a new lease is granted and every owned key is put again, retrying **forever**
 * with capped, jittered backoff (no max-retry give-up, unlike go-kratos #3883).
 */
export class LeaseKeeper {
  readonly #client: Etcd3;
  readonly #ttl: number;
  readonly #retry: { minMs: number; maxMs: number };
  readonly #warn: (msg: string) => void;
  readonly #owned = new Map<string, string>();
  #lease: Lease | undefined;
  #lastAlive = Date.now();
  #recovering: Promise<void> | undefined;
  #closed = false;
  /** How many times the lease was re-established (for tests and diagnostics). */
  recoveries = 0;

  constructor(client: Etcd3, ttlSeconds: number, retry: { minMs: number; maxMs: number }, warn: (msg: string) => void) {
    this.#client = client;
    this.#ttl = ttlSeconds;
    this.#retry = retry;
    this.#warn = warn;
  }

  /** Puts `key` under the lease (granting it first if needed) and remembers it for recovery. */
  async put(key: string, value: string): Promise<void> {
    this.#owned.set(key, value);
    if (this.#recovering !== undefined) return this.#recovering; // recovery puts every owned key
    const lease = this.#lease ?? this.newLease();
    try {
      await lease.put(key).value(value).exec();
    } catch (err) {
      if (this.#lease === lease && (await this.isLeaseGone(lease))) return this.recover();
      this.#owned.delete(key);
      throw etcdError(`put ${key}`, err);
    }
  }

  /** Deletes `key`. The last key's deletion revokes the lease, so nothing keeps running. */
  async delete(key: string): Promise<void> {
    this.#owned.delete(key);
    try {
      await this.#client.delete().key(key).exec();
    } catch (err) {
      throw etcdError(`delete ${key}`, err);
    }
    if (this.#owned.size === 0) await this.dropLease(true);
  }

  /** Keys currently owned. */
  keys(): string[] {
    return [...this.#owned.keys()];
  }

  /** Stops keepalives and revokes the lease (its keys go with it). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#owned.clear();
    await this.dropLease(true);
  }

  private newLease(): Lease {
    const lease = this.#client.lease(this.#ttl, { autoKeepAlive: true });
    this.#lease = lease;
    this.#lastAlive = Date.now();
    lease.on('lost', (err) => {
      if (this.#lease !== lease || this.#closed) return;
      this.#warn(`etcd: lease lost (${err.message}); granting a new one and re-registering ${this.#owned.size} instance(s)`);
      void this.recover();
    });
    lease.on('keepaliveSucceeded', () => (this.#lastAlive = Date.now()));
    lease.on('keepaliveFailed', () => {
      // etcd3 itself only declares loss after 2×TTL; past one TTL the lease is already gone.
      if (this.#lease === lease && !this.#closed && Date.now() - this.#lastAlive > this.#ttl * 1000) void this.recover();
    });
    return lease;
  }

  private async isLeaseGone(lease: Lease): Promise<boolean> {
    try {
      return (await lease.grant()) === undefined;
    } catch {
      return true;
    }
  }

  /** Grants a new lease and puts every owned key again, until it works or the keeper closes. */
  private recover(): Promise<void> {
    this.#recovering ??= (async () => {
      const old = this.#lease;
      this.#lease = undefined;
      old?.release();
      for (let attempt = 0; !this.#closed && this.#owned.size > 0; attempt++) {
        const lease = this.newLease();
        try {
          await lease.grant();
          for (const [key, value] of this.#owned) await lease.put(key).value(value).exec();
          this.recoveries++;
          return;
        } catch (err) {
          if (this.#lease === lease) this.#lease = undefined;
          lease.release();
          if (attempt === 0 || attempt % 10 === 0) this.#warn(`etcd: re-registration attempt ${attempt + 1} failed (${err instanceof Error ? err.message : String(err)}); retrying`);
          await sleep(backoff(attempt, this.#retry.minMs, this.#retry.maxMs));
        }
      }
    })().finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  private async dropLease(revoke: boolean): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease === undefined) return;
    if (!revoke) return lease.release();
    // Revoking needs etcd; an unreachable etcd must not hang close(): the lease then just expires.
    const revoked = lease.revoke().then(() => true, () => false);
    if (!(await Promise.race([revoked, sleep(2000).then(() => false)]))) lease.release();
  }
}
