import type { Node } from './node.js';

/** Keeps some nodes. `describe` appears in `E_DISCOVERY_NO_NODES` messages. */
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
