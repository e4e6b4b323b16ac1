/** Entry metadata helpers: frozen, shared when empty, compared as data. */

/** The metadata of entries that have none: one frozen object, shared. Kinds give an entry metadata by assigning a new object. */
export const EMPTY_META: Record<PropertyKey, unknown> = Object.freeze({});

export function freezeMeta(meta: Record<PropertyKey, unknown>): Readonly<Record<PropertyKey, unknown>> {
  if (meta === EMPTY_META) return meta; // the common case, without listing keys
  return Reflect.ownKeys(meta).length === 0 ? EMPTY_META : Object.freeze(meta);
}

/**
 * Whether two entries' metadata are the same, so that `replaceAll` reports no `replace` for
 * them. Plain data (tags, versions, compiled patterns and magics) is compared by value;
 * anything else — a config class or validate function, a schema object — by reference: two
 * validators are never the same because they print the same (`JSON.stringify` of a function
 * is `undefined` for every function).
 */
export function sameMeta(a: Readonly<Record<PropertyKey, unknown>>, b: Readonly<Record<PropertyKey, unknown>>): boolean {
  return sameData(a, b);
}

function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return sameBytes(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  }
  if (!isPlain(a) || !isPlain(b)) return false; // class instances, schemas: by reference only
  const ka = Reflect.ownKeys(a);
  if (ka.length !== Reflect.ownKeys(b).length) return false;
  return ka.every(
    (k) => Object.prototype.hasOwnProperty.call(b, k) && sameData((a as Record<PropertyKey, unknown>)[k], (b as Record<PropertyKey, unknown>)[k]),
  );
}

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as unknown;
  return proto === Object.prototype || proto === null;
}

function sameBytes(a: object, b: object): boolean {
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
  const x = a as unknown as ArrayLike<number>;
  const y = b as unknown as ArrayLike<number>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
