import { BaseRegistry, type Prepared, type RegistryOptions } from './base-registry.js';
import type { Entry, RegisterOptions } from './entry.js';
import { InvalidNameError, InvalidOptionError, UnknownNameError } from './errors.js';
import { closestName } from './names.js';
import { compilePattern, comparePatterns, matchPattern, type CompiledPattern } from './handler-pattern.js';

/** Options of a {@link HandlerRegistry}. */
export interface HandlerRegistryOptions<R = unknown> extends RegistryOptions<R> {
  /** Segment separator of keys and patterns (default `'/'`; use `'.'` for dotted event names). */
  separator?: string;
}

/** The result of {@link HandlerRegistry.match}. */
export interface HandlerMatch<H> {
  readonly handler: H;
  /** The pattern that matched. */
  readonly pattern: string;
  /** Captured `:param` segments, and `'*'` for the rest matched by a wildcard. */
  readonly params: Readonly<Record<string, string>>;
}

const COMPILED = Symbol('plugboard.handler.pattern');
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Handlers found by key pattern, for per-event dispatch (the `http.ServeMux` shape).
 * Patterns are exact keys, `:param` segments and a trailing `*`. Precedence is
 * exact > param > wildcard, decided segment by segment; equal precedence keeps registration
 * order. Exact keys are one `Map` lookup; dynamic patterns are tried in a precomputed order.
 */
export class HandlerRegistry<H> extends BaseRegistry<H, RegisterOptions> {
  static override readonly kind: string = 'handler';

  /** Segment separator of keys and patterns. */
  readonly separator: string;
  #dynamic: Array<Entry<H>> = [];
  #dynamicFor = '';

  constructor(id: string, options: HandlerRegistryOptions = {}) {
    super(id, options);
    const sep = options.separator ?? '/';
    if (typeof sep !== 'string' || sep.length === 0) throw new InvalidOptionError(id, undefined, 'separator must be a non-empty string');
    this.separator = sep;
  }

  /** Alias of `register(pattern, handler, opts)`. */
  handle(pattern: string, handler: H, opts?: RegisterOptions): string {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a stack marker for captureStackTrace, never called
    return this.register(pattern, handler, this.aliasSite(opts, this.handle));
  }

  protected override prepare(pattern: string, value: H, opts: RegisterOptions | undefined, site: string | undefined): Prepared<H> {
    const p = super.prepare(pattern, value, opts, site);
    const compiled = compilePattern(this.id, pattern, this.separator);
    p.meta = { pattern: compiled.class, [COMPILED]: compiled };
    return p;
  }

  /** The handler for `key` with its captured params, or `undefined`. */
  match(key: string): HandlerMatch<H> | undefined {
    if (typeof key !== 'string') throw new InvalidNameError(this.id, key, 'a key to match must be a string');
    const exact = this.entry(key);
    if (exact !== undefined && (exact.meta[COMPILED] as CompiledPattern).class === 'exact') {
      return { handler: exact.value, pattern: exact.key, params: NO_PARAMS };
    }
    const dynamic = this.dynamicPatterns();
    if (dynamic.length === 0) return undefined;
    const parts = key.split(this.separator);
    for (const e of dynamic) {
      const params = matchPattern(e.meta[COMPILED] as CompiledPattern, parts, this.separator);
      if (params !== undefined) return { handler: e.value, pattern: e.key, params };
    }
    return undefined;
  }

  /**
   * Calls the handler matching `key` with `args` and returns its result. Throws
   * `UnknownNameError` (`E_UNKNOWN`, listing the patterns and the closest one) when nothing
   * matches. Use {@link match} to get the params.
   */
  dispatch(key: string, ...args: H extends (...a: infer A) => unknown ? A : never): H extends (...a: never[]) => infer R ? R : never {
    const m = this.match(key);
    if (m === undefined) {
      const patterns = this.names();
      throw new UnknownNameError(this.id, key, patterns, closestName(key, patterns), `no handler matches '${key}'`, 'patterns', this.mistypedId());
    }
    return (m.handler as (...a: unknown[]) => never)(...args);
  }

  private dynamicPatterns(): Array<Entry<H>> {
    const v = this.lineageVersion();
    if (v !== this.#dynamicFor) {
      this.#dynamic = [...this.merged().values()]
        .filter((e) => (e.meta[COMPILED] as CompiledPattern).class !== 'exact')
        .sort((a, b) => comparePatterns(a.meta[COMPILED] as CompiledPattern, b.meta[COMPILED] as CompiledPattern) || a.seq - b.seq);
      this.#dynamicFor = v;
    }
    return this.#dynamic;
  }
}
