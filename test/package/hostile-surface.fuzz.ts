import 'reflect-metadata';
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGBOARD_CODES } from '../../src/container/codes.js';
import { BaseRegistry, ImplementationRegistry, PlugboardError, resetDefaultScope, Scope } from '../../src/container/index.js';
import { Register } from '../../src/decorators/index.js';
import { HOSTILE, HostileTrap, hostileArgs, type Hostile } from '../support/hostile-values.js';

/**
 * Issue #28: every runtime export of every entry in package.json `exports`, called with
 * hostile values. What escapes must be a `PlugboardError` with a catalogued code (or the
 * documented success), and registries must keep their invariants: sorted listings, no nil,
 * a failed call changes nothing, a change moves the version, and what a reader is handed
 * cannot change the registry. A new export is covered without a new test.
 *
 * Two passes per export: a deterministic one (every method with every hostile value, and
 * with every ordered pair of the plausible "domain" values, on an instance warmed up with
 * those values), then fast-check sequences of calls on the live objects (seed printed on
 * failure; `PLUGBOARD_FUZZ_SEED=<n>` replays one). `PLUGBOARD_FUZZ_REPORT=1` lists every
 * finding instead of failing at the first export that has one.
 */

/** Exports not called, and why. Everything else in `exports` is. Keep this short. */
const EXCLUDED: Readonly<Record<string, string>> = {
  discoveryContract: 'declares mocha suites (describe/it) when called',
  discoveryInterleavings: 'declares mocha suites (describe/it) when called',
  TcpProxy: 'listens on a socket (a unit test opens none)',
  freePort: 'binds a socket (a unit test opens none)',
  pauseProcess: 'sends SIGSTOP to a process id (a hostile number would be another process)',
  resumeProcess: 'sends SIGCONT to a process id',
  serveDebug: 'listens on a socket; its option checks are test/observability/debug-endpoint.test.ts',
};

/** Backends' entries: constructed (the validation path) and closed, never used: a method call would connect. */
const CONSTRUCT_ONLY = new Set(['EtcdRegistry', 'ZooKeeperRegistry', 'ConsulRegistry']);

/**
 * Issue #28 not finished: exports this test still finds raw errors in (or that hang on a
 * 200,000-item input). Constructed with hostile options (so out-of-range durations are still
 * caught), but their methods are not called yet. Each one fixed comes off the list; a new
 * export is never added to it. `PLUGBOARD_FUZZ_PENDING=1` runs them too, in full.
 */
const PENDING = new Set([
  'Scope', // construct/resolve with null options, a resolver without construct
  'Injector', // construct(undefined), null parent/options, dispose of a non-scope
  'HierarchicalRegistry', // children/walk of non-string paths
  'PluginHost', // load() of a 200,000-item list takes minutes
  'App',
  'MemoryRegistry',
  'MemoryStore',
  'MultiRegistry',
  'Selector',
  'Selection',
  'RoundRobinBalancer',
  'RandomBalancer',
  'WeightedRoundRobinBalancer',
  'P2CBalancer',
  'RingHashBalancer',
  'ServiceTracker',
  'PlugboardMetrics',
  'DriverRegistry',
  'Follow',
  'ListWatcher',
  'Reconciler',
  'Session',
  'WarnOnce',
  'WatchHub',
  'Deadline',
]);
const runPending = process.env['PLUGBOARD_FUZZ_PENDING'] === '1';

/** Methods that end an object's life: called last, so that the others run on a live object. */
const TERMINAL = /^(close|stop|dispose|freeze|destroy|unload|shutdown|abort|detach|end)$/;

/** Keys whose value is a duration: a value past 2^31-1 ms must be refused, not clamped by setTimeout. */
const DURATION_KEY = /(^ms$|Ms$|^timeout|Timeout$|^ttl$|interval|Interval|delay|Delay|duration|Duration|^deadline)/;
const OUT_OF_RANGE_DURATIONS: ReadonlyArray<[string, unknown]> = [
  ['Infinity', Infinity],
  ['2^31', 2 ** 31],
  ['1e21', 1e21],
  ["'2147484s'", '2147484s'],
];

// eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back, never called here
const quiet = { emitWarning: process.emitWarning };

