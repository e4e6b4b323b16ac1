/**
 * Observability (`plugboard/observability`): a pino-compatible logger seam, registry
 * instrumentation, a service tracker, and the read-only `/debug/registry` dashboard.
 * Prometheus metrics live in `plugboard/observability/metrics` (optional peer `prom-client`).
 * @module
 */
export { defaultLogger, silentLogger, childLogger, type Logger } from './logger.js';
export { instrumentScope, type InstrumentOptions } from './instrument.js';
export type { MetricsSink } from './metrics-sink.js';
export { ServiceTracker, type TrackedService } from './service-tracker.js';
export { debugHandler, serveDebug, type DebugHandler, type DebugHandlerOptions, type DebugServer, type ServeDebugOptions } from './debug-handler.js';
export type { DebugSnapshot, DebugSources } from './debug-snapshot.js';
