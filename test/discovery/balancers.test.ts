import { expect } from 'chai';
import {
  createBalancer,
  DiscoveryError,
  P2CBalancer,
  RingHashBalancer,
  type BalancerName,
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
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc (the rule's inference differs)
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

  // Review finding 6: any registrant controls metadata.weight; unbounded, 1e308 + 1e308
  // overflowed smooth WRR's running state to NaN and ring-hash built 1e12 points.
  it('clamps metadata.weight to 1–10000', () => {
    expect(nodes([1e12, 1e308, Number.POSITIVE_INFINITY, 0.25, 10_000, 1]).map((n) => n.weight)).to.deep.equal([10_000, 10_000, 100, 1, 10_000, 1]);
  });

  it('weighted-round-robin: two nodes of equal huge metadata.weight share the picks evenly', () => {
    const b = new WeightedRoundRobinBalancer();
    b.update(nodes([1e308, 1e308]));
    const picks = Array.from({ length: 10 }, () => b.pick()!.instance.id);
    expect(
      picks.filter((id) => id === 'n0'),
      picks.join(' '),
    ).to.have.length(5);
  });

  it('random is roughly uniform', () => {
    const b = new RandomBalancer(seeded(1));
    b.update(nodes([undefined, undefined]));
    const d = distribution(b, 10_000);
    expect(Math.abs(d.get('n0')! / 10_000 - 0.5)).to.be.below(0.03);
  });

  it('P2C prefers the faster node once latencies are reported', () => {
    let now = 0;
    const b = new P2CBalancer({ random: seeded(7), now: () => now });
    const list = nodes([undefined, undefined, undefined]);
    b.update(list);
    const latency: Record<string, number> = { n0: 100, n1: 5, n2: 100 };
    const counts: Record<string, number> = { n0: 0, n1: 0, n2: 0 };
    for (let i = 0; i < 3000; i++) {
      now += 10;
      const n = b.pick()!;
      b.start(n);
      b.done(n, { latencyMs: latency[n.instance.id]! });
      if (i >= 1000) counts[n.instance.id]!++;
    }
    expect(counts['n1']! / 2000).to.be.above(0.6, `fast node share, got ${JSON.stringify(counts)}`);
    expect(counts['n0']! / 2000).to.be.below(0.25);
  });

  it('P2C treats errors as slow', () => {
    let now = 0;
    const b = new P2CBalancer({ random: seeded(3), now: () => now });
    b.update(nodes([undefined, undefined]));
    const counts: Record<string, number> = { n0: 0, n1: 0 };
    for (let i = 0; i < 2000; i++) {
      now += 10;
      const n = b.pick()!;
      b.start(n);
      b.done(n, n.instance.id === 'n0' ? { latencyMs: 1, error: new Error('500') } : { latencyMs: 20 });
      if (i >= 500) counts[n.instance.id]!++;
    }
    expect(counts['n1']! / 1500).to.be.above(0.7);
  });

  it('all balancers return undefined with no nodes', () => {
    for (const b of [new RoundRobinBalancer(), new RandomBalancer(), new WeightedRoundRobinBalancer(), new P2CBalancer(), new RingHashBalancer()]) {
      b.update([]);
      expect(b.pick()).to.equal(undefined);
    }
  });

  it('every balancer picks only among the candidates it is given', () => {
    const list = nodes([100, 200, 300, 400]);
    const subset = [list[1]!, list[3]!];
    const all: Balancer[] = [
      new RoundRobinBalancer(),
      new RandomBalancer(seeded(5)),
      new WeightedRoundRobinBalancer(),
      new P2CBalancer({ random: seeded(5) }),
      new RingHashBalancer({ random: seeded(5) }),
    ];
    for (const b of all) {
      b.update(list);
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const n = b.pick(subset, `k${i}`)!;
        b.start?.(n);
        b.done?.(n, { latencyMs: 1 });
        seen.add(n.instance.id);
      }
      expect([...seen].sort(), b.name).to.deep.equal(['n1', 'n3']);
    }
  });

  it('P2C refuses unknown options (did you mean), decayMs ≤ 0 and forcePickMs < 0 with E_INVALID_OPTION', () => {
    expect(() => new P2CBalancer({ decayMS: 100 } as never))
      .to.throw(/did you mean 'decayMs'/)
      .with.property('code', 'E_INVALID_OPTION');
    expect(() => new P2CBalancer({ decayMs: 0 }))
      .to.throw(/'decayMs'/)
      .with.property('code', 'E_INVALID_OPTION');
    expect(() => new P2CBalancer({ forcePickMs: -1 }))
      .to.throw(/'forcePickMs'/)
      .with.property('code', 'E_INVALID_OPTION');
    expect(() => new P2CBalancer({ forcePickMs: Infinity, decayMs: 1 })).to.not.throw();
  });

  it('an unknown balancer name is E_DISCOVERY_UNKNOWN listing the known ones', () => {
    expect(() => createBalancer('p2x' as BalancerName))
      .to.throw(DiscoveryError, "unknown balancer 'p2x' (did you mean 'p2c'?); known: round-robin, random, weighted-round-robin, p2c, ring-hash")
      .with.property('code', 'E_DISCOVERY_UNKNOWN');
  });
});

