import { InvalidOptionError } from '../../container/errors.js';
import { closestName } from '../../container/names.js';

/**
 * Checks the options object of a balancer: unknown keys are refused with "did you mean", and
 * each known key present must pass its check (a message saying what is expected, or undefined).
 */
export function checkBalancerOptions(registry: string, opts: object, checks: Readonly<Record<string, (v: unknown) => string | undefined>>): void {
  const known = Object.keys(checks);
  for (const [key, value] of Object.entries(opts)) {
    const check = checks[key];
    if (check === undefined) {
      const near = closestName(key, known);
      throw new InvalidOptionError(registry, key, `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${known.join(', ')}`);
    }
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) throw new InvalidOptionError(registry, key, `${problem}, got ${typeof value === 'function' ? 'a function' : String(value)}`);
  }
}

/** A check: a function. */
export const isFunction = (v: unknown): string | undefined => (typeof v === 'function' ? undefined : 'expected a function');

/** A check: a number in [min, max] (NaN never passes), optionally an integer. */
export function inRange(min: number, max: number, integer = false): (v: unknown) => string | undefined {
  const what = `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max === Infinity ? 'Infinity' : max}`;
  return (v) => (typeof v === 'number' && v >= min && v <= max && (!integer || Number.isInteger(v)) ? undefined : what);
}
