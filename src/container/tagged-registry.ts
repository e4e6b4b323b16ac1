import { BaseRegistry, type Prepared } from './base-registry.js';
import type { Entry, RegisterOptions } from './entry.js';
import { InvalidOptionError } from './errors.js';

/** Tags of an entry: `{ env: 'prod' }`, or a list of bare tags (`['fast']`, stored as `{ fast: true }`). */
export type Tags = Readonly<Record<string, string>> | readonly string[];

/** Options of {@link TaggedRegistry.register}. */
export interface TaggedRegisterOptions extends RegisterOptions {
  tags?: Tags;
  /** Higher ranks come first (OSGi's `service.ranking`); default 0. */
  rank?: number;
}

/** A tagged entry as returned by `select` and views. */
export interface TaggedEntry<V> {
  readonly name: string;
  readonly value: V;
  readonly tags: Readonly<Record<string, string | true>>;
  readonly rank: number;
  readonly site?: string;
  readonly owner?: string;
}

/**
 * What to select: an object whose every key must match (a string for equality, an array for
 * any of, `true` for presence), or a predicate.
 */
export type TagFilter<V> = Readonly<Record<string, string | readonly string[] | true>> | ((entry: TaggedEntry<V>) => boolean);

function normaliseTags(registry: string, name: string, tags: Tags | undefined): Record<string, string | true> {
  const out: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
  if (tags === undefined) return out;
  if (Array.isArray(tags)) {
    for (const t of tags as readonly unknown[]) {
      if (typeof t !== 'string' || t === '') throw new InvalidOptionError(registry, name, 'tags must be non-empty strings');
      out[t] = true;
    }
    return out;
  }
  if (typeof tags !== 'object' || tags === null) throw new InvalidOptionError(registry, name, 'tags must be an object or an array of strings');
  for (const k of Object.keys(tags)) {
    const v = (tags as Record<string, unknown>)[k];
    if (typeof v !== 'string') throw new InvalidOptionError(registry, name, `tag '${k}' must have a string value`);
    out[k] = v;
  }
  return out;
}

function toTagged<V>(e: Entry<V>): TaggedEntry<V> {
  return Object.freeze({
    name: e.key,
    // A getter, so that selecting entries does not construct lazily provided values.
    get value(): V {
      return e.value;
    },
    tags: e.meta['tags'] as Record<string, string | true>,
    rank: e.meta['rank'] as number,
    ...(e.site === undefined ? {} : { site: e.site }),
    ...(e.owner === undefined ? {} : { owner: e.owner }),
  });
}

/** Whether `entry` passes `filter`. */
export function matchesFilter<V>(entry: TaggedEntry<V>, filter: TagFilter<V> | undefined): boolean {
  if (typeof entry !== 'object' || entry === null || typeof entry.tags !== 'object' || entry.tags === null)
    throw new InvalidOptionError('matchesFilter', undefined, 'the entry must be a tagged entry (with tags)');
  checkFilter('matchesFilter', filter);
  if (filter === undefined) return true;
  if (typeof filter === 'function') return filter(entry);
  for (const k of Object.keys(filter)) {
    const want = filter[k];
    const have = Object.prototype.hasOwnProperty.call(entry.tags, k) ? entry.tags[k] : undefined;
    if (have === undefined) return false;
    if (want === true) continue;
    if (Array.isArray(want) ? !want.includes(have) : have !== want) return false;
  }
  return true;
}

