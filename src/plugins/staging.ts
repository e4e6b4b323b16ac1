import type { BaseRegistry } from '../container/base-registry.js';
import { throwCollected } from '../container/errors.js';
import type { RegistryClass, Scope } from '../container/scope.js';
import type { Entry } from '../container/entry.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistry = BaseRegistry<any, any>;

/**
 * A plugin's registrations, built to one side: a scope whose reads fall back to the host
 * scope and whose writes stay here until {@link commitStaged} moves them into the host,
 * attributed to the plugin. Not listed among the host's children (it is transient).
 */
export function stagingScope(host: Scope): Scope {
  return new (host.constructor as new (name: string, parent: Scope) => Scope)('plugin-staging', host);
}

/** What a commit will do: per host registry, the entries the plugin will own there. */
interface Plan {
  target: AnyRegistry;
  entries: ReadonlyArray<Entry<unknown>>;
}

/** The host registries named in `owned` (a plugin's `registrations`: registry id → keys). */
function ownedRegistries(host: Scope, owned: Readonly<Record<string, readonly string[]>>): AnyRegistry[] {
  return Object.keys(owned)
    .map((id) => host.peek(id))
    .filter((r): r is AnyRegistry => r !== undefined);
}

/**
 * Moves the staged entries into the host, as `owner`'s, replacing whatever `owner` had
 * (load, or hot reload; `before` is what it had). Every registry is checked first (`adoptEntries(…, { check })`: frozen
 * registries, keys another owner holds), and then the swaps are applied in one synchronous pass: a reader never sees a mix, nor a key
 * missing that both versions provide. Throws, changing nothing, when a check fails.
 * Returns `registry id → keys` now owned.
 */
export function commitStaged(host: Scope, staging: Scope, owner: string, before: Readonly<Record<string, readonly string[]>> = {}): Record<string, string[]> {
  const plans = new Map<string, Plan>();
  for (const r of ownedRegistries(host, before)) plans.set(r.id, { target: r, entries: [] });
  for (const staged of staging.registries()) {
    const entries = staged.localSnapshot();
    if (entries.length === 0 && !plans.has(staged.id)) continue;
    const target = host.registry(staged.id, staged.constructor as RegistryClass<AnyRegistry>);
    plans.set(staged.id, { target, entries });
  }
  const errors: unknown[] = [];
  for (const { target, entries } of plans.values()) {
    try {
      target.adoptEntries(owner, entries, { check: true });
    } catch (err) {
      errors.push(err);
    }
  }
  throwCollected(errors, (n) => `plugin '${owner}': registrations rejected in ${n} registries; nothing changed`);
  const owned: Record<string, string[]> = {};
  for (const { target, entries } of plans.values()) {
    target.adoptEntries(owner, entries);
    if (entries.length > 0) owned[target.id] = entries.map((e) => e.key).sort();
  }
  return owned;
}

/** Removes every entry attributed to `owner` from the host registries it registered into. */
export function removeOwned(host: Scope, owner: string, owned: Readonly<Record<string, readonly string[]>>): void {
  for (const r of ownedRegistries(host, owned)) if (r.state !== 'frozen') r.unregisterOwner(owner);
}
