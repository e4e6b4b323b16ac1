import { expect } from 'chai';
import fc from 'fast-check';
import { ImplementationRegistry, PlugboardError } from '../../src/container/index.js';

/**
 * Model-based test: random sequences of registry operations run against the real registry
 * and against a plain reference model; every observable result must agree. Plugin
 * operations (owner-scoped swaps and rollbacks) are among them, with owners in the model.
 */

interface Model {
  map: Map<string, number>;
  /** Key → plugin that owns it (keys registered directly have none). */
  owners: Map<string, string>;
  frozen: boolean;
  version: number;
}
type Real = ImplementationRegistry<number>;

const VALID_NAME = /^\S(.{0,254}\S)?$/s;
// eslint-disable-next-line no-control-regex
const isValidName = (n: string) => n.length > 0 && n.length <= 256 && VALID_NAME.test(n) && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(n);

/** Runs `fn` and returns the error code it threw, or 'ok'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof PlugboardError)) throw err;
    return (err as PlugboardError & { code: string }).code;
  }
}

/** The code the model expects for a single registration. */
function expectedRegister(m: Model, name: string, value: number | null, replace: boolean): string {
  if (m.frozen) return 'E_FROZEN';
  if (!isValidName(name)) return 'E_INVALID_NAME';
  if (value === null) return 'E_NIL';
  if (m.map.has(name) && !replace) return 'E_DUPLICATE';
  return 'ok';
}

function check(m: Model, r: Real): void {
  expect(r.names()).to.deep.equal([...m.map.keys()].sort());
  expect(r.localSnapshot().map((e) => e.key)).to.deep.equal([...m.map.keys()], 'insertion order (an undone batch restores it)');
  expect(r.size).to.equal(m.map.size);
  expect(r.version).to.equal(m.version);
  expect(r.state).to.equal(m.frozen ? 'frozen' : m.map.size > 0 ? 'populated' : 'empty');
  for (const k of m.map.keys()) expect(r.entry(k)!.owner).to.equal(m.owners.get(k), `owner of ${JSON.stringify(k)}`);
}

class Register implements fc.Command<Model, Real> {
  constructor(
    readonly name: string,
    readonly value: number | null,
    readonly replace: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const want = expectedRegister(m, this.name, this.value, this.replace);
    expect(outcome(() => r.register(this.name, this.value as number, { replace: this.replace }))).to.equal(want);
    if (want === 'ok') {
      m.map.set(this.name, this.value!);
      m.owners.delete(this.name);
      m.version++;
    }
    check(m, r);
  }
  toString = () => `register(${JSON.stringify(this.name)}, ${this.value}, replace=${this.replace})`;
}

class Unregister implements fc.Command<Model, Real> {
  constructor(readonly name: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    if (m.frozen) {
      expect(outcome(() => r.unregister(this.name))).to.equal('E_FROZEN');
    } else {
      const had = m.map.delete(this.name);
      m.owners.delete(this.name);
      expect(r.unregister(this.name)).to.equal(had);
      if (had) m.version++;
    }
    check(m, r);
  }
  toString = () => `unregister(${JSON.stringify(this.name)})`;
}

class Get implements fc.Command<Model, Real> {
  constructor(readonly name: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    expect(r.get(this.name)).to.equal(m.map.get(this.name));
    expect(r.has(this.name)).to.equal(m.map.has(this.name));
    expect(outcome(() => r.mustGet(this.name))).to.equal(m.map.has(this.name) ? 'ok' : 'E_UNKNOWN');
  }
  toString = () => `get(${JSON.stringify(this.name)})`;
}

class Freeze implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    r.freeze();
    m.frozen = true;
    check(m, r);
  }
  toString = () => 'freeze()';
}

/**
 * The code the model expects for a batch: the one rule of every all-or-nothing operation —
 * one failure is thrown as itself, several as `E_BATCH`. `held` says which keys are taken.
 */
function expectedBatch(m: Model, items: ReadonlyArray<readonly [string, number | null, { replace: boolean }?]>, held: (name: string) => boolean): string {
  if (m.frozen) return 'E_FROZEN';
  const codes: string[] = [];
  const seen = new Set<string>();
  for (const [n, v, opts] of items) {
    if (!isValidName(n)) codes.push('E_INVALID_NAME');
    else if (v === null) codes.push('E_NIL');
    else if ((held(n) && opts?.replace !== true) || seen.has(n)) codes.push('E_DUPLICATE');
    else seen.add(n);
  }
  return codes.length === 0 ? 'ok' : codes.length === 1 ? codes[0]! : 'E_BATCH';
}

class ReplaceAll implements fc.Command<Model, Real> {
  constructor(readonly items: Array<[string, number | null]>) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const want = expectedBatch(m, this.items, () => false);
    expect(outcome(() => r.replaceAll(this.items as Array<[string, number]>))).to.equal(want);
    if (want === 'ok') {
      m.map = new Map(this.items as Array<[string, number]>);
      m.owners.clear();
      m.version++;
    }
    check(m, r);
  }
  toString = () => `replaceAll(${JSON.stringify(this.items)})`;
}

