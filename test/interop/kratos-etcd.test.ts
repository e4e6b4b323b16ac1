/**
 * go-kratos's own etcd registry (contrib/registry/etcd) and plugboard's, on one real etcd, both
 * ways: the matrix of kratos-matrix.ts. kratos writes `json.Marshal` of its instance under
 * `/microservices/{name}/{id}` with a lease per registration; plugboard writes the same bytes.
 */
import { Etcd3 } from 'etcd3';
import { KRATOS_VERSION } from '../support/servers/kratos.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { kratosInterop, kratosReadsJson } from './kratos-matrix.js';

describe(`kratos ${KRATOS_VERSION} (contrib/registry/etcd) and plugboard on a real etcd`, function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let raw: Etcd3;
  before(async () => {
    cluster = await EtcdCluster.start(1);
    raw = new Etcd3({ hosts: cluster.endpoints });
  });
  after(async () => {
    raw?.close();
    await cluster?.destroy();
  });

  kratosInterop({
    backend: 'etcd',
    url: () => `etcd://${cluster.authority}`,
    shortLived: 'ttl=2',
    kratos: () => ({ backend: 'etcd', address: cluster.authority }),
    kratosShortLived: { ttl: '2s' },
    kratosReads: kratosReadsJson,
    // the value's bytes, and that a lease holds the key
    stored: async (name, id) => {
      const kv = (await raw.get(`/microservices/${name}/${id}`).exec()).kvs[0];
      return kv === undefined ? undefined : { value: kv.value.toString(), leased: kv.lease !== '0' };
    },
    kratosOfUnknown: { get: { instances: [] }, firstNext: { instances: [] } },
    kratosSeesEmpty: true,
    kratosClose: 'after the TTL',
  });
});
