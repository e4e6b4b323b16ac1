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
import { describe, type Source } from './source.js';

/** See the module comment. */
export class FanOutWrites implements StoreWrites {
  readonly #sources: readonly Source[];
  /** The fan-out in flight per instance object (the reconciler runs at most one per key), so a withdrawn call can cut it short. */
  readonly #inflight = new Map<ServiceInstance, AbortController>();
  readonly #cancels = new WeakSet<object>();

  constructor(sources: readonly Source[]) {
    this.#sources = sources;
  }

  /** Registers `instance` in every source; resolves once all of them hold it. */
  async apply(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    const cut = new AbortController();
    this.#inflight.set(instance, cut);
    try {
      await this.each(signal, cut, (r, s) => r.register(instance, { signal: s }));
    } finally {
      if (this.#inflight.get(instance) === cut) this.#inflight.delete(instance);
    }
  }

  /** Deregisters `key` from every source; resolves once it is gone from all of them. */
  remove(key: InstanceKey, signal: AbortSignal): Promise<void> {
    return this.each(signal, new AbortController(), (r, s) => r.deregister(key, { signal: s }));
  }

  /**
   * The register call of `instance` was withdrawn (its signal or timeout): stop waiting for the
   * sources that have not confirmed it yet, so the reconciler moves on to the withdrawal at once
   * instead of after those sources' own timeouts. Their pending registrations withdraw themselves.
   */
  cancel(instance: ServiceInstance): void {
    const cut = this.#inflight.get(instance);
    if (cut === undefined) return;
    const reason = new DiscoveryError('E_DISCOVERY_ABORTED', `register '${instance.name}/${instance.id}': withdrawn`);
    this.#cancels.add(reason);
    cut.abort(reason);
  }

  /** Whether a write failed only because {@link cancel} cut it (nothing to warn about). */
  isCancel(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.#cancels.has(err);
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
          call(src.registry, cut.signal).catch((err: unknown) => {
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
