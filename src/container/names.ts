import { InvalidNameError } from './errors.js';

/** Longest key a registry accepts. Keys are identifiers, not payloads. */
export const MAX_NAME_LENGTH = 256;

// C0/C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// One test for the common case; the specific checks below only run to explain a failure.
// eslint-disable-next-line no-control-regex
const SUSPECT = /^\s|\s$|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Checks that `name` is usable as a key: a non-empty string, no surrounding whitespace,
 * no control characters, at most {@link MAX_NAME_LENGTH} characters. `__proto__` and
 * friends are ordinary keys (storage is a `Map`).
 */
export function validateName(registry: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidNameError(registry, name, 'a name must be a string');
  if (name.length === 0) throw new InvalidNameError(registry, name, 'a name must not be empty');
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(registry, name, `a name must be at most ${MAX_NAME_LENGTH} characters (got ${name.length})`);
  }
  if (!SUSPECT.test(name)) return;
  if (name.trim() !== name) throw new InvalidNameError(registry, name, 'a name must not start or end with whitespace');
  if (CONTROL.test(name)) throw new InvalidNameError(registry, name, 'a name must not contain control characters');
}

/**
 * Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
 * substitutions and transpositions of two adjacent characters each count as one edit, so
 * `jsno` is one edit from `json`. Bounded: returns `max + 1` as soon as the distance exceeds `max`.
 */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = []; // row i - 2, for transpositions
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * @internal The known name closest to `name`, if it is close enough to be a typo: within a
 * third of the name's length (at least 1, at most 3 edits), or equal ignoring case.
 */
export function closestName(name: unknown, known: readonly string[]): string | undefined {
  if (typeof name !== 'string') return undefined; // mustGet(undefined): nothing is close to a non-name
  const max = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : distance(name, candidate, max);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
