/**
 * A value as an error message shows it: strings as they are, objects as (short) JSON rather
 * than `[object Object]`, anything else through `String`. Never throws (cycles, BigInt,
 * throwing getters fall back to the object's tag).
 */
export function showValue(value: unknown, max = 200): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'object' && value !== null) {
    try {
      text = JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  } else if (typeof value === 'function') text = `function ${value.name || '(anonymous)'}`;
  else text = String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
