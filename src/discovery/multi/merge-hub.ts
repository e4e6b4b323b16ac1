/** The watchers of a multi registry, one {@link MergedFollow} per watched name. */
import type { ServiceInstance } from '../instance.js';
import type { Watcher } from '../types.js';
import type { RetryPolicy } from '../driver/backoff.js';
import { ListWatcher } from '../driver/watcher.js';
import { MergedFollow } from './merged-follow.js';
import type { Source } from './source.js';

/** See the module comment. */
export class MergeHub {
  readonly #sources: readonly Source[];
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #follows = new Map<string, MergedFollow>();
  /** Follows being stopped, until their source watches have ended (for {@link idle}). */
  readonly #stopping = new Set<Promise<void>>();

  /** `timeoutMs` bounds each source's `watch()` call (the multi registry's `timeout`). */
  constructor(sources: readonly Source[], retry: RetryPolicy, timeoutMs: number) {
    this.#sources = sources;
    this.#retry = retry;
    this.#timeoutMs = timeoutMs;
  }

  /** A watcher of `name`; the first of a name starts following it on every source. */
  watch(name: string, signal?: AbortSignal): Watcher {
    let follow = this.#follows.get(name);
    if (follow === undefined) {
      follow = new MergedFollow(name, this.#sources, this.#retry, this.#timeoutMs);
      this.#follows.set(name, follow);
    }
    const f = follow;
    const w = new ListWatcher(name, (stopped) => this.remove(name, f, stopped), signal, this.#timeoutMs);
    if (w.stopped) return w; // the signal had fired: nothing to follow
    f.add(w);
    f.start();
    return w;
  }

  /** The merged list of a followed name whose sources all have a current list; `undefined` otherwise. */
  current(name: string): ServiceInstance[] | undefined {
    return this.#follows.get(name)?.current();
  }

  /** Names followed now. */
  get size(): number {
    return this.#follows.size;
  }

  /** Whether every followed name is healthy on every source. */
  get healthy(): boolean {
    for (const f of this.#follows.values()) if (!f.health.healthy) return false;
    return true;
  }

  /** Stops every watcher (close()). */
  stopAll(): void {
    for (const f of [...this.#follows.values()]) for (const w of [...f.watchers]) w.stop();
  }

  /** Resolves once every stopped follow's source watches have ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.#stopping]);
  }

  private remove(name: string, f: MergedFollow, w: ListWatcher): void {
    if (!f.watchers.delete(w) || f.watchers.size > 0) return;
    if (this.#follows.get(name) === f) this.#follows.delete(name);
    const done = f.stop().finally(() => this.#stopping.delete(done));
    this.#stopping.add(done);
  }
}
