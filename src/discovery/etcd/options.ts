import type { IOptions } from 'etcd3';
import type { BackendConfig } from '../backend-config.js';
import {
  decodeUrlPart,
  KIT_OPTIONS,
  KIT_URL_OPTIONS,
  parseDuration,
  rejectUnknownOptions,
  resolveKitOptions,
  type KitOptions,
  type ResolvedKitOptions,
} from '../driver/options.js';
import { DiscoveryError } from '../errors.js';

/** Registry options of the etcd backend. */
export interface EtcdRegistryOptions extends KitOptions {
  /**
   * Key prefix, go-kratos's `Namespace` (default `/microservices`, kratos's): keys are
   * `{prefix}/{name}/{id}`, joined exactly as kratos joins them, so `'microservices'` (no
   * leading slash) reaches a kratos registry created with `Namespace("microservices")`. In a
   * URL the path gives it, or `?prefix=` for one a path cannot spell.
   */
  prefix?: string;
  /** Lease TTL: a number of ms, or `15s`; from 1 s (etcd leases count whole seconds) to 1 h. Default 15 s. */
  ttl?: number | string;
}

/** Connection options accepted in code or in the URL (`etcd://user:pass@h1:2379,h2:2379/prefix?ttl=15&tls=1`). */
export interface EtcdConnectionOptions {
  hosts?: string[];
  username?: string;
  password?: string;
  /** TLS: PEM contents of the CA, and of the client certificate and key for mutual TLS. */
  tls?: { ca: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  dialTimeout?: number;
}

/** Everything resolved: etcd3 client options plus registry options. */
export interface ResolvedEtcdOptions {
  /** etcd3 options for a client we create; `undefined` when the caller gave a client. */
  client: IOptions | undefined;
  prefix: string;
  ttlSeconds: number;
  kit: ResolvedKitOptions;
}

const REGISTRY_OPTIONS = ['prefix', 'ttl', ...KIT_OPTIONS] as const;
const CONNECTION_OPTIONS = ['hosts', 'username', 'password', 'tls', 'dialTimeout'] as const;
/** etcd3's own client options, accepted as the first constructor argument and passed through. */
const ETCD3_OPTIONS = ['hosts', 'auth', 'credentials', 'grpcOptions', 'dialTimeout', 'defaultCallOptions', 'faultHandling'] as const;
const URL_OPTIONS = ['ttl', 'tls', 'prefix', ...KIT_URL_OPTIONS] as const;

/** go-kratos's default namespace (contrib/registry/etcd: `namespace: "/microservices"`). */
export const DEFAULT_PREFIX = '/microservices';

const pem = (v: string | Buffer): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/**
 * Checks a key prefix. It is kept as given, as kratos keeps its namespace (`fmt.Sprintf("%s/%s/%s")`):
 * `/microservices`, `microservices`, even `''` or `/` each name a different set of keys, and
 * each is one a kratos service may use.
 */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string')
    throw new DiscoveryError('E_DISCOVERY_URL', `etcd: option 'prefix' must be a string like /microservices, got ${typeof prefix}`, { key: 'prefix' });
  if (prefix.length > 1024 || [...prefix].some((c) => c < ' '))
    throw new DiscoveryError('E_DISCOVERY_URL', `etcd prefix '${prefix.slice(0, 80)}' must be at most 1024 characters, without control characters`, {
      key: 'prefix',
    });
  return prefix;
}

/**
 * Merges URL options and options given in code (code wins). `given` says what the constructor
 * got: the parsed URL (`createRegistry`), an etcd3 client, or etcd3 options with ours mixed in.
 */
export function resolveEtcdOptions(
  config: BackendConfig | undefined,
  code: EtcdRegistryOptions & EtcdConnectionOptions & Partial<IOptions>,
  given: 'url' | 'client' | 'options',
): ResolvedEtcdOptions {
  const known =
    given === 'options'
      ? [...REGISTRY_OPTIONS, ...CONNECTION_OPTIONS, ...ETCD3_OPTIONS]
      : given === 'client'
        ? [...REGISTRY_OPTIONS]
        : [...REGISTRY_OPTIONS, ...CONNECTION_OPTIONS];
  rejectUnknownOptions('etcd', config, code, { code: known, url: [...URL_OPTIONS] });
  const q = config?.url.searchParams;
  const ttlMs =
    parseDuration('ttl', code.ttl ?? q?.get('ttl') ?? undefined, { bareUnit: code.ttl === undefined ? 's' : 'ms', min: 1000, max: 3_600_000 }) ?? 15_000;
  const path = config?.url.pathname ?? '';
  const inQuery = q?.get('prefix') ?? undefined;
  if (inQuery !== undefined && path !== '' && path !== '/')
    throw new DiscoveryError('E_DISCOVERY_URL', `etcd URL: the prefix is given twice, as the path '${path}' and as ?prefix=`, { key: 'prefix' });
  const prefix = checkPrefix(code.prefix ?? inQuery ?? (path === '' || path === '/' ? DEFAULT_PREFIX : decodeUrlPart('etcd', 'prefix', path)));
  const kit = resolveKitOptions('etcd', config, code);
  if (given === 'client') return { client: undefined, prefix, ttlSeconds: Math.ceil(ttlMs / 1000), kit };
  const tlsInUrl = config?.url.protocol === 'etcds:' || q?.get('tls') === '1' || q?.get('tls') === 'true';
  const scheme = tlsInUrl || code.tls !== undefined ? 'https' : 'http';
  const rawHosts = code.hosts ?? (config?.hosts ?? []).map((h) => `${scheme}://${h.includes(':') ? h : `${h}:2379`}`);
  const hosts = (Array.isArray(rawHosts) ? rawHosts : [rawHosts]).map((h) => (/^https?:\/\//.test(h) ? h : `${scheme}://${h}`));
  if (hosts.length === 0)
    throw new DiscoveryError('E_DISCOVERY_URL', 'etcd: no hosts (expected etcd://host:2379, { hosts: [...] } or an Etcd3 client)', { key: 'host' });
  const username = code.username ?? (config?.url.username ? decodeUrlPart('etcd', 'username', config.url.username) : undefined);
  const password = code.password ?? (config?.url.password ? decodeUrlPart('etcd', 'password', config.url.password) : undefined);
  const {
    prefix: _p,
    ttl: _t,
    retry: _r,
    logger: _l,
    timeout: _to,
    closeTimeout: _ct,
    livenessTimeout: _lt,
    interpose: _ip,
    username: _u,
    password: _pw,
    tls: _tls,
    hosts: _h,
    ...passthrough
  } = code;
  const client: IOptions = {
    ...passthrough,
    hosts,
    ...(username === undefined ? {} : { auth: { username, password: password ?? '' } }),
    ...(code.tls === undefined
      ? {}
      : {
          credentials: {
            rootCertificate: pem(code.tls.ca),
            ...(code.tls.key === undefined ? {} : { privateKey: pem(code.tls.key) }),
            ...(code.tls.cert === undefined ? {} : { certChain: pem(code.tls.cert) }),
          },
        }),
  };
  return { client, prefix, ttlSeconds: Math.ceil(ttlMs / 1000), kit };
}
