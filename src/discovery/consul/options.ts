import { parseDuration, type BackendConfig } from '../backends.js';
import { DiscoveryError } from '../errors.js';

/** An extra health check the agent runs next to our TTL check. */
export interface ConsulCheck {
  /** URL the agent GETs: 2xx passing, 429 warning, anything else critical. */
  http?: string;
  /** `host:port` the agent connects to. */
  tcp?: string;
  /** `host:port[/service]` of a gRPC health endpoint. */
  grpc?: string;
  /** How often the agent runs it: ms, or `'10s'`. */
  interval: number | string;
  /** Per-run timeout: ms, or `'1s'`. */
  timeout?: number | string;
}

/** Options of a {@link ConsulRegistry}; in a URL: `consul://h:8500?ttl=15s&dc=dc1&token=…`. */
export interface ConsulRegistryOptions {
  host?: string;
  port?: number;
  /** HTTPS to the agent (`?tls=1` in a URL). */
  secure?: boolean;
  /** ACL token, sent as `X-Consul-Token`. */
  token?: string;
  /** Datacenter to discover in (default: the agent's). Registration always goes to the local agent. */
  dc?: string;
  /** TTL of the check we keep passing, refreshed at TTL/2: ms, or `'15s'` (default 15 s). */
  ttl?: number | string;
  /**
   * After how long critical the agent deregisters the service: ms, or `'1m'` (default 1 m,
   * Consul's minimum). `0` turns it off (a crashed instance then stays listed as critical).
   */
  deregisterCriticalServiceAfter?: number | string;
  /** Longest wait of one blocking query: ms, or `'30s'` (default 30 s; Consul caps it at 10 m). */
  wait?: number | string;
  /** Tags added to every registration (beside `version=<version>`). */
  tags?: string[];
  /** Extra HTTP, TCP or gRPC checks, run by the agent. */
  checks?: ConsulCheck[];
  /** Backoff of heartbeat, re-registration and watch retries (they never give up). */
  retry?: { minMs?: number; maxMs?: number };
  /** Where warnings go. Default: `process.emitWarning`. */
  logger?: {
    /** One line of warning. */
    warn(msg: string): void;
  };
}

export interface ResolvedConsulOptions {
  host: string;
  port: number;
  secure: boolean;
  token: string | undefined;
  dc: string | undefined;
  ttlMs: number;
  deregisterAfterMs: number;
  waitMs: number;
  tags: string[];
  checks: ConsulCheck[];
  retry: { minMs: number; maxMs: number };
  logger: { warn(msg: string): void };
}

const TRUE = new Set(['1', 'true', 'yes']);

/** Merges URL options and options given in code (code wins). */
export function resolveConsulOptions(config: BackendConfig | undefined, code: ConsulRegistryOptions): ResolvedConsulOptions {
  const q = config?.url.searchParams;
  const fromUrl = (key: string): string | undefined => q?.get(key) ?? undefined;
  // In a URL, a bare number is seconds (`ttl=15`); in code, milliseconds.
  const duration = (key: keyof ConsulRegistryOptions, dflt: number): number =>
    parseDuration(key, code[key] ?? fromUrl(key), code[key] === undefined ? 's' : 'ms') ?? dflt;
  const ttlMs = duration('ttl', 15_000);
  if (ttlMs < 1000) throw new DiscoveryError('E_DISCOVERY_URL', `consul: option 'ttl' must be at least 1s (got ${ttlMs} ms)`, { key: 'ttl' });
  const waitMs = duration('wait', 30_000);
  if (waitMs < 1000 || waitMs > 600_000) throw new DiscoveryError('E_DISCOVERY_URL', `consul: option 'wait' must be between 1s and 10m (got ${waitMs} ms)`, { key: 'wait' });
  const deregisterAfterMs = duration('deregisterCriticalServiceAfter', 60_000);
  const hostPort = config?.hosts[0];
  const port = code.port ?? (hostPort?.includes(':') ? Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)) : 8500);
  const host = code.host ?? (hostPort === undefined ? '127.0.0.1' : config!.url.hostname.replace(/^\[|\]$/g, ''));
  if (config !== undefined && config.hosts.length > 1) {
    throw new DiscoveryError('E_DISCOVERY_URL', `consul: one agent per registry (got ${config.hosts.length} hosts); talk to the local agent`, { key: 'host' });
  }
  const checks = code.checks ?? [];
  checks.forEach((c, i) => {
    const kinds = [c.http, c.tcp, c.grpc].filter((x) => x !== undefined).length;
    if (kinds !== 1) throw new DiscoveryError('E_DISCOVERY_URL', `consul: checks[${i}] needs exactly one of http, tcp or grpc`, { key: `checks[${i}]` });
    parseDuration(`checks[${i}].interval`, c.interval);
  });
  return {
    host,
    port,
    secure: code.secure ?? (config?.url.protocol === 'consuls:' || TRUE.has(fromUrl('tls') ?? '')),
    token: code.token ?? fromUrl('token'),
    dc: code.dc ?? fromUrl('dc'),
    ttlMs,
    deregisterAfterMs,
    waitMs,
    tags: code.tags ?? (fromUrl('tags')?.split(',').filter((t) => t !== '') ?? []),
    checks,
    retry: { minMs: code.retry?.minMs ?? 200, maxMs: code.retry?.maxMs ?? 5000 },
    logger: code.logger ?? { warn: (msg) => process.emitWarning(msg, { code: 'PLUGBOARD_CONSUL' }) },
  };
}

/** A duration as Consul's API wants it (a Go duration string). */
export const goDuration = (ms: number): string => `${Math.round(ms)}ms`;
