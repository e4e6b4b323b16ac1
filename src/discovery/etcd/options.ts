import type { IOptions } from 'etcd3';
import { parseDuration, type BackendConfig } from '../backends.js';
import { DiscoveryError } from '../errors.js';

/** Registry options of the etcd backend. */
export interface EtcdRegistryOptions {
  /** Key prefix (default `/services`): keys are `{prefix}/{name}/{id}`. */
  prefix?: string;
  /** Lease TTL: a number of ms, or `15s`; at least 1 s (etcd leases count whole seconds). Default 15 s. */
  ttl?: number | string;
  /** Backoff of the lease-recovery loop (it retries forever). */
  retry?: { minMs?: number; maxMs?: number };
  /** Where warnings go (bad data under the prefix, lease recovery). Default: `process.emitWarning`. */
  logger?: {
    /** One line of warning. */
    warn(msg: string): void;
  };
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
  client: IOptions;
  prefix: string;
  ttlSeconds: number;
  retry: { minMs: number; maxMs: number };
  logger: { warn(msg: string): void };
}

const pem = (v: string | Buffer): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/** Normalises a key prefix to `/a/b` (leading slash, no trailing slash). */
export function normalisePrefix(prefix: string): string {
  const p = `/${prefix.replace(/^\/+|\/+$/g, '')}`;
  if (p === '/' || /\/\//.test(p)) throw new DiscoveryError('E_DISCOVERY_URL', `etcd prefix '${prefix}' must be a non-empty path like /services`, { key: 'prefix' });
  return p;
}

/** Merges URL options and options given in code (code wins). */
export function resolveEtcdOptions(config: BackendConfig | undefined, code: EtcdRegistryOptions & EtcdConnectionOptions): ResolvedEtcdOptions {
  const q = config?.url.searchParams;
  const tlsInUrl = config?.url.protocol === 'etcds:' || q?.get('tls') === '1' || q?.get('tls') === 'true';
  const scheme = tlsInUrl || code.tls !== undefined ? 'https' : 'http';
  const hosts = code.hosts ?? (config?.hosts ?? []).map((h) => `${scheme}://${h.includes(':') ? h : `${h}:2379`}`);
  if (hosts.length === 0) throw new DiscoveryError('E_DISCOVERY_URL', 'etcd: no hosts (expected etcd://host:2379)', { key: 'host' });
  const username = code.username ?? (config?.url.username ? decodeURIComponent(config.url.username) : undefined);
  const password = code.password ?? (config?.url.password ? decodeURIComponent(config.url.password) : undefined);
  const ttlMs = parseDuration('ttl', code.ttl ?? q?.get('ttl') ?? undefined, code.ttl === undefined ? 's' : 'ms') ?? 15_000;
  if (ttlMs < 1000) throw new DiscoveryError('E_DISCOVERY_URL', `etcd: option 'ttl' must be at least 1s (got ${ttlMs} ms)`, { key: 'ttl' });
  const path = config?.url.pathname ?? '';
  const prefix = normalisePrefix(code.prefix ?? (path === '' || path === '/' ? '/services' : decodeURIComponent(path)));
  const client: IOptions = {
    hosts,
    ...(username === undefined ? {} : { auth: { username, password: password ?? '' } }),
    ...(code.tls === undefined
      ? {}
      : { credentials: { rootCertificate: pem(code.tls.ca), ...(code.tls.key === undefined ? {} : { privateKey: pem(code.tls.key) }), ...(code.tls.cert === undefined ? {} : { certChain: pem(code.tls.cert) }) } }),
    ...(code.dialTimeout === undefined ? {} : { dialTimeout: code.dialTimeout }),
  };
  return {
    client,
    prefix,
    ttlSeconds: Math.ceil(ttlMs / 1000),
    retry: { minMs: code.retry?.minMs ?? 200, maxMs: code.retry?.maxMs ?? 5000 },
    logger: code.logger ?? { warn: (msg) => process.emitWarning(msg, { code: 'PLUGBOARD_ETCD' }) },
  };
}
