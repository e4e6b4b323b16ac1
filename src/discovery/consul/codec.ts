import { DiscoveryError } from '../errors.js';
import { validateInstance } from '../driver/codec.js';
import { parseDuration } from '../driver/options.js';
import type { ServiceInstance } from '../instance.js';
import { goDuration, type ResolvedConsulOptions } from './options.js';

/** The service definition `PUT /v1/agent/service/register` takes (Consul's field names). */
export interface AgentServiceRegistration {
  ID: string;
  Name: string;
  Tags: string[];
  /** Omitted (as Go's `omitempty` omits it) for an instance without endpoints. */
  Address?: string;
  Port?: number;
  /** Omitted when the metadata is empty. */
  Meta?: Record<string, string>;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  Checks: Array<Record<string, string>>;
}

/** One entry of `GET /v1/health/service/{name}`, the fields we read. */
export interface HealthEntry {
  Service?: { ID?: unknown; Service?: unknown; Tags?: unknown; Address?: unknown; Port?: unknown; Meta?: unknown; TaggedAddresses?: unknown };
}

/** The tag that carries the version, `version=<v>`, as go-kratos writes and reads it. */
export const VERSION_KEY = 'version';
/** Consul's own tagged addresses; everything else in `TaggedAddresses` is one of our endpoints. */
const CONSUL_ADDRESSES = new Set(['lan', 'lan_ipv4', 'lan_ipv6', 'wan', 'wan_ipv4', 'wan_ipv6', 'virtual']);
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** The TTL check's id: Consul's own default for a service's check. */
export const ttlCheckId = (serviceId: string): string => `service:${serviceId}`;

const bad = (field: string, problem: string): never => {
  throw new DiscoveryError('E_DISCOVERY_INSTANCE', `invalid service instance for Consul: ${field} ${problem}`, { key: field });
};

/**
 * Our instance as a Consul agent service, laid out as go-kratos lays it out
 * (contrib/registry/consul/client.go), so that kratos clients and plugboard clients find each
 * other: tags `version=<v>` first, then the configured ones; `Meta` is the metadata as is
 * (omitted when empty; a `version` key is plain metadata, the version lives in the tag); every
 * endpoint is a tagged address keyed by its scheme holding the whole URL and its port (0 when
 * the URL has none), and `Address`/`Port` are the first endpoint's, host and port as written
 * (Go's `url.Hostname`/`url.Port`, not WHATWG's normalised ones). One difference: a second
 * endpoint of a scheme is kept as `http_2`… (kratos overwrites the first; its reader lists every
 * tagged address, so it sees both). Consul's limits on `Meta` are checked here, so a bad key is
 * `E_DISCOVERY_INSTANCE` naming it rather than a 400 from the agent.
 */
export function toRegistration(i: ServiceInstance, o: ResolvedConsulOptions): AgentServiceRegistration {
  const keys = Object.keys(i.metadata);
  if (keys.length > 64) bad('instance.metadata', `has ${keys.length} keys; Consul allows 64 Meta pairs`);
  for (const k of keys) {
    if (!META_KEY.test(k) || k.startsWith('consul-'))
      bad(`instance.metadata.${k}`, `is not a Consul Meta key (1-128 letters, digits, '_' or '-', not starting with 'consul-')`);
    if (i.metadata[k]!.length > 512) bad(`instance.metadata.${k}`, `is longer than Consul's 512 characters`);
  }
  const tagged: Record<string, { Address: string; Port: number }> = {};
  const seen = new Map<string, number>();
  for (const e of i.endpoints) {
    const scheme = new URL(e).protocol.slice(0, -1);
    const n = (seen.get(scheme) ?? 0) + 1;
    seen.set(scheme, n);
    const key = n === 1 ? scheme : `${scheme}_${n}`;
    if (CONSUL_ADDRESSES.has(key)) bad('instance.endpoints', `scheme '${scheme}' clashes with Consul's own tagged address '${key}'`);
    tagged[key] = { Address: e, Port: goHostPort(e).port };
  }
  const first = i.endpoints.length === 0 ? undefined : goHostPort(i.endpoints[0]!);
  const checks: Array<Record<string, string>> = [
    {
      CheckID: ttlCheckId(i.id),
      Name: `plugboard TTL ${i.name}/${i.id}`,
      TTL: goDuration(o.ttlMs),
      Status: 'passing', // a TTL check starts critical otherwise, hiding the instance until the first beat
      ...(o.deregisterAfterMs > 0 ? { DeregisterCriticalServiceAfter: goDuration(o.deregisterAfterMs) } : {}),
    },
    ...o.checks.map((c, n) => ({
      CheckID: `${ttlCheckId(i.id)}:${n + 1}`,
      Name: `plugboard ${c.http !== undefined ? 'HTTP' : c.tcp !== undefined ? 'TCP' : 'gRPC'} ${i.name}/${i.id}`,
      ...(c.http !== undefined ? { HTTP: c.http } : c.tcp !== undefined ? { TCP: c.tcp } : { GRPC: c.grpc! }),
      Interval: goDuration(parseDuration('interval', c.interval)!),
      ...(c.timeout === undefined ? {} : { Timeout: goDuration(parseDuration('timeout', c.timeout)!) }),
      ...(o.deregisterAfterMs > 0 ? { DeregisterCriticalServiceAfter: goDuration(o.deregisterAfterMs) } : {}),
    })),
  ];
  return {
    ID: i.id,
    Name: i.name,
    Tags: [`${VERSION_KEY}=${i.version}`, ...o.tags],
    ...(first === undefined ? {} : { Address: first.host, Port: first.port }),
    ...(keys.length === 0 ? {} : { Meta: { ...i.metadata } }),
    ...(first === undefined ? {} : { TaggedAddresses: tagged }),
    Checks: checks,
  };
}

