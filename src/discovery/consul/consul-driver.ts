import type Consul from 'consul';
import { sleep } from '../driver/abort.js';
import { sortInstances } from '../driver/codec.js';
import type { DiscoveryDriver, DriverContext, DriverHeartbeat } from '../driver/driver.js';
import type { FollowSink } from '../driver/follow.js';
import type { InstanceKey } from '../driver/reconciler.js';
import type { ServiceInstance } from '../instance.js';
import { fromHealthEntry, toRegistration, ttlCheckId, type HealthEntry } from './codec.js';
import { isUnknownCheck, type ConsulApi } from './consul-api.js';
import type { ResolvedConsulOptions } from './options.js';
import { showValue } from '../../container/show-value.js';

/**
 * A blocking query that returned at once without a new index is not repeated at once:
 * Consul's docs ask clients to rate-limit (an agent answering `X-Consul-Index: 0`, or none,
 * would otherwise be polled in a hot loop).
 */
export const MIN_QUERY_GAP_MS = 1000;

/**
 * The Consul backend's primitives: an instance is an agent service with a TTL check (agent
 * register / deregister), kept alive by the kit's heartbeat (check pass at TTL/2); a service
 * the agent forgot (a 404 on pass: agent restart, or reaped) is written again by the
 * reconciler. Each watched name is followed by blocking `health/service?passing` queries.
 */
export class ConsulDriver implements DiscoveryDriver {
  readonly backend = 'consul';
  readonly follows = 'name' as const;
  /** Every blocking query returns within half the liveness bound (see {@link queryWaitMs}). */
  readonly streamLiveness = true;
  readonly heartbeat: DriverHeartbeat;
  /** Times a blocking query's index went backwards and was reset. */
  indexResets = 0;

  constructor(
    private readonly ctx: DriverContext,
    readonly api: ConsulApi,
    private readonly client: Consul,
    private readonly ownsClient: boolean,
    readonly o: ResolvedConsulOptions,
  ) {
    this.heartbeat = {
      intervalMs: o.ttlMs / 2,
      beat: async (i, signal) => {
        try {
          await api.pass(ttlCheckId(i.id), signal);
          return 'alive';
        } catch (err) {
          if (isUnknownCheck(err)) return 'lost'; // the agent restarted, or reaped the service
          throw err;
        }
      },
    };
  }

  async apply(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    await this.api.register(toRegistration(instance, this.o), signal);
  }

  async remove(key: InstanceKey, signal: AbortSignal): Promise<void> {
    await this.api.deregister(key.id, signal);
  }

  async read(name: string, signal: AbortSignal): Promise<ServiceInstance[]> {
    return this.parse((await this.api.health(name, { signal })).entries);
  }

  services(signal: AbortSignal): Promise<string[]> {
    return this.api.serviceNames(signal);
  }

  /**
   * Follows `name` with blocking queries, as Consul's docs describe: the index is reset to 0
   * when it goes backwards or is not positive, and a query that did not move the index is not
   * repeated sooner than {@link MIN_QUERY_GAP_MS}. Every answer is reported; the hub delivers
   * only changes (the empty list included, unlike go-kratos #3562). Errors end the run.
   */
  async subscribe(name: string, sink: FollowSink, signal: AbortSignal): Promise<void> {
    let index = 0;
    const waitMs = this.queryWaitMs();
    const gapMs = Math.min(MIN_QUERY_GAP_MS, Math.floor(this.ctx.livenessMs / 4));
    while (!signal.aborted) {
      const started = Date.now();
      let res;
      try {
        res = await this.api.health(name, { index, waitMs, signal });
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      sink.list(name, this.parse(res.entries));
      const previous = index;
      if (res.index < previous) this.indexResets++;
      index = res.index < previous || res.index <= 0 ? 0 : res.index;
      const moved = res.index > 0 && res.index !== previous;
      const elapsed = Date.now() - started;
      if (!moved && elapsed < gapMs) await sleep(gapMs - elapsed, signal);
    }
  }

  /**
   * The wait of one blocking query: the `wait` option, but at most half the liveness bound, so
   * that an agent that answers nothing (a partition, a hung agent) is noticed by the kit within
   * `livenessTimeout` rather than after wait + wait/16 + the socket's margin.
   */
  queryWaitMs(): number {
    return Math.min(this.o.waitMs, Math.floor(this.ctx.livenessMs / 2));
  }

  /** Deregisters this client's services (Consul has no session whose end would), then closes the client if it is ours. */
  async close(present: readonly InstanceKey[], signal: AbortSignal): Promise<void> {
    await Promise.all(
      present.map((k) =>
        this.api
          .deregister(k.id, signal)
          .catch((err: unknown) => this.ctx.warnOnce(`close:${k.id}`, `consul: deregistering '${k.id}' on close failed: ${(err as Error).message}`)),
      ),
    );
    this.destroy();
  }

  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  stats(): { indexResets: number } {
    return { indexResets: this.indexResets };
  }

  private parse(entries: HealthEntry[]): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const e of entries) {
      const inst = fromHealthEntry(e);
      if (inst !== undefined) out.push(inst);
      else this.ctx.skip(`service '${showValue(e?.Service?.ID ?? '?')}'`, 'not a valid instance (registered by someone else, or malformed)');
    }
    return sortInstances(out);
  }
}
