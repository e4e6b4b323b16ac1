/**
 * A thin typed face over the `zookeeper` npm package (the maintained native client): the
 * promise API plus the events this backend needs. Kept apart so the driver reads plainly.
 */
import { isolatedClient } from './zk-process.js';

/** One ACL entry, as the package takes it. */
export interface ZkAcl {
  perms: number;
  scheme: string;
  auth: string;
}

export interface ZkStat {
  ephemeralOwner: unknown;
  version: number;
  /** Set by the package: whether the node's ephemeral owner is this client's session. */
  createdInThisSession?: boolean;
}

/** A watch callback: event type, session state, path. */
export type ZkWatch = (type: number, state: number, path: string) => void;

/** The subset of the client used here. */
export interface ZkClient {
  create(path: string, data: string | Buffer, flags: number): Promise<string>;
  exists(path: string, watch: boolean): Promise<ZkStat | null>;
  w_exists(path: string, watchCb: ZkWatch): Promise<ZkStat | null>;
  get(path: string, watch: boolean): Promise<[ZkStat, Buffer | string]>;
  w_get(path: string, watchCb: ZkWatch): Promise<[ZkStat, Buffer | string]>;
  set(path: string, data: string | Buffer, version: number): Promise<ZkStat>;
  get_children(path: string, watch: boolean): Promise<string[]>;
  w_get_children(path: string, watchCb: ZkWatch): Promise<string[]>;
  delete_(path: string, version: number): Promise<void>;
  add_auth(scheme: string, auth: string, cb: (rc: number, error: string) => void): void;
  set_acl(path: string, version: number, acl: ZkAcl[]): Promise<void>;
  /** The node's ACL and stat (tools and tests: which ACL a node has). */
  get_acl(path: string): Promise<[ZkAcl[], ZkStat]>;
  close(): void;
  init(config: object): void;
  on(event: 'connect' | 'connecting', fn: () => void): void;
  on(event: 'close', fn: (client: unknown, code: number) => void): void;
  once(event: 'connect', fn: () => void): void;
  removeListener(event: 'connect', fn: () => void): void;
  /** The connection state (`ZK.CONNECTED_STATE` when connected). */
  readonly state: number;
  readonly client_id: string;
  readonly client_password: string;
  /** Resolves when the client's process has exited (after close(), or if it died). */
  readonly exited: Promise<void>;
}

/**
 * The ZooKeeper C API's constants (protocol numbers, stable across versions), written out so
 * that this process never loads the native binding: only the clients' own processes do
 * (zk-process.ts).
 */
export const ZK = {
  EPHEMERAL: 1,
  PERSISTENT: 0,
  LOG_ERROR: 1,
  CREATED_EVENT: 1,
  DELETED_EVENT: 2,
  CHANGED_EVENT: 3,
  CHILD_EVENT: 4,
  EXPIRED_SESSION_STATE: -112,
  CONNECTED_STATE: 3,
  PERM_READ: 1,
  PERM_CREATE: 4,
  PERM_ALL: 31,
  NONODE: -101,
  NOAUTH: -102,
  NODEEXISTS: -110,
};

/** The ZooKeeper return code of an error thrown by the client (`-101 no node` → -101). */
export function zkCode(err: unknown): number | undefined {
  const m = /^(-\d+)\b/.exec(err instanceof Error ? err.message : String(err));
  return m === null ? undefined : Number(m[1]);
}

/**
 * The binding closes a client, as if its session had expired (-112), after 10 wake-ups of its
 * socket with nothing to process. That misfires while a server is down or restarting, and the
 * close, made from inside the binding's own I/O callback, leaves the native client broken for
 * every client of the process afterwards: new sessions fail at once, even once the server is
 * back (reproduced: test/discovery/interleavings/zookeeper.test.ts, fault `restart`). Expiry is
 * the server's to declare, and the C library reports it; the heuristic is turned off.
 */
export const NO_RESPONSE_LIMIT = 2 ** 31 - 1;

/** A new, not yet connected client, in a process of its own (see zk-process.ts). */
export function newClient(connect: string, sessionTimeoutMs: number): ZkClient {
  return isolatedClient({
    connect,
    timeout: sessionTimeoutMs,
    debug_level: ZK.LOG_ERROR,
    host_order_deterministic: false,
    response_counter_limit: NO_RESPONSE_LIMIT,
  });
}

/** Adds digest credentials to the session (the package's add_auth is callback-only). */
export function addDigest(zk: ZkClient, username: string, password: string): Promise<void> {
  return new Promise((resolve, reject) =>
    zk.add_auth('digest', `${username}:${password}`, (rc, error) => (rc === 0 ? resolve() : reject(new Error(`${rc} ${error}`)))),
  );
}

/** Closes a client; its thread closes the native client outside of the binding's callbacks. */
export function closeSafely(zk: ZkClient): void {
  setImmediate(() => {
    try {
      zk.close();
    } catch {
      /* already closed */
    }
  });
}
