import fc from 'fast-check';

/** What a Proxy of {@link throwingProxy} throws: the user's own exception, which may propagate unchanged. */
export class HostileTrap extends Error {
  constructor(trap: string) {
    super(`hostile proxy: ${trap}`);
  }
}

const TRAPS = [
  'get',
  'set',
  'has',
  'deleteProperty',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'getPrototypeOf',
  'setPrototypeOf',
  'isExtensible',
  'preventExtensions',
  'apply',
  'construct',
] as const;

/** A Proxy whose every trap throws {@link HostileTrap} (a function target, so `apply` and `construct` trap too). */
export function throwingProxy(): object {
  const handler: ProxyHandler<() => void> = {};
  for (const trap of TRAPS) {
    (handler as Record<string, unknown>)[trap] = () => {
      throw new HostileTrap(trap);
    };
  }
  return new Proxy(function target() {}, handler);
}

/** A revoked Proxy: every operation on it is the engine's TypeError. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** An object nested `depth` levels deep (`{ a: { a: … } }`), built without recursion. */
export function deepObject(depth: number): object {
  let o: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) o = { a: o };
  return o;
}

/** A cyclic object (`o.self === o`, and a cycle through an array). */
export function cyclicObject(): object {
  const o: Record<string, unknown> = { name: 'cyclic' };
  o['self'] = o;
  o['list'] = [o];
  return o;
}

const MEGABYTE = 'x'.repeat(1 << 20);

/**
 * The hostile values, each built fresh by its thunk (a value may be mutated by the call it
 * is given to). Named so that a failure says which one it was.
 */
export const HOSTILE: ReadonlyArray<readonly [string, () => unknown]> = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['0', () => 0],
  ['-1', () => -1],
  ['42', () => 42],
  ['1.5', () => 1.5],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['-Infinity', () => -Infinity],
  ['2^31', () => 2 ** 31],
  ['2^31-1', () => 2 ** 31 - 1],
  ['1e21', () => 1e21],
  ['true', () => true],
  ["''", () => ''],
  ["'a'", () => 'a'],
  ["'fuzz'", () => 'fuzz'],
  ["'__proto__'", () => '__proto__'],
  ["'constructor'", () => 'constructor'],
  ["'toString'", () => 'toString'],
  ["' padded '", () => ' padded '],
  ["'1.0.0'", () => '1.0.0'],
  ["'10s'", () => '10s'],
  ["'2147484s'", () => '2147484s'],
  ["'memory://fuzz'", () => 'memory://fuzz'],
  ['1 MB string', () => MEGABYTE],
  ['symbol', () => Symbol('hostile')],
  ['bigint', () => 10n],
  ['{}', () => ({})],
  ['null-prototype object', () => Object.create(null) as object],
  ['{ __proto__: 1 } (own key)', () => JSON.parse('{"__proto__":1,"constructor":2,"toString":3}') as unknown],
  ['{ constructor: 1, toString: 1 }', () => ({ constructor: 1, toString: 1, valueOf: 1 })],
  ['throwing Proxy', throwingProxy],
  ['revoked Proxy', revokedProxy],
  ['cyclic object', cyclicObject],
  ['20,000-deep object', () => deepObject(20_000)],
  ['[]', () => []],
  ["['a', 1]", () => ['a', 1]],
  ["[['a', 1]]", () => [['a', 1]]],
  ['array of 200,000', () => new Array<string>(200_000).fill('a')],
  ['Map', () => new Map([['a', 1]])],
  ['ArrayBuffer', () => new ArrayBuffer(8)],
  ['Uint8Array', () => new Uint8Array([123, 125])],
  ['URL', () => new URL('memory://fuzz')],
  ['Date', () => new Date(0)],
  ['aborted signal', () => AbortSignal.abort()],
  ['live signal', () => new AbortController().signal],
  ['() => undefined', () => () => undefined],
  [
    '() => throws',
    () => () => {
      throw new HostileTrap('callback');
    },
  ],
  ['async () => undefined', () => async () => undefined],
  ['class {}', () => class {}],
  ['Promise', () => Promise.resolve(1)],
];

/** One hostile value, with its name. */
export interface Hostile {
  name: string;
  value: unknown;
}

/** A generated hostile value: one of {@link HOSTILE}, or a string, integer or double from fast-check. */
export function hostileValue(): fc.Arbitrary<Hostile> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...HOSTILE).map(([name, make]) => ({ name, value: make() })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => ({ name: JSON.stringify(s), value: s })) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()).map((n) => ({ name: String(n), value: n })) },
  );
}

/** An options object with a hostile value under a generated or well-known key. */
export function hostileOptions(keys: readonly string[]): fc.Arbitrary<Hostile> {
  const key = keys.length > 0 ? fc.oneof(fc.constantFrom(...keys), fc.constantFrom('__proto__', 'constructor', 'timeoutMs', 'bogus')) : fc.constant('bogus');
  return fc.array(fc.tuple(key, hostileValue()), { maxLength: 3 }).map((pairs) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v.value, enumerable: true, writable: true, configurable: true });
    return { name: `{ ${pairs.map(([k, v]) => `${k}: ${v.name}`).join(', ')} }`, value: o };
  });
}

/** Arguments for one call: up to four hostile values or options objects. */
export function hostileArgs(keys: readonly string[] = []): fc.Arbitrary<Hostile[]> {
  return fc.array(fc.oneof({ weight: 3, arbitrary: hostileValue() }, { weight: 1, arbitrary: hostileOptions(keys) }), { maxLength: 4 });
}
