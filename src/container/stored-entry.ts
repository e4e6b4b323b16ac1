import type { Entry } from './entry.js';
import { constructProvided, Provided, type ProviderSpec } from './provider.js';
import type { Prepared } from './registry-options.js';
import { resolveSite, type SiteRef } from './site.js';

/**
 * The two kinds of stored entry. Both have one fixed shape (reads stay monomorphic), are
 * frozen by the registry, and format their registration site only when it is read.
 */
abstract class EntryRecord<V> implements Entry<V> {
  #site: SiteRef; // a capture until first read, then its `file:line` (private fields stay writable in a frozen object)
  constructor(
    readonly key: string,
    readonly name: string,
    site: SiteRef,
    readonly owner: string | undefined,
    readonly seq: number,
    readonly meta: Readonly<Record<PropertyKey, unknown>>,
  ) {
    this.#site = site;
  }

  abstract readonly value: V;

  get site(): string | undefined {
    const site = this.#site;
    if (typeof site !== 'object') return site;
    return (this.#site = resolveSite(site));
  }

  /** The site reference as stored (possibly not yet formatted). */
  protected get siteRef(): SiteRef {
    return this.#site;
  }

  /** A copy attributed to `owner` at position `seq` (a plugin's staged entry moving into the host). */
  abstract reown(owner: string, seq: number): EntryRecord<V>;
}

/** An entry holding a ready value. */
export class StoredEntry<V> extends EntryRecord<V> {
  constructor(
    key: string,
    name: string,
    readonly value: V,
    site: SiteRef,
    owner: string | undefined,
    seq: number,
    meta: Readonly<Record<PropertyKey, unknown>>,
  ) {
    super(key, name, site, owner, seq, meta);
  }

  reown(owner: string, seq: number): StoredEntry<V> {
    return Object.freeze(new StoredEntry(this.key, this.name, this.value, this.siteRef, owner, seq, this.meta)) as StoredEntry<V>;
  }
}

/**
 * An entry whose value is built on demand by a provider (decorated classes). Reading `value`
 * constructs it: once for a singleton, every time for a transient.
 */
export class LazyEntry<V> extends EntryRecord<V> {
  #instance: V | undefined;
  constructor(
    private readonly registry: string,
    key: string,
    name: string,
    readonly provider: ProviderSpec<V>,
    site: SiteRef,
    owner: string | undefined,
    seq: number,
    meta: Readonly<Record<PropertyKey, unknown>>,
  ) {
    super(key, name, site, owner, seq, meta);
  }

  get value(): V {
    if (this.#instance !== undefined) return this.#instance;
    const v = constructProvided(this.provider, this.registry, this.key, this.site);
    if (this.provider.lifetime === 'singleton') this.#instance = v;
    return v;
  }

  reown(owner: string, seq: number): LazyEntry<V> {
    const copy = new LazyEntry<V>(this.registry, this.key, this.name, this.provider, this.siteRef, owner, seq, this.meta);
    copy.#instance = this.#instance; // a singleton built while staging stays the one instance
    return Object.freeze(copy) as LazyEntry<V>;
  }

  /** Whether a singleton has been built yet. */
  get constructed(): boolean {
    return this.#instance !== undefined;
  }
}

/** The frozen entry of a prepared registration: lazy for a provider, stored otherwise. */
export function createEntry<V>(
  registry: string,
  p: Prepared<V>,
  meta: Readonly<Record<PropertyKey, unknown>>,
  site: SiteRef,
  owner: string | undefined,
  seq: number,
): Entry<V> {
  if (p.value instanceof Provided) return Object.freeze(new LazyEntry<V>(registry, p.key, p.name, (p.value as Provided<V>).spec, site, owner, seq, meta));
  return Object.freeze(new StoredEntry(p.key, p.name, p.value, site, owner, seq, meta));
}

/** A copy of a stored entry attributed to `owner` at position `seq`. */
export function reown<V>(e: Entry<V>, owner: string, seq: number): Entry<V> {
  return (e as unknown as EntryRecord<V>).reown(owner, seq);
}

/** The stored value without constructing a lazy one: compares and describes entries cheaply. */
export function rawValue(e: Entry<unknown>): unknown {
  return e instanceof LazyEntry ? e.provider : e.value;
}

/** A short description of an entry's value for diagnostics, without constructing it. */
export function describeEntry(e: Entry<unknown>): string {
  if (e instanceof LazyEntry) return `provider ${e.provider.label} (${e.provider.lifetime}${e.constructed ? ', constructed' : ''})`;
  return describeValue(e.value);
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return value.name === '' ? 'function' : `function ${value.name}`;
  if (typeof value === 'object' && value !== null) {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
    return ctor === undefined || ctor === 'Object' ? 'object' : ctor;
  }
  return typeof value;
}
