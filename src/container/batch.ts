/** Input shapes of `registerAll` / `replaceAll`, normalised to `[name, value, opts?]` items. */

/** A batch item for `registerAll` / `replaceAll`. */
export type BatchItem<V, O> = readonly [name: string, value: V, opts?: O];

/** Input accepted by `registerAll` / `replaceAll`: a `Map`, a plain record, or `[name, value, opts?]` tuples. */
export type BatchInput<V, O> = ReadonlyMap<string, V> | Readonly<Record<string, V>> | Iterable<BatchItem<V, O>>;

export function toItems<V, O>(input: BatchInput<V, O>): ReadonlyArray<BatchItem<V, O>> {
  if (Array.isArray(input)) return input as ReadonlyArray<BatchItem<V, O>>;
  if (input instanceof Map) return [...(input as ReadonlyMap<string, V>)].map(([k, v]) => [k, v] as const);
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(input as Iterable<BatchItem<V, O>>)];
  // A plain record: own enumerable string keys only, so a `__proto__` key is data, not a prototype.
  return Object.keys(input).map((k) => [k, (input as Record<string, V>)[k]!] as const);
}
