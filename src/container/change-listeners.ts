import type { ChangeListener, RegistryChange } from './entry.js';

/**
 * The `onChange` listeners of one registry. Each change is delivered stamped with the version
 * it produced; a listener that throws does not undo the committed change nor starve the
 * others (it is reported with `process.emitWarning`).
 */
export class ChangeListeners<V> {
  readonly #listeners = new Set<ChangeListener<V>>();

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
    for (const change of changes) {
      const stamped = { ...change, version } as RegistryChange<V>;
      for (const listener of [...this.#listeners]) {
        try {
          listener(stamped);
        } catch (err) {
          process.emitWarning(`${this.registry}: onChange listener threw: ${err instanceof Error ? err.message : String(err)}`, {
            code: 'PLUGBOARD_LISTENER',
          });
        }
      }
    }
  }
}
