import type { BaseRegistry } from '../container/base-registry.js';
import type { PlugboardError } from '../container/errors.js';
import type { Scope } from '../container/scope.js';
import { childLogger, type Logger } from './logger.js';
import type { MetricsSink } from './metrics-sink.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistry = BaseRegistry<any, any>;

/** Options of {@link instrumentScope}. */
export interface InstrumentOptions {
  /** Registrations at debug level (with the site), rejections at warn. One child logger per registry. */
  logger?: Logger;
  /** Lookups, entries and swaps (`new PlugboardMetrics()` from `plugboard/observability/metrics`). */
  metrics?: MetricsSink;
}

/**
 * Attaches logging and metrics to every registry of `scope` and its child scopes, including
 * registries created later. Returns a function that detaches everything. Registries not
 * instrumented pay nothing.
 */
export function instrumentScope(scope: Scope, opts: InstrumentOptions): () => void {
  const undo: Array<() => void> = [];
  const seen = new Set<AnyRegistry>();
  const attach = (r: AnyRegistry): void => {
    if (seen.has(r)) return;
    seen.add(r);
    const log = opts.logger === undefined ? undefined : childLogger(opts.logger, { registry: r.id, scope: r.scopeName });
    const m = opts.metrics;
    r.observe({
      ...(m === undefined ? {} : { lookup: m.lookupRecorder(r.id), swapped: () => m.swapped(r.id) }),
      rejected: (operation, err) => {
        const e = err as Partial<PlugboardError>;
        log?.warn({ operation, code: e.code, key: e.key, site: e.site }, e.message ?? String(err));
      },
    });
    if (log !== undefined) {
      undo.push(
        r.onChange((c) => {
          const entry = c.type === 'remove' ? c.previous : c.entry;
          log.debug({ change: c.type, key: c.key, site: entry.site, owner: entry.owner }, `${r.id}: ${c.type} '${c.key}'`);
        }),
      );
    }
    undo.push(() => r.observe(undefined));
  };
  const walk = (s: Scope): void => {
    for (const r of s.registries()) attach(r);
    undo.push(s.onRegistryCreated(attach));
    for (const c of s.children()) walk(c);
  };
  walk(scope);
  opts.metrics?.trackEntries(() => [...seen].map((r) => [r.id, r.size] as const));
  return () => {
    for (const fn of undo.splice(0)) fn();
    seen.clear();
  };
}
