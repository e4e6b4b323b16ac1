/**
 * The injection context, as Angular's: while plugboard builds a class (its field initializers
 * and constructor, or a `useFactory`), `inject(token)` resolves from the scope doing the
 * building. Outside, it throws `E_DI_CONTEXT`. The context is synchronous: after an `await`
 * inside a constructor or factory it is gone.
 */
import { DiError } from './errors.js';
import { tokenName, type InjectionToken } from './tokens.js';

/**
 * One construction in progress. Frames chain to the construction that asked for them. A
 * provider record reuses one frame for all its builds (a record is never built twice at
 * once: that is a cycle), so `injector` and `parent` are rewritten on each build.
 */
export interface Frame {
  /** Resolves `inject()` calls made while this frame is current. */
  injector: FrameResolver;
  /** What is being built, as it reads in paths (`Greeter`, `token('logger')`). */
  readonly label: string;
  /** The provider record being built, if any (cycle detection compares it). */
  readonly record: object | undefined;
  /** The class being built by `construct(cls)`, if any (cycle detection compares it). */
  readonly cls: unknown;
  /** The validated config of a factory product, or {@link NO_CONFIG}. */
  readonly config: unknown;
  /** The construction that asked for this one. */
  parent: Frame | undefined;
}

/** What a frame resolves through (the injector; an interface so frames from another copy of plugboard work). */
export interface FrameResolver {
  inFrame(frame: Frame, token: unknown, optional: boolean): unknown;
}

/** Marks a frame with no factory config. */
export const NO_CONFIG: unique symbol = Symbol('plugboard.di.noConfig') as never;

interface Holder {
  frame: Frame | undefined;
}

// On globalThis under Symbol.for, created on first use: inject() from the CJS build must see a
// construction started by the ESM build (or another installed copy).
const KEY = Symbol.for('plugboard.di.context.v1');
let holder: Holder | undefined;

/** @internal The shared holder of the current frame. */
export function context(): Holder {
  return (holder ??= (globalThis as unknown as Record<symbol, Holder | undefined>)[KEY] ??= { frame: undefined });
}

/** Options of {@link inject}. */
export interface InjectOptions {
  /** Return `undefined` instead of throwing `E_DI_MISSING` when nothing provides the token. */
  optional?: boolean;
}

/**
 * The value of `token`, from the scope that is building the current class. Call it in a field
 * initializer, a constructor or a `useFactory` (synchronously):
 *
 * ```ts
 * class Greeter {
 *   readonly log = inject(Logger);
 *   readonly discovery = inject<Discovery>(TOKENS.Discovery);
 * }
 * ```
 *
 * Throws `E_DI_CONTEXT` anywhere else, `E_DI_MISSING` if nothing provides the token (unless
 * `optional`), and `E_DI_ASYNC` if its provider is async and has not settled yet.
 */
export function inject<T>(token: InjectionToken<T>): T;
export function inject<T>(token: InjectionToken<T>, options: InjectOptions & { optional: true }): T | undefined;
export function inject<T>(token: InjectionToken<T>, options?: InjectOptions): T | undefined;
export function inject<T>(token: InjectionToken<T>, options?: InjectOptions): T | undefined {
  const frame = context().frame;
  if (frame === undefined) {
    throw new DiError(
      'E_DI_CONTEXT',
      `inject(${tokenName(token)}) was called outside a construction by plugboard: call it in a field initializer, a constructor or a useFactory of a class that scope.get/resolve or a registry builds (not after an await, not in a method)`,
      { token: tokenName(token) },
    );
  }
  return frame.injector.inFrame(frame, token, options?.optional === true) as T | undefined;
}
