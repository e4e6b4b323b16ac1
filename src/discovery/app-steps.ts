/**
 * The steps an {@link App} runs, each bounded by a signal: user hooks, the readiness check,
 * and the wait until a watcher of our own no longer lists the instance. Every step turns what
 * went wrong into a typed `DiscoveryError` naming the app and the step.
 */
import { abortable, abortError, Deadline, sleep } from './driver/abort.js';
import { showValue } from '../container/show-value.js';
import { DiscoveryError } from './errors.js';
import type { Watcher } from './types.js';

/** A lifecycle hook. Its signal fires when the hook should give up: at the phase's deadline, or when `stop()` cuts a start short. */
export type AppHook = (signal: AbortSignal) => unknown;

/** What a readiness check answers: `true`/`false`, or details (a plugin's `ping()` result has this shape). */
export type ReadinessResult = boolean | { ok: boolean; detail?: string };

/**
 * Says whether the app may be registered; `false`, `{ ok: false }` or a throw mean "not yet".
 * Any other answer (`{ ok: 'false' }`, `1`) fails the start at once: retrying would not mend it.
 */
export type ReadinessCheck = (signal: AbortSignal) => ReadinessResult | Promise<ReadinessResult>;

/** Calls `fn` so that a synchronous throw becomes a rejection. */
function invoke<T>(fn: (signal: AbortSignal) => T | Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn(signal)));
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | undefined)?.then === 'function';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs one hook, bounded by `signal`. A hook that throws gives `E_DISCOVERY_HOOK` (the throw
 * as `cause`); one still running when `signal` fires gives the signal's typed error
 * (`E_DISCOVERY_TIMEOUT` at a deadline, `E_DISCOVERY_ABORTED` when stopped) and is abandoned.
 */
export async function runHook(what: string, hook: AppHook, signal: AbortSignal): Promise<void> {
  const failed = (err: unknown): DiscoveryError => new DiscoveryError('E_DISCOVERY_HOOK', `${what} failed: ${message(err)}`, { cause: err });
  let result: unknown;
  try {
    // Called even when the signal has fired already (past the stop deadline), so that it can
    // at least begin (close a server); a synchronous hook then completes, an async one is not awaited.
    result = hook(signal);
    // Inside the try: reading `then` may throw too (a revoked Proxy, a throwing getter).
    if (!isThenable(result)) return;
  } catch (err) {
    throw failed(err);
  }
  const settled = Promise.resolve(result).then(
    () => undefined,
    (err: unknown) => {
      throw failed(err);
    },
  );
  await abortable(settled, signal, what);
}

/**
 * Runs `check` until it says ready, every `intervalMs`. When `signal` fires first: at its
 * deadline `E_DISCOVERY_NOT_READY` with the last answer; otherwise the signal's typed error.
 */
export async function awaitReadiness(what: string, check: ReadinessCheck, intervalMs: number, signal: AbortSignal): Promise<void> {
  let last = 'no answer yet';
  let checks = 0;
  for (;;) {
    checks++;
    let r: unknown;
    let threw = false;
    try {
      r = await abortable(invoke(check, signal), signal, what);
    } catch (err) {
      threw = true;
      if (!signal.aborted) last = `threw: ${message(err)}`;
    }
    if (!threw) {
      const answer = readAnswer(r);
      if (answer === undefined)
        throw new DiscoveryError('E_DISCOVERY_NOT_READY', `${what}: answered ${showValue(r)}: expected true/false or { ok: boolean, detail?: string }`);
      if (answer.ok) return;
      last = answer.detail ?? 'not ready';
    }
    if (signal.aborted || !(await sleep(intervalMs, signal, true))) break;
  }
  const reason: unknown = signal.reason;
  if (reason instanceof Deadline) {
    throw new DiscoveryError(
      'E_DISCOVERY_NOT_READY',
      `${what}: not ready within ${reason.ms} ms (${checks} check${checks === 1 ? '' : 's'}); last answer: ${last}`,
    );
  }
  throw abortError(what, signal);
}

/** A readiness answer read strictly (not by truthiness), or `undefined` if it has the wrong shape. */
function readAnswer(r: unknown): { ok: boolean; detail?: string } | undefined {
  if (typeof r === 'boolean') return { ok: r };
  if (typeof r !== 'object' || r === null) return undefined;
  const { ok, detail } = r as { ok?: unknown; detail?: unknown };
  if (typeof ok !== 'boolean' || (detail !== undefined && typeof detail !== 'string')) return undefined;
  return detail === undefined ? { ok } : { ok, detail };
}

/**
 * Resolves once `watcher` delivers a list without instance `id`: the deregistration is then
 * visible to watchers, not only written. Rejects with the signal's typed error if it fires first.
 */
export async function awaitAbsent(what: string, watcher: Watcher, id: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const list = await abortable(watcher.next(), signal, what);
    if (!list.some((i) => i.id === id)) return;
  }
}

/** How long a wait on the backend during a signal-driven stop goes on before it is announced. */
const SLOW_NOTICE_MS = 1_000;

/**
 * During a stop by a signal (someone pressed Ctrl-C, or an orchestrator is waiting), a wait on
 * the backend that lasts past {@link SLOW_NOTICE_MS} prints one line: what it waits for, and
 * that the same signal again exits at once (it then does, whoever else listens: `forceExit`
 * stays installed until the stop ends). Returns the function that ends the wait.
 */
export function slowWaitNotice(label: string, signal: NodeJS.Signals, what: string, announced: () => void): () => void {
  const timer = setTimeout(() => {
    announced();
    process.once(signal, forceExit);
    process.emitWarning(`${label}: stopping after ${signal}: waiting for ${what}; ${signal} again exits at once`, { code: 'PLUGBOARD_APP_STOP_WAIT' });
  }, SLOW_NOTICE_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

/** A second signal during an announced wait: exit as the signal would have (128 + its number). */
export function forceExit(signal: NodeJS.Signals): void {
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** `ms` as whole seconds, for messages. */
export function seconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))} s`;
}
