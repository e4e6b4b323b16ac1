/**
 * What a registry needs to know of its scope to catch a mistyped registry id: the ids of the
 * other registries the scope (and its parents) hold. `scope.registry(id, Kind)` creates a
 * registry on first use, so `scope.registry('storag', FactoryRegistry).new('pg')` reads from a
 * new, empty registry; its "nothing is registered" then says "did you mean registry
 * 'storage'?". Kept in a side table, set by the scope, so registries stay free of scopes.
 */
import { closestName } from './names.js';

/** The other registries a registry's scope can see, as `[id, written]` pairs. */
export type SiblingIds = () => ReadonlyArray<readonly [id: string, written: boolean]>;

const siblings = new WeakMap<object, SiblingIds>();

/** @internal Called by the scope that creates `registry`. */
export function setSiblings(registry: object, ids: SiblingIds): void {
  siblings.set(registry, ids);
}

/**
 * For a lookup in a registry nobody ever wrote to (the caller checks that), the id of a
 * registry of its scope that has been written to and whose id is close to this one's.
 */
export function mistypedId(registry: { readonly id: string }): string | undefined {
  const ids = siblings.get(registry)?.();
  if (ids === undefined) return undefined;
  return closestName(
    registry.id,
    ids.filter(([id, written]) => written && id !== registry.id).map(([id]) => id),
  );
}
