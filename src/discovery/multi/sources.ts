/** Checks a multi registry's sources: a non-empty list of distinct registries, none of them multi. */
import { InvalidOptionError } from '../../container/errors.js';
import type { ServiceRegistry } from '../types.js';
import type { Source } from './source.js';

const METHODS = ['register', 'deregister', 'getService', 'watch', 'services', 'close'] as const;

/**
 * The sources of a multi registry, labelled: `labels[i]` when given (the URL a source was
 * created from), else its backend's scheme; a label used twice gets its position appended.
 * Bad input is `E_INVALID_OPTION` naming `sources`.
 */
export function checkSources(registries: unknown, labels: ReadonlyArray<string | undefined> = []): readonly Source[] {
  const bad = (why: string): never => {
    throw new InvalidOptionError('discovery.multi', 'sources', why);
  };
  if (!Array.isArray(registries)) return bad(`must be an array of registries, got ${registries === null ? 'null' : typeof registries}`);
  if (registries.length === 0) return bad('needs at least one source');
  const seen = new Set<unknown>();
  const used = new Set<string>();
  const sources = registries.map((r: unknown, i): Source => {
    const n = i + 1;
    if (typeof r !== 'object' || r === null) return bad(`source ${n} must be a registry, got ${r === null ? 'null' : typeof r}`);
    const missing = METHODS.filter((m) => typeof (r as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) return bad(`source ${n} is not a registry (no ${missing.join(', ')})`);
    const registry = r as ServiceRegistry;
    if (registry.backend === 'multi') return bad(`source ${n} is itself a multi registry; list its sources instead`);
    if (seen.has(r)) return bad(`source ${n} is the same registry as an earlier source`);
    seen.add(r);
    let label = labels[i] ?? String(registry.backend);
    if (used.has(label)) label = `${label} (source ${n})`;
    used.add(label);
    return Object.freeze({ label, registry });
  });
  return Object.freeze(sources);
}
