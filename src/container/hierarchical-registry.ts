import { BaseRegistry, type Prepared, type RegistryOptions } from './base-registry.js';
import type { RegisterOptions } from './entry.js';
import { InvalidNameError, InvalidOptionError } from './errors.js';
import { MAX_NAME_LENGTH } from './names.js';

/** Options of a {@link HierarchicalRegistry}. */
export interface HierarchicalRegistryOptions<R = unknown> extends RegistryOptions<R> {
  /** Path separator (default `'.'`). */
  separator?: string;
}

/** A node visited by {@link HierarchicalRegistry.walk}. */
export interface TreeNode<V> {
  /** Full path, e.g. `users.list`. */
  readonly path: string;
  /** Depth: 0 for top-level nodes. */
  readonly depth: number;
  /** The value registered at this path, or `undefined` for an intermediate node. */
  readonly value: V | undefined;
}

interface Node {
  children: Map<string, Node>;
  path: string;
}

/**
 * Values at dotted paths forming a tree (cobra's command tree): `users.list` is a child of
 * `users`, which need not itself be registered.
 */
export class HierarchicalRegistry<V> extends BaseRegistry<V, RegisterOptions> {
  static override readonly kind: string = 'hierarchical';

  /** Path separator. */
  readonly separator: string;
  #tree: Node = { children: new Map(), path: '' };
  #treeFor = '';

  constructor(id: string, options: HierarchicalRegistryOptions = {}) {
    super(id, options);
    const sep = options.separator ?? '.';
    if (typeof sep !== 'string' || sep.length === 0) throw new InvalidOptionError(id, undefined, 'separator must be a non-empty string');
    this.separator = sep;
  }

  protected override prepare(path: string, value: V, opts: RegisterOptions | undefined, site: string | undefined): Prepared<V> {
    const p = super.prepare(path, value, opts, site);
    for (const seg of path.split(this.separator)) {
      if (seg === '') throw new InvalidNameError(this.id, path, `empty path segment (separator '${this.separator}')`);
      if (seg.trim() !== seg) throw new InvalidNameError(this.id, path, 'a path segment must not start or end with whitespace');
    }
    return p;
  }

  /** Sorted full paths of the direct children of `path` (of the top level when omitted). */
  children(path = ''): string[] {
    const node = this.node(path);
    return node === undefined ? [] : [...node.children.values()].map((n) => n.path).sort();
  }

  /** Depth-first, in sorted order: every node under `path` (the whole tree when omitted), intermediate nodes included. */
  *walk(path = ''): IterableIterator<TreeNode<V>> {
    const start = this.node(path);
    if (start === undefined) return;
    const base = path === '' ? 0 : path.split(this.separator).length;
    const visit = function* (this: HierarchicalRegistry<V>, n: Node, depth: number): IterableIterator<TreeNode<V>> {
      for (const key of [...n.children.keys()].sort()) {
        const child = n.children.get(key)!;
        yield { path: child.path, depth, value: this.get(child.path) };
        yield* visit.call(this, child, depth + 1);
      }
    };
    yield* visit.call(this, start, base);
  }

  /**
   * The deepest registered path that is a prefix of `segments` (cobra-style dispatch of
   * `['users', 'list', '--all']`), with the segments left over; `undefined` if none.
   */
  resolve(segments: readonly string[] | string): { path: string; value: V; rest: string[] } | undefined {
    if (typeof segments !== 'string' && !Array.isArray(segments))
      throw new InvalidOptionError(this.id, undefined, `resolve needs a path or an array of segments, got ${segments === null ? 'null' : typeof segments}`);
    const parts: unknown[] = typeof segments === 'string' ? segments.split(this.separator) : [...(segments as readonly unknown[])];
    if (!parts.every((p): p is string => typeof p === 'string')) throw new InvalidOptionError(this.id, undefined, 'resolve: every segment must be a string');
    // Only prefixes no longer than a key can be one: 200,000 segments cost a few joins, not 200,000.
    let longest = 0;
    for (let len = -this.separator.length; longest < parts.length; longest++) {
      len += this.separator.length + (parts[longest] as string).length;
      if (len > MAX_NAME_LENGTH) break;
    }
    for (let n = longest; n > 0; n--) {
      const path = parts.slice(0, n).join(this.separator);
      const value = this.get(path);
      if (value !== undefined) return { path, value, rest: parts.slice(n) };
    }
    return undefined;
  }

  private node(path: string): Node | undefined {
    if (typeof path !== 'string') throw new InvalidNameError(this.id, path, 'a path must be a string');
    let node: Node | undefined = this.tree();
    if (path === '') return node;
    for (const seg of path.split(this.separator)) {
      node = node.children.get(seg);
      if (node === undefined) return undefined;
    }
    return node;
  }

  private tree(): Node {
    const gen = this.lineageVersion();
    if (gen !== this.#treeFor) {
      const root: Node = { children: new Map(), path: '' };
      for (const key of this.merged().keys()) {
        let node = root;
        for (const seg of key.split(this.separator)) {
          let next = node.children.get(seg);
          if (next === undefined) {
            next = { children: new Map(), path: node.path === '' ? seg : `${node.path}${this.separator}${seg}` };
            node.children.set(seg, next);
          }
          node = next;
        }
      }
      this.#tree = root;
      this.#treeFor = gen;
    }
    return this.#tree;
  }
}
