import { isBackendConfig, type BackendConfig } from '../backend-config.js';
import { KIT_OPTIONS, KIT_URL_OPTIONS, parseDuration, rejectUnknownOptions, resolveKitOptions, type KitOptions } from '../driver/options.js';
import { RegisterBackend } from '../driver/register-backend.js';
import { DriverRegistry } from '../driver/registry.js';
import { DiscoveryError } from '../errors.js';
import { ZkDriver } from './zk-driver.js';

/** Options of a {@link ZooKeeperRegistry}. */
export interface ZooKeeperRegistryOptions extends KitOptions {
  /** `host:port[,host:port…]`. */
  connect?: string;
  /** Root of the layout (default `/services`): persistent `{root}/{name}`, ephemeral `{root}/{name}/{id}`. */
  root?: string;
  /** Session timeout: ms, or `'10s'` (default 10 s; the server bounds it between 2 and 20 ticks). */
  sessionTimeout?: number | string;
  /**
   * Digest credentials (`zookeeper://user:pass@host/…`). With them, the nodes we create get an
   * ACL: anyone may read, only these credentials may change or delete them.
   */
  auth?: { username: string; password: string };
}

const CODE_OPTIONS = ['connect', 'root', 'sessionTimeout', 'auth', ...KIT_OPTIONS];
const URL_OPTIONS = ['sessionTimeout', ...KIT_URL_OPTIONS];

/**
 * The ZooKeeper backend (`zookeeper://h1:2181,h2:2181/services?sessionTimeout=10s`) on the
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
    if (typeof connect !== 'string' || connect === '') throw new DiscoveryError('E_DISCOVERY_URL', 'zookeeper: no hosts (expected zookeeper://host:2181/services or { connect })', { key: 'host' });
    const root = zkRoot(opts.root ?? fromUrl?.url.pathname);
    const sessionTimeoutMs = parseDuration('sessionTimeout', opts.sessionTimeout ?? fromUrl?.url.searchParams.get('sessionTimeout') ?? undefined, { bareUnit: opts.sessionTimeout === undefined && fromUrl !== undefined ? 's' : 'ms', min: 1, max: 3_600_000 }) ?? 10_000;
    const user = fromUrl?.url.username ? { username: decodeURIComponent(fromUrl.url.username), password: decodeURIComponent(fromUrl.url.password) } : undefined;
    const auth = opts.auth ?? user;
    super((ctx) => new ZkDriver(ctx, { connect, root, sessionTimeoutMs, auth }), resolveKitOptions('zookeeper', fromUrl, opts));
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

/** The root path: `/services` by default, with one leading slash and none trailing. */
function zkRoot(raw: unknown): string {
  if (raw !== undefined && typeof raw !== 'string') throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper: option 'root' must be a path like /services, got ${typeof raw}`, { key: 'root' });
  const path = raw === undefined || raw === '' || raw === '/' ? '/services' : decodeURIComponent(raw);
  const root = `/${path.replace(/^\/+|\/+$/g, '')}`;
  if (root === '/' || /\/\//.test(root)) throw new DiscoveryError('E_DISCOVERY_URL', `zookeeper: root '${path}' must be a path like /services`, { key: 'root' });
  return root;
}
