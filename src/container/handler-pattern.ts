import { InvalidNameError } from './errors.js';

/** Kind of one pattern segment; the number is its precedence (lower wins). */
const enum Seg {
  Literal = 0,
  Param = 1,
  Wildcard = 2,
}

type Segment = { kind: Seg.Literal; text: string } | { kind: Seg.Param; name: string } | { kind: Seg.Wildcard };

/** A parsed handler pattern: exact text, `:param` segments, and a trailing `*`. */
export interface CompiledPattern {
  readonly pattern: string;
  /** `exact` patterns are looked up by key; the others are matched in precedence order. */
  readonly class: 'exact' | 'param' | 'wildcard';
  readonly segments: readonly Segment[];
}

/**
 * Parses `pattern`. `:name` matches exactly one segment and captures it; `*` must be the
 * last segment and matches the rest (one or more segments, so `/files/*` matches `/files/`
 * and `/files/a/b` but not `/files`), captured as `params['*']`.
 */
export function compilePattern(registry: string, pattern: string, separator: string): CompiledPattern {
  const parts = pattern.split(separator);
  const segments: Segment[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    if (part === '*') {
      if (i !== parts.length - 1) throw new InvalidNameError(registry, pattern, "'*' is only allowed as the last segment");
      segments.push({ kind: Seg.Wildcard });
    } else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new InvalidNameError(registry, pattern, `':${name}' is not a valid parameter name`);
      if (names.has(name)) throw new InvalidNameError(registry, pattern, `parameter ':${name}' appears twice`);
      names.add(name);
      segments.push({ kind: Seg.Param, name });
    } else {
      segments.push({ kind: Seg.Literal, text: part });
    }
  });
  const cls = segments.some((s) => s.kind === Seg.Wildcard) ? 'wildcard' : names.size > 0 ? 'param' : 'exact';
  // Frozen through: entries() hands meta to readers, who must not change routing.
  return Object.freeze({ pattern, class: cls, segments: Object.freeze(segments.map((s) => Object.freeze(s))) });
}

/**
 * Orders two dynamic patterns by precedence: segment by segment, literal beats parameter
 * beats wildcard; a longer run of literals wins. Returns 0 for equal precedence (the caller
 * then keeps registration order).
 */
export function comparePatterns(a: CompiledPattern, b: CompiledPattern): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i]?.kind ?? Seg.Wildcard + 1;
    const y = b.segments[i]?.kind ?? Seg.Wildcard + 1;
    if (x !== y) return x - y;
  }
  return 0;
}

/** Matches `parts` (the key split by the separator) against `p`; returns the params or `undefined`. */
export function matchPattern(p: CompiledPattern, parts: readonly string[], separator: string): Record<string, string> | undefined {
  const segs = p.segments;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (i >= parts.length) return undefined;
    if (s.kind === Seg.Wildcard) {
      params ??= Object.create(null) as Record<string, string>;
      params['*'] = parts.slice(i).join(separator);
      return params;
    }
    if (s.kind === Seg.Literal) {
      if (s.text !== parts[i]) return undefined;
    } else {
      if (parts[i] === '') return undefined;
      params ??= Object.create(null) as Record<string, string>;
      params[s.name] = parts[i]!;
    }
  }
  return parts.length === segs.length ? (params ?? (Object.create(null) as Record<string, string>)) : undefined;
}
