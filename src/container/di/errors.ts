/**
 * Errors of the native injector. One class, {@link DiError}, for the whole `E_DI_*` family:
 * the code says what went wrong, the optional fields carry the details a program needs.
 */
import type { DICode } from '../codes.js';
import { PlugboardError } from '../errors.js';

/**
 * Codes of injector errors (from the one catalogue, src/container/codes.ts; docs/errors.md):
 * - `E_DI_CYCLE`: a dependency cycle; `path` is the cycle (`A → B → A`);
 * - `E_DI_MISSING`: nothing provides a token; names the class that needs it and the closest known token;
 * - `E_DI_CONTEXT`: `inject()` outside a construction by plugboard;
 * - `E_DI_ASYNC`: a synchronous lookup met an async provider that has not settled (use `await scope.resolve()`);
 * - `E_DI_TOKEN`: something that is not a token (null, a string, a plain object…);
 * - `E_DI_PARAMS`: a constructor has parameters nothing says how to fill (no `static inject`, no usable parameter types);
 * - `E_DI_DISPOSED`: the scope was disposed;
 * - `E_DI_ABORTED`: the caller's `AbortSignal` fired while resolving or disposing;
 * - `E_DI_DISPOSE`: disposing an instance failed (collected into one `PlugboardAggregateError` with that code).
 */
export type DiCode = DICode;

/** Details of a {@link DiError}. */
export interface DiErrorDetails {
  /** Name of the scope involved. */
  scope?: string;
  /** The token involved, as it reads in messages (`token('logger')`, `Logger`). */
  token?: string;
  /** The resolution path, outermost first; for `E_DI_CYCLE`, the cycle (first and last equal). */
  path?: readonly string[];
  /** `E_DI_MISSING`: the closest known token, when one is close enough to be a typo. */
  suggestion?: string;
  /** Where the provider involved was registered (`file:line`), when known. */
  site?: string;
  cause?: unknown;
}

/** An error of the native injector, with one of the {@link DiCode}s. */
export class DiError extends PlugboardError {
  declare readonly code: DiCode;
  /** Name of the scope involved. */
  readonly scope?: string;
  /** The token involved, as it reads in messages. */
  readonly token?: string;
  /** The resolution path, outermost first. */
  readonly path?: readonly string[];
  /** The closest known token (`E_DI_MISSING`). */
  readonly suggestion?: string;

  constructor(code: DiCode, message: string, details: DiErrorDetails = {}) {
    super(code, message, {
      ...(details.token === undefined ? {} : { key: details.token }),
      ...(details.site === undefined ? {} : { site: details.site }),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
    });
    if (details.scope !== undefined) this.scope = details.scope;
    if (details.token !== undefined) this.token = details.token;
    if (details.path !== undefined) this.path = Object.freeze([...details.path]);
    if (details.suggestion !== undefined) this.suggestion = details.suggestion;
  }
}
