import { expect } from 'chai';
import { ImplementationRegistry, PlugboardAggregateError } from '../../src/container/index.js';

describe('hot reload (replaceAll)', () => {
  const oldSet = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${String(i).padStart(3, '0')}`, 'old']));
  const newSet = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${String(i + 50).padStart(3, '0')}`, 'new']));

  it('a reader iterating across a swap sees only the old set; a reader starting after sees only the new one', () => {
    const r = new ImplementationRegistry<string>('plugins');
    r.registerAll(oldSet);
    const seenBefore: string[] = [];
    const it = r[Symbol.iterator]();
    for (let i = 0; i < 10; i++) seenBefore.push(it.next().value![1]);
    r.replaceAll(newSet); // the swap happens in the middle of the iteration
    for (let n = it.next(); !n.done; n = it.next()) seenBefore.push(n.value[1]);
    expect(seenBefore).to.have.length(100);
    expect(new Set(seenBefore)).to.deep.equal(new Set(['old']));
    const after = [...r].map(([, v]) => v);
    expect(new Set(after)).to.deep.equal(new Set(['new']));
  });

  it('async readers interleaved with repeated swaps never observe a mixed set', async () => {
    const r = new ImplementationRegistry<string>('plugins');
    r.registerAll(oldSet);
    let mixed = 0;
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const values = new Set<string>();
        r.range((v) => {
          values.add(v);
        });
        if (values.size !== 1) mixed++;
        reads++;
        await new Promise((res) => setImmediate(res));
      }
    })();
    for (let i = 0; i < 200; i++) {
      r.replaceAll(i % 2 === 0 ? newSet : oldSet);
      await new Promise((res) => setImmediate(res));
    }
    stop = true;
    await reader;
    expect(reads).to.be.greaterThan(100);
    expect(mixed).to.equal(0);
  });

  it('reports the diff to listeners and keeps registration order for surviving keys', () => {
    const r = new ImplementationRegistry<string>('plugins');
    r.registerAll({ a: '1', b: '2', c: '3' });
    const seqB = r.entry('b')!.seq;
    const changes: string[] = [];
    r.onChange((c) => changes.push(`${c.type}:${c.key}`));
    r.replaceAll({ b: '2', c: '33', d: '4' });
    expect(changes.sort()).to.deep.equal(['add:d', 'remove:a', 'replace:c']);
    expect(r.entry('b')!.seq).to.equal(seqB);
  });

  it('keeps the old set untouched when the new one is invalid', () => {
    const r = new ImplementationRegistry<string>('plugins');
    r.registerAll(oldSet);
    const version = r.version;
    expect(() =>
      r.replaceAll([
        ['good', 'x'],
        ['', 'y'],
        ['nil', null as never],
      ]),
    ).to.throw(PlugboardAggregateError);
    expect(r.version).to.equal(version);
    expect(r.size).to.equal(100);
    expect(r.get('k000')).to.equal('old');
  });
});
