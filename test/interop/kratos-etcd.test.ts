/**
 * go-kratos's own etcd registry (contrib/registry/etcd) and plugboard's, on one real etcd, both
 * ways: the matrix of kratos-matrix.ts. kratos writes `json.Marshal` of its instance under
 * `/microservices/{name}/{id}` with a lease per registration; plugboard writes the same bytes.
 */
import { KRATOS_VERSION } from '../support/servers/kratos.js';
import { EtcdCluster } from '../support/etcd-server.js';
import { kratosInterop, kratosReadsJson } from './kratos-matrix.js';

describe(`kratos ${KRATOS_VERSION} (contrib/registry/etcd) and plugboard on a real etcd`, function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start(1);
  });
  after(async () => {
    await cluster?.destroy();
  });

  kratosInterop({
    backend: 'etcd',
    url: () => `etcd://${cluster.authority}`,
    shortLived: 'ttl=2',
    kratos: () => ({ backend: 'etcd', address: cluster.authority }),
    kratosShortLived: { ttl: '2s' },
    kratosReads: kratosReadsJson,
    kratosSeesEmpty: true,
    kratosClose: 'after the TTL',
  });
});
