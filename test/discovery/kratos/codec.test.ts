/**
 * The instance codec against Go's `json.Marshal` rules (fixtures.ts): every fixture decodes to
 * its instance, and every instance encodes to what Go would write, checked on random
 * instances through the rules themselves (keys sorted bytewise, HTML escapes, `null` for empty
 * metadata) and by round trip.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { grpcEndpoints } from '../../../src/discovery/client/grpc.js';
import { decodeInstance, encodeInstance, MAX_INSTANCE_BYTES, MAX_READ_INSTANCE_BYTES, validateInstance } from '../../../src/discovery/driver/index.js';
import { DiscoveryError, toNodes } from '../../../src/discovery/index.js';
import { fromPlugboard, greeterFixtures, looseName } from './fixtures.js';

describe('instance codec: go-kratos’s JSON', () => {
  it('decodes every kratos fixture, and encodes each instance back to kratos’s bytes where kratos writes the same', () => {
    for (const f of [...greeterFixtures, looseName]) expect(decodeInstance(f.bytes), f.what).to.deep.equal(f.instance);
    expect(encodeInstance(validateInstance(fromPlugboard.instance))).to.equal(fromPlugboard.bytes);
    expect(encodeInstance(validateInstance(fromPlugboard.bare))).to.equal(fromPlugboard.bareBytes);
  });

  it('writes what Go writes for any instance: sorted keys, escapes, null metadata; and reads it back', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '<', '>', '&', '"', '\\', '\u2028', 'é', '😀', '\n', '\u0001', '/') });
    const key = fc.string({ minLength: 1, unit: fc.constantFrom('a', 'b', 'B', 'é', '😀', '_', '<') });
    fc.assert(
      fc.property(text, fc.dictionary(key, text, { maxKeys: 6 }), (version, metadata) => {
        const inst = validateInstance({ id: 'x1', name: 'svc', version, metadata, endpoints: ['http://10.0.0.1:80/?a=1&b=<2>'] });
        const json = encodeInstance(inst);
        expect(json).to.not.match(/[<>&\u2028\u2029]/, 'escaped as Go escapes them');
        const keys = Object.keys(metadata).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const metaJson = keys.length === 0 ? 'null' : `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`;
        const goEscaped = (s: string): string =>
          s
            .replace(/</g, '\\u003c')
            .replace(/>/g, '\\u003e')
            .replace(/&/g, '\\u0026')
            .replace(/\u2028/g, '\\u2028')
            .replace(/\u2029/g, '\\u2029');
        expect(json).to.equal(
          goEscaped(`{"id":"x1","name":"svc","version":${JSON.stringify(version)},"metadata":${metaJson},"endpoints":["http://10.0.0.1:80/?a=1&b=<2>"]}`),
        );
        expect(decodeInstance(json)).to.deep.equal(inst);
      }),
    );
  });

  it('reads leniently (null lists, loose names) but writes strictly, and never reads a name or id with a slash', () => {
    expect(decodeInstance('{"id":"a","name":"s","version":"","metadata":null,"endpoints":null}')).to.deep.equal({
      id: 'a',
      name: 's',
      version: '',
      metadata: {},
      endpoints: [],
    });
    expect(decodeInstance('{"id":"a/b","name":"s","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(decodeInstance('{"id":"a","name":"s/t","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(decodeInstance('{"id":"..","name":"s","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(() => validateInstance(looseName.instance)).to.throw(DiscoveryError, 'instance.name');
    expect(validateInstance({ id: 'a', name: 's', endpoints: [] }).endpoints).to.deep.equal([]);
    expect(() => validateInstance({ id: '..', name: 's', endpoints: [] })).to.throw(DiscoveryError, 'instance.id');
  });

  // kratos stores url.URL.String() of each endpoint, and its selector parses them one by one
  // (endpoint.ParseEndpoint), skipping those it cannot use: one odd endpoint never hides the instance.
  it('keeps an instance whose endpoints WHATWG URL parsing rejects or that have no host, raw; clients skip those endpoints', () => {
    const unix = decodeInstance(
      '{"id":"a","name":"svc","version":"v1","metadata":null,"endpoints":["unix:///tmp/svc.sock","grpc://127.0.0.1:9000?isSecure=false"]}',
    );
    expect(unix, 'unix socket endpoint dropped the instance').to.not.equal(undefined);
    expect(unix!.endpoints).to.deep.equal(['unix:///tmp/svc.sock', 'grpc://127.0.0.1:9000?isSecure=false']);
    const zone = decodeInstance('{"id":"b","name":"svc","version":"v1","metadata":null,"endpoints":["http://[fe80::1%25eth0]:8000","grpc://10.0.0.1:9000"]}');
    expect(zone, 'IPv6 zone endpoint (Go writes %25) dropped the instance').to.not.equal(undefined);
    expect(zone!.endpoints).to.deep.equal(['http://[fe80::1%25eth0]:8000', 'grpc://10.0.0.1:9000']);
    const junk = decodeInstance('{"id":"c","name":"svc","version":"v1","metadata":null,"endpoints":["::not a url::"]}');
    expect(junk?.endpoints).to.deep.equal(['::not a url::']);
    // A non-string endpoint is a JSON error to Go too: not an instance.
    expect(decodeInstance('{"id":"d","name":"svc","version":"v1","metadata":null,"endpoints":[7]}')).to.equal(undefined);
    // Writing stays strict: what we register must parse everywhere.
    expect(() => validateInstance({ ...unix!, id: 'a2' })).to.throw(DiscoveryError, 'instance.endpoints[0]');

    const nodes = toNodes([unix!, zone!, junk!]);
    expect(nodes.map((n) => [n.instance.id, n.endpoint.href])).to.deep.equal([
      ['a', 'grpc://127.0.0.1:9000?isSecure=false'],
      ['b', 'grpc://10.0.0.1:9000'],
    ]);
    expect(toNodes([zone!], ['http']), 'no usable http endpoint').to.deep.equal([]);
    expect(grpcEndpoints([unix!, zone!, junk!], ['grpc'])).to.deep.equal([
      { addresses: [{ host: '127.0.0.1', port: 9000 }] },
      { addresses: [{ host: '10.0.0.1', port: 9000 }] },
    ]);
  });

  // kratos has no size limit; etcd takes 1.5 MiB requests, ZooKeeper 1 MiB nodes.
  it('reads instances larger than the 64 KiB write limit, up to the read limit', () => {
    const big = (bytes: number): string =>
      `{"id":"big","name":"svc","version":"v1","metadata":{"descriptor":"${'x'.repeat(bytes)}"},"endpoints":["grpc://10.0.0.1:9000"]}`;
    const inst = decodeInstance(big(80 * 1024));
    expect(inst, 'an 80 KiB kratos instance was skipped').to.not.equal(undefined);
    expect(inst!.metadata['descriptor']).to.have.length(80 * 1024);
    expect(() => validateInstance({ ...inst!, id: 'big2' }), 'the write limit stands').to.throw(DiscoveryError, String(MAX_INSTANCE_BYTES));
    expect(decodeInstance(big(MAX_READ_INSTANCE_BYTES - 200))).to.not.equal(undefined);
    expect(decodeInstance(big(MAX_READ_INSTANCE_BYTES + 1)), 'over the read limit').to.equal(undefined);
  });
});
