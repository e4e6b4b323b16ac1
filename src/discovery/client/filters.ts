import { DiscoveryError } from '../errors.js';
import { unknownName } from './balancers.js';
import type { Node } from './node.js';

/** Keeps some nodes. `describe` names the filter in errors (`E_DISCOVERY_NO_NODES`, `E_DISCOVERY_FILTER`). */
export interface NodeFilter {
  (nodes: readonly Node[]): Node[];
  readonly describe: string;
}

function filter(describe: string, keep: (n: Node) => boolean): NodeFilter {
  return Object.assign((nodes: readonly Node[]) => nodes.filter(keep), { describe });
}

/** Keeps nodes whose instance version is `version`. */
export function versionFilter(version: string): NodeFilter {
  return filter(`version=${version}`, (n) => n.instance.version === version);
}

/** Keeps nodes whose metadata has every given key with the given value. */
export function metadataFilter(match: Readonly<Record<string, string>>): NodeFilter {
  const pairs = Object.entries(match);
  return filter(`metadata ${pairs.map(([k, v]) => `${k}=${v}`).join(',')}`, (n) =>
    pairs.every(([k, v]) => Object.prototype.hasOwnProperty.call(n.instance.metadata, k) && n.instance.metadata[k] === v),
  );
}

/** The filter names {@link parseFilter} knows. */
export const FILTER_NAMES: readonly string[] = Object.freeze(['version', 'metadata']);

/**
 * A filter from its text form, for filters that travel as strings (call metadata, config):
 * `version:v2`, `metadata:zone=eu,track=canary`. An unknown name throws `E_DISCOVERY_UNKNOWN`
 * listing the known ones; a malformed argument throws `E_DISCOVERY_FILTER`.
 */
export function parseFilter(spec: string): NodeFilter {
  const colon = typeof spec === 'string' ? spec.indexOf(':') : -1;
  const name = colon < 0 ? String(spec) : spec.slice(0, colon).trim();
  const arg = colon < 0 ? '' : spec.slice(colon + 1).trim();
  if (!FILTER_NAMES.includes(name)) throw unknownName('filter', name, FILTER_NAMES);
  if (name === 'version') {
    if (arg === '') throw badSpec(spec, 'expected version:<version>');
    return versionFilter(arg);
  }
  // No prototype: on a plain object, `match['__proto__'] = v` would set the prototype and
  // leave no pair to check, so the filter would keep every node.
  const match = Object.create(null) as Record<string, string>;
  for (const pair of arg.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw badSpec(spec, 'expected metadata:<key>=<value>[,<key>=<value>…]');
    match[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return metadataFilter(match);
}

function badSpec(spec: string, hint: string): DiscoveryError {
  return new DiscoveryError('E_DISCOVERY_FILTER', `filter '${spec}': ${hint}`, { key: spec });
}

/**
 * Runs `f` over `nodes`. A filter that throws (or returns something other than an array) fails
 * with `E_DISCOVERY_FILTER` naming it; the caller's state is untouched.
 */
export function runFilter(f: NodeFilter, nodes: readonly Node[], service: string): Node[] {
  let out: unknown;
  try {
    out = f(nodes);
  } catch (err) {
    throw new DiscoveryError(
      'E_DISCOVERY_FILTER',
      `service '${service}': filter '${describeFilter(f)}' threw: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, key: service },
    );
  }
  if (!Array.isArray(out))
    throw new DiscoveryError('E_DISCOVERY_FILTER', `service '${service}': filter '${describeFilter(f)}' returned ${typeof out}, not an array of nodes`, {
      key: service,
    });
  return out as Node[];
}

/** A filter's `describe`, or its function name, for messages. */
export function describeFilter(f: NodeFilter): string {
  return typeof f.describe === 'string' && f.describe !== '' ? f.describe : f.name || '(anonymous filter)';
}
