import type { Scope, ScopeJSON } from '../container/scope.js';
import type { BootReport } from '../plugins/report.js';
import type { ServiceTracker, TrackedService } from './service-tracker.js';

/** Everything `/debug/registry` shows. */
export interface DebugSnapshot {
  generatedAt: string;
  /** The scope tree: registries (kind, state, version) and their entries with sites, owners, tags, versions. */
  scope: ScopeJSON;
  /** The plugin boot report, when a plugin host is attached. */
  plugins: BootReport | null;
  /** Watched services with their instances and backend health. */
  services: TrackedService[];
}

/** The sources of a snapshot. */
export interface DebugSources {
  /** The scope whose tree is shown. */
  scope: Scope;
  /** A plugin host (its boot report is shown). */
  plugins?: {
    /** The boot report. */
    report(): BootReport;
  };
  /** Trackers of the services to show. */
  services?: readonly ServiceTracker[];
}

/** @internal Builds the snapshot `/debug/registry` serves, from a scope and the optional plugin host and trackers. */
export function debugSnapshot(src: DebugSources): DebugSnapshot {
  return {
    generatedAt: new Date().toISOString(),
    scope: src.scope.toJSON(),
    plugins: src.plugins?.report() ?? null,
    services: (src.services ?? []).flatMap((t) => t.snapshot()),
  };
}