class RegisterAll implements fc.Command<Model, Real> {
  constructor(readonly items: Array<[string, number | null, { replace: boolean }]>) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const want = expectedBatch(m, this.items, (n) => m.map.has(n));
    expect(outcome(() => r.registerAll(this.items as Array<[string, number, { replace: boolean }]>))).to.equal(want);
    if (want === 'ok' && this.items.length > 0) {
      for (const [n, v] of this.items) {
        m.map.set(n, v!);
        m.owners.delete(n);
      }
      m.version++;
    }
    check(m, r);
  }
  toString = () => `registerAll(${JSON.stringify(this.items)})`;
}

/** A plugin's commit or reload: its staged entries replace everything it owned, in one swap. */
class Adopt implements fc.Command<Model, Real> {
  constructor(
    readonly owner: string,
    readonly items: Array<[string, number]>,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const staging = new ImplementationRegistry<number>('stage', { captureSites: false });
    try {
      staging.registerAll(this.items);
    } catch {
      return; // a plugin whose own registrations fail never gets to commit
    }
    const clashes = this.items.filter(([n]) => m.map.has(n) && m.owners.get(n) !== this.owner).length;
    const want = m.frozen ? 'E_FROZEN' : clashes === 1 ? 'E_DUPLICATE' : clashes > 1 ? 'E_BATCH' : 'ok';
    expect(outcome(() => r.adoptEntries(this.owner, staging.localSnapshot()))).to.equal(want);
    if (want === 'ok') {
      for (const [k, o] of [...m.owners]) {
        if (o !== this.owner) continue;
        m.map.delete(k);
        m.owners.delete(k);
      }
      for (const [n, v] of this.items) {
        m.map.set(n, v);
        m.owners.set(n, this.owner);
      }
      m.version++;
    }
    check(m, r);
  }
  toString = () => `adoptEntries(${this.owner}, ${JSON.stringify(this.items)})`;
}

/** A plugin's rollback or unload. */
class UnregisterOwner implements fc.Command<Model, Real> {
  constructor(readonly owner: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    if (m.frozen) {
      expect(outcome(() => r.unregisterOwner(this.owner))).to.equal('E_FROZEN');
      return;
    }
    const owned = [...m.owners].filter(([, o]) => o === this.owner).map(([k]) => k);
    expect(r.unregisterOwner(this.owner).sort()).to.deep.equal(owned.sort());
    for (const k of owned) {
      m.map.delete(k);
      m.owners.delete(k);
    }
    if (owned.length > 0) m.version++;
    check(m, r);
  }
  toString = () => `unregisterOwner(${this.owner})`;
}

class MutateListing implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const names = r.names();
    names.push('intruder');
    names.reverse();
    const entries = r.entries();
    entries.splice(0, entries.length);
    check(m, r);
  }
  toString = () => 'mutate(names(), entries())';
}

const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('pq', 'mysql', 'sqlite', '__proto__', 'constructor', 'toString', 'hasOwnProperty') },
  { weight: 1, arbitrary: fc.constantFrom('', ' pq', 'pq ', 'a\nb', 'x'.repeat(257)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
);
const value = fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 8 });
const items = fc.array(fc.tuple(name, value), { maxLength: 5 });
/** Batch items that may ask to replace, with names drawn from few so that they repeat. */
const replacingItems = fc.array(fc.tuple(fc.constantFrom('pq', 'mysql', '__proto__', ''), value, fc.record({ replace: fc.boolean() })), { maxLength: 5 });

const commands = [
  fc.tuple(name, value, fc.boolean()).map(([n, v, rep]) => new Register(n, v, rep)),
  name.map((n) => new Unregister(n)),
  name.map((n) => new Get(n)),
  // Freeze is terminal, so it is drawn rarely to leave room for long unfrozen runs.
  fc.nat(5).map((n) => (n === 0 ? new Freeze() : new Get('pq'))),
  items.map((i) => new ReplaceAll(i)),
  replacingItems.map((i) => new RegisterAll(i)),
  fc.constant(new MutateListing()),
  fc
    .tuple(
      fc.constantFrom('plugin-a', 'plugin-b'),
      fc.array(fc.tuple(fc.constantFrom('pq', 'mysql', 'sqlite', '__proto__', 's3'), fc.integer({ min: 0, max: 5 })), { maxLength: 3 }),
    )
    .map(([o, i]) => new Adopt(o, i)),
  fc.constantFrom('plugin-a', 'plugin-b').map((o) => new UnregisterOwner(o)),
];

describe('registry model-based test (fast-check)', function () {
  this.timeout(120_000);

  it('agrees with a plain reference model over 10k random operation sequences', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 25 }), (cmds) => {
        const model: Model = { map: new Map(), owners: new Map(), frozen: false, version: 0 };
        const real = new ImplementationRegistry<number>('model', { captureSites: false });
        fc.modelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: 10_000 },
    );
  });
});
