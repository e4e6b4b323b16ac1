/**
 * Following one service name across every source of a multi registry. One follow per name is
 * shared by that name's watchers (as the kit's WatchHub shares one per subject): it holds one
 * watcher on each source, keeps each source's last list and health, and publishes the merged
 * list to its watchers.
 *
 * - The merged list is published once every source has delivered its first list or reported
 *   itself unhealthy, and at least one has delivered a list: a reader never sees a half-merged
 *   fleet because one source answered faster, a source that is down at start holds nobody
 *   back, and with every source down nobody is told the fleet is empty (`[]`), as a single
 *   backend's watcher delivers nothing while its backend is unreachable at start.
 * - A source's `watch()` call is bounded by the multi registry's `timeout`: one that does not
 *   answer in time counts as unhealthy (and is asked again with backoff), so it holds nobody
 *   back either.
 * - A source that goes unhealthy keeps its last list in the merge (an outage says nothing about
 *   the instances; dropping them would look like a mass deregistration to every reader). Its
 *   health shows in `watcher.health.sources`.
 * - A source watcher never fails while its registry is open (the source's own kit retries); if
 *   one ends or cannot be created anyway, it is created again with backoff.
 * - Health changes of plugboard's own watchers arrive as events (`ListWatcher.onHealth`); a
 *   hand-written registry's watcher is read when it delivers a list.
 */
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { SourceHealth, WatchHealth, Watcher } from '../types.js';
import { abortable, Deadline, sleep } from '../driver/abort.js';
import { backoff, type RetryPolicy } from '../driver/backoff.js';
import { ListWatcher } from '../driver/watcher.js';
import { isAwaitingFirstAnswer } from '../driver/follow.js';
import { mergeById, mergeHealth } from './merge.js';
import type { Source } from './source.js';

interface SourceState {
  list: readonly ServiceInstance[] | undefined;
  health: SourceHealth;
}

/** See the module comment. */
export class MergedFollow {
  readonly watchers = new Set<ListWatcher>();
  readonly #name: string;
  readonly #sources: readonly Source[];
  readonly #states: SourceState[];
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #run = new AbortController();
  #loops: Promise<void> | undefined;
  #health: WatchHealth;
  #merged: ServiceInstance[] | undefined;

  constructor(name: string, sources: readonly Source[], retry: RetryPolicy, timeoutMs: number) {
    this.#name = name;
    this.#sources = sources;
    this.#retry = retry;
    this.#timeoutMs = timeoutMs;
    const now = Date.now();
    this.#states = sources.map((s) => ({ list: undefined, health: { source: s.label, healthy: true, since: now } }));
    this.#health = mergeHealth(
      this.#states.map((s) => s.health),
      now,
    );
  }

  /** Starts one watch per source (once). */
  start(): void {
    this.#loops ??= Promise.all(this.#sources.map((_, i) => this.follow(i))).then(() => undefined);
  }

  /** Stops every source watch; resolves once they have ended. */
  stop(): Promise<void> {
    this.#run.abort();
    return this.#loops ?? Promise.resolve();
  }

  /** The health new and existing watchers show. */
  get health(): WatchHealth {
    return this.#health;
  }

  /**
   * Whether every source has delivered a list or is failing, and one has a list: only then is a
   * merged list published. A source that has simply not answered yet is waited for.
   */
  get ready(): boolean {
    return (
      this.#states.some((s) => s.list !== undefined) &&
      this.#states.every((s) => s.list !== undefined || (!s.health.healthy && !isAwaitingFirstAnswer(s.health.error)))
    );
  }

  /**
   * What the watchers were given, for `getService` without a round trip: once published, and
   * while at least one source is healthy (a failing source counts with its last list, as in the
   * watchers). `undefined` otherwise: the caller then asks every source.
   */
  current(): ServiceInstance[] | undefined {
    if (!this.ready || !this.#states.some((s) => s.list !== undefined && s.health.healthy)) return undefined;
    return this.merged();
  }

  /** The merged list as published (sources without a list yet count as empty). */
  merged(): ServiceInstance[] {
    return (this.#merged ??= mergeById(this.#states.map((s) => s.list)));
  }

  /** Adds a watcher: it gets the current health, and the merged list if there is one. */
  add(w: ListWatcher): void {
    this.watchers.add(w);
    w.setHealth(this.#health);
    if (this.ready) w.publish(this.merged());
  }

  private async follow(i: number): Promise<void> {
    const signal = this.#run.signal;
    const src = this.#sources[i]!;
    let failures = 0;
    while (!signal.aborted) {
      let ended: unknown;
      let off: (() => void) | undefined;
      const attempt = new AbortController(); // this watch: stopped by stop(), or by the timeout before watch() answers
      const onStop = (): void => attempt.abort(signal.reason);
      signal.addEventListener('abort', onStop, { once: true });
      try {
        const w = await this.open(src, attempt);
        this.setHealth(i, w.health.healthy, w.health.error);
        if (w instanceof ListWatcher) off = w.onHealth((h) => this.setHealth(i, h.healthy, h.error));
        for await (const list of w) {
          failures = 0;
          if (off === undefined) this.setHealth(i, w.health.healthy, w.health.error); // a watcher that cannot tell us: read at each list
          this.setList(i, list);
        }
        ended = new DiscoveryError('E_DISCOVERY_BACKEND', `watch '${this.#name}' on source '${src.label}' ended`);
      } catch (err) {
        ended = err;
      } finally {
        off?.();
        signal.removeEventListener('abort', onStop);
        attempt.abort(); // whatever ended this attempt, its watcher is stopped before the next one starts
      }
      if (signal.aborted) return;
      failures++;
      this.setHealth(i, false, ended instanceof Error ? ended : new Error(String(ended)));
      // Ref'd, like the kit's follow retries: a watched name is held open on purpose.
      await sleep(backoff(failures - 1, this.#retry), signal, true);
    }
  }

  /** `src.registry.watch()`, given up (and its watcher stopped through `attempt`) when it has not answered within the timeout. */
  private async open(src: Source, attempt: AbortController): Promise<Watcher> {
    const what = `watch '${this.#name}' on source '${src.label}'`;
    const timer = Number.isFinite(this.#timeoutMs) ? setTimeout(() => attempt.abort(new Deadline(this.#timeoutMs)), this.#timeoutMs) : undefined;
    const pending = src.registry.watch(this.#name, { signal: attempt.signal });
    try {
      return await abortable(pending, attempt.signal, what);
    } catch (err) {
      pending.then(
        (late) => late.stop(),
        () => undefined,
      ); // a watcher that arrives after all is not left running
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private setList(i: number, list: readonly ServiceInstance[]): void {
    if (this.#run.signal.aborted) return;
    this.#states[i]!.list = list;
    this.#merged = undefined;
    this.publish();
  }

  private setHealth(i: number, healthy: boolean, error: Error | undefined): void {
    if (this.#run.signal.aborted) return;
    const st = this.#states[i]!;
    if (st.health.healthy === healthy && st.health.error === error) return;
    const wasReady = this.ready;
    st.health = { source: st.health.source, healthy, ...(healthy || error === undefined ? {} : { error }), since: Date.now() };
    const sources = this.#states.map((s) => s.health);
    const overallChanged = sources.every((s) => s.healthy) !== this.#health.healthy;
    this.#health = mergeHealth(sources, overallChanged ? Date.now() : this.#health.since);
    for (const w of this.watchers) w.setHealth(this.#health);
    if (!wasReady && this.ready) this.publish();
  }

  private publish(): void {
    if (!this.ready) return;
    const list = this.merged();
    for (const w of this.watchers) w.publish(list);
  }
}
