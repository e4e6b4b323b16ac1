import { createHash } from 'node:crypto';
import { abortable, deferred } from '../driver/abort.js';
import { decodeInstance, encodeInstance } from '../driver/codec.js';
import type { DiscoveryDriver, DriverContext } from '../driver/driver.js';
import type { FollowSink } from '../driver/follow.js';
import type { InstanceKey } from '../driver/reconciler.js';
import { Session } from '../driver/session.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import { closeSafely, ZK, zkCode, type ZkAcl, type ZkClient } from './zk-client.js';
import { openZkSession } from './zk-session.js';

/** What the driver needs, resolved from the URL and the options. */
export interface ZkDriverOptions {
  connect: string;
  root: string;
  sessionTimeoutMs: number;
  auth: { username: string; password: string } | undefined;
  /** Whether the parents we create get a restrictive ACL (default: open, as kratos creates them). */
  restrictParents?: boolean;
}

/**
 * The ZooKeeper backend's primitives: each instance is an ephemeral leaf
 * `{root}/{name}/{id}` holding its JSON, under the client's one session (a {@link Session});
 * each watched name has one children watch, armed again after each event it fires.
 */
export class ZkDriver implements DiscoveryDriver {
  readonly backend = 'zookeeper';
  readonly follows = 'name' as const;
  readonly session: Session<ZkClient>;
  readonly #clients = new Set<ZkClient>();
  /** Parents known to exist in the current session (saves a round trip per write). */
  #parents = new WeakMap<ZkClient, Set<string>>();
  readonly #leafAcl: ZkAcl[] | undefined;
  readonly #parentAcl: ZkAcl[] | undefined;