interface Finding {
  where: string;
  what: string;
}

/** The option names the source declares (`name?:` in any interface), so options objects use real keys. */
function optionVocabulary(): string[] {
  const keys = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/^\s+(?:readonly )?(\w+)\?:/gm)) keys.add(m[1]!);
    }
  };
  walk('src');
  return [...keys].sort();
}

/**
 * Members the source declares `private`, `protected` or `@internal`: not API (TypeScript hides
 * them, JavaScript does not), so not called.
 */
function nonPublicMembers(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/^\s+(?:protected|private)\s+(?:override\s+)?(?:static\s+)?(?:readonly\s+)?(?:get\s+)?(\w+)\s*[(<]/gm)) names.add(m[1]!);
        for (const m of text.matchAll(/@internal[^\n]*\n(?:\s*\*[^\n]*\n)*?\s*(?:\*\/\s*\n)?\s+(?:override\s+)?(?:static\s+)?(\w+)\s*[(<]/g)) names.add(m[1]!);
      }
    }
  };
  walk('src');
  return names;
}
const NON_PUBLIC = nonPublicMembers();
let probes = 0;

/** Every distinct runtime export, by the first name it is exported under. */
async function publicSurface(): Promise<Array<{ name: string; entry: string; value: unknown }>> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, string | { import: { default: string } }> };
  const seen = new Map<unknown, { name: string; entry: string; value: unknown }>();
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const file = target.import.default.replace(/^\.\/dist\/esm\//, '');
    const mod = (await import(new URL(`../../src/${file}`, import.meta.url).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (!seen.has(value)) seen.set(value, { name, entry, value });
  }
  return [...seen.values()];
}

const isClass = (f: unknown): f is new (...a: unknown[]) => object => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
/** Error classes are what plugboard throws (for `instanceof` and `code`), not an input surface: not constructed here. */
const isErrorClass = (f: unknown): boolean => typeof f === 'function' && f.prototype instanceof Error;
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && !isProxyLike(v) && typeof (v as { then?: unknown }).then === 'function';
/** Hostile proxies among the values a call returned are not inspected (reading them throws by design). */
const hostileObjects = new WeakSet<object>();
const isProxyLike = (v: object): boolean => hostileObjects.has(v);

/** What a plausible callback throws: a null-prototype object (no toString, no message). */
const NULL_PROTO_THROWN = Object.freeze(Object.create(null) as object);

/** What may escape a call: a coded PlugboardError, or the user's own exception (a trap of a hostile Proxy, a throwing callback). */
function acceptable(err: unknown, args: readonly Hostile[]): boolean {
  if (err instanceof HostileTrap || err === NULL_PROTO_THROWN) return true;
  if (err instanceof PlugboardError) return PLUGBOARD_CODES.includes(err.code);
  // The engine's own refusal to read a revoked proxy the caller passed in.
  if (err instanceof TypeError && /revoked/.test(err.message) && args.some((a) => a.name === 'revoked Proxy')) return true;
  return false;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.constructor.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message.slice(0, 160)}`;
  }
  try {
    return `a thrown ${typeof err}: ${String(err)}`;
  } catch {
    return `a thrown ${typeof err}`;
  }
}

/** Timers started by the code under test, cleared after each export so that nothing outlives the test. */
class TimerJar {
  readonly #timeouts = new Set<NodeJS.Timeout>();
  readonly #intervals = new Set<NodeJS.Timeout>();
  readonly #original = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };

  install(): void {
    const timeouts = this.#timeouts;
    const intervals = this.#intervals;
    const { setTimeout: st, setInterval: si } = this.#original;
    globalThis.setTimeout = ((fn: () => void, ms?: number, ...rest: unknown[]) => {
      const t = (st as (...a: unknown[]) => NodeJS.Timeout)(fn, ms, ...rest);
      timeouts.add(t);
      return t;
    }) as typeof setTimeout;
    globalThis.setInterval = (fn: () => void, ms?: number, ...rest: unknown[]) => {
      const t = (si as (...a: unknown[]) => NodeJS.Timeout)(fn, ms, ...rest);
      intervals.add(t);
      return t;
    };
  }

  clear(): void {
    for (const t of this.#timeouts) clearTimeout(t);
    for (const t of this.#intervals) clearInterval(t);
    this.#timeouts.clear();
    this.#intervals.clear();
  }

  uninstall(): void {
    this.clear();
    globalThis.setTimeout = this.#original.setTimeout;
    globalThis.setInterval = this.#original.setInterval;
  }
}

/** Lets a promise settle if it settles at once (validation refusals do), without waiting for real work. */
async function settle(p: PromiseLike<unknown>): Promise<{ done: boolean; value?: unknown; err?: unknown; failed?: boolean }> {
  let out: { done: boolean; value?: unknown; err?: unknown; failed?: boolean } = { done: false };
  Promise.resolve(p).then(
    (value) => (out = { done: true, value }),
    (err: unknown) => (out = { done: true, err, failed: true }),
  );
  for (let i = 0; i < 3 && !out.done; i++) await new Promise((r) => setImmediate(r));
  return out;
}

/** A deep, comparable copy of plain data (symbol keys included), to see whether a reader's writes reached a registry. */
function fingerprint(v: unknown, depth = 0, seen = new Set<object>()): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'function' ? `fn:${v.name}` : typeof v === 'symbol' ? v.toString() : v;
  if (depth > 6 || seen.has(v) || hostileObjects.has(v)) return '…';
  seen.add(v);
  if (Array.isArray(v)) return [v.length, ...v.slice(0, 20).map((x) => fingerprint(x, depth + 1, seen))];
  const proto = Object.getPrototypeOf(v) as unknown;
  if (v instanceof RegExp) return `re:${v.source}/${v.flags}:${v.lastIndex}`;
  if (proto !== Object.prototype && proto !== null && !(v instanceof Map) && !(v instanceof Set) && !(v instanceof Uint8Array))
    return `obj:${(v.constructor as { name?: string } | undefined)?.name ?? '?'}`;
  if (v instanceof Map || v instanceof Set) return [...v.entries()].map((x) => fingerprint(x, depth + 1, seen));
  if (v instanceof Uint8Array) return [...v];
  return Reflect.ownKeys(v)
    .slice(0, 20)
    .map((k) => [String(k), fingerprint((v as Record<PropertyKey, unknown>)[k], depth + 1, seen)]);
}

/** A reader misbehaving with what it was handed: writes to every writable place of plain data it can reach. */
function tamper(v: unknown, depth = 0, seen = new Set<object>()): void {
  if (typeof v !== 'object' || v === null || depth > 6 || seen.has(v) || hostileObjects.has(v)) return;
  seen.add(v);
  if (v instanceof BaseRegistry || v instanceof Scope) return; // live objects, not data
  const proto = Object.getPrototypeOf(v) as unknown;
  const plain = Array.isArray(v) || proto === Object.prototype || proto === null || v instanceof RegExp || v instanceof Map || v instanceof Set;
  if (!plain) return;
  if (v instanceof RegExp) {
    v.lastIndex = 99;
    return;
  }
  if (v instanceof Map) {
    for (const x of v.values()) tamper(x, depth + 1, seen);
    if (!Object.isFrozen(v)) v.set('tampered', 'tampered');
    return;
  }
  if (v instanceof Set) return;
  for (const k of Reflect.ownKeys(v).slice(0, 20)) {
    const inner = (v as Record<PropertyKey, unknown>)[k];
    tamper(inner, depth + 1, seen);
    if (typeof inner !== 'function') Reflect.set(v, k, 'tampered');
  }
  if (Array.isArray(v) && !Object.isFrozen(v)) v.push('tampered');
}

/** The observable state of a registry or scope: what must not change when a call fails. */
function stateOf(target: object): unknown {
  if (target instanceof BaseRegistry) {
    const r = target as BaseRegistry<unknown>;
    return { version: r.version, state: r.state, entries: r.localSnapshot() };
  }
  if (target instanceof Scope) {
    return {
      frozen: target.frozen,
      registries: target.registries().map((r) => [r.id, stateOf(r)]),
    };
  }
  return undefined;
}

function sameState(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameState(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameState((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Registry invariants that hold after any call. Returns what is broken, if anything. */
function invariants(target: object): string | undefined {
  const registries = target instanceof Scope ? target.registries() : target instanceof BaseRegistry ? [target as BaseRegistry<unknown>] : [];
  for (const r of registries) {
    try {
      const names = r.names();
      const sorted = [...names].sort();
      if (names.some((n, i) => n !== sorted[i]) || new Set(names).size !== names.length) return `${r.id}: names() is not sorted and unique`;
      const entries = r.entries();
      if (entries.some((e, i) => i > 0 && entries[i - 1]!.key >= e.key)) return `${r.id}: entries() is not sorted by key`;
      if (entries.some((e) => e.value === null || e.value === undefined)) return `${r.id}: an entry holds nil`;
      r.toJSON();
    } catch (err) {
      return `${r.id}: reading it threw ${describeError(err)}`;
    }
  }
  if (target instanceof Scope) {
    try {
      target.toJSON();
    } catch (err) {
      return `scope toJSON threw ${describeError(err)}`;
    }
  }
  return undefined;
}

/** The plausible values: calls that succeed, to put registries in states where the hostile values matter. */
function domainValues(): Array<Hostile & { first?: boolean }> {
  // Decorators also register at once: each into a scope of its own, thrown away.
  @Register('fuzz.things', 'a', { scope: new Scope('fuzz-decorations'), replace: true })
  class Replacer {}
  @Register('fuzz.things', 'a', { scope: new Scope('fuzz-decorations') })
  class Plain {}
  const nullProtoThrower = (): never => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a thrown value with no toString
    throw NULL_PROTO_THROWN;
  };
  return [
    { name: "'a'", value: 'a', first: true },
    { name: "'b'", value: 'b' },
    { name: "'fuzz.things'", value: 'fuzz.things', first: true },
    { name: '1', value: 1 },
    { name: '{ replace: true }', value: { replace: true } },
    { name: '() => 1', value: () => 1 },
    { name: 'a listener throwing a null-prototype object', value: nullProtoThrower },
    { name: 'ImplementationRegistry', value: ImplementationRegistry },
    { name: 'decorated class (replace)', value: Replacer, first: true },
    { name: 'decorated class', value: Plain },
    { name: 'Uint8Array "{}"', value: new TextEncoder().encode('{}') },
  ];
}

/** Arguments that make the seed construction of a class succeed, tried in order. */
const SEED_ARGS: unknown[][] = [['fuzz'], [], [{}], ['memory://fuzz'], ['fuzz', {}], [new Scope('fuzz-host')], [[]]];

describe('the public surface against hostile input (issue #28)', function () {
  this.timeout(300_000);
  const report = process.env['PLUGBOARD_FUZZ_REPORT'] === '1';
  const seed = process.env['PLUGBOARD_FUZZ_SEED'] === undefined ? undefined : Number(process.env['PLUGBOARD_FUZZ_SEED']);
  const vocabulary = optionVocabulary();
  const durationKeys = vocabulary.filter((k) => DURATION_KEY.test(k));
  const all: Finding[] = [];
  const timers = new TimerJar();

  const stackTraceLimit = Error.stackTraceLimit;
  before(() => {
    // Tens of thousands of refusals: a short stack keeps each one cheap (source-mapped stacks cost ~1 ms).
    Error.stackTraceLimit = 2;
    process.emitWarning = () => undefined; // throwing listeners are reported as warnings; thousands of them here
    timers.install();
  });
  after(() => {
    timers.uninstall();
    Error.stackTraceLimit = stackTraceLimit;
    process.emitWarning = quiet.emitWarning;
    resetDefaultScope();
    if (report) {
      const unique = [...new Map(all.map((f) => [`${f.where.replace(/[(:].*/, '')}|${f.what.replace(/\d+/g, 'N').slice(0, 60)}`, f])).values()];
      console.log(`\n${unique.length} distinct findings:\n${unique.map((f) => `  ${f.where}: ${f.what}`).join('\n')}`);
    }
  });

  /** Runs one call and returns what went wrong, if anything. */
  async function probe(where: string, fn: () => unknown, args: readonly Hostile[], targets: readonly object[], live: object[]): Promise<Finding[]> {
    const found: Finding[] = [];
    const started = Date.now();
    probes++;
    if (process.env['PLUGBOARD_FUZZ_TRACE'] === '1') writeFileSync('/tmp/plugboard-fuzz-current', where.slice(0, 300));
    const before = targets.map(stateOf);
    let threw = false;
    let result: unknown;
    try {
      result = fn();
      if (isThenable(result)) {
        const s = await settle(result);
        if (s.failed === true) {
          threw = true;
          if (!acceptable(s.err, args)) found.push({ where, what: `rejected with ${describeError(s.err)}` });
        } else if (s.done) result = s.value;
        else {
          result = undefined;
          Promise.resolve(result).catch(() => undefined);
        }
      }
    } catch (err) {
      threw = true;
      if (!acceptable(err, args)) found.push({ where, what: `threw ${describeError(err)}` });
    }
    targets.forEach((t, i) => {
      const after = stateOf(t);
      if (threw && !sameState(before[i], after)) found.push({ where, what: 'failed, yet changed the registry or scope it was called on' });
      if (!threw && t instanceof BaseRegistry && !sameState((before[i] as { entries: unknown }).entries, (after as { entries: unknown }).entries)) {
        if ((before[i] as { version: number }).version === (after as { version: number }).version)
          found.push({ where, what: 'changed entries without moving the version' });
      }
      const broken = invariants(t);
      if (broken !== undefined) found.push({ where, what: broken });
    });
    if (!threw && result !== undefined && result !== null) {
      if (typeof result === 'object' && !(result instanceof BaseRegistry) && !(result instanceof Scope)) {
        const prints = targets.map((t) =>
          fingerprint(
            t instanceof BaseRegistry ? (t as BaseRegistry<unknown>).entries() : t instanceof Scope ? t.registries().map((r) => r.entries()) : undefined,
          ),
        );
        try {
          tamper(result);
        } catch {
          // a getter-only or exotic object: nothing a reader could write
        }
        targets.forEach((t, i) => {
          const now = fingerprint(
            t instanceof BaseRegistry ? (t as BaseRegistry<unknown>).entries() : t instanceof Scope ? t.registries().map((r) => r.entries()) : undefined,
          );
          if (JSON.stringify(now) !== JSON.stringify(prints[i]))
            found.push({ where, what: 'a reader changed the registry by writing to what the call returned' });
        });
      }
      if ((typeof result === 'object' || typeof result === 'function') && !live.includes(result) && live.length < 12) live.push(result);
    }
    if (process.env['PLUGBOARD_FUZZ_TRACE'] === '1' && Date.now() - started > 100) console.log(`slow (${Date.now() - started} ms): ${where.slice(0, 160)}`);
    return found;
  }

  /** A duration-like option past the bound that was accepted: it would be clamped to 1 ms by setTimeout. */
  function acceptedDuration(where: string, option: string): Finding {
    return { where, what: `accepted ${option} (past 2^31-1 ms; setTimeout would make it 1 ms)` };
  }

  /** Options objects holding one out-of-range duration, and whether the code under test read it. */
  const durationReads = new WeakMap<object, { read: boolean }>();
  function durationOption(key: string, label: string, v: unknown): Hostile {
    const seen = { read: false };
    const o = {};
    Object.defineProperty(o, key, {
      enumerable: true,
      get: () => {
        seen.read = true;
        return v;
      },
    });
    durationReads.set(o, seen);
    return { name: `{ ${key}: ${label} }`, value: o };
  }

  function methodsOf(obj: object): string[] {
    const out = new Set<string>();
    for (let p: object | null = obj; p !== null && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const k of Object.getOwnPropertyNames(p)) {
        if (k === 'constructor' || NON_PUBLIC.has(k)) continue;
        const d = Object.getOwnPropertyDescriptor(p, k)!;
        if (typeof d.value === 'function') out.add(k);
      }
    }
    return [...out].sort((a, b) => Number(TERMINAL.test(a)) - Number(TERMINAL.test(b)) || (a < b ? -1 : 1));
  }

  async function cleanUp(live: readonly object[]): Promise<void> {
    for (const o of live) {
      if (o instanceof Scope) continue;
      for (const m of ['close', 'stop', 'dispose']) {
        const f = (o as Record<string, unknown>)[m];
        if (typeof f !== 'function') continue;
        try {
          const r = (f as () => unknown).call(o);
          if (isThenable(r)) await settle(r);
        } catch {
          // closing is best effort here: the findings are from the calls above
        }
      }
    }
    timers.clear();
    resetDefaultScope();
  }

  function record(found: Finding[]): void {
    all.push(...found);
    if (!report && found.length > 0) expect.fail(found.map((f) => `${f.where}: ${f.what}`).join('\n'));
  }

  it('enumerates every entry of package.json exports', async () => {
    const surface = await publicSurface();
    expect(surface.length).to.be.greaterThan(100);
    for (const name of Object.keys(EXCLUDED)) expect(surface.map((s) => s.name)).to.include(name, `excluded ${name} is not an export any more`);
    for (const name of PENDING) expect(surface.map((s) => s.name)).to.include(name, `pending ${name} is not an export any more`);
  });

  it('every export, every method: each hostile value, and pairs of plausible ones', async () => {
    const surface = await publicSurface();
    const singles: Hostile[] = HOSTILE.map(([name, make]) => ({ name, value: make() }));
    for (const h of singles) if (typeof h.value === 'object' && h.value !== null && /Proxy/.test(h.name)) hostileObjects.add(h.value);
    for (const { name, entry, value } of surface) {
      if (name in EXCLUDED || typeof value !== 'function' || isErrorClass(value)) continue;
      if (process.env['PLUGBOARD_FUZZ_ONLY'] !== undefined && !process.env['PLUGBOARD_FUZZ_ONLY'].split(',').includes(name)) continue;
      const domain = domainValues();
      // Pairs: a plausible name, registry id or decorated class first, then any plausible value.
      const pairs = domain.filter((d) => d.first === true).flatMap((a) => domain.map((b) => [a, b]));
      const label = `${entry} ${name}`;
      const t0 = Date.now();
      const live: object[] = [];
      const found: Finding[] = [];
      const construct = (args: readonly Hostile[]) =>
        isClass(value) ? () => new value(...args.map((a) => a.value)) : () => (value as (...a: unknown[]) => unknown)(...args.map((a) => a.value));
      // The export itself: each hostile value in first and second place, and out-of-range durations in options.
      const callArgs: Hostile[][] = [
        ...singles.map((h) => [h]),
        ...singles.map((h) => [{ name: "'fuzz'", value: 'fuzz' }, h]),
        ...pairs,
        ...durationKeys.flatMap((k) => OUT_OF_RANGE_DURATIONS.map(([l, v]) => [durationOption(k, l, v)])),
        ...durationKeys.flatMap((k) => OUT_OF_RANGE_DURATIONS.map(([l, v]) => [{ name: "'fuzz'", value: 'fuzz' }, durationOption(k, l, v)])),
      ];
      for (const args of callArgs) {
        const scratch: object[] = [];
        const f = await probe(`${label}(${args.map((a) => a.name).join(', ')})`, construct(args), args, [], scratch);
        found.push(...f);
        const duration = args.find((a) => durationReads.has(a.value as object));
        if (duration !== undefined && f.length === 0 && scratch[0] !== undefined && durationReads.get(duration.value as object)!.read) {
          // Read, and yet accepted: setTimeout would clamp it to 1 ms.
          found.push(acceptedDuration(`${label}(${args.map((a) => a.name).join(', ')})`, duration.name));
        }
        await cleanUp(scratch);
      }
      // The methods of a seed instance (or of what a plain function returns with no arguments).
      if (isClass(value) && !CONSTRUCT_ONLY.has(name) && (runPending || !PENDING.has(name))) {
        let instance: object | undefined;
        for (const args of SEED_ARGS) {
          try {
            instance = new value(...args);
            break;
          } catch {
            // try the next shape
          }
        }
        if (instance !== undefined) {
          const target = instance;
          live.length = 0;
          live.push(target);
          const call = (m: string, args: readonly Hostile[]) => () => (target as Record<string, (...a: unknown[]) => unknown>)[m]!(...args.map((a) => a.value));
          const methods = methodsOf(target);
          // Warm-up: every non-terminal method with each plausible value and pair, so that there is state to break.
          for (const m of methods) {
            if (TERMINAL.test(m)) continue;
            for (const d of domain) found.push(...(await probe(`${label}#${m}(${d.name})`, call(m, [d]), [d], [target], live)));
            if ((target as Record<string, () => unknown>)[m]!.length === 1) continue;
            for (const [a, b] of pairs) found.push(...(await probe(`${label}#${m}(${a!.name}, ${b!.name})`, call(m, [a!, b!]), [a!, b!], [target], live)));
          }
          // Then each method (terminal ones last) with each hostile value, alone and after a plausible name.
          for (const m of methods) {
            for (const h of singles) found.push(...(await probe(`${label}#${m}(${h.name})`, call(m, [h]), [h], [target], live)));
            for (const h of singles) found.push(...(await probe(`${label}#${m}('a', ${h.name})`, call(m, [domain[0]!, h]), [domain[0]!, h], [target], live)));
            if (TERMINAL.test(m))
              for (const [a, b] of pairs) found.push(...(await probe(`${label}#${m}(${a!.name}, ${b!.name})`, call(m, [a!, b!]), [a!, b!], [target], live)));
          }
          await cleanUp(live);
        }
      }
      if (process.env['PLUGBOARD_FUZZ_TRACE'] === '1') {
        const distinct = [...new Map(found.map((f) => [`${f.where.replace(/\(.*/, '')}|${f.what.replace(/\d+/g, 'N').slice(0, 60)}`, f])).values()];
        console.log(
          `${label}: ${Date.now() - t0} ms, ${probes} probes so far, ${found.length} findings${distinct.map((f) => `\n    ${f.where.slice(0, 120)}: ${f.what.slice(0, 160)}`).join('')}`,
        );
      }
      record(found);
    }
  });

  it('generated sequences of calls on live objects (fast-check)', async () => {
    const only = process.env['PLUGBOARD_FUZZ_ONLY']?.split(',');
    const surface = (await publicSurface()).filter(
      (s) =>
        isClass(s.value) &&
        !isErrorClass(s.value) &&
        !(s.name in EXCLUDED) &&
        !CONSTRUCT_ONLY.has(s.name) &&
        (runPending || !PENDING.has(s.name)) &&
        (only === undefined || only.includes(s.name)),
    );
    for (const { name, entry, value } of surface) {
      const Ctor = value as new (...a: unknown[]) => object;
      const seedArgs = SEED_ARGS.find((args) => {
        try {
          const o = new Ctor(...args);
          void cleanUp([o]);
          return true;
        } catch {
          return false;
        }
      });
      if (seedArgs === undefined) continue;
      const step = fc.record({ target: fc.nat(), method: fc.nat(), args: hostileArgs(vocabulary) });
      let failure: Finding[] = [];
      await fc
        .assert(
          fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
            const found: Finding[] = [];
            const live: object[] = [];
            found.push(...(await probe(`${entry} ${name}: new(seed)`, () => new Ctor(...seedArgs), [], [], live)));
            if (live.length === 0) {
              failure = found;
              return found.length === 0 || report;
            }
            for (const s of steps) {
              const target = live[s.target % live.length]!;
              const methods = typeof target === 'function' ? ['(call)'] : methodsOf(target);
              if (methods.length === 0) continue;
              const m = methods[s.method % methods.length]!;
              for (const a of s.args) if (typeof a.value === 'object' && a.value !== null && /Proxy/.test(a.name)) hostileObjects.add(a.value);
              const fn =
                m === '(call)'
                  ? () => (target as (...a: unknown[]) => unknown)(...s.args.map((a) => a.value))
                  : () => (target as Record<string, (...a: unknown[]) => unknown>)[m]!(...s.args.map((a) => a.value));
              const targets = target instanceof BaseRegistry || target instanceof Scope ? [target] : [];
              found.push(...(await probe(`${entry} ${name}: ${m}(${s.args.map((a) => a.name).join(', ')})`, fn, s.args, targets, live)));
            }
            await cleanUp(live);
            failure = found;
            return found.length === 0 || report;
          }),
          { numRuns: 40, endOnFailure: true, ...(seed === undefined ? {} : { seed }) },
        )
        .catch((err: unknown) => {
          all.push(...failure);
          throw new Error(`${name}: ${failure.map((f) => `${f.where}: ${f.what}`).join('\n')}\n${(err as Error).message}`);
        });
      all.push(...failure);
    }
  });
});
