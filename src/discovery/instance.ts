import { DiscoveryError } from './errors.js';

/** One running instance of a service (go-kratos's `ServiceInstance`). */
export interface ServiceInstance {
  /** Unique per instance, e.g. `greeter-7f3a`. */
  readonly id: string;
  /** The service name, e.g. `greeter`. */
  readonly name: string;
  /** The service version, e.g. `v1.2.0` (may be empty). */
  readonly version: string;
  /** String-only metadata (`weight`, `zone`, …). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Endpoint URLs, e.g. `http://127.0.0.1:8000`, `grpc://10.0.0.1:9000?isSecure=false`. */
  readonly endpoints: readonly string[];
}

/** What `register` accepts: the version and metadata may be omitted. */
export type ServiceInstanceInput = Omit<ServiceInstance, 'version' | 'metadata'> & {
  readonly version?: string;
  readonly metadata?: Readonly<Record<string, string>>;
};

/** Largest instance accepted, as JSON. Keeps a bad client from filling a backend. */
export const MAX_INSTANCE_BYTES = 64 * 1024;
const MAX_ID = 256;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

function fail(field: string, problem: string): never {
  throw new DiscoveryError('E_DISCOVERY_INSTANCE', `invalid service instance: ${field} ${problem}`, { key: field });
}

/**
 * Checks an instance and returns a frozen, detached copy. The message of the
 * `E_DISCOVERY_INSTANCE` error names the field: `instance.endpoints[1] …`. `knownSize` is
 * the JSON size when the caller has it (values read from a store), saving a re-serialisation.
 */
export function validateInstance(input: unknown, knownSize?: number): ServiceInstance {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('instance', 'must be an object');
  const i = input as Record<string, unknown>;
  if (typeof i['name'] !== 'string' || i['name'] === '') fail('instance.name', 'must be a non-empty string');
  if (!NAME.test(i['name'] as string)) fail('instance.name', `'${String(i['name']).slice(0, 80)}' must be letters, digits, '.', '_' or '-' (at most 253)`);
  if (typeof i['id'] !== 'string' || i['id'] === '') fail('instance.id', 'must be a non-empty string');
  const id = i['id'] as string;
  if (id.length > MAX_ID || id.trim() !== id || /[\s/]/.test(id)) fail('instance.id', `'${id.slice(0, 80)}' must be at most ${MAX_ID} characters with no whitespace or '/'`);
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
  const endpoints = i['endpoints'];
  if (!Array.isArray(endpoints) || endpoints.length === 0) fail('instance.endpoints', 'must be a non-empty array of URLs');
  (endpoints as unknown[]).forEach((e, n) => {
    if (typeof e !== 'string') fail(`instance.endpoints[${n}]`, 'must be a string');
    let url: URL;
    try {
      url = new URL(e as string);
    } catch {
      fail(`instance.endpoints[${n}]`, `'${(e as string).slice(0, 80)}' is not a valid URL`);
    }
    if (url.host === '') fail(`instance.endpoints[${n}]`, `'${(e as string).slice(0, 80)}' has no host`);
  });
  const out: ServiceInstance = Object.freeze({
    id,
    name: i['name'] as string,
    version,
    metadata: Object.freeze(metadata),
    endpoints: Object.freeze([...(endpoints as string[])]),
  });
  const size = knownSize ?? Buffer.byteLength(JSON.stringify(out));
  if (size > MAX_INSTANCE_BYTES) fail('instance', `is ${size} bytes as JSON; the limit is ${MAX_INSTANCE_BYTES}`);
  return out;
}

/** Parses an instance stored by a backend; returns `undefined` (never throws) for foreign or malformed data. */
export function parseStoredInstance(raw: string | Uint8Array): ServiceInstance | undefined {
  try {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    if (text.length > MAX_INSTANCE_BYTES * 4) return undefined; // far too big to be one of ours: do not even parse it
    return validateInstance(JSON.parse(text), typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength);
  } catch {
    return undefined;
  }
}

/** Sorts instances by id, for stable lists. */
export function sortInstances(list: Iterable<ServiceInstance>): ServiceInstance[] {
  return [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A string that is equal for equal lists, for change detection. */
export function listFingerprint(list: readonly ServiceInstance[]): string {
  return JSON.stringify(sortInstances(list));
}
