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
export function openZkSession(o: ZkSessionOptions, signal: AbortSignal, track: (zk: ZkClient) => void): Promise<ZkClient> {
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
      if (closedByUs || !connected) return;
      const why = code === ZK.EXPIRED_SESSION_STATE ? 'the session expired' : `the session ended (state ${code})`;
      o.ended(zk, new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: ${why}; opening a new one`));
    });
    zk.init({});
  });
}
