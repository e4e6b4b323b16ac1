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
    let closedByUs = false;
    const onAbort = (): void => {
      closedByUs = true;
      closeSafely(zk);
      reject(new DiscoveryError('E_DISCOVERY_CLOSED', 'zookeeper: closed while connecting'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    zk.on('connect', () => {
      o.health(true);
      if (connected) return;
      connected = true;
      signal.removeEventListener('abort', onAbort);
      if (o.auth === undefined) return resolve(zk);
      addDigest(zk, o.auth.username, o.auth.password).then(
        () => resolve(zk),
        (err: unknown) => {
          closedByUs = true;
          closeSafely(zk);
          reject(new DiscoveryError('E_DISCOVERY_AUTH', `zookeeper: add_auth failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        },
      );
    });
    zk.on('connecting', () => {
      if (connected) o.health(false, new DiscoveryError('E_DISCOVERY_BACKEND', 'zookeeper: connection lost; reconnecting'));
    });
    zk.on('close', (_c, code) => {
      if (closedByUs) return;
      const why = code === ZK.EXPIRED_SESSION_STATE ? 'the session expired' : `the session ended (state ${code})`;
      if (connected) return o.ended(zk, new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: ${why}; opening a new one`));
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
