import type { Entry, RegistryChange } from './entry.js';

/** The change records of a registry's store, built in one place. `version` is stamped on delivery. */

export function added<V>(registry: string, key: string, entry: Entry<V>): RegistryChange<V> {
  return { type: 'add', registry, key, entry, version: 0 };
}

export function replaced<V>(registry: string, key: string, entry: Entry<V>, previous: Entry<V>): RegistryChange<V> {
  return { type: 'replace', registry, key, entry, previous, version: 0 };
}

export function removed<V>(registry: string, key: string, previous: Entry<V>): RegistryChange<V> {
  return { type: 'remove', registry, key, previous, version: 0 };
}

/** `entry` added, or replacing `previous`. */
export function stored<V>(registry: string, key: string, entry: Entry<V>, previous: Entry<V> | undefined): RegistryChange<V> {
  return previous === undefined ? added(registry, key, entry) : replaced(registry, key, entry, previous);
}

/**
 * The changes that turn store `old` into store `next`: adds, replaces of the entries `same`
 * says differ, and removes (a whole-store swap: `replaceAll`, `Scope.restore`).
 */
export function diffStores<V>(
  registry: string,
  old: ReadonlyMap<string, Entry<V>>,
  next: ReadonlyMap<string, Entry<V>>,
  same: (previous: Entry<V>, entry: Entry<V>) => boolean,
): Array<RegistryChange<V>> {
  const changes: Array<RegistryChange<V>> = [];
  for (const [key, entry] of next) {
    const previous = old.get(key);
    if (previous === undefined || !same(previous, entry)) changes.push(stored(registry, key, entry, previous));
  }
  for (const [key, previous] of old) if (!next.has(key)) changes.push(removed(registry, key, previous));
  return changes;
}