describe('P2C recovers', () => {
  // Two equally fast nodes; b answers one call slowly (or fails for a while), then behaves.
  // Ten simulated minutes, one call every 100 ms, each done before the next (as in issue #18).
  function simulate(
    b: P2CBalancer,
    clock: { now: number },
    behave: (id: string, t: number) => { latencyMs: number; error?: unknown },
  ): Array<{ t: number; id: string }> {
    const list = nodes([undefined, undefined]);
    b.update(list);
    const picks: Array<{ t: number; id: string }> = [];
    for (let i = 0; i < 6000; i++) {
      clock.now += 100;
      const n = b.pick()!;
      b.start(n);
      picks.push({ t: clock.now, id: n.instance.id });
      b.done(n, behave(n.instance.id, clock.now));
    }
    return picks;
  }
  const share = (picks: Array<{ t: number; id: string }>, id: string, from: number): number => {
    const later = picks.filter((p) => p.t >= from);
    return later.filter((p) => p.id === id).length / later.length;
  };

  // Review finding 13, as for ring-hash: done() of calls from before a node left must not
  // count against the node that came back under the same key.
  it('calls that began before a node left do not end the calls of the node that came back', () => {
    let t = 0;
    const b = new P2CBalancer({ random: seeded(7), now: () => t, forcePickMs: 1e9 });
    const before = nodes([100, 100]);
    b.update(before);
    for (let i = 0; i < 5; i++) b.start(before[0]!);
    b.update([before[1]!]); // n0 leaves
    const back = nodes([100, 100]);
    b.update(back); // n0 is back, unmeasured
    for (let i = 0; i < 3; i++) b.start(back[0]!); // 3 calls in flight: costs like 30 s
    b.start(back[1]!); // 1 call in flight: costs like 10 s
    t = 10;
    for (let i = 0; i < 5; i++) b.done(before[0]!, { latencyMs: 1 }); // the 5 old calls end
    const picks = Array.from({ length: 10 }, () => b.pick()!.instance.id);
    expect(picks.join(' '), 'n0 still has 3 calls in flight').to.equal(Array(10).fill('n1').join(' '));
  });

  it('a node that was slow once is picked again and shares the load (regression: { n0: 6000, n1: 0 })', () => {
    const clock = { now: 1_000_000 };
    let slowOnce = true;
    const picks = simulate(new P2CBalancer({ random: seeded(11), now: () => clock.now }), clock, (id) => {
      if (id === 'n1' && slowOnce) {
        slowOnce = false;
        return { latencyMs: 2000 };
      }
      return { latencyMs: 10 };
    });
    const s = share(picks, 'n1', 1_000_000 + 60_000);
    expect(s, `n1's share after the first minute: ${s}`).to.be.within(0.3, 0.7);
  });

  it('latency decays with time: the slow node recovers even with force-picks off', () => {
    const clock = { now: 1_000_000 };
    let slowOnce = true;
    const picks = simulate(new P2CBalancer({ random: seeded(12), now: () => clock.now, forcePickMs: Infinity }), clock, (id) => {
      if (id === 'n1' && slowOnce) {
        slowOnce = false;
        return { latencyMs: 2000 };
      }
      return { latencyMs: 10 };
    });
    expect(share(picks, 'n1', 1_000_000 + 60_000)).to.be.within(0.3, 0.7);
  });

  it("errors lower a node's score; a failing node is force-picked about every 3 s, and wins its share back once it recovers", () => {
    const clock = { now: 1_000_000 };
    const healedAt = 1_000_000 + 300_000;
    const picks = simulate(new P2CBalancer({ random: seeded(13), now: () => clock.now }), clock, (id, t) =>
      id === 'n1' && t < healedAt ? { latencyMs: 1, error: new Error('UNAVAILABLE') } : { latencyMs: 10 },
    );
    const failing = picks.filter((p) => p.id === 'n1' && p.t > 1_000_000 + 10_000 && p.t < healedAt);
    // 290 s of failures: one forced probe per ~3 s, no more.
    expect(failing.length).to.be.within(60, 110);
    const gaps = failing.slice(1).map((p, i) => p.t - failing[i]!.t);
    expect(Math.min(...gaps)).to.be.at.least(3000);
    expect(share(picks, 'n1', healedAt + 10_000)).to.be.within(0.3, 0.7);
  });
});
