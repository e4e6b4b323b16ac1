import { defaultScope } from '../container/default-scope.js';
import { FactoryRegistry } from '../container/factory-registry.js';
import type { Scope } from '../container/scope.js';
import { DiscoveryError } from './errors.js';
import type { ServiceRegistry } from './types.js';

/** Id of the factory registry that holds the discovery backends, keyed by URL scheme. */
export const BACKENDS = 'discovery.backends';

/** What a backend factory receives: the parsed URL and the options given in code (which override the URL's). */
export interface BackendConfig {
  /** The URL, with only the first host when several were given. */
  readonly url: URL;
  /** Every `host:port` of the authority (`etcd://h1:2379,h2:2379/…` gives two). */
  readonly hosts: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** Whether a backend constructor's argument is the parsed URL `createRegistry` passes (not code options or a client). */
export function isBackendConfig(value: unknown): value is BackendConfig {
  return typeof value === 'object' && value !== null && 'url' in value && 'hosts' in value && 'options' in value;
}

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions {
  /** Scope whose `discovery.backends` registry is used (default: the default scope). */
  scope?: Scope;
  /** Backend options; they override options given in the URL. */
  [option: string]: unknown;
}

type BackendClass = abstract new (...args: never[]) => unknown;
const known: BackendClass[] = [];

/**
 * @internal Remembers a decorated backend class whose module was imported. Its decorator
 * registered it into the default scope of that moment; `createRegistry` also installs it into
 * any other scope that lacks it (a scope created later, or a replaced default scope).
 */
export function rememberBackend(cls: BackendClass): void {
  if (!known.includes(cls)) known.push(cls);
}

/** The factory registry of discovery backends in `scope`. */
export function backendRegistry(scope: Scope = defaultScope()): FactoryRegistry<ServiceRegistry, BackendConfig> {
  return scope.registry(BACKENDS, FactoryRegistry<ServiceRegistry, BackendConfig>);
}

/**
 * Creates a discovery backend from a URL: `memory://`, `etcd://h1:2379,h2:2379/services?ttl=15`,
 * `zookeeper://h:2181/services`, `consul://h:8500?ttl=15s`. The scheme picks the backend
 * factory in the scope's `discovery.backends` registry; backends register themselves there
 * (with `@RegisterFactory`) when their module is imported. A bad URL or an unknown scheme
 * gives `E_DISCOVERY_URL`, naming the part that is wrong and the known schemes.
 */
export async function createRegistry(url: string | URL, opts: CreateRegistryOptions = {}): Promise<ServiceRegistry> {
  const { scope = defaultScope(), ...options } = opts;
  const { url: parsed, hosts } = parseRegistryUrl(url);
  const backends = backendRegistry(scope);
  const scheme = parsed.protocol.slice(0, -1);
  if (!backends.has(scheme)) {
    const missing = known.filter((cls) => !backends.has((cls as unknown as { scheme?: string }).scheme ?? ''));
    if (missing.length > 0 && backends.state !== 'frozen') scope.install(...missing);
  }
  if (!backends.has(scheme)) {
    const known = backends.names();
    throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${String(url)}': unknown scheme '${scheme}'; known schemes: ${known.join(', ') || '(none)'}${known.includes(scheme) ? '' : ` (backends register when imported, e.g. import 'plugboard/discovery/${scheme}')`}`, { key: scheme });
  }
  return backends.new(scheme, { url: parsed, hosts, options });
}

/**
 * Parses a registry URL, with `E_DISCOVERY_URL` naming what is wrong. The authority may list
 * several hosts (`etcd://u:p@h1:2379,h2:2379/services?ttl=15`); `url` carries the first.
 */
export function parseRegistryUrl(url: string | URL): { url: URL; hosts: string[] } {
  if (url instanceof URL) return { url, hosts: url.host === '' ? [] : [url.host] };
  if (typeof url !== 'string' || url.trim() === '') throw new DiscoveryError('E_DISCOVERY_URL', `registry URL must be a non-empty string, got ${url === '' ? "''" : typeof url}`);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s.exec(url);
  if (m === null) throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${url}': missing scheme (expected e.g. memory://, etcd://host:2379)`);
  const [, scheme, userinfo, authority, rest] = m as unknown as [string, string, string | undefined, string, string];
  const hosts = authority === '' ? [] : authority.split(',');
  hosts.forEach((h, i) => {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(h)) {
      throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${redact(url)}': host ${i + 1} '${h}' is not host[:port]`, { key: 'host' });
    }
  });
  try {
    const first = `${scheme}://${userinfo === undefined ? '' : `${userinfo}@`}${hosts[0] ?? ''}${rest}`;
    return { url: new URL(first), hosts };
  } catch (err) {
    throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${redact(url)}': not a valid URL after the scheme '${scheme}://'`, { cause: err });
  }
}

/** The URL with any password replaced, for messages. */
export function redact(url: string): string {
  return url.replace(/^([^:]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** Reads a duration option: a number of milliseconds, or a string like `15s`, `500ms`, `1m`. Bare numbers in URLs are seconds. */
export function parseDuration(what: string, value: unknown, bareUnit: 'ms' | 's' = 'ms'): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return bareUnit === 's' ? value * 1000 : value;
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
    if (m !== null) {
      const n = Number(m[1]);
      const unit = m[2] ?? bareUnit;
      return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!;
    }
  }
  throw new DiscoveryError('E_DISCOVERY_URL', `option '${what}': '${String(value)}' is not a duration (use e.g. 15s, 500ms, 1m)`, { key: what });
}