/** A filter is omitted, a predicate, or an object of wanted tags; anything else is `E_INVALID_OPTION`. */
function checkFilter(registry: string, filter: unknown): void {
  if (filter === undefined) return;
  if (typeof filter === 'function') {
    if (/^class\b/.test(Function.prototype.toString.call(filter)))
      throw new InvalidOptionError(registry, undefined, 'a tag filter predicate must be a function, not a class');
    return;
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    throw new InvalidOptionError(
      registry,
      undefined,
      `a tag filter must be an object of tags or a predicate, got ${filter === null ? 'null' : Array.isArray(filter) ? 'an array' : typeof filter}`,
    );
}

/**
 * A live selection: it always reflects the registry's current entries (like OSGi's
 * ServiceTracker), recomputing only after the registry changed.
 */
export class TaggedView<V> {
  #registry: TaggedRegistry<V>;
  #filter: TagFilter<V> | undefined;
  #cache: Array<TaggedEntry<V>> = [];
  #cacheFor = '';
  #unsubscribe: (() => void) | undefined;
  #listeners = new Set<(entries: ReadonlyArray<TaggedEntry<V>>) => void>();

  /** @internal Use {@link TaggedRegistry.view}. */
  constructor(registry: TaggedRegistry<V>, filter: TagFilter<V> | undefined) {
    if (!(registry instanceof TaggedRegistry))
      throw new InvalidOptionError('TaggedView', undefined, 'a view needs a TaggedRegistry (use registry.view(filter))');
    checkFilter(registry.id, filter);
    this.#registry = registry;
    this.#filter = filter;
  }

  /** The matching entries, highest rank first, then earliest registered. */
  entries(): Array<TaggedEntry<V>> {
    const v = this.#registry.generation();
    if (v !== this.#cacheFor) {
      this.#cache = this.#registry.select(this.#filter);
      this.#cacheFor = v;
    }
    return [...this.#cache];
  }

  /** The matching values, in the same order. */
  values(): V[] {
    return this.entries().map((e) => e.value);
  }

  /** The best match's value, or `undefined`. */
  first(): V | undefined {
    return this.entries()[0]?.value;
  }

  /** Number of matching entries. */
  get size(): number {
    return this.entries().length;
  }

  /**
   * Calls `listener` with the new selection whenever a change in the registry touches an
   * entry that matches (or used to match) the filter. Returns the unsubscribe function.
   */
  onChange(listener: (entries: ReadonlyArray<TaggedEntry<V>>) => void): () => void {
    this.#listeners.add(listener);
    this.#unsubscribe ??= this.#registry.onChange((change) => {
      const touched = [change.type === 'remove' ? undefined : change.entry, change.type === 'add' ? undefined : change.previous];
      if (!touched.some((e) => e !== undefined && matchesFilter(toTagged(e), this.#filter))) return;
      const now = this.entries();
      for (const l of [...this.#listeners]) l(now);
    });
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Stops listening to the registry. The view can still be read. */
  close(): void {
    this.#listeners.clear();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}

/**
 * Values with tags and a rank, selected by filter: the OSGi service-registry shape. Order is
 * higher rank first, then earlier registration.
 */
export class TaggedRegistry<V> extends BaseRegistry<V, TaggedRegisterOptions> {
  static override readonly kind: string = 'tagged';

  protected override prepare(name: string, value: V, opts: TaggedRegisterOptions | undefined, site: string | undefined): Prepared<V> {
    const p = super.prepare(name, value, opts, site);
    const rank = opts?.rank ?? 0;
    if (typeof rank !== 'number' || !Number.isFinite(rank)) throw new InvalidOptionError(this.id, name, `rank must be a finite number, got ${String(rank)}`);
    p.meta = { tags: Object.freeze(normaliseTags(this.id, name, opts?.tags)), rank };
    return p;
  }

  /** The entries matching `filter` (all when omitted), highest rank first, then earliest registered. */
  select(filter?: TagFilter<V>): Array<TaggedEntry<V>> {
    checkFilter(this.id, filter);
    return [...this.merged().values()]
      .sort((a, b) => (b.meta['rank'] as number) - (a.meta['rank'] as number) || a.seq - b.seq)
      .map(toTagged)
      .filter((e) => matchesFilter(e, filter));
  }

  /** The best match's value, or `undefined`. */
  first(filter?: TagFilter<V>): V | undefined {
    return this.select(filter)[0]?.value;
  }

  /** A live view of the entries matching `filter`. */
  view(filter?: TagFilter<V>): TaggedView<V> {
    checkFilter(this.id, filter);
    return new TaggedView(this, filter);
  }

  /** @internal Changes whenever this registry or a parent changes. */
  generation(): string {
    return this.lineageVersion();
  }
}
