/**
 * Registry URLs that are wrong in ways users get wrong (review 2, F6 and F7): a password not
 * percent-encoded. No server is contacted: the URL is refused before any connection.
 */
import { expect } from 'chai';
import { PlugboardError } from '../../src/container/index.js';
import { createRegistry } from '../../src/discovery/index.js';
import { redact } from '../../src/discovery/driver/options.js';
import '../../src/discovery/etcd/index.js'; // the etcd:// scheme
import '../../src/discovery/zookeeper/index.js'; // the zookeeper:// scheme

async function refusal(url: string): Promise<PlugboardError> {
  return createRegistry(url).then(
    async (r) => (await r.close(), expect.fail(`accepted ${url}`)),
    (err: unknown) => err as PlugboardError,
  );
}

/** Every message of `e` and its causes. */
function messages(e: unknown): string {
  const out: string[] = [];
  for (let c: unknown = e; c instanceof Error; c = c.cause) out.push(c.message);
  return out.join(' | ');
}

describe('registry URLs with a password not percent-encoded (review 2)', () => {
  // docs/multi.md: "A password in a source URL is hidden (***) wherever the source is named".
  // Before the fix a '#' left in a password ended the URL inside it, and the error printed the
  // password's start as a host (redact() needed an '@').
  it('F6: a source URL whose password holds a "#" is refused without printing the password', async () => {
    const e = await refusal('multi://?url=etcd://bob:s3cr#t@127.0.0.1:2379');
    expect(e.code).to.equal('E_DISCOVERY_URL');
    expect(messages(e)).to.not.include('s3cr');
    expect(e.message).to.include("'#'");
  });

  it('F6: a password holding "#", "/" or "?" is never printed, whatever the URL', async () => {
    for (const url of [
      'etcd://bob:s3cr#t@127.0.0.1:2379',
      'etcd://bob:s3cr/t@127.0.0.1:2379',
      'etcd://bob:s3cr?t@127.0.0.1:2379',
      'zookeeper://bob:s3cr/t@127.0.0.1:2181/x',
      'bob:s3cr@127.0.0.1:2379',
    ]) {
      const e = await refusal(url);
      expect(e.code, url).to.equal('E_DISCOVERY_URL');
      expect(messages(e), url).to.not.include('s3cr');
    }
  });

  it('F6: redact() hides what is shaped like a password, with or without an "@"', () => {
    expect(redact('etcd://bob:s3cr@h:2379/x')).to.equal('etcd://bob:***@h:2379/x');
    expect(redact('etcd://bob:s3cr')).to.equal('etcd://bob:***');
    expect(redact('etcd://bob:s3/cr@h:2379/x')).to.equal('etcd://bob:***@h:2379/x');
    expect(redact('etcd://bob@h:2379')).to.equal('etcd://bob@h:2379');
    expect(redact('etcd://h1:2379,h2:2379/x?ttl=5')).to.equal('etcd://h1:2379,h2:2379/x?ttl=5');
    expect(redact('etcd://[::1]:2379')).to.equal('etcd://[::1]:2379');
    expect(redact('bob:s3cr@h:2379')).to.equal('bob:***@h:2379');
  });

  // #32: etcd://127.0.0.1:notaport masked the port as if it were a password.
  it('a bad port after an address, with no password anywhere, is shown and named as a port', async () => {
    for (const [url, host] of [
      ['etcd://127.0.0.1:notaport', '127.0.0.1:notaport'],
      ['etcd://user:pw@db.local:x1/p', 'db.local:x1'],
      ['etcd://localhost:abc', 'localhost:abc'],
    ] as const) {
      const e = await refusal(url);
      expect(e.code).to.equal('E_DISCOVERY_URL');
      expect(e.message).to.include(`host 1 '${host}' is not host[:port] (the port '${host.slice(host.indexOf(':') + 1)}' is not a number)`);
      expect(e.message).not.to.include('pw');
    }
    expect(redact('etcd://127.0.0.1:notaport')).to.equal('etcd://127.0.0.1:notaport');
    expect(redact('etcd://127.0.0.1:s3/cr@h:2379'), 'a password that cut the authority short stays hidden').to.equal('etcd://127.0.0.1:***@h:2379');
  });

  // Standards: bad input gets a typed error with a stable code. Before the fix a '%' left
  // unencoded in a password (decodeURIComponent in etcd/options.ts) surfaced as E_FACTORY "URI malformed".
  it('F7: a malformed percent-escape in a source URL is E_DISCOVERY_URL naming the source and the key', async () => {
    const e = await refusal(`multi://?url=${encodeURIComponent('etcd://bob:50%off@127.0.0.1:2379')}`);
    expect(e.code, e.message).to.equal('E_DISCOVERY_URL');
    expect(e.message).to.include('source 1');
    expect(e.message).to.include('password');
    expect(messages(e)).to.not.include('50%off');
  });

  it('F7: a malformed percent-escape in an etcd or zookeeper URL is E_DISCOVERY_URL naming the key', async () => {
    for (const [url, key] of [
      ['etcd://bob:50%off@127.0.0.1:2379', 'password'],
      ['etcd://b%zob:pw@127.0.0.1:2379', 'username'],
      ['etcd://127.0.0.1:2379/svc%zz', 'prefix'],
      ['zookeeper://bob:50%off@127.0.0.1:2181', 'password'],
      ['zookeeper://127.0.0.1:2181/svc%zz', 'root'],
    ] as const) {
      const e = await refusal(url);
      expect(e.code, `${url}: ${e.message}`).to.equal('E_DISCOVERY_URL');
      expect(e, url).to.have.property('key', key);
    }
  });
});
