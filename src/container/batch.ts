import { DuplicateRegistrationError, InvalidOptionError } from './errors.js';
import type { Entry, RegisterOptions } from './entry.js';
import { captureSite, resolveSite, type SiteRef } from './site.js';

/** Input shapes of `registerAll` / `replaceAll`, normalised to `[name, value, opts?]` items. */

/** A batch item for `registerAll` / `replaceAll`. */
export type BatchItem<V, O> = readonly [name: string, value: V, opts?: O];

/** Input accepted by `registerAll` / `replaceAll`: a `Map`, a plain record, or `[name, value, opts?]` tuples. */
export type BatchInput<V, O> = ReadonlyMap<string, V> | Readonly<Record<string, V>> | Iterable<BatchItem<V, O>>;

/**
 * The items of a batch. Input of another shape (`null`, a string, a number) is
 * `E_INVALID_OPTION` naming the registry and the operation; a malformed item is reported by
 * {@link prepareBatch} with the others.
 */
export function toItems<V, O>(registry: string, operation: string, input: BatchInput<V, O>): ReadonlyArray<BatchItem<V, O>> {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidOptionError(
      registry,
      undefined,
      `${operation}: expected a Map, a record or an iterable of [name, value, opts?] tuples, got ${input === null ? 'null' : typeof input}`,
    );
  }
  if (Array.isArray(input)) return input as ReadonlyArray<BatchItem<V, O>>;
  if (input instanceof Map) return [...(input as ReadonlyMap<string, V>)].map(([k, v]) => [k, v] as const);
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(input as Iterable<BatchItem<V, O>>)];
  // A plain record: own enumerable string keys only, so a `__proto__` key is data, not a prototype.
  return Object.keys(input).map((k) => [k, (input as Record<string, V>)[k]!] as const);
}

/** The most problems one batch refusal reports. */
export const MAX_BATCH_ERRORS = 100;

/** What a kind's `prepare` returns for one item (see `BaseRegistry.prepare`). */
interface PreparedItem<V> {
  key: string;
  value: V;
}

/** A checked batch item, ready to commit. */
export interface CheckedItem<O, P> {
  readonly p: P;
  readonly opts: O | undefined;
}

/**
 * Validates a batch without committing anything. `existing(key)` gives the entry a key
 * already has (for `registerAll`; `replaceAll` passes none): such keys are duplicates unless
 * the item asks to replace. With `repeats`, a key repeated within the batch is an error too;
 * without, the commit finds repeats itself (see {@link commitBatch}) and checks again with.
 */
export function prepareBatch<V, O extends RegisterOptions, P extends PreparedItem<V>>(
  registry: string,
  items: ReadonlyArray<BatchItem<V, O>>,
  site: SiteRef,
  prepare: (name: string, value: V, opts: O | undefined) => P,
  existing: (key: string) => Entry<V> | undefined,
  repeats = true,
): { prepared: Array<CheckedItem<O, P>>; errors: unknown[] } {
  const prepared: Array<CheckedItem<O, P>> = [];
  const errors: unknown[] = [];
  const seen = repeats ? new Map<string, P>() : undefined;
  // A 200,000-item batch of junk is refused after the first MAX_BATCH_ERRORS problems, not
  // after building 200,000 errors (seconds of work for one refusal).
  for (let i = 0; i < items.length && errors.length < MAX_BATCH_ERRORS; i++) {
    const item: unknown = items[i]; // indexed, not destructured: array destructuring runs the iterator protocol
    if (!Array.isArray(item)) {
      errors.push(new InvalidOptionError(registry, undefined, `item ${i} must be a [name, value, opts?] tuple, got ${item === null ? 'null' : typeof item}`));
      continue;
    }
    const name = item[0] as string;
    const value = item[1] as V;
    const opts = item[2] as O | undefined;
    try {
      const p = prepare(name, value, opts);
      const held = opts?.replace !== true ? existing(p.key) : undefined;
      if (held !== undefined || seen?.has(p.key) === true) {
        const earlier = seen?.get(p.key);
        const itemSite = resolveSite(opts?.site ?? site) ?? captureSite();
        const first = held ?? { value: earlier?.value, ...(itemSite === undefined ? {} : { site: itemSite }) };
        throw new DuplicateRegistrationError(registry, p.key, first, { value: p.value, ...(itemSite === undefined ? {} : { site: itemSite }) });
      }
      seen?.set(p.key, p);
      prepared.push({ p, opts });
    } catch (err) {
      errors.push(err);
    }
  }
  return { prepared, errors };
}

/**
 * Commits the items of a checked batch into `store` (`registerAll`) and returns the entry
 * each one replaced. Keys repeated within a batch are rare, and a set to find them up front
 * cost a fifth of the batch, so the commit finds them itself: the store grew less than the
 * new keys would make it, or a replace met an entry of this batch (`madeHere`). It then undoes
 * itself, in reverse (the map's order is restored too), and returns `false`: nothing changed,
 * and the caller checks the batch again, with `repeats`, to report them.
 */
export function commitBatch<V, O extends RegisterOptions, P extends PreparedItem<V>>(
  store: Map<string, Entry<V>>,
  items: ReadonlyArray<CheckedItem<O, P>>,
  make: (item: CheckedItem<O, P>, previous: Entry<V> | undefined) => Entry<V>,
  madeHere: (e: Entry<V>) => boolean,
): Array<Entry<V> | undefined> | false {
  const sizeBefore = store.size;
  const previous: Array<Entry<V> | undefined> = [];
  let fresh = 0;
  let replaced: Set<string> | undefined;
  let repeated = false;
  for (const item of items) {
    const key = item.p.key;
    // prepareBatch refused every key held before the batch, except those asked to replace.
    const prev = item.opts?.replace === true ? store.get(key) : undefined;
    if (item.opts?.replace === true) {
      if (replaced?.has(key) === true || (prev !== undefined && madeHere(prev))) repeated = true;
      (replaced ??= new Set()).add(key);
    }
    if (prev === undefined) fresh++;
    previous.push(prev);
    store.set(key, make(item, prev));
  }
  if (!repeated && store.size === sizeBefore + fresh) return previous;
  for (let i = items.length - 1; i >= 0; i--) {
    const prev = previous[i];
    if (prev === undefined) store.delete(items[i]!.p.key);
    else store.set(items[i]!.p.key, prev);
  }
  return false;
}
