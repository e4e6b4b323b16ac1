import { expect } from 'chai';
import { InvalidOptionError, TaggedRegistry, type TaggedEntry } from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

describe('TaggedRegistry', () => {
  let codecs: TaggedRegistry<string>;
  beforeEach(() => {
    codecs = new TaggedRegistry('codecs');
    codecs.register('json', 'J', { tags: { format: 'text', speed: 'slow' }, rank: 0 });
    codecs.register('msgpack', 'M', { tags: { format: 'binary', speed: 'fast' }, rank: 10 });
    codecs.register('cbor', 'C', { tags: { format: 'binary', speed: 'fast' }, rank: 10 });
    codecs.register('yaml', 'Y', { tags: ['human'] });
  });

  it('orders by rank (higher first), then by registration order', () => {
    expect(codecs.select().map((e) => e.name)).to.deep.equal(['msgpack', 'cbor', 'json', 'yaml']);
  });

  it('filters by tag values, by any-of arrays, by presence, and by predicate', () => {
    expect(codecs.select({ format: 'binary' }).map((e) => e.name)).to.deep.equal(['msgpack', 'cbor']);
    expect(codecs.select({ format: ['text', 'binary'], speed: 'slow' }).map((e) => e.name)).to.deep.equal(['json']);
    expect(codecs.select({ human: true }).map((e) => e.name)).to.deep.equal(['yaml']);
    expect(codecs.select((e: TaggedEntry<string>) => e.rank > 5).map((e) => e.name)).to.deep.equal(['msgpack', 'cbor']);
    expect(codecs.first({ format: 'binary' })).to.equal('M');
    expect(codecs.first({ format: 'video' })).to.equal(undefined);
  });

  it('does not match inherited properties as tags', () => {
    expect(codecs.select({ constructor: true as const })).to.deep.equal([]);
    expect(codecs.select({ toString: true as const })).to.deep.equal([]);
  });

  it('keeps a live view that follows additions and removals', () => {
    const fast = codecs.view({ speed: 'fast' });
    expect(fast.values()).to.deep.equal(['M', 'C']);
    const updates: string[][] = [];
    fast.onChange((entries) => updates.push(entries.map((e) => e.name)));
    codecs.register('proto', 'P', { tags: { speed: 'fast' }, rank: 20 });
    expect(fast.first()).to.equal('P');
    codecs.unregister('msgpack');
    codecs.register('slowpoke', 'S', { tags: { speed: 'slow' } });
    expect(fast.values()).to.deep.equal(['P', 'C']);
    expect(updates).to.deep.equal([
      ['proto', 'msgpack', 'cbor'],
      ['proto', 'cbor'],
    ]);
    fast.close();
    codecs.register('zstd', 'Z', { tags: { speed: 'fast' } });
    expect(updates.length).to.equal(2);
    expect(fast.size).to.equal(3, 'a closed view can still be read');
  });

  it('rejects bad ranks and tags', () => {
    expectError(() => codecs.register('a', 'A', { rank: Number.NaN }), InvalidOptionError, 'E_INVALID_OPTION', "codecs: 'a': rank must be a finite number");
    expectError(() => codecs.register('b', 'B', { tags: { x: 1 as never } }), InvalidOptionError, 'E_INVALID_OPTION', "tag 'x'");
    expectError(() => codecs.register('c', 'C', { tags: [''] }), InvalidOptionError, 'E_INVALID_OPTION', 'non-empty strings');
    expect(codecs.size).to.equal(4);
  });

  it('includes tags and rank in toJSON', () => {
    expect(codecs.toJSON().entries.find((e) => e.name === 'cbor')).to.deep.include({ rank: 10, tags: { format: 'binary', speed: 'fast' } });
  });
});
