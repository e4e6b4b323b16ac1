import { expect } from 'chai';
import {
  P2CBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  toNodes,
  WeightedRoundRobinBalancer,
  type Balancer,
  type Node,
  type ServiceInstance,
} from '../../src/discovery/index.js';

/** A seeded PRNG (mulberry32), so that random balancers are tested deterministically. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nodes(weights: Array<number | undefined>): Node[] {
  const instances: ServiceInstance[] = weights.map((w, i) => ({
    id: `n${i}`,
    name: 'svc',
    version: 'v1',
    metadata: (w === undefined ? {} : { weight: String(w) }) as Record<string, string>,
    endpoints: [`http://10.0.0.${i + 1}:80`],
  }));
  return toNodes(instances);
}

function distribution(b: Balancer, picks: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const id = b.pick()!.instance.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('balancers', () => {
  it('round-robin spreads 10k picks evenly (within 1%)', () => {
    const b = new RoundRobinBalancer();
    b.update(nodes([undefined, undefined, undefined]));
    const d = distribution(b, 10_000);
    for (const n of d.values()) expect(Math.abs(n / 10_000 - 1 / 3)).to.be.below(0.01);
  });

  it('smooth weighted round-robin matches the weights over 10k picks (within 1%) and interleaves', () => {
    const b = new WeightedRoundRobinBalancer();
    b.update(nodes([100, 200, 700]));
    const d = distribution(b, 10_000);
    expect(Math.abs(d.get('n0')! / 10_000 - 0.1)).to.be.below(0.01);
    expect(Math.abs(d.get('n1')! / 10_000 - 0.2)).to.be.below(0.01);
    expect(Math.abs(d.get('n2')! / 10_000 - 0.7)).to.be.below(0.01);
    const seq = Array.from({ length: 10 }, () => b.pick()!.instance.id);
    expect(seq.join(',')).to.not.include('n2,n2,n2,n2', 'no long bursts of the heaviest node');
  });

  it('defaults a missing or bad weight to 100', () => {
    expect(nodes([undefined, 0, -5, Number.NaN, 50]).map((n) => n.weight)).to.deep.equal([100, 100, 100, 100, 50]);
  });

  it('random is roughly uniform', () => {
    const b = new RandomBalancer(seeded(1));
    b.update(nodes([undefined, undefined]));
    const d = distribution(b, 10_000);
    expect(Math.abs(d.get('n0')! / 10_000 - 0.5)).to.be.below(0.03);
  });

  it('P2C prefers the faster node once latencies are reported', () => {
    let now = 0;
    const b = new P2CBalancer(seeded(7), 600, () => now);
    const list = nodes([undefined, undefined, undefined]);
    b.update(list);
    const latency: Record<string, number> = { n0: 100, n1: 5, n2: 100 };
    const counts: Record<string, number> = { n0: 0, n1: 0, n2: 0 };
    for (let i = 0; i < 3000; i++) {
      now += 10;
      const n = b.pick()!;
      b.done(n, { latencyMs: latency[n.instance.id]! });
      if (i >= 1000) counts[n.instance.id]!++;
    }
    expect(counts['n1']! / 2000).to.be.above(0.6, `fast node share, got ${JSON.stringify(counts)}`);
    expect(counts['n0']! / 2000).to.be.below(0.25);
  });

  it('P2C treats errors as slow', () => {
    let now = 0;
    const b = new P2CBalancer(seeded(3), 600, () => now);
    b.update(nodes([undefined, undefined]));
    const counts: Record<string, number> = { n0: 0, n1: 0 };
    for (let i = 0; i < 2000; i++) {
      now += 10;
      const n = b.pick()!;
      b.done(n, n.instance.id === 'n0' ? { latencyMs: 1, error: new Error('500') } : { latencyMs: 20 });
      if (i >= 500) counts[n.instance.id]!++;
    }
    expect(counts['n1']! / 1500).to.be.above(0.7);
  });

  it('all balancers return undefined with no nodes', () => {
    for (const b of [new RoundRobinBalancer(), new RandomBalancer(), new WeightedRoundRobinBalancer(), new P2CBalancer()]) {
      b.update([]);
      expect(b.pick()).to.equal(undefined);
    }
  });
});
