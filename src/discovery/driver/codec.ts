/**
 * The instance codec every driver shares: validation on the way in, decoding of stored values
 * on the way out (foreign or malformed data gives `undefined`, never an exception), and cheap
 * list comparison for watchers.
 *
 * The stored JSON is byte for byte what go-kratos writes (Go's `json.Marshal` of
 * `registry.ServiceInstance`): fields in struct order, metadata keys sorted, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u003c`…, empty metadata as `null` (a kratos app without
 * `kratos.Metadata(…)` has a nil map). Reading is as lenient as kratos's own reader: `null`
 * metadata or endpoints, no endpoints at all, endpoints kept as written (URL parsing is the
 * client's, per endpoint), instances up to 1.5 MiB, and any name or id that does not break the
 * layout.
 */
import { DiscoveryError } from '../errors.js';
import type { ServiceInstance } from '../instance.js';

/** Largest instance accepted, as JSON. Keeps a bad client from filling a backend. */
export const MAX_INSTANCE_BYTES = 64 * 1024;
/**
 * Largest instance read from a store, as JSON: etcd's default request limit (1.5 MiB, above
 * ZooKeeper's 1 MiB node limit). kratos has no limit of its own, so anything a store holds is read.
 */
export const MAX_READ_INSTANCE_BYTES = 1.5 * 1024 * 1024;
const MAX_ID = 256;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** Longest name or id accepted on read (kratos has no limit; ours keeps keys and messages sane). */
const MAX_READ = 1024;

/**
 * How strict validation is. `'write'` (register): plugboard's own rules for names and ids, so
 * that what we write is valid everywhere, endpoints that are URLs with a host, at most
 * {@link MAX_INSTANCE_BYTES}. `'read'` (values found in a store, written by kratos or anyone):
 * only what would break the `{root}/{name}/{id}` layout is refused; endpoints are any strings,
 * kept as written; at most {@link MAX_READ_INSTANCE_BYTES}.
 */
export type Strictness = 'write' | 'read';

/** The canonical JSON of instances this codec produced: compared instead of re-serialising. */
const canonical = new WeakMap<ServiceInstance, string>();

function fail(field: string, problem: string): never {
  throw new DiscoveryError('E_DISCOVERY_INSTANCE', `invalid service instance: ${field} ${problem}`, { key: field });
}

/**
 * Why `name` cannot be a service name, or `undefined` when it can. To write: letters, digits,
 * `.`, `_`, `-`, at most 253. To read: any non-empty string of at most 1024 characters
 * without `/`, other than `.` and `..` (kratos accepts any string; these would break the
 * `{root}/{name}/{id}` layout).
 */
export function serviceNameProblem(name: unknown, strictness: Strictness = 'write'): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string';
  if (strictness === 'read') return readableProblem(name);
  if (!NAME.test(name)) return `'${name.slice(0, 80)}' must be letters, digits, '.', '_' or '-' (at most 253, not starting with a symbol)`;
  return undefined;
}

function readableProblem(s: string): string | undefined {
  // '.' and '..' are not path segments ZooKeeper accepts, and mean something else in a path anyway.
  if (s.length > MAX_READ || s.includes('/') || s === '.' || s === '..')
    return `'${s.slice(0, 80)}' must be at most ${MAX_READ} characters with no '/', and not '.' or '..'`;
  return undefined;
}

/** Throws `E_DISCOVERY_INSTANCE` (key `name`) unless `name` is a valid service name; `what` names the call. */
export function validateServiceName(name: unknown, what: string, strictness: Strictness = 'write'): string {
  const problem = serviceNameProblem(name, strictness);
  if (problem !== undefined) throw new DiscoveryError('E_DISCOVERY_INSTANCE', `${what}: service name ${problem}`, { key: 'name' });
  return name as string;
}

/**
 * Checks an instance and returns a frozen, detached copy. The message of the
 * `E_DISCOVERY_INSTANCE` error names the field: `instance.endpoints[1] …`. `knownSize` is
 * the JSON size when the caller has it (values read from a store), saving a re-serialisation.
 */
