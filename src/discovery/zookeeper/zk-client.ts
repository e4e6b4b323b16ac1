/**
 * A thin typed face over the `zookeeper` npm package (the maintained native client): the
 * promise API plus the events this backend needs. Kept apart so the driver reads plainly.
 */
import ZooKeeper from 'zookeeper';

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
}

const constants = (ZooKeeper as unknown as { constants: Record<string, number> }).constants;

export const ZK = {
  EPHEMERAL: constants['ZOO_EPHEMERAL']!,
  PERSISTENT: constants['ZOO_PERSISTENT'] ?? 0,
  LOG_ERROR: constants['ZOO_LOG_LEVEL_ERROR']!,
  CREATED_EVENT: constants['ZOO_CREATED_EVENT']!,
  DELETED_EVENT: constants['ZOO_DELETED_EVENT']!,
  CHANGED_EVENT: constants['ZOO_CHANGED_EVENT']!,
  CHILD_EVENT: constants['ZOO_CHILD_EVENT']!,
  EXPIRED_SESSION_STATE: constants['ZOO_EXPIRED_SESSION_STATE']!,
  CONNECTED_STATE: constants['ZOO_CONNECTED_STATE']!,
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

/** A new, not yet connected client. */
export function newClient(connect: string, sessionTimeoutMs: number): ZkClient {
  return new (ZooKeeper as unknown as new (cfg: object) => ZkClient)({
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

/**
 * Closes a client outside of any callback of the native client. Promise continuations run
 * inside the binding's callbacks (Node drains microtasks in `MakeCallback`), and closing a
 * client there frees it in the middle of `zookeeper_process`: a use-after-free that aborts
 * the process (`uv_poll_start: Assertion !uv__is_closing(handle)`). `setImmediate` runs after
 * the callback has returned.
 */
export function closeSafely(zk: ZkClient): void {
  setImmediate(() => {
    try {
      zk.close();
    } catch {
      /* already closed */
    }
  });
}
