/**
 * Prometheus metrics (`plugboard/observability/metrics`), on the optional peer `prom-client`.
 * Only this module imports it: without it, nothing is measured and nothing costs. Names follow
 * Prometheus conventions; registry keys are never labels (they are unbounded).
 */
import client, { type Registry } from 'prom-client';

export type { MetricsSink } from './metrics-sink.js';
import type { MetricsSink } from './metrics-sink.js';

/** The plugboard metrics, registered in a prom-client `Registry` (default: the global one). */
export class PlugboardMetrics implements MetricsSink {
  readonly lookups: client.Counter<'registry' | 'outcome'>;
  readonly entries: client.Gauge<'registry'>;
  readonly swaps: client.Counter<'registry'>;
  readonly pluginLoadDuration: client.Histogram<'plugin' | 'outcome'>;
  readonly discoveryInstances: client.Gauge<'service'>;
  readonly watchErrors: client.Counter<'backend'>;
  readonly #readers: Array<() => Iterable<readonly [string, number]>> = [];
  /** Lookup counts kept as plain numbers on the hot path, moved into prom-client at scrape time. */
  readonly #counts = new Map<string, { hit: number; miss: number; reportedHit: number; reportedMiss: number }>();

  constructor(registry: Registry = client.register) {
    const registers = [registry];
    const readers = this.#readers;
    const counts = this.#counts;
    this.lookups = new client.Counter({
      name: 'plugboard_registry_lookups_total',
      help: 'Registry get() calls, by registry and outcome (hit or miss).',
      labelNames: ['registry', 'outcome'],
      registers,
      collect() {
        for (const [registry, c] of counts) {
          if (c.hit > c.reportedHit) this.inc({ registry, outcome: 'hit' }, c.hit - c.reportedHit);
          if (c.miss > c.reportedMiss) this.inc({ registry, outcome: 'miss' }, c.miss - c.reportedMiss);
          c.reportedHit = c.hit;
          c.reportedMiss = c.miss;
        }
      },
    });
    this.entries = new client.Gauge({
      name: 'plugboard_registry_entries',
      help: 'Entries per registry.',
      labelNames: ['registry'],
      registers,
      collect() {
        this.reset();
        for (const read of readers) for (const [r, n] of read()) this.inc({ registry: r }, n);
      },
    });
    this.swaps = new client.Counter({
      name: 'plugboard_registry_swaps_total',
      help: 'Whole-set swaps (replaceAll, plugin reloads, scope restores).',
      labelNames: ['registry'],
      registers,
    });
    this.pluginLoadDuration = new client.Histogram({
      name: 'plugboard_plugin_load_duration_seconds',
      help: 'Plugin import plus setup time.',
      labelNames: ['plugin', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.discoveryInstances = new client.Gauge({
      name: 'plugboard_discovery_instances',
      help: 'Instances of each watched service.',
      labelNames: ['service'],
      registers,
    });
    this.watchErrors = new client.Counter({
      name: 'plugboard_discovery_watch_errors_total',
      help: 'Times a discovery backend went degraded for a watcher.',
      labelNames: ['backend'],
      registers,
    });
  }

  lookupRecorder(registry: string): (hit: boolean) => void {
    let c = this.#counts.get(registry);
    if (c === undefined) this.#counts.set(registry, (c = { hit: 0, miss: 0, reportedHit: 0, reportedMiss: 0 }));
    const counts = c;
    return (hit) => {
      if (hit) counts.hit++;
      else counts.miss++;
    };
  }

  swapped(registry: string): void {
    this.swaps.inc({ registry });
  }

  trackEntries(read: () => Iterable<readonly [string, number]>): void {
    this.#readers.push(read);
  }

  pluginLoaded(plugin: string, outcome: 'ok' | 'failed', seconds: number): void {
    this.pluginLoadDuration.observe({ plugin, outcome }, seconds);
  }

  instances(service: string, count: number): void {
    this.discoveryInstances.set({ service }, count);
  }

  watchError(backend: string): void {
    this.watchErrors.inc({ backend });
  }
}
