import { InvalidOptionError } from '../../container/errors.js';
import { RegisterBackend } from '../driver/register-backend.js';
import { isBackendConfig, type BackendConfig } from '../backend-config.js';
import { DriverRegistry } from '../driver/registry.js';
import { KIT_OPTIONS, KIT_URL_OPTIONS, parseDuration, rejectUnknownOptions, resolveKitOptions, type KitOptions } from '../driver/options.js';
import { MemoryDriver } from './memory-driver.js';
import { MemoryStore, namedStore } from './memory-store.js';

/** Options of a {@link MemoryRegistry}. */
export interface MemoryRegistryOptions extends KitOptions {
  /** The shared store (default: the process-wide store named by the URL host, or `default`). */
  store?: MemoryStore;
  /** Instances expire this many ms after their last renewal; this client renews every ttl/3. Omit for no expiry. */
  ttl?: number | string;
}

/**
 * The embedded discovery backend (`memory://`): in-process, for tests, demos and single-process
 * apps. With a TTL it behaves like a lease-based backend: the registering client renews its
 * instances, and `abandon()` stops that, as a crashed process would. `close()` removes this
 * client's instances, like the other backends.
 */
@RegisterBackend('memory')
export class MemoryRegistry extends DriverRegistry<MemoryDriver> {
  /** URL scheme of this backend. */
  static readonly scheme = 'memory';
  readonly store: MemoryStore;
  readonly ttl: number | undefined;

  constructor(config: BackendConfig | MemoryRegistryOptions = {}) {
    const fromUrl = isBackendConfig(config) ? config : undefined;
    const opts = (fromUrl?.options ?? config) as MemoryRegistryOptions;
    rejectUnknownOptions('memory', fromUrl, opts, { code: ['store', 'ttl', ...KIT_OPTIONS], url: ['ttl', ...KIT_URL_OPTIONS] });
    const store = opts.store ?? namedStore(fromUrl?.url.host || 'default');
    if (!(store instanceof MemoryStore)) throw new InvalidOptionError('discovery.memory', 'store', 'must be a MemoryStore');
    const ttl = parseDuration('ttl', opts.ttl ?? fromUrl?.url.searchParams.get('ttl') ?? undefined, {
      bareUnit: fromUrl !== undefined && opts.ttl === undefined ? 's' : 'ms',
      min: 1,
    });
    super(() => new MemoryDriver(store, ttl), resolveKitOptions('memory', fromUrl, opts));
    this.store = store;
    this.ttl = ttl;
  }

  /** Stops renewing and re-writing this client's instances without removing them: they expire after the TTL, like a crashed process's. */
  abandon(): void {
    this.abandonRegistrations();
  }
}
