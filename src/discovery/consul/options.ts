import type { BackendConfig } from '../backend-config.js';
import {
  KIT_OPTIONS,
  KIT_URL_OPTIONS,
  parseDuration,
  rejectUnknownOptions,
  resolveKitOptions,
  type KitOptions,
  type ResolvedKitOptions,
} from '../driver/options.js';
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
export interface ConsulRegistryOptions extends KitOptions {
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
  kit: ResolvedKitOptions;
}

const CODE_OPTIONS = ['host', 'port', 'secure', 'token', 'dc', 'ttl', 'deregisterCriticalServiceAfter', 'wait', 'tags', 'checks', ...KIT_OPTIONS];
const URL_OPTIONS = ['ttl', 'deregisterCriticalServiceAfter', 'wait', 'tags', 'dc', 'token', 'tls', ...KIT_URL_OPTIONS];

const TRUE = new Set(['1', 'true', 'yes']);

/** Merges URL options and options given in code (code wins). */
export function resolveConsulOptions(config: BackendConfig | undefined, code: ConsulRegistryOptions): ResolvedConsulOptions {
  rejectUnknownOptions('consul', config, code, { code: CODE_OPTIONS, url: URL_OPTIONS });
  const q = config?.url.searchParams;
  const fromUrl = (key: string): string | undefined => q?.get(key) ?? undefined;
  // In a URL, a bare number is seconds (`ttl=15`); in code, milliseconds.
  const duration = (key: 'ttl' | 'wait' | 'deregisterCriticalServiceAfter', dflt: number, min: number, max: number): number =>
    parseDuration(key, code[key] ?? fromUrl(key), { bareUnit: code[key] === undefined ? 's' : 'ms', min, max }) ?? dflt;
  const ttlMs = duration('ttl', 15_000, 1000, 3_600_000);
  const waitMs = duration('wait', 30_000, 1000, 600_000); // Consul caps a blocking query's wait at 10 m
  const deregisterAfterMs = duration('deregisterCriticalServiceAfter', 60_000, 0, 30 * 24 * 3_600_000);
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
    tags:
      code.tags ??
      fromUrl('tags')
        ?.split(',')
        .filter((t) => t !== '') ??
      [],
    checks,
    kit: resolveKitOptions('consul', config, code),
  };
}

/** A duration as Consul's API wants it (a Go duration string). */
export const goDuration = (ms: number): string => `${Math.round(ms)}ms`;
