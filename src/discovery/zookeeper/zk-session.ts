import { DiscoveryError } from '../errors.js';
import { addDigest, closeSafely, newClient, ZK, type ZkClient } from './zk-client.js';

/** What opening a ZooKeeper session needs. */
export interface ZkSessionOptions {
  connect: string;
  sessionTimeoutMs: number;
  auth: { username: string; password: string } | undefined;
  /** The connection is down (reconnecting within the session) or back. */
  health(healthy: boolean, error?: Error): void;
  /** The server ended the session (expired, or refused our credentials). */
  ended(zk: ZkClient, err: Error): void;
}

/**
 * Opens a ZooKeeper session: a client connected (the native client keeps trying every server
 * in the connect string), with our digest credentials added. If `signal` fires first, the
 * half-open client is closed, so nothing of it is left running.
 */
export async function openZkSession(o: ZkSessionOptions, signal: AbortSignal, track: (zk: ZkClient) => void): Promise<ZkClient> {
  // Never inside a callback of another native client: a session is often reopened from the
  // 'close' of the one that expired, and a new client's socket can then take the descriptor
  // the old one is still closing (libuv aborts the process: uv_poll_start on a closing handle).
  await new Promise<void>((r) => setImmediate(r));
  if (signal.aborted) throw new DiscoveryError('E_DISCOVERY_CLOSED', 'zookeeper: closed while connecting');
  return new Promise<ZkClient>((resolve, reject) => {
    const zk = newClient(o.connect, o.sessionTimeoutMs);
    track(zk);
    let connected = false;
    let settled = false; // the opening resolved: later ends are reported through o.ended
    let closedByUs = false;
    const onAbort = (): void => {
      closedByUs = true;
      closeSafely(zk);
      reject(new DiscoveryError('E_DISCOVERY_CLOSED', 'zookeeper: closed while connecting'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // Disconnected for longer than the session timeout, the session is gone on the server's
    // side (it expires sessions it has not heard from in that time), whether or not the client
    // ever reconnects to be told so — Curator's LOST state. A client that never reconnects
    // (the binding's reconnect can stay deaf after a server restart) would otherwise hold a
    // dead session for ever, and its instances would never be written again.
    let lostTimer: NodeJS.Timeout | undefined;
    const stopLostTimer = (): void => {
      if (lostTimer !== undefined) clearTimeout(lostTimer);
      lostTimer = undefined;
    };
    zk.on('connect', () => {
      stopLostTimer();
      o.health(true);
      if (connected) return;
      connected = true;
      signal.removeEventListener('abort', onAbort);
      if (o.auth === undefined) {
        settled = true;
        return resolve(zk);
      }
      addDigest(zk, o.auth.username, o.auth.password).then(
        () => {
          settled = true;
          resolve(zk);
        },
        (err: unknown) => {
          closedByUs = true;
          closeSafely(zk);
          reject(new DiscoveryError('E_DISCOVERY_AUTH', `zookeeper: add_auth failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        },
      );
    });
    zk.on('connecting', () => {
      if (!connected) return;
      o.health(false, new DiscoveryError('E_DISCOVERY_BACKEND', 'zookeeper: connection lost; reconnecting'));
      lostTimer ??= setTimeout(() => {
        lostTimer = undefined;
        if (closedByUs) return;
        closedByUs = true;
        const err = new DiscoveryError(
          'E_DISCOVERY_BACKEND',
          `zookeeper: disconnected for longer than the session timeout (${o.sessionTimeoutMs} ms): the session is presumed expired; opening a new one`,
        );
        if (settled) return o.ended(zk, err);
        // Lost before the opening finished (between connect and auth): this opening fails.
        signal.removeEventListener('abort', onAbort);
        closeSafely(zk);
        reject(err);
      }, o.sessionTimeoutMs);
      lostTimer.unref();
    });
    zk.on('close', (_c, code) => {
      stopLostTimer();
      if (closedByUs) return;
      const why = code === ZK.EXPIRED_SESSION_STATE ? 'the session expired' : `the session ended (state ${code})`;
      if (settled) return o.ended(zk, new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: ${why}; opening a new one`));
      // The client gave up before it ever connected (a handshake cut short can end as
      // "expired"): this opening fails, and the next one starts a new client.
      signal.removeEventListener('abort', onAbort);
      closedByUs = true;
      closeSafely(zk);
      reject(new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: ${why} before it was established`));
    });
    zk.init({});
  });
}