  constructor(
    private readonly ctx: DriverContext,
    readonly o: ZkDriverOptions,
  ) {
    if (o.auth !== undefined) {
      const { username, password } = o.auth;
      const id = `${username}:${createHash('sha1').update(`${username}:${password}`).digest('base64')}`;
      const owner: ZkAcl = { perms: ZK.PERM_ALL, scheme: 'digest', auth: id };
      this.#leafAcl = [{ perms: ZK.PERM_READ, scheme: 'world', auth: 'anyone' }, owner];
      // Deleting a node needs DELETE on its parent: with restricted parents, others may read and
      // add, not remove, which locks kratos clients without credentials out of deregistering.
      // So only on request; by default parents are open, as kratos creates them.
      if (o.restrictParents === true) this.#parentAcl = [{ perms: ZK.PERM_READ | ZK.PERM_CREATE, scheme: 'world', auth: 'anyone' }, owner];
    }
    this.session = new Session<ZkClient>('zookeeper', {
      open: (signal) =>
        openZkSession({ ...o, health: (h, e) => ctx.health(h, e), ended: (zk, err) => this.session.fail(zk, err) }, signal, (zk) => this.#clients.add(zk)),
      release: (zk) => this.closeClient(zk),
      onLost: (err) => {
        ctx.warnOnce('session', `${err.message}`);
        // The watches were set on the lost session: untrusted until the next one connects (its 'connect' says healthy).
        ctx.health(false, new DiscoveryError('E_DISCOVERY_UNREACHABLE', `zookeeper: this client's session was lost (${err.message})`, { cause: err }));
        ctx.lost();
      },
    });
  }

  leaf(k: InstanceKey): string {
    return this.under(k.name, k.id);
  }

  /** A path under the root, joined as Go's `path.Join` joins kratos's (root `/` gives `/{name}`, not `//{name}`). */
  under(...parts: string[]): string {
    return this.o.root === '/' ? `/${parts.join('/')}` : `${this.o.root}/${parts.join('/')}`;
  }

  /** Creates the ephemeral leaf. A leftover leaf of another session is deleted and created again (never set in place: go-kratos #2245); our own session's leaf is updated in place. */
  async apply(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    const { value: zk } = await this.session.get(signal);
    const path = this.leaf(instance);
    const json = encodeInstance(instance);
    await this.ensureParents(zk, this.under(instance.name), signal);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await abortable(zk.create(path, json, ZK.EPHEMERAL), signal, `zookeeper: create ${path}`);
        if (this.#leafAcl !== undefined) await abortable(zk.set_acl(path, -1, this.#leafAcl), signal, `zookeeper: set ACL of ${path}`);
        return;
      } catch (err) {
        if (zkCode(err) === ZK.NONODE) this.#parents.delete(zk); // a parent was removed under us: create it again next time
        if (zkCode(err) !== ZK.NODEEXISTS) throw this.error(`create ${path}`, err);
      }
      const stat = await abortable(zk.exists(path, false), signal, `zookeeper: exists ${path}`).catch((err: unknown) => {
        if (zkCode(err) === ZK.NONODE) return null;
        throw this.error(`exists ${path}`, err);
      });
      if (stat === null) continue; // gone meanwhile: create again
      if (stat.createdInThisSession === true) {
        await abortable(zk.set(path, json, -1), signal, `zookeeper: set ${path}`).catch((err: unknown) => Promise.reject(this.error(`set ${path}`, err)));
        return;
      }
      await abortable(zk.delete_(path, -1), signal, `zookeeper: delete stale ${path}`).catch((err: unknown) => {
        if (zkCode(err) !== ZK.NONODE) throw this.error(`delete stale ${path}`, err);
      });
    }
    throw new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: create ${path}: the node keeps reappearing`);
  }

  async remove(k: InstanceKey, signal: AbortSignal): Promise<void> {
    const { value: zk } = await this.session.get(signal);
    const path = this.leaf(k);
    try {
      await abortable(zk.delete_(path, -1), signal, `zookeeper: delete ${path}`);
    } catch (err) {
      if (zkCode(err) === ZK.NONODE) return;
      // ZooKeeper checks the parent's ACL before the node's existence: a node that was never
      // created (its create was refused) cannot be deleted either, and needs not be.
      if (zkCode(err) === ZK.NOAUTH && (await abortable(zk.exists(path, false), signal, `zookeeper: exists ${path}`).catch(() => undefined)) === null) return;
      throw this.error(`delete ${path}`, err);
    }
  }

  async read(name: string, signal: AbortSignal): Promise<ServiceInstance[]> {
    const { value: zk } = await this.session.get(signal);
    const parent = this.under(name);
    let children: string[];
    try {
      children = await abortable(zk.get_children(parent, false), signal, `zookeeper: list ${parent}`);
    } catch (err) {
      if (zkCode(err) === ZK.NONODE) return [];
      throw this.error(`list ${parent}`, err);
    }
    return this.readChildren(zk, name, children, signal);
  }

  async services(signal: AbortSignal): Promise<string[]> {
    const { value: zk } = await this.session.get(signal);
    // With root `/`, the server's own `/zookeeper` is not a service.
    const names = await abortable(zk.get_children(this.o.root, false), signal, 'zookeeper: services').catch((err: unknown) => {
      if (zkCode(err) === ZK.NONODE) return [] as string[];
      throw this.error(`list ${this.o.root}`, err);
    });
    const live = await Promise.all(
      names.map(async (n) =>
        (this.o.root !== '/' || n !== 'zookeeper') && (await zk.get_children(this.under(n), false).catch(() => [])).length > 0 ? n : undefined,
      ),
    );
    return live.filter((n): n is string => n !== undefined);
  }

  /**
   * Follows `name` on the current session: list its children with a watch, read each child
   * with a data watch (so an update in place is seen too), report, wait for a watch to fire
   * (or for the session to end), repeat. Each path has at most one watch of ours armed at a
   * time, and session events (a reconnect) arm nothing. A missing parent is watched for
   * creation, never created by a watcher.
   */
  async subscribe(name: string, sink: FollowSink, signal: AbortSignal): Promise<void> {
    const live = await this.session.get(signal);
    const zk = live.value;
    const parent = this.under(name);
    let fired = deferred<void>();
    const armed = new Set<string>(); // children with a data watch of ours outstanding
    const consumed = (t: number): boolean => t === ZK.CHILD_EVENT || t === ZK.DELETED_EVENT || t === ZK.CREATED_EVENT || t === ZK.CHANGED_EVENT;
    const onEvent = (type: number, path?: string): void => {
      if (!consumed(type)) return; // a session event (a reconnect): the watch stays armed
      if (path !== undefined) armed.delete(path);
      fired.resolve();
    };
    const ended = deferred<void>();
    const onEnd = (): void => ended.resolve();
    signal.addEventListener('abort', onEnd, { once: true });
    live.done.addEventListener('abort', onEnd, { once: true });
    // Which watches of ours are armed on the parent: a children watch (the parent exists) and
    // an exists watch (it did not). Session events do not consume a watch; real events do.
    let childWatch = false;
    let existWatch = false;
    try {
      while (!signal.aborted) {
        if (live.done.aborted) throw new DiscoveryError('E_DISCOVERY_BACKEND', `zookeeper: watch '${name}': the session ended`, { cause: live.done.reason });
        const round = fired;
        let children: string[] | undefined;
        try {
          if (childWatch) children = await abortable(zk.get_children(parent, false), signal, `zookeeper: list ${parent}`);
          else {
            // Marked armed before the await: the watch can fire before this continuation runs
            // (results and watches arrive as separate messages), and must then leave it unset.
            childWatch = true;
            children = await abortable(
              zk.w_get_children(parent, (t) => {
                if (consumed(t)) childWatch = false;
                onEvent(t);
              }),
              signal,
              `zookeeper: watch ${parent}`,
            ).catch((err: unknown) => {
              childWatch = false; // a failed call armed nothing
              throw err;
            });
          }
        } catch (err) {
          if (signal.aborted) return;
          if (zkCode(err) !== ZK.NONODE) throw this.error(`watch ${parent}`, err);
        }
        if (children === undefined) {
          // No such service yet: watch for its node to appear (never create it).
          const watchExists = !existWatch;
          if (watchExists) existWatch = true; // armed whether the node exists or not; before the await, as above
          const stat = await abortable(
            watchExists
              ? zk.w_exists(parent, (t) => {
                  if (consumed(t)) existWatch = false;
                  onEvent(t);
                })
              : zk.exists(parent, false),
            signal,
            `zookeeper: watch ${parent}`,
          ).catch((err: unknown) => {
            if (zkCode(err) === ZK.NONODE) return null;
            throw this.error(`watch ${parent}`, err);
          });
          if (stat !== null) continue; // created in between: list it, arming a children watch
          sink.list(name, []);
        } else sink.list(name, await this.readChildren(zk, name, children, signal, armed, onEvent));
        await Promise.race([round.promise, ended.promise]);
        if (fired === round) fired = deferred<void>();
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      signal.removeEventListener('abort', onEnd);
      live.done.removeEventListener('abort', onEnd);
    }
  }

  /**
   * Closing the session removes this client's ephemeral leaves at once, but only if the server
   * hears of it: a client between two connections first waits (at most a session timeout, and
   * within close()'s own budget) for the connection to come back. Otherwise its leaves would
   * stay until the session expires on the server.
   */
  async close(_present: readonly InstanceKey[], signal: AbortSignal): Promise<void> {
    const live = this.session.peek();
    if (live !== undefined && live.value.state !== ZK.CONNECTED_STATE) await reconnected(live.value, this.o.sessionTimeoutMs, signal);
    // Taken before session.close(), which releases (and untracks) the current client.
    const exits = [...this.#clients].map((zk) => zk.exited);
    await this.session.close();
    this.destroy();
    // Each client's process closes its session, then exits: resolve when the server has heard it.
    await abortable(Promise.all(exits), signal, 'zookeeper: close').catch(() => undefined);
  }

  destroy(): void {
    for (const zk of this.#clients) this.closeClient(zk);
  }

  stats(): { sessions: number; sessionsLost: number } {
    return { sessions: this.session.opened, sessionsLost: this.session.lost };
  }

  private closeClient(zk: ZkClient): void {
    if (this.#clients.delete(zk)) closeSafely(zk);
  }

  /** Reads the children's data; with `armed`/`onEvent`, a data watch is armed on each child that has none. */
  private async readChildren(
    zk: ZkClient,
    name: string,
    children: string[],
    signal: AbortSignal,
    armed?: Set<string>,
    onEvent?: (type: number, path: string) => void,
  ): Promise<ServiceInstance[]> {
    const parent = this.under(name);
    const got = await abortable(
      Promise.all(
        children.map(async (id) => {
          const path = `${parent}/${id}`;
          try {
            let data: Buffer | string;
            if (armed === undefined || onEvent === undefined || armed.has(path)) [, data] = await zk.get(path, false);
            else {
              armed.add(path);
              [, data] = await zk
                .w_get(path, (t) => onEvent(t, path))
                .catch((err: unknown) => {
                  armed.delete(path);
                  throw err;
                });
            }
            const inst = data === null || data === undefined ? undefined : decodeInstance(data);
            if (inst !== undefined && inst.name === name && inst.id === id) return inst;
            this.ctx.skip(path, 'not a valid service instance at {root}/{name}/{id} (written by someone else?)');
            return undefined;
          } catch (err) {
            if (zkCode(err) === ZK.NONODE) return undefined; // vanished between list and get
            // Someone else's leaf we may not read (kratos's WithDigestACL): skip it like foreign
            // data, rather than hide every other instance of the service.
            if (zkCode(err) === ZK.NOAUTH) {
              this.ctx.skip(path, 'not readable with our credentials (NOAUTH: an ACL without READ for us)');
              return undefined;
            }
            throw this.error(`get ${path}`, err);
          }
        }),
      ),
      signal,
      `zookeeper: read ${parent}`,
    );
    return got.filter((i): i is ServiceInstance => i !== undefined);
  }

  /**
   * Creates the missing persistent parents of a leaf, as kratos does (empty data, open ACL).
   * With restricted parents, only a node this call created gets our ACL: a node that existed
   * (NODEEXISTS) is someone else's, and its ACL is never changed.
   */
  private async ensureParents(zk: ZkClient, parent: string, signal: AbortSignal): Promise<void> {
    let known = this.#parents.get(zk);
    if (known === undefined) this.#parents.set(zk, (known = new Set()));
    if (known.has(parent)) return;
    const parts = parent.split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) {
      const path = `/${parts.slice(0, i).join('/')}`;
      if (known.has(path)) continue;
      try {
        await abortable(zk.create(path, '', ZK.PERSISTENT), signal, `zookeeper: create ${path}`);
        if (this.#parentAcl !== undefined)
          await abortable(zk.set_acl(path, -1, this.#parentAcl), signal, `zookeeper: set ACL of ${path}`).catch(() => undefined);
      } catch (err) {
        // NOAUTH: we may not create under someone else's node; fine if the node is already there.
        const there = zkCode(err) === ZK.NOAUTH && (await abortable(zk.exists(path, false), signal, `zookeeper: exists ${path}`).catch(() => null)) !== null;
        if (zkCode(err) !== ZK.NODEEXISTS && !there) throw this.error(`create ${path}`, err);
      }
      known.add(path);
    }
  }

  private error(what: string, err: unknown): DiscoveryError {
    if (err instanceof DiscoveryError) return err;
    const code = zkCode(err) === ZK.NOAUTH ? 'E_DISCOVERY_AUTH' : 'E_DISCOVERY_BACKEND';
    return new DiscoveryError(code, `zookeeper: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Resolves when `zk` is connected again, after `ms`, or when `signal` fires, whichever comes first. */
function reconnected(zk: ZkClient, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      zk.removeListener('connect', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    zk.once('connect', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
