import type { ChangeListener, RegistryChange } from './entry.js';

/** A thrown value as text, whatever it is (an Error, a null-prototype object, a revoked Proxy). */
export function describeThrown(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return `a thrown ${err === null ? 'null' : typeof err} that cannot be printed`;
  }
}

/**
 * The `onChange` listeners of one registry. Each change is delivered stamped with the version
 * it produced; a listener that throws does not undo the committed change nor starve the
 * others (it is reported with `process.emitWarning`).
 *
 * Delivery is in commit order, also when a listener changes the registry: the nested change
 * is committed at once but queued, and delivered to every listener only after the change
 * being delivered has reached them all. So a listener that mirrors the registry stays equal
 * to it.
 */
export class ChangeListeners<V> {
  readonly #listeners = new Set<ChangeListener<V>>();
  readonly #queue: Array<{ changes: ReadonlyArray<RegistryChange<V>>; version: number }> = [];
  #delivering = false;

  constructor(private readonly registry: string) {}

  /** Whether anyone listens: lets the registry skip building change records. */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  add(listener: ChangeListener<V>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(changes: ReadonlyArray<RegistryChange<V>>, version: number): void {
    this.#queue.push({ changes, version });
    if (this.#delivering) return; // a listener changed the registry: the outer loop delivers it next
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) this.#deliver(this.#queue[i]!.changes, this.#queue[i]!.version);
    } finally {
      this.#queue.length = 0;
      this.#delivering = false;
    }
  }

  #deliver(changes: ReadonlyArray<RegistryChange<V>>, version: number): void {
    for (const change of changes) {
      const stamped = { ...change, version } as RegistryChange<V>;
      for (const listener of [...this.#listeners]) {
        try {
          listener(stamped);
        } catch (err) {
          // Whatever was thrown (a null-prototype object has no toString), the other listeners still hear of the change.
          process.emitWarning(`${this.registry}: onChange listener threw: ${describeThrown(err)}`, { code: 'PLUGBOARD_LISTENER' });
        }
      }
    }
  }
}
