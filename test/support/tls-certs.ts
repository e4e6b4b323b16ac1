/** Test PKI generated with openssl at test time: a CA, a server cert for 127.0.0.1, client certs. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  ca: Buffer;
  client: { cert: Buffer; key: Buffer };
  /** A client cert signed by a different CA: the server must refuse it. */
  stranger: { cert: Buffer; key: Buffer };
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function ca(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`], dir);
}

function signed(dir: string, caName: string, name: string, cn: string, ext: string): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'plugboard-pki-'));
  ca(dir, 'ca');
  ca(dir, 'other-ca');
  signed(dir, 'ca', 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  signed(dir, 'ca', 'client', 'plugboard-client', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'other-ca', 'stranger', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    ca: read('ca.crt'),
    client: { cert: read('client.crt'), key: read('client.key') },
    stranger: { cert: read('stranger.crt'), key: read('stranger.key') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
