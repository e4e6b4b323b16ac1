/**
 * The instance codec against Go's `json.Marshal` rules (fixtures.ts): every fixture decodes to
 * its instance, and every instance encodes to what Go would write, checked on random
 * instances through the rules themselves (keys sorted bytewise, HTML escapes, `null` for empty
 * metadata) and by round trip.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeInstance, encodeInstance, validateInstance } from '../../../src/discovery/driver/index.js';
import { DiscoveryError } from '../../../src/discovery/index.js';
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
        const goEscaped = (s: string): string => s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
        expect(json).to.equal(goEscaped(`{"id":"x1","name":"svc","version":${JSON.stringify(version)},"metadata":${metaJson},"endpoints":["http://10.0.0.1:80/?a=1&b=<2>"]}`));
        expect(decodeInstance(json)).to.deep.equal(inst);
      }),
    );
  });

  it('reads leniently (null lists, loose names) but writes strictly, and never reads a name or id with a slash', () => {
    expect(decodeInstance('{"id":"a","name":"s","version":"","metadata":null,"endpoints":null}')).to.deep.equal({ id: 'a', name: 's', version: '', metadata: {}, endpoints: [] });
    expect(decodeInstance('{"id":"a/b","name":"s","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(decodeInstance('{"id":"a","name":"s/t","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(decodeInstance('{"id":"..","name":"s","version":"","metadata":null,"endpoints":[]}')).to.equal(undefined);
    expect(() => validateInstance(looseName.instance)).to.throw(DiscoveryError, 'instance.name');
    expect(validateInstance({ id: 'a', name: 's', endpoints: [] }).endpoints).to.deep.equal([]);
    expect(() => validateInstance({ id: '..', name: 's', endpoints: [] })).to.throw(DiscoveryError, 'instance.id');
  });
});
