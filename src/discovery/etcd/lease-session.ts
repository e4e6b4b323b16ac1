import type { Etcd3 } from 'etcd3';
import { abortable } from '../driver/abort.js';
import { DiscoveryError } from '../errors.js';
import { etcdError, rpcOptions } from './errors.js';

type KeepAliveStream = Awaited<ReturnType<Etcd3['leaseClient']['leaseKeepAlive']>>;

/**
 * One etcd lease, kept alive on etcd's keepalive stream every TTL/3 (as the Go client does),
 * on the raw RPC so that every timer is ours: unref'd, and gone after {@link end}. The lease
 * counts as lost when etcd says its TTL is over, or when no keepalive has succeeded for a whole
 * TTL (etcd has then expired it, or will: etcd3's own `Lease` waits twice as long).
 */
export class LeaseSession {
  #lastAlive = Date.now();
  #stream: KeepAliveStream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  private constructor(
    private readonly client: Etcd3,
    /** The lease id, as etcd3 gives it (a decimal string). */
    readonly id: string,
    readonly ttlSeconds: number,
    private readonly onLost: (err: Error) => void,
  ) {}

  /** Grants a lease and starts keeping it alive. A grant that lands after `signal` fired is revoked. */
  static async grant(client: Etcd3, ttlSeconds: number, signal: AbortSignal, onLost: (s: LeaseSession, err: Error) => void): Promise<LeaseSession> {
    const granted = client.leaseClient.leaseGrant({ TTL: ttlSeconds }, rpcOptions());
    granted.then(
      (res) => {
        if (signal.aborted) void client.leaseClient.leaseRevoke({ ID: res.ID }, rpcOptions()).catch(() => undefined);
      },
      () => undefined,
    );
    let res;
    try {
      res = await abortable(granted, signal, 'etcd: granting a lease');
    } catch (err) {
      throw etcdError('granting a lease', err);
    }
    const session: LeaseSession = new LeaseSession(client, res.ID, ttlSeconds, (err) => onLost(session, err));
    session.start();
    return session;
  }

  /** Stops the keepalives; with `revoke`, also tells etcd (bounded by the RPC deadline), so the lease's keys go at once. */
  async end(revoke: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#timer);
    this.dropStream();
    if (revoke) await this.client.leaseClient.leaseRevoke({ ID: this.id }, rpcOptions()).catch(() => undefined);
  }

  private start(): void {
    this.#timer = setInterval(() => this.beat(), Math.max(100, (this.ttlSeconds * 1000) / 3));
    this.#timer.unref();
  }

  private beat(): void {
    if (this.#ended) return;
    if (Date.now() - this.#lastAlive > this.ttlSeconds * 1000) {
      this.lose(new DiscoveryError('E_DISCOVERY_BACKEND', `etcd: lease ${this.id}: no keepalive succeeded for ${this.ttlSeconds}s; it has expired`));
      return;
    }
    const stream = this.#stream;
    if (stream !== undefined) {
      stream.write({ ID: this.id });
      return;
    }
    this.client.leaseClient.leaseKeepAlive().then(
      (s) => {
        if (this.#ended) return s.cancel();
        this.#stream = s;
        s.on('data', (res) => {
          if (Number(res.TTL) <= 0) this.lose(new DiscoveryError('E_DISCOVERY_BACKEND', `etcd: lease ${this.id} was revoked or has expired`));
          else this.#lastAlive = Date.now();
        });
        s.on('error', () => this.dropStream(s));
        s.on('end', () => this.dropStream(s));
        s.write({ ID: this.id });
      },
      () => undefined, // etcd unreachable: the next beat tries again, until the TTL is over
    );
  }

  private dropStream(s: KeepAliveStream | undefined = this.#stream): void {
    if (s === undefined || s !== this.#stream) return;
    this.#stream = undefined;
    try {
      s.cancel();
    } catch {
      /* already closed */
    }
  }

  private lose(err: Error): void {
    if (this.#ended) return;
    void this.end(false);
    this.onLost(err);
  }
}
