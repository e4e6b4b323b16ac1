import { backoff } from '../backoff.js';
import { ttlCheckId, type AgentServiceRegistration } from './codec.js';
import { isUnknownCheck, type ConsulApi } from './consul-api.js';

/**
 * Keeps one registered service alive: `check.pass` every TTL/2. When the agent no longer
 * knows the check (it restarted, or reaped the service), the service is registered again;
 * failures retry forever with capped, jittered backoff. After `stop()` nothing runs: no
 * timer, and an in-flight call cannot re-register (the 404-after-deregister of go-kratos #3147).
 */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> = Promise.resolve();
  #stopped = false;
  #failures = 0;
  #warned = false;
  /** How many times the service was registered again. */
  reRegistrations = 0;

  constructor(
    private readonly api: ConsulApi,
    readonly registration: AgentServiceRegistration,
    private readonly ttlMs: number,
    private readonly retry: { minMs: number; maxMs: number },
    private readonly warn: (msg: string) => void,
  ) {}

  /** Schedules the first beat (the registration itself was just made, passing). */
  start(): void {
    this.schedule(this.ttlMs / 2);
  }

  /** Stops beating; resolves once any in-flight call has finished. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    return this.#inflight;
  }

  private schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#inflight = this.beat();
    }, ms);
    this.#timer.unref();
  }

  private async beat(): Promise<void> {
    const { ID: id, Name: name } = this.registration;
    try {
      await this.api.pass(ttlCheckId(id));
      this.ok();
      return;
    } catch (err) {
      if (this.#stopped) return;
      if (!isUnknownCheck(err)) return this.fail(`consul: heartbeat of '${name}/${id}' failed, retrying: ${(err as Error).message}`);
    }
    try {
      await this.api.register(this.registration);
      if (this.#stopped) return; // deregister waits for us, then removes it
      this.reRegistrations++;
      this.warn(`consul: the agent had lost '${name}/${id}' (restart or reap); registered it again`);
      this.ok();
    } catch (err) {
      if (this.#stopped) return;
      this.fail(`consul: registering '${name}/${id}' again failed, retrying: ${(err as Error).message}`);
    }
  }

  private ok(): void {
    this.#failures = 0;
    this.#warned = false;
    this.schedule(this.ttlMs / 2);
  }

  private fail(msg: string): void {
    if (!this.#warned) this.warn(msg);
    this.#warned = true;
    this.#failures++;
    this.schedule(Math.min(backoff(this.#failures - 1, this.retry.minMs, this.retry.maxMs), this.ttlMs / 2));
  }
}