/** `scheme://authority…`: the authority ends at the first `/`, `?` or `#`, as in Go's `url.Parse`. */
const AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/**
 * kratos's `raw.Hostname()` and `strconv.ParseUint(raw.Port(), 10, 16)` of Go's `url.Parse`:
 * the host and port as written in the endpoint (no brackets; port 0 when absent). WHATWG
 * parsing would lowercase an http(s) host, rewrite `127.1` and drop a default port like `:80`.
 * Only called on endpoints that parse as URLs with a host (register validates them).
 */
function goHostPort(endpoint: string): { host: string; port: number } {
  const authority = AUTHORITY.exec(endpoint)?.[1];
  if (authority === undefined) {
    // Not `scheme://…` (WHATWG accepts `http:host`): WHATWG's reading is the best we have.
    const url = new URL(endpoint);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 0 : Number(url.port) };
  }
  let hostPort = authority.slice(authority.lastIndexOf('@') + 1); // Go splits userinfo at the last '@'
  let port = '';
  const colon = hostPort.lastIndexOf(':');
  if (colon !== -1 && /^:\d*$/.test(hostPort.slice(colon))) {
    port = hostPort.slice(colon + 1);
    hostPort = hostPort.slice(0, colon);
  }
  if (hostPort.startsWith('[') && hostPort.endsWith(']')) hostPort = hostPort.slice(1, -1);
  const n = port === '' ? 0 : Number(port);
  return { host: unescapeHost(hostPort), port: n <= 0xffff ? n : 0 }; // ParseUint(…, 16) fails above 65535: 0
}

/** Go unescapes `%XX` in a host (an IPv6 zone `%25eth0`); a bad escape is left as written. */
function unescapeHost(host: string): string {
  try {
    return decodeURIComponent(host);
  } catch {
    return host;
  }
}

/**
 * An instance from a health entry, or `undefined` for one that is not a valid instance
 * (registered by someone else, or malformed). Read as kratos's resolver reads it: the version
 * from the (last) `version=` tag, the metadata is `Meta` as is, the endpoints are the tagged
 * addresses other than Consul's own, else `http://Address:Port`; none at all is allowed.
 */
export function fromHealthEntry(entry: HealthEntry): ServiceInstance | undefined {
  const s = entry?.Service;
  if (typeof s !== 'object' || s === null) return undefined;
  const meta = isStringRecord(s.Meta) ? { ...s.Meta } : {};
  let version = '';
  for (const t of Array.isArray(s.Tags) ? (s.Tags as unknown[]) : [])
    if (typeof t === 'string' && t.startsWith(`${VERSION_KEY}=`)) version = t.slice(VERSION_KEY.length + 1);
  const endpoints: string[] = [];
  if (typeof s.TaggedAddresses === 'object' && s.TaggedAddresses !== null) {
    for (const [k, v] of Object.entries(s.TaggedAddresses as Record<string, unknown>)) {
      const address = (v as { Address?: unknown } | null)?.Address;
      if (!CONSUL_ADDRESSES.has(k) && typeof address === 'string') endpoints.push(address);
    }
  }
  if (endpoints.length === 0 && typeof s.Address === 'string' && s.Address !== '' && typeof s.Port === 'number' && s.Port > 0) {
    endpoints.push(`http://${s.Address.includes(':') ? `[${s.Address}]` : s.Address}:${s.Port}`);
  }
  try {
    return validateInstance({ id: s.ID, name: s.Service, version, metadata: meta, endpoints }, undefined, 'read');
  } catch {
    return undefined;
  }
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
