import { backoff, sleep } from '../backoff.js';
import type { ServiceInstance } from '../instance.js';
import type { WatchHub } from '../watch-hub.js';
import type { HealthEntry } from './codec.js';
import { RequestContext, type ConsulApi } from './consul-api.js';

/**
 * Follows one service with blocking `health/service?passing` queries and publishes every
 * answer to the hub, which delivers changes only (the empty list included, unlike
 * go-kratos #3562). Follows Consul's rules for blocking-query clients: the index is reset to
 * 0 when it goes backwards or is not positive, and errors back off and mark the watchers
 * degraded instead of ending them.
 */
export class ServicePoller {
  #stopped = false;
  #ctx: RequestContext | undefined;
  #failures = 0;
  /** The last `X-Consul-Index` followed. */
  index = 0;
  /** Times the index went backwards and was reset. */
  resets = 0;

  constructor(
    private readonly api: ConsulApi,
    private readonly name: string,
    private readonly hub: WatchHub,
    private readonly parse: (entries: HealthEntry[]) => ServiceInstance[],
    private readonly o: { waitMs: number; retry: { minMs: number; maxMs: number } },
  ) {}

  /** Resolves once the first list is published (or the first attempt failed); then keeps following. */
  start(): Promise<void> {
    return new Promise((firstDone) => void this.loop(firstDone));
  }

  stop(): void {
    this.#stopped = true;
    this.#ctx?.cancel();
  }

  private async loop(firstDone: () => void): Promise<void> {
    while (!this.#stopped) {
      this.#ctx = new RequestContext();
      try {
        const { entries, index } = await this.api.health(this.name, { index: this.index, waitMs: this.o.waitMs, ctx: this.#ctx });
        if (this.#stopped) break;
        if (index < this.index) this.resets++;
        // "Reset the index if it goes backwards", and "sanity check that the index is greater than zero".
        this.index = index < this.index || index <= 0 ? 0 : index;
        this.hub.publish(this.name, this.parse(entries));
        this.hub.setHealth(true);
        this.#failures = 0;
      } catch (err) {
        if (this.#stopped) break;
        this.hub.setHealth(false, err as Error);
        await sleep(backoff(this.#failures++, this.o.retry.minMs, this.o.retry.maxMs));
      } finally {
        firstDone();
      }
    }
  }
}
