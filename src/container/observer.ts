/** Hooks observability attaches to a registry (`instrumentScope`). All optional; none is called when none is attached. */
export interface RegistryObserver {
  /** A `get` on this registry: found or not (a parent's fallback counts here, once). */
  lookup?(hit: boolean): void;
  /** A registration (or batch, or swap) was refused; `err` is the thrown error. */
  rejected?(operation: string, err: unknown): void;
  /** `replaceAll`, a plugin swap or a scope restore replaced the entry set. */
  swapped?(): void;
}
