import { InvalidOptionError } from './errors.js';
import { showValue } from './show-value.js';

/**
 * The one duration parser (issue #28): a number of `bareUnit`s, or a string like `15s`,
 * `500ms`, `1m`, `2h`. Every duration — plugin timeouts, CLI flags, registry URLs, backend
 * options — goes through it and is bounded by {@link MAX_TIMER_MS}: Node's `setTimeout`
 * silently turns anything longer (or `Infinity`) into 1 ms.
 */

/** The longest timer Node can hold (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The milliseconds `value` stands for, or `undefined` when it is not a duration (bounds are the caller's). */
export function toMilliseconds(value: unknown, bareUnit: 'ms' | 's' = 'ms'): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) ms = bareUnit === 's' ? value * 1000 : value;
  else if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
    if (m !== null) ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? bareUnit]!;
  }
  return ms === undefined || !Number.isFinite(ms) ? undefined : ms;
}

/** Formats a bound for a message: `24h`, `15s`, `2147483647ms`. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Reads the duration option `option` of `owner`: `undefined` when absent, else milliseconds
 * within `[min, max]` (max at most {@link MAX_TIMER_MS}). Anything else is `E_INVALID_OPTION`
 * naming the option.
 */
export function readDuration(
  owner: string,
  option: string,
  value: unknown,
  bounds: { bareUnit?: 'ms' | 's'; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const ms = toMilliseconds(value, bounds.bareUnit);
  if (ms === undefined) throw new InvalidOptionError(owner, option, `must be a duration (a number of ms, or e.g. 15s, 500ms, 1m), got ${showValue(value, 80)}`);
  const max = Math.min(bounds.max ?? MAX_TIMER_MS, MAX_TIMER_MS);
  if (ms > max) throw new InvalidOptionError(owner, option, `is longer than the largest allowed, ${formatMs(max)} (got ${showValue(value, 80)})`);
  if (bounds.min !== undefined && ms < bounds.min)
    throw new InvalidOptionError(owner, option, `is shorter than the smallest allowed, ${formatMs(bounds.min)} (got ${showValue(value, 80)})`);
  return ms;
}
