import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { createRegistry, DiscoveryError } from '../../src/discovery/index.js';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { makePki, type Pki } from '../support/tls-certs.js';
import { instance, uniqueName } from './contract.js';

const quiet = { warn: () => undefined };

async function expectAuthError(p: Promise<unknown>, part: string): Promise<void> {
  await p.then(
    () => expect.fail('expected the backend to refuse the credentials'),
    (e: DiscoveryError) => {
      expect(e).to.be.instanceOf(DiscoveryError);
      expect(e.code, e.message).to.equal('E_DISCOVERY_AUTH');
      expect(e.message).to.include(part);
    },
  );
}

describe('etcd with RBAC auth (real etcd)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;

  before(async () => {
    cluster = await EtcdCluster.start(1);
    const admin = new Etcd3({ hosts: cluster.endpoints });
    await admin.role('root').create();
    await admin.user('root').create('root-secret');
    await admin.user('root').addRole('root');
    await admin.auth.authEnable();
    admin.close();
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('works with the right user and password (from the URL)', async () => {
    await import('../../src/discovery/etcd/index.js');
    const r = await createRegistry(`etcd://root:root-secret@${cluster.authority}/secure?ttl=5`, { logger: quiet });
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
    await r.close();
  });

  it('fails with a clear E_DISCOVERY_AUTH for a wrong password or no credentials', async () => {
    const wrong = new EtcdRegistry({ hosts: cluster.endpoints, auth: { username: 'root', password: 'nope' } }, { prefix: '/secure', logger: quiet });
    await expectAuthError(wrong.register(instance(uniqueName(), 'a')), 'etcd: granting a lease failed');
    await wrong.close();
    const anonymous = new EtcdRegistry({ hosts: cluster.endpoints }, { prefix: '/secure', logger: quiet });
    await expectAuthError(anonymous.getService('x'), "etcd: getService 'x' failed");
    await anonymous.close();
  });
});

describe('etcd with TLS client certificates (real etcd, PKI made with openssl)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let pki: Pki;

  before(async () => {
    pki = makePki();
    cluster = await EtcdCluster.start(1, {
      scheme: 'https',
      extraArgs: ['--cert-file', pki.serverCert, '--key-file', pki.serverKey, '--client-cert-auth', '--trusted-ca-file', pki.caFile],
    });
  });
  after(async () => {
    await cluster?.destroy();
    pki?.cleanup();
  });
  // Dial the server by name, as TLS clients should: grpc-js sends the dialled host as the TLS
  // ServerName, and Node deprecates an IP address there (DEP0123). The certificate names both.
  const byName = (s: string): string => s.replaceAll('127.0.0.1', 'localhost');
  const hosts = (): string[] => cluster.endpoints.map(byName);

  it('works with a client certificate signed by the trusted CA', async () => {
    const r = new EtcdRegistry(
      { hosts: hosts(), credentials: { rootCertificate: pki.ca, certChain: pki.client.cert, privateKey: pki.client.key } },
      { prefix: '/tls', logger: quiet },
    );
    const name = uniqueName();
    await r.register(instance(name, 'a'));
    expect((await r.getService(name)).map((i) => i.id)).to.deep.equal(['a']);
    await r.close();
    const viaUrl = await createRegistry(`etcd://${byName(cluster.authority)}/tls?tls=1`, {
      tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key },
      logger: quiet,
    });
    expect((await viaUrl.getService(name)).length).to.be.at.most(1);
    await viaUrl.close();
  });

  it('fails with E_DISCOVERY_AUTH for a certificate from another CA, or none', async () => {
    const stranger = new EtcdRegistry(
      { hosts: hosts(), credentials: { rootCertificate: pki.ca, certChain: pki.stranger.cert, privateKey: pki.stranger.key }, dialTimeout: 3000 },
      { prefix: '/tls', logger: quiet },
    );
    await expectAuthError(stranger.getService('x'), 'etcd: getService');
    await stranger.close();
    const noCert = new EtcdRegistry({ hosts: hosts(), credentials: { rootCertificate: pki.ca }, dialTimeout: 3000 }, { prefix: '/tls', logger: quiet });
    await expectAuthError(noCert.getService('x'), 'etcd: getService');
    await noCert.close();
  });
});
