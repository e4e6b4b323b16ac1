/**
 * The metrics interface, in a module of its own: the rest of plugboard (and `plugboard/observability`'s
 * types) refers to it without loading metrics.ts, whose types need the optional peer prom-client.
 */
/** The sink the rest of plugboard reports to; `PlugboardMetrics` (`plugboard/observability/metrics`) implements it with prom-client. */
export interface MetricsSink {
  /** A recorder of one registry's lookups (called on every `get`, so it must be cheap). */
  lookupRecorder(registry: string): (hit: boolean) => void;
  /** A whole-set swap of `registry`. */
  swapped(registry: string): void;
  /** Called on every scrape to read the current entry counts. */
  trackEntries(read: () => Iterable<readonly [registry: string, entries: number]>): void;
  /** A plugin's import plus setup time, by outcome. */
  pluginLoaded(plugin: string, outcome: 'ok' | 'failed', seconds: number): void;
  /** The current instance count of a watched service. */
  instances(service: string, count: number): void;
  /** A watcher of `backend` went degraded. */
  watchError(backend: string): void;
}
