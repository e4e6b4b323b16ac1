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
    throw new InvalidOptionError(registry, undefined, `${operation}: expected a Map, a record or an iterable of [name, value, opts?] tuples, got ${input === null ? 'null' : typeof input}`);
  }
  if (Array.isArray(input)) return input as ReadonlyArray<BatchItem<V, O>>;
  if (input instanceof Map) return [...(input as ReadonlyMap<string, V>)].map(([k, v]) => [k, v] as const);
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(input as Iterable<BatchItem<V, O>>)];
  // A plain record: own enumerable string keys only, so a `__proto__` key is data, not a prototype.
  return Object.keys(input).map((k) => [k, (input as Record<string, V>)[k]!] as const);
}

/** What a kind's `prepare` returns for one item (see `BaseRegistry.prepare`). */
interface PreparedItem<V> {
  key: string;
  value: V;
}

/**
 * Validates a batch without committing anything. `existing(key)` gives the entry a key
 * already has (for `registerAll`; `replaceAll` passes none): such keys are duplicates unless
 * the item asks to replace. Duplicates within the batch are errors too.
 */
export function prepareBatch<V, O extends RegisterOptions, P extends PreparedItem<V>>(
  registry: string,
  items: ReadonlyArray<BatchItem<V, O>>,
  site: SiteRef,
  prepare: (name: string, value: V, opts: O | undefined) => P,
  existing: (key: string) => Entry<V> | undefined,
): { prepared: Array<{ p: P; opts: O | undefined }>; errors: unknown[] } {
  const prepared: Array<{ p: P; opts: O | undefined }> = [];
  const errors: unknown[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
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
      if (held !== undefined || seen.has(p.key)) {
        const earlier = prepared.find((x) => x.p.key === p.key)?.p;
        const itemSite = resolveSite(opts?.site ?? site) ?? captureSite();
        const first = held ?? { value: earlier?.value, ...(itemSite === undefined ? {} : { site: itemSite }) };
        throw new DuplicateRegistrationError(registry, p.key, first, { value: p.value, ...(itemSite === undefined ? {} : { site: itemSite }) });
      }
      seen.add(p.key);
      prepared.push({ p, opts });
    } catch (err) {
      errors.push(err);
    }
  }
  return { prepared, errors };
}
