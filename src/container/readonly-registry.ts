import type { ChangeListener, Entry } from './entry.js';

/**
 * The reading side of a registry, for consumers that only look things up: the counterpart of
 * client_golang's `Gatherer` next to its `Registerer`. Depend on `ReadonlyRegistry<V>` in code
 * that chooses by name (a router, a store factory), and leave registering to whoever owns the
 * registry. Every registry kind implements it.
 *
 * ```ts
 * function openStore(drivers: ReadonlyRegistry<Driver>, name: string): Driver {
 *   return drivers.mustGet(name);
 * }
 * ```
 */
export interface ReadonlyRegistry<V> {
  /** Stable id of the registry, e.g. `sql.drivers`. */
  readonly id: string;
  /** The value registered under `name`, or `undefined`. Never throws. */
  get(name: string): V | undefined;
  /** Whether `name` is registered. */
  has(name: string): boolean;
  /** Like `get`, but a miss throws `UnknownNameError` listing the known names and the closest one. */
  mustGet(name: string): V;
  /** Sorted copy of every name. */
  names(): string[];
  /** Every entry (frozen), sorted by key. */
  entries(): Array<Entry<V>>;
  /** Calls `fn` for every entry in key order; returning `false` stops early. */
  range(fn: (value: V, key: string, entry: Entry<V>) => boolean | void): void;
  /** Number of entries. */
  readonly size: number;
  /** Increases on every change. */
  readonly version: number;
  /** Subscribes to additions, replacements and removals; returns the unsubscribe function. */
  onChange(listener: ChangeListener<V>): () => void;
}
