import type { Entry, RegistryJSON, RegistryState } from './entry.js';
import { describeEntry } from './stored-entry.js';

/** What {@link registryJSON} reads from a registry. */
interface Described {
  readonly id: string;
  readonly kind: string;
  readonly scopeName: string | undefined;
  readonly state: RegistryState;
  readonly version: number;
  readonly size: number;
  entries(): Array<Entry<unknown>>;
}

/** A registry's diagnostics: kind, state, version and every entry with its site and metadata (not the values). */
export function registryJSON(r: Described): RegistryJSON {
  return {
    id: r.id,
    kind: r.kind,
    ...(r.scopeName === undefined ? {} : { scope: r.scopeName }),
    state: r.state,
    version: r.version,
    size: r.size,
    entries: r.entries().map((e) => ({
      key: e.key,
      name: e.name,
      ...(e.site === undefined ? {} : { site: e.site }),
      ...(e.owner === undefined ? {} : { owner: e.owner }),
      type: describeEntry(e),
      ...e.meta,
    })),
  };
}
