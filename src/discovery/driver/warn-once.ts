/**
 * Warns once per key (a malformed value under our prefix, a failing instance), so a bad key
 * written by someone else cannot flood the log. The set is bounded: past `limit` keys it is
 * cleared, which at worst repeats a warning.
 */
export class WarnOnce {
  readonly #seen = new Set<string>();
  constructor(
    private readonly warn: (msg: string) => void,
    private readonly limit = 10_000,
  ) {}

  /** Warns `msg` unless `key` was warned about already. Returns whether it warned. */
  warnOnce(key: string, msg: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.limit) this.#seen.clear();
    this.#seen.add(key);
    this.warn(msg);
    return true;
  }

  /** Forgets `key`: its next problem is warned about again (it recovered in between). */
  forget(key: string): void {
    this.#seen.delete(key);
  }
}
