/**
 * The "store" under a multi registry's reconciler: writing an instance means registering it in
 * every source, removing it means deregistering it from every source. Each source's own
 * reconciler keeps what it was given (and writes it again after a loss); this layer only
 * decides what every source should hold, so the multi registry keeps the single-backend
 * guarantees with the kit's {@link Reconciler} on top (docs/multi.md, "Registering").
 */
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';
import type { InstanceKey, StoreWrites } from '../driver/reconciler.js';
import { abortable } from '../driver/abort.js';
import { describe, type Source } from './source.js';

const keyOf = (k: InstanceKey): string => `${k.name}/${k.id}`;

/** See the module comment. */
export class FanOutWrites implements StoreWrites {
  readonly #sources: readonly Source[];
  /**
   * The fan-out in flight per key (the reconciler runs at most one per key), with the instance
   * it writes (`undefined` for a removal), so a withdrawn register or a deregister can cut it short.
   */
  readonly #inflight = new Map<string, { instance: ServiceInstance | undefined; cut: AbortController }>();
  readonly #cancels = new WeakSet<object>();

  constructor(sources: readonly Source[]) {
    this.#sources = sources;
  }

  /** Registers `instance` in every source; resolves once all of them hold it. */
  apply(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    return this.track(instance, instance, signal, (r, s) => r.register(instance, { signal: s }));
  }

  /** Deregisters `key` from every source; resolves once it is gone from all of them. */
  remove(key: InstanceKey, signal: AbortSignal): Promise<void> {
    return this.track(key, undefined, signal, (r, s) => r.deregister(key, { signal: s }));
  }

  /**
   * The register call of `instance` was withdrawn (its signal or timeout): stop waiting for the
   * sources that have not confirmed it yet, so the reconciler moves on to the withdrawal at once
   * instead of after those sources' own timeouts. Their pending registrations withdraw themselves.
   */
  cancel(instance: ServiceInstance): void {
    const f = this.#inflight.get(keyOf(instance));
    if (f?.instance === instance) this.cut(f.cut, `register '${keyOf(instance)}': withdrawn`);
  }

  /**
   * A deregister of `key` was recorded: a registration still being written is out of date, so
   * it is cut (and the reconciler goes on to the removal) instead of waiting for a source that
   * is down. The deregister thus reaches the healthy sources at once, and the down source's own
   * reconciler withdraws the registration it never wrote, so the instance does not appear there
   * once it recovers. Only a deregister cuts: an update that overtook a registration would make
   * a source withdraw the old version before it has the new one (a gap readers would see), and a
   * removal in flight is one the sources carry out anyway.
   */
  deregistering(key: InstanceKey): void {
    const f = this.#inflight.get(keyOf(key));
    if (f?.instance !== undefined) this.cut(f.cut, `register '${keyOf(key)}': overtaken by a deregister`);
  }

  /** Whether a write failed only because {@link cancel} or {@link deregistering} cut it (nothing to warn about). */
  isCancel(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.#cancels.has(err);
  }

  private cut(cut: AbortController, why: string): void {
    if (cut.signal.aborted) return;
    const reason = new DiscoveryError('E_DISCOVERY_ABORTED', why);
    this.#cancels.add(reason);
    cut.abort(reason);
  }

  private async track(
    key: InstanceKey,
    instance: ServiceInstance | undefined,
    signal: AbortSignal,
    call: (r: Source['registry'], signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const id = keyOf(key);
    const entry = { instance, cut: new AbortController() };
    this.#inflight.set(id, entry);
    try {
      await this.each(signal, entry.cut, call);
    } finally {
      if (this.#inflight.get(id) === entry) this.#inflight.delete(id);
    }
  }

  /**
   * One call per source, side by side. The first failure ends the others (a registration they
   * have not confirmed is withdrawn by their own reconcilers) and is reported with its source
   * named and its code kept, so `E_DISCOVERY_INSTANCE` or `E_DISCOVERY_AUTH` still fails the
   * caller at once while anything else is retried.
   */
  private async each(signal: AbortSignal, cut: AbortController, call: (r: Source['registry'], signal: AbortSignal) => Promise<void>): Promise<void> {
    const onAbort = (): void => cut.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(
        this.#sources.map((src) =>
          // Raced with the cut: once cut, a source that does not give up at once is not waited for.
          abortable(call(src.registry, cut.signal), cut.signal, `source '${src.label}'`).catch((err: unknown) => {
            const first = !cut.signal.aborted;
            cut.abort(err);
            throw first ? named(src, err) : err;
          }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function named(src: Source, err: unknown): unknown {
  const code = err instanceof DiscoveryError ? err.code : 'E_DISCOVERY_BACKEND';
  return new DiscoveryError(code, `source '${src.label}': ${describe(err)}`, { cause: err });
}
