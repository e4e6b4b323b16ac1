import type { ScopeJSON } from '../container/scope.js';
import type { ServiceInstance } from '../discovery/instance.js';
import type { DebugSnapshot } from '../observability/debug-snapshot.js';
import { formatReport } from '../plugins/report.js';

/** Left-aligned columns. */
export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** One line per watch update. */
export function watchLine(service: string, list: readonly ServiceInstance[], healthy: boolean): string {
  const at = new Date().toISOString().slice(11, 23);
  const items = list.map((i) => `${i.id}${i.version === '' ? '' : `@${i.version}`} ${i.endpoints.join(',')}`);
  return `${at} ${service}: ${list.length} instance${list.length === 1 ? '' : 's'}${healthy ? '' : ' (backend degraded)'}${items.length > 0 ? `\n  ${items.join('\n  ')}` : ''}`;
}

/** A `/debug/registry` snapshot as readable text. */
export function snapshotText(s: DebugSnapshot): string {
  const out: string[] = [`snapshot of ${s.generatedAt}`, ''];
  const walk = (scope: ScopeJSON, depth: number): void => {
    const pad = '  '.repeat(depth);
    out.push(`${pad}scope ${scope.name}${scope.frozen ? ' (frozen)' : ''}`);
    for (const r of scope.registries) {
      out.push(`${pad}  registry ${r.id} (${r.kind}, ${r.state}, v${r.version}, ${r.size} entries)`);
      if (r.entries.length > 0) {
        const rows = r.entries.map((e) => [`${pad}    ${e.key}`, e.type, e.owner === undefined ? '' : `plugin ${e.owner}`, e.site ?? '']);
        out.push(columns(rows));
      }
    }
    for (const c of scope.children) walk(c, depth + 1);
  };
  walk(s.scope, 0);
  out.push('', s.plugins === null ? 'plugins: no plugin host attached' : formatReport(s.plugins), '');
  if (s.services.length === 0) out.push('services: none watched');
  for (const svc of s.services) {
    out.push(
      `service ${svc.service} (${svc.backend}, ${svc.healthy ? 'healthy' : `degraded: ${svc.error ?? ''}`}): ${svc.instances.length} ${svc.instances.length === 1 ? 'instance' : 'instances'}`,
    );
    for (const i of svc.instances) out.push(`  ${i.id} ${i.version} ${i.endpoints.join(' ')}`);
  }
  return out.join('\n');
}
