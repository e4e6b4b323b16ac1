/** Entry metadata helpers: frozen, shared when empty, compared by value. */

const EMPTY_META: Readonly<Record<PropertyKey, unknown>> = Object.freeze({});

export function freezeMeta(meta: Record<PropertyKey, unknown>): Readonly<Record<PropertyKey, unknown>> {
  return Reflect.ownKeys(meta).length === 0 ? EMPTY_META : Object.freeze(meta);
}

export function sameMeta(a: Readonly<Record<PropertyKey, unknown>>, b: Readonly<Record<PropertyKey, unknown>>): boolean {
  const ka = Reflect.ownKeys(a);
  if (ka.length !== Reflect.ownKeys(b).length) return false;
  return ka.every((k) => a[k] === b[k] || JSON.stringify(a[k]) === JSON.stringify(b[k]));
}
