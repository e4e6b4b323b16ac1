/**
 * The backend registry and `createRegistry(url)`. Backends register their URL scheme in a
 * `FactoryRegistry` that belongs to plugboard's own scope, never to a user's: importing a
 * backend works with a frozen default scope and never throws. A user may add or override a
 * scheme in their own scope (`backendRegistry(scope).register('nats', …)`); `createRegistry`
 * searches the user's scope (and its parents) first, then plugboard's.
 */
import { defaultScope } from '../container/default-scope.js';
import { FactoryRegistry } from '../container/factory-registry.js';
import { Scope } from '../container/scope.js';
import type { Resolver } from '../container/di/resolver.js';
import type { BackendConfig } from './backend-config.js';
import { parseRegistryUrl, redact } from './driver/options.js';
import { DiscoveryError } from './errors.js';
import type { ServiceRegistry } from './types.js';
import { showValue } from '../container/show-value.js';

/** Id of the factory registry that holds the discovery backends, keyed by URL scheme. */
export const BACKENDS = 'discovery.backends';

/** The modules that register the optional backends, for the hint of an unknown scheme. */
const BACKEND_MODULES: Readonly<Record<string, string>> = {
  etcd: 'plugboard/discovery/etcd',
  zookeeper: 'plugboard/discovery/zookeeper',
  consul: 'plugboard/discovery/consul',
};

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions {
  /** Scope searched first for the scheme (default: the default scope); plugboard's own backends come after it. */
  scope?: Scope;
  /** Backend options; they override options given in the URL. */
  [option: string]: unknown;
}

const LIBRARY = Symbol.for('plugboard.libraryScope.v1');

/**
 * plugboard's own scope, holding the registries plugboard itself fills (the discovery
 * backends). Shared by every copy of the package (ESM and CJS) through `Symbol.for`, created
 * on first use. Users read it; they register into their own scope instead.
 */
export function libraryScope(): Scope {
  const g = globalThis as unknown as Record<symbol, Scope | undefined>;
  // Backends are built with a plain `new`: what `createRegistry` returns belongs to its caller,
  // who closes it. A scope's own injector would keep every one it built until the scope is
  // disposed, and this scope lives as long as the process.
  return (g[LIBRARY] ??= new Scope('plugboard').attach(plainConstruction));
}

const plainConstruction: Resolver = {
  construct: <T>(cls: new (...args: never[]) => T, config?: unknown): T => new (cls as new (...a: unknown[]) => T)(...(config === undefined ? [] : [config])),
};

/**
 * The factory registry of discovery backends: plugboard's own (where imported backends are)
 * by default, or `scope`'s (created on first use), where a user adds or overrides schemes.
 */
export function backendRegistry(scope?: Scope): FactoryRegistry<ServiceRegistry, BackendConfig> {
  return (scope ?? libraryScope()).registry(BACKENDS, FactoryRegistry<ServiceRegistry, BackendConfig>);
}

/** The backend registry that knows `scheme`: the user's scope chain first, then plugboard's. Nothing is created. */
function lookup(scheme: string, scope: Scope): FactoryRegistry<ServiceRegistry, BackendConfig> | undefined {
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
    const r = s.peek(BACKENDS);
    if (r instanceof FactoryRegistry && r.has(scheme)) return r as FactoryRegistry<ServiceRegistry, BackendConfig>;
  }
  const lib = libraryScope().peek(BACKENDS);
  return lib instanceof FactoryRegistry && lib.has(scheme) ? (lib as FactoryRegistry<ServiceRegistry, BackendConfig>) : undefined;
}

/** Every scheme `createRegistry` can reach from `scope`. */
function knownSchemes(scope: Scope): string[] {
  const names = new Set<string>();
  for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) for (const n of s.peek(BACKENDS)?.names() ?? []) names.add(n);
  for (const n of libraryScope().peek(BACKENDS)?.names() ?? []) names.add(n);
  return [...names].sort();
}

/**
 * Creates a discovery backend from a URL: `memory://`, `etcd://h1:2379,h2:2379/microservices?ttl=15`,
 * `zookeeper://h:2181/microservices`, `consul://h:8500?ttl=15s`. The scheme picks the backend
 * factory; backends register themselves when their module is imported
 * (`import 'plugboard/discovery/etcd'`). A bad URL, an unknown scheme or an unknown option gives
 * `E_DISCOVERY_URL` (`E_INVALID_OPTION` for options given in code), naming what is wrong.
 */
export async function createRegistry(url: string | URL, opts?: CreateRegistryOptions): Promise<ServiceRegistry>;
/**
 * A registry over several backends at once (`multi://`, docs/multi.md): it registers into every
 * source and merges what they discover by instance id, the first source winning. A source is a
 * URL or a registry built in code; the result owns (and closes) them.
 */
export async function createRegistry(sources: ReadonlyArray<string | URL | ServiceRegistry>, opts?: CreateRegistryOptions): Promise<ServiceRegistry>;
export async function createRegistry(
  url: string | URL | ReadonlyArray<string | URL | ServiceRegistry>,
  opts: CreateRegistryOptions = {},
): Promise<ServiceRegistry> {
  if (Array.isArray(url)) return createRegistry('multi://', { ...opts, sources: url });
  const { scope = defaultScope(), ...options } = opts;
  const { url: parsed, hosts } = parseRegistryUrl(url as string | URL);
  const scheme = parsed.protocol.slice(0, -1);
  const backends = lookup(scheme, scope);
  if (backends === undefined) {
    const known = knownSchemes(scope);
    const module = BACKEND_MODULES[scheme];
    const hint = module === undefined ? '' : ` (backends register when imported: import '${module}')`;
    throw new DiscoveryError(
      'E_DISCOVERY_URL',
      `registry URL '${redact(showValue(url))}': unknown scheme '${scheme}'; known schemes: ${known.join(', ') || '(none)'}${hint}`,
      { key: scheme },
    );
  }
  return backends.new(scheme, { url: parsed, hosts, options, scope });
}
