/**
 * `multi://`: one registry over several backends, for moving a fleet from one backend to
 * another with no downtime (docs/multi.md). Registering goes to every source; discovery merges
 * what the sources report by instance id, the first source winning.
 *
 * It is the kit's {@link Reconciler} over a "store" that is the set of sources
 * ({@link FanOutWrites}), so a call keeps the single-backend guarantees: `register` resolves
 * once every source holds the instance; one that rejects is withdrawn from every source, and
 * never appears later; a `deregister` cut short still happens everywhere.
 */
import { setMaxListeners } from 'node:events';
import { PlugboardError } from '../../container/errors.js';
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance, ServiceInstanceInput } from '../instance.js';
import type { CallOptions, ServiceRegistry, Watcher } from '../types.js';
import { abortable, callSignal, throwIfAborted } from '../driver/abort.js';
import { validateInstance, validateServiceName } from '../driver/codec.js';
import { KIT_OPTIONS, rejectUnknownOptions, resolveKitOptions, type KitOptions, type ResolvedKitOptions } from '../driver/options.js';
import type { BackendConfig } from '../backend-config.js';
import { Reconciler, type InstanceKey } from '../driver/reconciler.js';
import type { KitStats } from '../driver/registry.js';
import { instanceKey } from '../driver/registry.js';
import { WarnOnce } from '../driver/warn-once.js';
import { FanOutWrites } from './fan-out.js';
import { mergeById } from './merge.js';
import { MergeHub } from './merge-hub.js';
import { describe, type Source } from './source.js';
import { checkSources } from './sources.js';

/** See the module comment. Built by `createRegistry('multi://?url=…&url=…')` or `createRegistry([…])`. */
export class MultiRegistry implements ServiceRegistry {
  /** URL scheme of this backend. */
  static readonly scheme = 'multi';
  readonly backend = 'multi';
  readonly #sources: readonly Source[];
  readonly #kit: ResolvedKitOptions;
  readonly #closer = new AbortController();
  readonly #writes: FanOutWrites;
  readonly #reconciler: Reconciler;
  readonly #hub: MergeHub;
  readonly #warn: WarnOnce;
  #closing: Promise<void> | undefined;

