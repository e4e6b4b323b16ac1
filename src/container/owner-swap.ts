import type { Entry } from './entry.js';
import { DuplicateRegistrationError, PlugboardAggregateError } from './errors.js';
import { rawValue } from './stored-entry.js';

/**
 * The first half of an owner-scoped swap (plugin load and reload): the entries that stay,
 * everyone's but `owner`'s. Throws, changing nothing, when an incoming key is held by
 * someone else: one `DuplicateRegistrationError`, or an `E_BATCH` aggregate of several.
 */
export function ownerSwap<V>(registry: string, store: ReadonlyMap<string, Entry<V>>, owner: string, incoming: ReadonlyArray<Entry<V>>): Map<string, Entry<V>> {
  const next = new Map<string, Entry<V>>();
  for (const [key, e] of store) if (e.owner !== owner) next.set(key, e);
  const errors = incoming
    .filter((e) => next.has(e.key))
    .map((e) => new DuplicateRegistrationError(registry, e.key, next.get(e.key)!, { value: rawValue(e), ...(e.site === undefined ? {} : { site: e.site }) }));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new PlugboardAggregateError('E_BATCH', errors, `${registry}: entries of '${owner}' rejected (${errors.length} duplicates); nothing changed`, { registry });
  return next;
}