export function validateInstance(input: unknown, knownSize?: number, strictness: Strictness = 'write'): ServiceInstance {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('instance', 'must be an object');
  const i = input as Record<string, unknown>;
  const nameProblem = serviceNameProblem(i['name'], strictness);
  if (nameProblem !== undefined) fail('instance.name', nameProblem);
  const id = validateId(i['id'], strictness);
  const version = i['version'] ?? '';
  if (typeof version !== 'string') fail('instance.version', 'must be a string');
  const metadata: Record<string, string> = {};
  const rawMeta = i['metadata'] ?? {};
  if (typeof rawMeta !== 'object' || rawMeta === null || Array.isArray(rawMeta)) fail('instance.metadata', 'must be an object of strings');
  for (const k of Object.keys(rawMeta)) {
    const v = (rawMeta as Record<string, unknown>)[k];
    if (typeof v !== 'string') fail(`instance.metadata.${k}`, `must be a string, got ${v === null ? 'null' : typeof v}`);
    Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true }); // `__proto__` stays data
  }
  // kratos allows an instance without endpoints (`[]`, or `null` from a nil slice).
  const endpoints = i['endpoints'] ?? [];
  if (!Array.isArray(endpoints)) fail('instance.endpoints', 'must be an array of URLs');
  (endpoints as unknown[]).forEach((e, n) => {
    if (typeof e !== 'string') fail(`instance.endpoints[${n}]`, 'must be a string');
    // On read, endpoints stay raw strings: kratos's selector parses them one by one and skips
    // those it cannot use (unix:///x.sock, Go's [fe80::1%25eth0]), and so does ours (toNodes).
    if (strictness === 'read') return;
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      fail(`instance.endpoints[${n}]`, `'${e.slice(0, 80)}' is not a valid URL`);
    }
    if (url.host === '') fail(`instance.endpoints[${n}]`, `'${e.slice(0, 80)}' has no host`);
  });
  const out: ServiceInstance = Object.freeze({
    id,
    name: i['name'] as string,
    version,
    metadata: Object.freeze(metadata),
    endpoints: Object.freeze([...(endpoints as string[])]),
  });
  const json = goJson(out);
  const size = knownSize ?? Buffer.byteLength(json);
  const limit = strictness === 'read' ? MAX_READ_INSTANCE_BYTES : MAX_INSTANCE_BYTES;
  if (size > limit) fail('instance', `is ${size} bytes as JSON; the limit is ${limit}`);
  canonical.set(out, json);
  return out;
}

/** Checks an instance id: non-empty, at most 256 characters, no whitespace or `/`, not `.` or `..` (to read: at most 1024, no `/`). */
export function validateId(id: unknown, strictness: Strictness = 'write'): string {
  if (typeof id !== 'string' || id === '') fail('instance.id', 'must be a non-empty string');
  if (strictness === 'read') {
    const problem = readableProblem(id);
    if (problem !== undefined) fail('instance.id', problem);
    return id;
  }
  if (id.length > MAX_ID || id.trim() !== id || /[\s/]/.test(id) || id === '.' || id === '..')
    fail('instance.id', `'${id.slice(0, 80)}' must be at most ${MAX_ID} characters with no whitespace or '/', and not '.' or '..'`);
  return id;
}

/** The JSON stored for an instance, as go-kratos writes it (what {@link decodeInstance} reads back). */
export function encodeInstance(i: ServiceInstance): string {
  let json = canonical.get(i);
  if (json === undefined) {
    json = goJson(i);
    canonical.set(i, json);
  }
  return json;
}

/** Characters Go's `json.Marshal` escapes and `JSON.stringify` does not (HTML-safe output). */
const GO_ESCAPED = /[<>&\u2028\u2029]/g;
const goEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Go's `json.Marshal` of kratos's `ServiceInstance{ID, Name, Version, Metadata, Endpoints}`:
 * the struct's field order, map keys sorted bytewise, `null` for a nil (here: empty) metadata
 * map, and Go's extra escapes. The escapes only ever occur inside strings, so replacing them
 * in the whole text is safe.
 */
function goJson(i: ServiceInstance): string {
  const keys = Object.keys(i.metadata);
  // UTF-16 order is UTF-8 (Go's) order except around surrogate pairs: compare bytes only then.
  if (keys.some((k) => /[\ud800-\udfff]/.test(k))) keys.sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  else keys.sort();
  const meta = keys.length === 0 ? 'null' : `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(i.metadata[k])}`).join(',')}}`;
  const json = `{"id":${JSON.stringify(i.id)},"name":${JSON.stringify(i.name)},"version":${JSON.stringify(i.version)},"metadata":${meta},"endpoints":${JSON.stringify(i.endpoints)}}`;
  return json.replace(GO_ESCAPED, goEscape);
}

/** Parses an instance stored by a backend; returns `undefined` (never throws) for foreign or malformed data. */
export function decodeInstance(raw: string | Uint8Array): ServiceInstance | undefined {
  try {
    // Too big to read: do not even decode or parse it (a string has at least as many UTF-8 bytes as UTF-16 units).
    if ((typeof raw === 'string' ? raw.length : raw.byteLength) > MAX_READ_INSTANCE_BYTES) return undefined;
    const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    return validateInstance(JSON.parse(text), typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength, 'read');
  } catch {
    return undefined;
  }
}

/** Whether two instances carry the same data (same id, name, version, metadata and endpoints). */
export function sameInstance(a: ServiceInstance, b: ServiceInstance): boolean {
  return a === b || encodeInstance(a) === encodeInstance(b);
}

/** Whether two id-sorted lists are equal, instance by instance. */
export function sameList(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameInstance(a[i]!, b[i]!)) return false;
  return true;
}

/** Sorts instances by id, for stable lists. */
export function sortInstances(list: Iterable<ServiceInstance>): ServiceInstance[] {
  return [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
