/**
 * `await scope.resolve(token)`: a synchronous attempt that, when it meets an async provider
 * that has not settled (`E_DI_ASYNC`), awaits that provider and tries again. Constructors that
 * ran before the async dependency was met run again; singletons they built are kept.
 */
import { asyncPath } from './async-path.js';
import { cycle, disposedError } from './diagnostics.js';
import { DiError } from './errors.js';
import { raceAbort } from './promises.js';
import type { ProviderRecord } from './providers.js';
import { tokenName } from './tokens.js';

/**
 * The state of one `resolve()` while its synchronous attempt runs: async transient values
 * awaited by earlier attempts, handed out in order to the next attempt.
 */
interface Session {
  readonly prefetched: Map<ProviderRecord, unknown[]>;
  readonly cursor: Map<ProviderRecord, number>;
}
let session: Session | undefined;

/** What an `E_DI_ASYNC` asks `resolve()` to await before trying again. */
const waits = new WeakMap<DiError, { record: ProviderRecord; promise: Promise<unknown> }>();

/** Marks `err` (an `E_DI_ASYNC`) as settled by `promise`, the pending value of `record`. */
export function awaitable(err: DiError, record: ProviderRecord, promise: Promise<unknown>): DiError {
  waits.set(err, { record, promise });
  return err;
}

/** Inside a `resolve()` attempt: the next value of async transient `r` awaited by an earlier attempt, if any. */
export function prefetched(r: ProviderRecord): { value: unknown } | undefined {
  if (session === undefined) return undefined;
  const list = session.prefetched.get(r);
  const i = session.cursor.get(r) ?? 0;
  if (list === undefined || i >= list.length) return undefined;
  session.cursor.set(r, i + 1);
  return { value: list[i] };
}

/** What {@link resolveAsync} needs from the injector. */
export interface Attempts<T> {
  readonly scope: { readonly name: string };
  /** Whether the scope was disposed (checked before each attempt). */
  closed(): boolean;
  /** One synchronous try. */
  attempt(): T;
}

/** Runs `target.attempt()` until it succeeds or fails for a reason other than an unsettled async provider. */
export async function resolveAsync<T>(target: Attempts<T>, token: unknown, signal: AbortSignal | undefined): Promise<T> {
  const path = asyncPath();
  const s: Session = { prefetched: new Map(), cursor: new Map() };
  for (;;) {
    if (target.closed()) throw disposedError(target.scope.name);
    let failure: unknown;
    const outer = session;
    session = s;
    s.cursor.clear();
    try {
      return target.attempt();
    } catch (err) {
      failure = err;
    } finally {
      session = outer;
    }
    const wait = failure instanceof DiError ? waits.get(failure) : undefined;
    if (wait === undefined) throw failure;
    if (path.includes(wait.record)) {
      // We are inside this provider's own async factory: waiting for it would wait forever.
      const labels = path.slice(path.indexOf(wait.record)).map((r) => (r as ProviderRecord).name);
      throw cycle(target.scope.name, [...labels, wait.record.name]);
    }
    const value = await raceAbort(wait.promise, signal, `resolving ${tokenName(token)}`, target.scope.name);
    if (wait.record.lifetime === 'transient') {
      const list = s.prefetched.get(wait.record) ?? [];
      list.push(value);
      s.prefetched.set(wait.record, list);
    }
  }
}