  /**
   * Over registries already built (`createRegistry` builds them from URLs). The multi registry
   * owns them: its `close()` closes them. The first one wins when two report the same id.
   */
  constructor(
    sources: ReadonlyArray<ServiceRegistry>,
    opts: KitOptions = {},
    /** @internal From `createRegistry`: the URL (kit options) and the sources' labels. */ from: {
      config?: BackendConfig;
      labels?: ReadonlyArray<string | undefined>;
    } = {},
  ) {
    this.#sources = checkSources(sources, from.labels);
    rejectUnknownOptions('multi', undefined, opts, { code: KIT_OPTIONS, url: [] });
    this.#kit = resolveKitOptions('multi', from.config, opts);
    setMaxListeners(0, this.#closer.signal);
    const warn = (this.#warn = new WarnOnce(this.#kit.warn));
    this.#writes = new FanOutWrites(this.#sources);
    const via = this.#kit.interpose;
    const writes = this.#writes;
    this.#reconciler = new Reconciler(
      {
        apply: (i, s) => via(`apply ${i.name}/${i.id}`, () => writes.apply(i, s)),
        remove: (k, s) => via(`remove ${k.name}/${k.id}`, () => writes.remove(k, s)),
      },
      {
        retry: this.#kit.retry,
        onFailure: (key, err, n) =>
          void (
            writes.isCancel(err) ||
            warn.warnOnce(`write:${key}`, `multi: writing '${key}' failed (${describe(err)}); retrying until every source has it (attempt ${n})`)
          ),
        onRecovery: (key) => warn.forget(`write:${key}`),
      },
    );
    this.#hub = new MergeHub(this.#sources, this.#kit.retry, this.#kit.timeoutMs);
  }

  /** The sources, in order (the first wins on a conflict), with the labels health and messages use. */
  get sources(): ReadonlyArray<{ readonly label: string; readonly registry: ServiceRegistry }> {
    return this.#sources;
  }

  /**
   * Registers (or replaces, by id) an instance in every source. Resolves once all of them hold
   * it; rejects on the call's signal or the `timeout` (default 30 s), or on an error no retry can
   * fix — and is then withdrawn from every source, so it never appears later.
   */
  async register(input: ServiceInstanceInput, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('register');
    const instance = validateInstance(input);
    const call = callSignal([opts.signal], this.#kit.timeoutMs);
    try {
      await this.#reconciler.register(instance, call.signal);
    } catch (err) {
      this.#writes.cancel(instance); // don't wait for a slow source before withdrawing
      throw err;
    } finally {
      call.dispose();
    }
  }

  /** Removes an instance from every source; resolves once it is gone from all. If cut short, the removal still happens. */
  async deregister(input: ServiceInstanceInput | InstanceKey, opts: CallOptions = {}): Promise<void> {
    this.assertOpen('deregister');
    const key = instanceKey(input);
    const call = callSignal([opts.signal], this.#kit.timeoutMs);
    try {
      const done = this.#reconciler.deregister(key, call.signal);
      if (!call.signal.aborted) this.#writes.deregistering(key); // don't keep a register waiting for a down source: the healthy ones drop the instance now
      await done;
    } finally {
      call.dispose();
    }
  }

  /**
   * The merged instances of `name`. When `name` is watched, what its watchers were given (a
   * failing source counting with its last list), with no round trip. Otherwise one call per
   * source: a source that fails is left out (and warned about once); the call rejects only when
   * every source fails.
   */
  async getService(name: string, opts: CallOptions = {}): Promise<ServiceInstance[]> {
    this.assertOpen('getService');
    validateServiceName(name, 'getService');
    throwIfAborted(opts.signal, `getService '${name}'`);
    const mirrored = this.#hub.current(name);
    if (mirrored !== undefined) return [...mirrored];
    const lists = await this.fromEach(`getService '${name}'`, opts, (r, signal) => r.getService(name, { signal }));
    return mergeById(lists);
  }

  /** A watcher of the merged list of `name`; `watcher.health.sources` shows each source's health. */
  async watch(name: string, opts: CallOptions = {}): Promise<Watcher> {
    this.assertOpen('watch');
    validateServiceName(name, 'watch');
    throwIfAborted(opts.signal, `watch '${name}'`);
    return this.#hub.watch(name, opts.signal);
  }

  /** Names with at least one instance in any source, sorted. */
  async services(opts: CallOptions = {}): Promise<string[]> {
    this.assertOpen('services');
    throwIfAborted(opts.signal, 'services');
    const lists = await this.fromEach('services', opts, async (r, signal) => r.services({ signal }));
    return [...new Set(lists.flatMap((l) => l ?? []))].sort();
  }

  /** Resolves once every registration and deregistration has reached every source. */
  settled(): Promise<void> {
    return this.#reconciler.settled();
  }

  /** The kit's counters for this layer (the sources have their own `stats()`). */
  stats(): KitStats {
    return { ...this.#reconciler.stats(), follows: this.#hub.size, skipped: 0, healthy: this.#hub.healthy };
  }

  /**
   * Stops the watchers and closes every source (each removes its instances, bounded by its own
   * `closeTimeout`). Resolves within this registry's `closeTimeout` (default 5 s) in every
   * state; a source still closing then goes on in the background. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.shutdown();
    return this.#closing;
  }

  private async shutdown(): Promise<void> {
    this.#closer.abort(new DiscoveryError('E_DISCOVERY_CLOSED', 'multi registry: closed'));
    this.#hub.stopAll();
    const deadline = callSignal([], this.#kit.closeTimeoutMs);
    const work = (async () => {
      await this.#reconciler.close();
      await Promise.all([...this.#sources.map((s) => s.registry.close()), this.#hub.idle()]);
    })();
    work.catch(() => undefined);
    try {
      await abortable(work, deadline.signal, 'close');
    } catch (err) {
      if (err instanceof DiscoveryError && err.code === 'E_DISCOVERY_TIMEOUT')
        this.#kit.warn(`multi: close() took longer than ${this.#kit.closeTimeoutMs} ms; sources still closing in the background`);
      else this.#kit.warn(`multi: close() failed (${describe(err)})`);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * One call per source with the caller's signal, the timeout and close(): the answers of the
   * sources that answered in time (`undefined` for the others, in order, each warned about
   * once); rejects when none did, or on the caller's signal or close().
   */
  private async fromEach<T>(what: string, opts: CallOptions, fn: (r: ServiceRegistry, signal: AbortSignal) => Promise<T>): Promise<Array<T | undefined>> {
    const call = callSignal([opts.signal, this.#closer.signal], this.#kit.timeoutMs);
    try {
      const settled = await Promise.allSettled(this.#sources.map((s) => abortable(fn(s.registry, call.signal), call.signal, `${what} on '${s.label}'`)));
      // The caller's signal or close() rejects the call, even if some sources had answered. The
      // timeout does not: a source that hangs past it is left out like one that failed.
      throwIfAborted(opts.signal, what);
      throwIfAborted(this.#closer.signal, what);
      const failed = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ src: this.#sources[i]!, err: r.reason as unknown }] : []));
      if (failed.length === settled.length) {
        const first = failed[0]!.err;
        if (first instanceof PlugboardError) throw first;
        throw new DiscoveryError('E_DISCOVERY_BACKEND', `multi: ${what} failed on every source: ${describe(first)}`, { cause: first });
      }
      settled.forEach((r, i) => {
        const label = this.#sources[i]!.label;
        if (r.status === 'fulfilled') this.#warn.forget(`read:${label}`);
        else
          this.#warn.warnOnce(
            `read:${label}`,
            `multi: source '${label}' failed (${describe(r.reason)}); its instances are left out of reads until it answers again`,
          );
      });
      return settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    } finally {
      call.dispose();
    }
  }

  private assertOpen(op: string): void {
    if (this.#closer.signal.aborted) throw new DiscoveryError('E_DISCOVERY_CLOSED', `multi registry: ${op} after close()`);
  }
}
