import type { PluginOrigin } from './find.js';

/**
 * Where a plugin is in its life. `loaded`, `started` and `stopped` plugins are live: their
 * registrations are in the host's registries. `failed` and `unloaded` ones have none.
 */
export type PluginState = 'loaded' | 'started' | 'stopped' | 'failed' | 'unloaded';

/** A lifecycle operation on one plugin; operations on one plugin run one at a time. */
export type PluginOperation = 'start' | 'stop' | 'reload' | 'unload';

/** One plugin in the boot report. */
export interface PluginRecord {
  name: string;
  version?: string;
  api?: string;
  /** Where it came from: a file path, a package name, or `object`. */
  source: string;
  origin: PluginOrigin;
  state: PluginState;
  /** The operation running on it now, if any (its `state` is the one before the operation). */
  operation?: PluginOperation;
  dependencies: string[];
  /** Milliseconds per step: `import`, `setup`, `start`, `stop`, `dispose`, `reload`. */
  timings: Record<string, number>;
  /** Registrations it owns: `registry id → keys`. */
  registrations: Record<string, string[]>;
  /** Errors, oldest first, with their codes. */
  errors: Array<{ code: string; message: string; step: string }>;
  /** The last `ping()` result. */
  ping?: { ok: boolean; detail?: string; at: string };
  /** How many times it was hot-reloaded. */
  reloads: number;
}

/** What `host.report()` returns, as JSON (the dashboard shows it). */
export interface BootReport {
  apiVersion: string;
  plugins: PluginRecord[];
  loaded: number;
  failed: number;
}

const ms = (n: number | undefined): string => (n === undefined ? '' : `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`);

/** The report as a readable tree, one plugin per branch. */
export function formatReport(r: BootReport): string {
  const lines = [`plugins (api ${r.apiVersion}): ${r.loaded} loaded, ${r.failed} failed`];
  r.plugins.forEach((p, i) => {
    const last = i === r.plugins.length - 1;
    const bar = last ? '   ' : '│  ';
    const timing = Object.entries(p.timings)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
    const state = p.operation === undefined ? p.state : `${p.state}, ${p.operation} running`;
    lines.push(`${last ? '└─' : '├─'} ${p.state === 'failed' ? '✗' : '✓'} ${p.name}${p.version === undefined ? '' : ` ${p.version}`} [${state}] ${timing}`);
    lines.push(`${bar}  from ${p.origin}: ${p.source}${p.dependencies.length > 0 ? `; needs ${p.dependencies.join(', ')}` : ''}`);
    for (const [reg, keys] of Object.entries(p.registrations)) lines.push(`${bar}  ${reg}: ${keys.join(', ')}`);
    if (p.ping !== undefined) lines.push(`${bar}  ping: ${p.ping.ok ? 'ok' : 'FAILING'}${p.ping.detail === undefined ? '' : ` (${p.ping.detail})`}`);
    for (const e of p.errors) lines.push(`${bar}  ${e.step}: ${e.code} ${e.message}`);
  });
  return lines.join('\n');
}
