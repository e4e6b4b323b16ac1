import { isBackendConfig, type BackendConfig } from '../backend-config.js';
import { decodeUrlPart, KIT_OPTIONS, KIT_URL_OPTIONS, parseDuration, rejectUnknownOptions, resolveKitOptions, type KitOptions } from '../driver/options.js';
import { RegisterBackend } from '../driver/register-backend.js';
import { DriverRegistry } from '../driver/registry.js';
import { DiscoveryError } from '../errors.js';
import { ZkDriver } from './zk-driver.js';

/** Options of a {@link ZooKeeperRegistry}. */
export interface ZooKeeperRegistryOptions extends KitOptions {
  /** `host:port[,host:port…]`. */
  connect?: string;
  /**
   * Root of the layout (default `/microservices`, go-kratos's): persistent `{root}/{name}`,
   * ephemeral `{root}/{name}/{id}`. Joined as kratos joins it (Go's `path.Join`): `'/'` puts
   * services at the top (`/{name}/{id}`), a missing leading slash or a trailing one is ignored.
   * In a URL the path gives it, or `?root=/` for the top.
   */
  root?: string;
  /** Session timeout: ms, or `'10s'` (default 10 s; the server bounds it between 2 and 20 ticks). */
  sessionTimeout?: number | string;
  /**
   * Digest credentials (`zookeeper://user:pass@host/…`). With them, our instance leaves get an
   * ACL: anyone may read, only these credentials may change or delete them. The parents we
   * create stay open unless `parentAcl` says otherwise; nodes we did not create are never touched.
   */
  auth?: { username: string; password: string };
  /**
   * ACL of the parents (`{root}`, `{root}/{name}`) this client creates: `'open'` (default:
   * world:anyone with every permission, as kratos creates them, so kratos instances without
   * credentials can still add and remove their leaves), or `'restricted'` (with `auth`: anyone
   * may read and create, only these credentials may delete; kratos clients without them then
   * cannot deregister there). URL: `?parentAcl=restricted`.
   */
  parentAcl?: 'open' | 'restricted';
}

const CODE_OPTIONS = ['connect', 'root', 'sessionTimeout', 'auth', 'parentAcl', ...KIT_OPTIONS];
const URL_OPTIONS = ['sessionTimeout', 'root', 'parentAcl', ...KIT_URL_OPTIONS];

/** go-kratos's default root (contrib/registry/zookeeper: `namespace: "/microservices"`). */
export const DEFAULT_ROOT = '/microservices';

/**
 * The ZooKeeper backend (`zookeeper://h1:2181,h2:2181/microservices?sessionTimeout=10s`) on the
 * `zookeeper` npm package. Each instance is an ephemeral leaf holding its JSON; each watched
 * name has one children watch. When a session expires, a new one is opened and every instance
 * of this client is written again (a leftover leaf is deleted and created again, never set in
 * place: the stale-node bug fixed in go-kratos #2245); watches follow on the new session.
 */
@RegisterBackend('zookeeper')
export class ZooKeeperRegistry extends DriverRegistry<ZkDriver> {
  static readonly scheme = 'zookeeper';
  readonly root: string;
  readonly connectString: string;
  readonly sessionTimeoutMs: number;

  constructor(config: BackendConfig | ZooKeeperRegistryOptions = {}) {
    const fromUrl = isBackendConfig(config) ? config : undefined;
    const opts = (fromUrl?.options ?? config) as ZooKeeperRegistryOptions;
    rejectUnknownOptions('zookeeper', fromUrl, opts, { code: CODE_OPTIONS, url: URL_OPTIONS });
    const connect = opts.connect ?? fromUrl?.hosts.join(',') ?? '';
    if (typeof connect !== 'string' || connect === '')
      throw new DiscoveryError('E_DISCOVERY_URL', 'zookeeper: no hosts (expected zookeeper://host:2181/microservices or { connect })', { key: 'host' });
    const q = fromUrl?.url.searchParams;
    const path = fromUrl?.url.pathname;
    if (q?.has('root') === true && path !== undefined && path !== '' && path !== '/')
      throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper URL: the root is given twice, as the path '${path}' and as ?root=`, { key: 'root' });
    const root = zkRoot(
      opts.root ?? q?.get('root') ?? (path === undefined || path === '' || path === '/' ? undefined : decodeUrlPart('zookeeper', 'root', path)),
    );
    const parentAcl = opts.parentAcl ?? q?.get('parentAcl') ?? 'open';
    if (parentAcl !== 'open' && parentAcl !== 'restricted')
      throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper: option 'parentAcl' must be 'open' or 'restricted', got '${String(parentAcl).slice(0, 40)}'`, {
        key: 'parentAcl',
      });
    const sessionTimeoutMs =
      parseDuration('sessionTimeout', opts.sessionTimeout ?? fromUrl?.url.searchParams.get('sessionTimeout') ?? undefined, {
        bareUnit: opts.sessionTimeout === undefined && fromUrl !== undefined ? 's' : 'ms',
        min: 1,
        max: 3_600_000,
      }) ?? 10_000;
    const user = fromUrl?.url.username
      ? { username: decodeUrlPart('zookeeper', 'username', fromUrl.url.username), password: decodeUrlPart('zookeeper', 'password', fromUrl.url.password) }
      : undefined;
    const auth = opts.auth ?? user;
    if (parentAcl === 'restricted' && auth === undefined)
      throw new DiscoveryError('E_DISCOVERY_URL', "zookeeper: parentAcl 'restricted' needs credentials (auth, or user:pass@ in the URL)", { key: 'parentAcl' });
    super(
      (ctx) => new ZkDriver(ctx, { connect, root, sessionTimeoutMs, auth, restrictParents: parentAcl === 'restricted' }),
      resolveKitOptions('zookeeper', fromUrl, opts),
    );
    this.root = root;
    this.connectString = connect;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  /**
   * The current session's id and password (hex), or `undefined` when none is open. For fault
   * injection in tests: connecting with them and closing ends the session, ZooKeeper's own
   * documented way to make a session expire.
   */
  session(): { id: string; password: string } | undefined {
    const live = this.driver.session.peek();
    return live === undefined ? undefined : { id: live.value.client_id, password: live.value.client_password };
  }
}

/**
 * The root path, cleaned as Go's `path.Join` cleans kratos's (`/microservices` by default):
 * one leading slash, none trailing, `'/'` for the top. `.` and `..` are refused (ZooKeeper
 * refuses them in paths).
 */
function zkRoot(raw: unknown): string {
  if (raw !== undefined && typeof raw !== 'string')
    throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper: option 'root' must be a path like /microservices, got ${typeof raw}`, { key: 'root' });
  if (raw === undefined || raw === '') return DEFAULT_ROOT;
  const parts = raw.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..'))
    throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper: root '${raw}' must be a path like /microservices (no '.' or '..')`, { key: 'root' });
  return `/${parts.join('/')}`;
}
