/**
 * Runs tasks one at a time per key, in call order; tasks of different keys run concurrently.
 * The plugin host keys lifecycle operations by plugin name, so that load, start, stop, reload
 * and unload of one plugin never overlap. A task must not wait for a task of its own key
 * (it would wait for itself).
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task of `key` has settled; settles as `task` does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key); // nothing queued behind it
    });
    return result;
  }
}
