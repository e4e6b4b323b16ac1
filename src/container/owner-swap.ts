import type { Entry, RegistryChange } from './entry.js';
import { DuplicateRegistrationError, throwCollected } from './errors.js';
import { rawValue } from './stored-entry.js';
import { removed, stored } from './store-changes.js';

/**
 * Checks an owner-scoped swap (plugin load and reload): an incoming key held by someone other
 * than `owner` is a duplicate. Throws one `DuplicateRegistrationError`, or an `E_BATCH`
 * aggregate of several. Costs one lookup per incoming entry.
 */
export function checkOwnerSwap<V>(registry: string, store: ReadonlyMap<string, Entry<V>>, owner: string, incoming: ReadonlyArray<Entry<V>>): void {
  const errors: DuplicateRegistrationError[] = [];
  for (const e of incoming) {
    const held = store.get(e.key);
    if (held !== undefined && held.owner !== owner)
      errors.push(new DuplicateRegistrationError(registry, e.key, held, { value: rawValue(e), ...(e.site === undefined ? {} : { site: e.site }) }));
  }
  throwCollected(errors, (n) => `${registry}: entries of '${owner}' rejected (${n} duplicates); nothing changed`, registry);
}

/**
 * The new store after a checked owner-scoped swap — everyone else's entries, then `owner`'s
 * new ones (made by `adopt`) — built as a copy so the registry can swap it in with one
 * assignment, and the changes to report: only keys `owner` had or now has.
 */
export function ownerSwap<V>(
  registry: string,
  store: ReadonlyMap<string, Entry<V>>,
  owner: string,
  incoming: ReadonlyArray<Entry<V>>,
  adopt: (e: Entry<V>) => Entry<V>,
): { next: Map<string, Entry<V>>; changes: Array<RegistryChange<V>> } {
  const next = new Map<string, Entry<V>>();
  const dropped: Array<Entry<V>> = [];
  for (const [key, e] of store) {
    if (e.owner === owner) dropped.push(e);
    else next.set(key, e);
  }
  const changes: Array<RegistryChange<V>> = [];
  for (const e of incoming) {
    const entry = adopt(e);
    const previous = store.get(e.key);
    next.set(e.key, entry);
    changes.push(stored(registry, e.key, entry, previous));
  }
  for (const previous of dropped) if (!next.has(previous.key)) changes.push(removed(registry, previous.key, previous));
  return { next, changes };
}
