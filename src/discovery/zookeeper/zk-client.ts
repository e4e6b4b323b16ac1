/**
 * A thin typed face over the `zookeeper` npm package (the maintained native client): the
 * promise API plus the events this backend needs. Kept apart so the registry reads plainly.
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
}

/** The subset of the client used here. */
export interface ZkClient {
  create(path: string, data: string | Buffer, flags: number): Promise<string>;
  exists(path: string, watch: boolean): Promise<ZkStat | null>;
  get(path: string, watch: boolean): Promise<[ZkStat, Buffer | string]>;
  get_children(path: string, watch: boolean): Promise<string[]>;
  w_get_children(path: string, watchCb: (type: number, state: number, path: string) => void): Promise<string[]>;
  delete_(path: string, version: number): Promise<void>;
  mkdirp(path: string, cb: (err: Error | null) => void): void;
  add_auth(scheme: string, auth: string, cb: (rc: number, error: string) => void): void;
  set_acl(path: string, version: number, acl: ZkAcl[]): Promise<void>;
  close(): void;
  init(config: object): void;
  on(event: 'connect' | 'close' | 'connecting', fn: () => void): void;
}

export const ZK = {
  EPHEMERAL: (ZooKeeper as unknown as { constants: Record<string, number> }).constants['ZOO_EPHEMERAL']!,
  LOG_ERROR: (ZooKeeper as unknown as { constants: Record<string, number> }).constants['ZOO_LOG_LEVEL_ERROR']!,
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

/** A new, not yet connected client. */
export function newClient(connect: string, sessionTimeoutMs: number): ZkClient {
  return new (ZooKeeper as unknown as new (cfg: object) => ZkClient)({
    connect,
    timeout: sessionTimeoutMs,
    debug_level: ZK.LOG_ERROR,
    host_order_deterministic: false,
  });
}

/** Creates `path` and its missing parents as persistent nodes (the package's mkdirp is callback-only). */
export function mkdirp(zk: ZkClient, path: string): Promise<void> {
  return new Promise((resolve, reject) => zk.mkdirp(path, (err) => (err ? reject(err) : resolve())));
}

/** Adds digest credentials to the session (the package's add_auth is callback-only). */
export function addDigest(zk: ZkClient, username: string, password: string): Promise<void> {
  return new Promise((resolve, reject) =>
    zk.add_auth('digest', `${username}:${password}`, (rc, error) => (rc === 0 ? resolve() : reject(new Error(`${rc} ${error}`)))),
  );
}
