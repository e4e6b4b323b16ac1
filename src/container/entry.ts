/** Types shared by every registry kind. */
import type { LazySite } from './site.js';

/** Lifecycle state of a registry: `freeze()` is terminal. */
export type RegistryState = 'empty' | 'populated' | 'frozen';

/**
 * One registration, as stored. Entries are frozen: reading them never gives access to
 * the registry's storage.
 */
export interface Entry<V> {
  /** The storage key (for a versioned registry, `name@version`). */
  readonly key: string;
  /** The name the entry was registered under. */
  readonly name: string;
  /** The registered value. */
  readonly value: V;
  /** Where the registration was made (`file:line`), when known. */
  readonly site?: string;
  /** Who registered it (a plugin name), when attributed. */
  readonly owner?: string;
  /** Registration order within the registry; lower is earlier. */
  readonly seq: number;
  /** Kind-specific data: tags and rank, version, magic, pattern… */
  readonly meta: Readonly<Record<PropertyKey, unknown>>;
}

/** Options accepted by every `register` call. */
export interface RegisterOptions {
  /**
   * Replace an existing entry under the same key instead of throwing
   * `DuplicateRegistrationError`. This is the only alternative duplicate policy.
   */
  replace?: boolean;
  /** Registration site to record (`file:line`, or a `LazySite`); taken from the stack when omitted. */
  site?: string | LazySite;
  /** Owner to attribute the entry to (plugins set this). */
  owner?: string;
}

/** A change reported to `onChange` listeners. */
export type RegistryChange<V> =
  | { readonly type: 'add'; readonly registry: string; readonly key: string; readonly entry: Entry<V>; readonly version: number }
  | {
      readonly type: 'replace';
      readonly registry: string;
      readonly key: string;
      readonly entry: Entry<V>;
      readonly previous: Entry<V>;
      readonly version: number;
    }
  | { readonly type: 'remove'; readonly registry: string; readonly key: string; readonly previous: Entry<V>; readonly version: number };

/** Listener passed to `onChange`. */
export type ChangeListener<V> = (change: RegistryChange<V>) => void;

/** What `toJSON()` of a registry returns. */
export interface RegistryJSON {
  id: string;
  kind: string;
  scope?: string;
  state: RegistryState;
  version: number;
  size: number;
  entries: Array<{ key: string; name: string; site?: string; owner?: string; type: string; [meta: string]: unknown }>;
}
