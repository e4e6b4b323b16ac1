import { expect } from 'chai';
import { FormatRegistry, InvalidOptionError, PlugboardError } from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('FormatRegistry', () => {
  let formats: FormatRegistry<string>;
  beforeEach(() => {
    formats = new FormatRegistry('image.formats');
    formats.register('png', '\x89PNG\r\n\x1a\n', () => 'png');
    formats.register('riff', 'RIFF', () => 'riff');
    formats.register('webp', 'RIFF????WEBP', () => 'webp');
  });

  it('sniffs by magic prefix, with ? as a wildcard byte', () => {
    expect(formats.sniff(bytes('\x89PNG\r\n\x1a\n....'))!.name).to.equal('png');
    expect(formats.sniff(bytes('RIFF\x01\x02\x03\x04WEBPVP8 '))!.name).to.equal('webp');
  });

  it('prefers the longest matching magic', () => {
    expect(formats.sniff(bytes('RIFF\0\0\0\0WAVE'))!.name).to.equal('riff');
    expect(formats.decode(bytes('RIFFxxxxWEBP')).value).to.equal('webp');
  });

  it('returns undefined for unknown or short input, and decode() throws E_UNKNOWN_FORMAT', () => {
    expect(formats.sniff(bytes('GIF89a'))).to.equal(undefined);
    expect(formats.sniff(bytes('RIF'))).to.equal(undefined);
    expectError(() => formats.decode(bytes('GIF89a')), PlugboardError, 'E_UNKNOWN_FORMAT', 'image.formats', '47 49 46');
  });

  it('accepts byte arrays with wildcards and the object form', () => {
    formats.register('gif', { magic: [0x47, 0x49, 0x46, '?', '?', 0x61], decode: () => 'gif' });
    expect(formats.sniff(bytes('GIF89a'))!.name).to.equal('gif');
  });

  it('rejects empty, non-latin-1 and out-of-range magic', () => {
    expectError(() => formats.register('e', '', () => ''), InvalidOptionError, 'E_INVALID_OPTION', 'must not be empty');
    expectError(() => formats.register('u', '€', () => ''), InvalidOptionError, 'E_INVALID_OPTION', 'latin-1');
    expectError(() => formats.register('b', [256], () => ''), InvalidOptionError, 'E_INVALID_OPTION', '0..255');
    expectError(() => formats.register('n', { magic: 'X' } as never), InvalidOptionError, 'E_INVALID_OPTION', 'decode function');
    expect(formats.names()).to.deep.equal(['png', 'riff', 'webp']);
  });

  it('shows the magic as hex in toJSON', () => {
    expect(formats.toJSON().entries.find((e) => e.name === 'webp')).to.include({ magic: '52 49 46 46 ?? ?? ?? ?? 57 45 42 50' });
  });
});
