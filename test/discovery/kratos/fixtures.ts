/**
 * What a go-kratos service writes to etcd, ZooKeeper and Consul, byte for byte, derived by
 * reading kratos's source at the commit below (no Go toolchain here to run it):
 * - registry/registry.go: `ServiceInstance{ID, Name, Version, Metadata map[string]string,
 *   Endpoints []string}` with json tags id, name, version, metadata, endpoints;
 * - contrib/registry/etcd: key `fmt.Sprintf("%s/%s/%s", namespace, name, id)` (namespace
 *   default "/microservices"), value `json.Marshal(instance)`, one lease per Register (TTL 15 s);
 * - contrib/registry/zookeeper: `path.Join(namespace, name, id)` (default "/microservices"),
 *   parents persistent with empty data, the leaf ephemeral holding `json.Marshal(instance)`,
 *   every node `zk.WorldACL(zk.PermAll)` (or `DigestACL(PermAll, user, pass)` with credentials);
 * - contrib/registry/consul/client.go: `AgentServiceRegistration{ID, Name, Meta: metadata,
 *   Tags: ["version=<v>", …], TaggedAddresses: {scheme: {Address: url, Port}}, Address/Port of
 *   the first endpoint, Checks: a TCP check per endpoint, then the TTL check "service:<id>"}`,
 *   sent by hashicorp/consul/api (a json.Encoder: HTML-escaped, with a trailing newline).
 *
 * Go's `json.Marshal`: struct fields in declaration order, map keys sorted, `<`, `>`, `&`
 * escaped as `\u003c`, `\u003e`, `\u0026`, a nil map or slice as `null`.
 */
import type { ServiceInstance } from '../../../src/discovery/index.js';

/** The go-kratos commit these fixtures were derived from. */
export const KRATOS_COMMIT = '668db92c2c001e9552594ba5a8aede8456af6d7e';

/** kratos's default root on etcd and ZooKeeper. */
export const KRATOS_ROOT = '/microservices';

export interface Fixture {
  /** What the fixture shows. */
  readonly what: string;
  /** The instance as plugboard reports it. */
  readonly instance: ServiceInstance;
  /** `json.Marshal` of the kratos instance: the etcd value and the ZooKeeper leaf data. */
  readonly bytes: string;
}

/** A kratos app without `kratos.Metadata(…)`: the map is nil. */
export const typical: Fixture = {
  what: 'a kratos app without metadata ("metadata":null)',
  instance: {
    id: 'kratos-a1',
    name: 'greeter',
    version: 'v1.2.0',
    metadata: {},
    endpoints: ['grpc://10.0.0.1:9000?isSecure=false', 'http://10.0.0.1:8000?isSecure=false'],
  },
  bytes:
    '{"id":"kratos-a1","name":"greeter","version":"v1.2.0","metadata":null,"endpoints":["grpc://10.0.0.1:9000?isSecure=false","http://10.0.0.1:8000?isSecure=false"]}',
};

/** Metadata keys sorted, and Go's HTML escapes in values and endpoints. */
export const escaped: Fixture = {
  what: 'Go escapes (\\u003c \\u003e \\u0026) and sorted metadata keys',
  instance: {
    id: 'kratos-b2',
    name: 'greeter',
    version: 'v2',
    metadata: { zone: 'eu-1', note: 'a<b>&c', weight: '10' },
    endpoints: ['http://10.0.0.2:8000?a=1&b=2'],
  },
  bytes:
    '{"id":"kratos-b2","name":"greeter","version":"v2","metadata":{"note":"a\\u003cb\\u003e\\u0026c","weight":"10","zone":"eu-1"},"endpoints":["http://10.0.0.2:8000?a=1\\u0026b=2"]}',
};

/** An instance with a nil endpoints slice, and a `version` metadata key that is just metadata. */
export const noEndpoints: Fixture = {
  what: 'no endpoints ("endpoints":null) and a metadata key named version',
  instance: { id: 'kratos-c3', name: 'greeter', version: '', metadata: { version: 'meta-v' }, endpoints: [] },
  bytes: '{"id":"kratos-c3","name":"greeter","version":"","metadata":{"version":"meta-v"},"endpoints":null}',
};

/** A kratos app with no server endpoint: `make([]string, 0)`, so `[]`. */
export const emptyEndpoints: Fixture = {
  what: 'no endpoints ("endpoints":[])',
  instance: { id: 'kratos-d4', name: 'greeter', version: 'v1', metadata: {}, endpoints: [] },
  bytes: '{"id":"kratos-d4","name":"greeter","version":"v1","metadata":null,"endpoints":[]}',
};

/** A name plugboard would not write (starts with a symbol, has a colon), which kratos allows: read as is. */
export const looseName: Fixture = {
  what: 'a name and id plugboard would not write, read as is',
  instance: { id: 'host:1234 a', name: '_internal:greeter', version: 'v1', metadata: {}, endpoints: ['http://10.0.0.5:8000'] },
  bytes: '{"id":"host:1234 a","name":"_internal:greeter","version":"v1","metadata":null,"endpoints":["http://10.0.0.5:8000"]}',
};

/** Every fixture whose service is `greeter`. */
export const greeterFixtures = [typical, escaped, noEndpoints, emptyEndpoints];

/**
 * What plugboard must write for an instance registered with `metadata` in insertion order
 * (not sorted) and `&` in an endpoint: the bytes kratos writes for the same instance.
 */
export const fromPlugboard = {
  instance: {
    id: 'node-1',
    name: 'greeter',
    version: 'v3',
    metadata: { zone: 'eu-1', 'a-key': '<x>', weight: '5' },
    endpoints: ['grpc://10.0.0.9:9000?isSecure=false&x=1'],
  } satisfies ServiceInstance,
  bytes:
    '{"id":"node-1","name":"greeter","version":"v3","metadata":{"a-key":"\\u003cx\\u003e","weight":"5","zone":"eu-1"},"endpoints":["grpc://10.0.0.9:9000?isSecure=false\\u0026x=1"]}',
  bare: { id: 'node-2', name: 'greeter', version: '', metadata: {}, endpoints: [] } satisfies ServiceInstance,
  bareBytes: '{"id":"node-2","name":"greeter","version":"","metadata":null,"endpoints":[]}',
};

/**
 * kratos's etcd and ZooKeeper readers: `json.Unmarshal` of each value, kept when its name is
 * the watched one (contrib/registry/etcd/watcher.go getInstance, zookeeper/watcher.go
 * getServices). Go's decoder takes what `JSON.parse` takes for these bytes.
 */
export function kratosDecode(
  bytes: string | Buffer,
  name: string,
): { id: string; name: string; version: string; metadata: Record<string, string> | null; endpoints: string[] | null } | undefined {
  const v = JSON.parse(bytes.toString()) as { id: string; name: string; version: string; metadata: Record<string, string> | null; endpoints: string[] | null };
  return v.name === name ? v : undefined;
}
