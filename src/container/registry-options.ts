/** Options accepted by every registry constructor. */
export interface RegistryOptions<R = unknown> {
  /** A registry of the same kind whose entries this one falls back to on reads (child scopes). */
  parent?: R;
  /** Name of the owning scope, for diagnostics. */
  scope?: string;
  /** Record registration sites from stack traces (default `true`). */
  captureSites?: boolean;
}

/** What a kind's `prepare` step turns a registration into before it is committed. */
export interface Prepared<V> {
  key: string;
  name: string;
  value: V;
  meta: Record<PropertyKey, unknown>;
}
