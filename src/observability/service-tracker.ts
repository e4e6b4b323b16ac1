import type { ServiceInstance } from '../discovery/instance.js';
import type { ServiceRegistry, Watcher } from '../discovery/types.js';
import type { MetricsSink } from './metrics-sink.js';

/** One watched service as the dashboard shows it. */
export interface TrackedService {
  service: string;
  backend: string;
  instances: ServiceInstance[];
  healthy: boolean;
  error?: string;
  updatedAt: string;
}

/**
 * Watches services for the dashboard and the metrics: keeps each one's last list and backend
 * health, sets `plugboard_discovery_instances{service}`, and counts every turn to degraded in
 * `plugboard_discovery_watch_errors_total{backend}`.
 */
export class ServiceTracker {
  readonly #services = new Map<string, TrackedService>();
  readonly #watchers = new Map<string, Watcher>();
  readonly #listeners = new Set<() => void>();
  #healthTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly registry: ServiceRegistry,
    private readonly metrics?: Pick<MetricsSink, 'instances' | 'watchError'>,
  ) {}

  /** Starts watching `names`; resolves once each has its first list. */
  async track(...names: string[]): Promise<void> {
    await Promise.all(names.filter((n) => !this.#services.has(n)).map((n) => this.follow(n)));
    this.#healthTimer ??= setInterval(() => this.checkHealth(), 500).unref();
  }

  /** The tracked services, sorted by name (copies). */
  snapshot(): TrackedService[] {
    return [...this.#services.values()].sort((a, b) => (a.service < b.service ? -1 : 1)).map((s) => ({ ...s, instances: [...s.instances] }));
  }

  /** Calls `fn` after every change of a list or of health. Returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Stops every watcher and timer. */
  stop(): void {
    clearInterval(this.#healthTimer);
    for (const w of this.#watchers.values()) w.stop();
    this.#watchers.clear();
    this.#listeners.clear();
  }

  private async follow(name: string): Promise<void> {
    const w = await this.registry.watch(name);
    this.#watchers.set(name, w);
    const first = await w.next();
    this.update(name, first, w);
    void (async () => {
      try {
        for await (const list of w) this.update(name, list, w);
      } catch {
        // stopped
      }
    })();
  }

  private update(name: string, list: ServiceInstance[], w: Watcher): void {
    this.#services.set(name, {
      service: name,
      backend: this.registry.backend,
      instances: list,
      healthy: w.health.healthy,
      ...(w.health.error === undefined ? {} : { error: w.health.error.message }),
      updatedAt: new Date().toISOString(),
    });
    this.metrics?.instances(name, list.length);
    this.emit();
  }

  private checkHealth(): void {
    let changed = false;
    for (const [name, w] of this.#watchers) {
      const s = this.#services.get(name);
      if (s === undefined || s.healthy === w.health.healthy) continue;
      if (!w.health.healthy) this.metrics?.watchError(this.registry.backend);
      s.healthy = w.health.healthy;
      if (w.health.error === undefined) delete s.error;
      else s.error = w.health.error.message;
      changed = true;
    }
    if (changed) this.emit();
  }

  private emit(): void {
    for (const fn of this.#listeners) fn();
  }
}
