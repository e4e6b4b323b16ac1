import { RegisterFactory } from '../../decorators/decorators.js';
import { sleep } from '../backoff.js';
import { BACKENDS, isBackendConfig, parseDuration, rememberBackend, type BackendConfig } from '../backends.js';
import { DiscoveryError, throwIfAborted } from '../errors.js';
import { parseStoredInstance, sortInstances, validateInstance, type ServiceInstance, type ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { WatchHub } from '../watch-hub.js';
import { createHash } from 'node:crypto';
import { addDigest, mkdirp, newClient, ZK, zkCode, type ZkAcl, type ZkClient } from './zk-client.js';

/** Options of a {@link ZooKeeperRegistry}. */
export interface ZooKeeperRegistryOptions {
  /** `host:port[,host:port…]`. */
  connect?: string;
  /** Root of the layout (default `/services`): persistent `{root}/{name}`, ephemeral `{root}/{name}/{id}`. */
  root?: string;
  /** Session timeout: ms, or `'10s'` (default 10 s). */
  sessionTimeout?: number | string;
  /**
   * Digest credentials (`zookeeper://user:pass@host/…`). With them, our nodes get an ACL: anyone
   * may read, only these credentials may change or delete them (parents refuse deletes of
   * their children to everyone else).
   */
  auth?: { username: string; password: string };
  logger?: {
    /** One line of warning. */
    warn(msg: string): void;
  };
}

/**
 * The ZooKeeper backend (`zookeeper://h1:2181,h2:2181/services?sessionTimeout=10s`) on the
 * `zookeeper` npm package. Each instance is an ephemeral leaf holding its JSON; each watched
 * name has one children watch, re-armed after every event. When a session expires, a new
 * session is opened and every owned leaf is re-created — a leftover leaf is deleted and
 * created again, never `set` in place (the stale-node bug fixed in go-kratos #2245).
 */
@RegisterFactory('zookeeper', { registry: BACKENDS })
export class ZooKeeperRegistry implements ServiceRegistry {
  static readonly scheme = 'zookeeper';
  readonly backend = 'zookeeper';
  readonly root: string;
  readonly connectString: string;
  readonly sessionTimeoutMs: number;
  readonly #warn: (msg: string) => void;
  readonly #owned = new Map<string, string>();
  readonly #hub: WatchHub;
  readonly #badKeys = new Set<string>();
  readonly #auth: { username: string; password: string } | undefined;
  readonly #leafAcl: ZkAcl[] | undefined;
  readonly #parentAcl: ZkAcl[] | undefined;
  #client: Promise<ZkClient> | undefined;
  #closed = false;
  /** Values that were not valid instances, skipped. */
  skipped = 0;
  /** Sessions opened after an expiry. */
  sessionsRenewed = 0;

  constructor(config: BackendConfig | ZooKeeperRegistryOptions = {}) {
    const fromUrl = isBackendConfig(config) ? config : undefined;
    const opts = (fromUrl?.options ?? config) as ZooKeeperRegistryOptions;
    this.connectString = opts.connect ?? fromUrl?.hosts.join(',') ?? '';
    if (this.connectString === '') throw new DiscoveryError('E_DISCOVERY_URL', 'zookeeper: no hosts (expected zookeeper://host:2181/services)', { key: 'host' });
    const path = fromUrl?.url.pathname ?? '';
    this.root = `/${(opts.root ?? (path === '' || path === '/' ? '/services' : path)).replace(/^\/+|\/+$/g, '')}`;
    this.sessionTimeoutMs = parseDuration('sessionTimeout', opts.sessionTimeout ?? fromUrl?.url.searchParams.get('sessionTimeout') ?? undefined, opts.sessionTimeout === undefined && fromUrl !== undefined ? 's' : 'ms') ?? 10_000;
    this.#warn = opts.logger?.warn.bind(opts.logger) ?? ((msg) => process.emitWarning(msg, { code: 'PLUGBOARD_ZOOKEEPER' }));
    this.#hub = new WatchHub({ follow: (name) => this.refresh(name), unfollow: () => undefined });
    const user = fromUrl?.url.username ? { username: decodeURIComponent(fromUrl.url.username), password: decodeURIComponent(fromUrl.url.password) } : undefined;
    this.#auth = opts.auth ?? user;
    if (this.#auth !== undefined) {
      const { username, password } = this.#auth;
      const id = `${username}:${createHash('sha1').update(`${username}:${password}`).digest('base64')}`;
      const owner: ZkAcl = { perms: ZK.PERM_ALL, scheme: 'digest', auth: id };
      this.#leafAcl = [{ perms: ZK.PERM_READ, scheme: 'world', auth: 'anyone' }, owner];
      // Deleting a node needs DELETE on its parent: others may read and add, not remove.
      this.#parentAcl = [{ perms: ZK.PERM_READ | ZK.PERM_CREATE, scheme: 'world', auth: 'anyone' }, owner];
    }
  }

  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    throwIfAborted(opts.signal, 'register');
    const instance = validateInstance(input);
    const path = this.leaf(instance);
    const json = JSON.stringify(instance);
    this.#owned.set(path, json);
    await this.createLeaf(await this.client(), path, json);
  }

  async deregister(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    throwIfAborted(opts.signal, 'deregister');
    const path = this.leaf(validateInstance(input));
    this.#owned.delete(path);
    const zk = await this.client();
    await zk.delete_(path, -1).catch((err: unknown) => {
      if (zkCode(err) !== ZK.NONODE) throw this.error(`delete ${path}`, err);
    });
  }

  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    this.assertOpen('getService');
    throwIfAborted(opts.signal, `getService '${name}'`);
    return sortInstances(await this.read(await this.client(), name, false));
  }

  async services(opts: CallOptions = {}): Promise<string[]> {
    this.assertOpen('services');
    throwIfAborted(opts.signal, 'services');
    const zk = await this.client();
    const names = await zk.get_children(this.root, false).catch((err: unknown) => {
      if (zkCode(err) === ZK.NONODE) return [] as string[];
      throw this.error(`list ${this.root}`, err);
    });
    const live = await Promise.all(names.map(async (n) => ((await zk.get_children(`${this.root}/${n}`, false).catch(() => [])).length > 0 ? n : undefined)));
    return live.filter((n): n is string => n !== undefined).sort();
  }

  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    return this.#hub.watch(name, opts);
  }

  /** Closes the session: its ephemeral leaves disappear at once, and every watcher stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.stopAll();
    const c = this.#client;
    this.#client = undefined;
    const zk = await c?.catch(() => undefined);
    zk?.close(); // its 'close' event is ignored: #closed is set
  }

  // ---------------------------------------------------------------------- internals

  private leaf(i: ServiceInstance): string {
    return `${this.root}/${i.name}/${i.id}`;
  }

  /** The connected client; opens a session on first use. */
  private client(): Promise<ZkClient> {
    this.#client ??= this.open();
    return this.#client;
  }

  private async open(): Promise<ZkClient> {
    const zk = await this.connectSession();
    if (this.#auth !== undefined) await addDigest(zk, this.#auth.username, this.#auth.password).catch((err: unknown) => Promise.reject(this.error('add_auth', err)));
    return zk;
  }

  private connectSession(): Promise<ZkClient> {
    return new Promise<ZkClient>((resolve) => {
      const zk = newClient(this.connectString, this.sessionTimeoutMs);
      let connected = false;
      zk.on('connect', () => {
        this.#hub.setHealth(true);
        if (!connected) {
          connected = true;
          resolve(zk);
        }
      });
      zk.on('connecting', () => this.#hub.setHealth(false, new DiscoveryError('E_DISCOVERY_BACKEND', 'zookeeper: connection lost; reconnecting')));
      zk.on('close', () => void this.onSessionClosed(zk));
      zk.init({});
    });
  }

  /** The session expired (or the server closed it): open a new one, re-create leaves, re-arm watches. */
  private async onSessionClosed(old: ZkClient): Promise<void> {
    if (this.#closed) return;
    const current = await this.#client?.catch(() => undefined);
    if (current !== old) return; // an old session's late event
    this.#hub.setHealth(false, new DiscoveryError('E_DISCOVERY_BACKEND', 'zookeeper: session expired; opening a new one'));
    this.#client = this.open();
    const zk = await this.#client;
    this.sessionsRenewed++;
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        for (const [path, json] of this.#owned) await this.createLeaf(zk, path, json);
        for (const name of this.#hub.names()) await this.refresh(name);
        return;
      } catch (err) {
        if (attempt === 0) this.#warn(`zookeeper: re-creating leaves after session expiry failed (${err instanceof Error ? err.message : String(err)}); retrying`);
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }

  /** Creates an ephemeral leaf; a leftover leaf is deleted and created again, never set in place. */
  private async createLeaf(zk: ZkClient, path: string, json: string): Promise<void> {
    const parent = path.slice(0, path.lastIndexOf('/'));
    await mkdirp(zk, parent).catch((err: unknown) => {
      if (zkCode(err) !== ZK.NODEEXISTS) throw this.error(`create ${path}`, err);
    });
    // Best effort on the parent: it may belong to other credentials, which is their business.
    if (this.#parentAcl !== undefined) await zk.set_acl(parent, -1, this.#parentAcl).catch(() => undefined);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await zk.create(path, json, ZK.EPHEMERAL);
        if (this.#leafAcl !== undefined) await zk.set_acl(path, -1, this.#leafAcl);
        return;
      } catch (err) {
        if (zkCode(err) !== ZK.NODEEXISTS) throw this.error(`create ${path}`, err);
        await zk.delete_(path, -1).catch((e: unknown) => {
          if (zkCode(e) !== ZK.NONODE) throw this.error(`delete stale ${path}`, e);
        });
      }
    }
    throw new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: create ${path}: the node keeps reappearing`);
  }

  /** Reads `name`'s instances and, when watching, (re-)arms its children watch and publishes. */
  private async refresh(name: string): Promise<void> {
    const zk = await this.client();
    const list = await this.read(zk, name, true);
    this.#hub.publish(name, list);
  }

  private async read(zk: ZkClient, name: string, watch: boolean): Promise<ServiceInstance[]> {
    const parent = `${this.root}/${name}`;
    let children: string[];
    try {
      if (watch) await mkdirp(zk, parent).catch(() => undefined); // a watch needs the parent to exist
      children = watch
        ? await zk.w_get_children(parent, () => {
            // One-shot: re-arm on every event, while someone still watches this name on this session.
            if (!this.#closed && this.#hub.watching(name)) void this.refresh(name).catch((err) => this.#hub.setHealth(false, err as Error));
          })
        : await zk.get_children(parent, false);
    } catch (err) {
      if (zkCode(err) === ZK.NONODE) return [];
      throw this.error(`list ${parent}`, err);
    }
    const out: ServiceInstance[] = [];
    for (const id of children) {
      const path = `${parent}/${id}`;
      let data: Buffer | string;
      try {
        [, data] = await zk.get(path, false);
      } catch (err) {
        if (zkCode(err) === ZK.NONODE) continue; // vanished between list and get
        throw this.error(`get ${path}`, err);
      }
      const inst = data === null || data === undefined ? undefined : parseStoredInstance(data);
      if (inst !== undefined && inst.name === name && inst.id === id) out.push(inst);
      else this.skip(path);
    }
    return out;
  }

  private skip(path: string): void {
    this.skipped++;
    if (this.#badKeys.has(path)) return;
    this.#badKeys.add(path);
    this.#warn(`zookeeper: skipping ${path}: not a valid service instance at {root}/{name}/{id} (written by someone else?)`);
  }

  private error(what: string, err: unknown): DiscoveryError {
    const code = zkCode(err) === ZK.NOAUTH ? 'E_DISCOVERY_AUTH' : 'E_DISCOVERY_BACKEND';
    return new DiscoveryError(code, `zookeeper: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  private assertOpen(op: string): void {
    if (this.#closed) throw new DiscoveryError('E_DISCOVERY_CLOSED', `zookeeper registry: ${op} after close()`);
  }
}

rememberBackend(ZooKeeperRegistry);
