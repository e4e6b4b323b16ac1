import { expect } from 'chai';
import { pick } from '../../src/container/site.js';
import {
  DuplicateRegistrationError,
  FrozenRegistryError,
  ImplementationRegistry,
  InvalidNameError,
  NilRegistrationError,
  PlugboardAggregateError,
  PlugboardError,
  UnknownNameError,
  type RegistryChange,
} from '../../src/container/index.js';
import { expectError } from '../support/expect-error.js';

describe('registry invariants (ImplementationRegistry)', () => {
  let drivers: ImplementationRegistry<{ dial(): string }>;
  const pq = { dial: () => 'pq' };
  const mysql = { dial: () => 'mysql' };

  beforeEach(() => {
    drivers = new ImplementationRegistry('sql.drivers');
  });

  it('registers, gets, has, and misses without throwing', () => {
    drivers.register('pq', pq);
    expect(drivers.get('pq')).to.equal(pq);
    expect(drivers.has('pq')).to.equal(true);
    expect(drivers.get('nope')).to.equal(undefined);
    expect(drivers.has('nope')).to.equal(false);
  });

  describe('no duplicates', () => {
    it('throws DuplicateRegistrationError naming the registry, the key and both sites', () => {
      drivers.register('pq', pq);
      const err = expectError<DuplicateRegistrationError>(
        () => drivers.register('pq', mysql),
        DuplicateRegistrationError,
        'E_DUPLICATE',
        "sql.drivers: 'pq' is already registered",
        'base-registry.test.ts:',
      );
      expect(err.registry).to.equal('sql.drivers');
      expect(err.key).to.equal('pq');
      expect(err.existing.value).to.equal(pq);
      expect(err.incoming.value).to.equal(mysql);
      expect(err.existing.site).to.match(/base-registry\.test\.ts:\d+$/);
      expect(err.incoming.site).to.match(/base-registry\.test\.ts:\d+$/);
      expect(err.existing.site).to.not.equal(err.incoming.site);
      expect(drivers.get('pq')).to.equal(pq, 'the first registration is kept');
    });

    it('replaces only when asked with { replace: true }', () => {
      drivers.register('pq', pq);
      drivers.register('pq', mysql, { replace: true });
      expect(drivers.get('pq')).to.equal(mysql);
      expect(drivers.size).to.equal(1);
    });
  });

  describe('no nil', () => {
    for (const bad of [null, undefined]) {
      it(`rejects ${String(bad)} with NilRegistrationError and registers nothing`, () => {
        expectError(() => drivers.register('pq', bad as never), NilRegistrationError, 'E_NIL', 'sql.drivers', `cannot register ${String(bad)} for 'pq'`);
        expect(drivers.has('pq')).to.equal(false);
        expect(drivers.version).to.equal(0);
      });
    }
    it('accepts falsy but real values (0, empty string, false)', () => {
      const r = new ImplementationRegistry<unknown>('falsy');
      r.register('zero', 0);
      r.register('empty', '');
      r.register('no', false);
      expect(r.get('zero')).to.equal(0);
      expect(r.get('empty')).to.equal('');
      expect(r.get('no')).to.equal(false);
    });
  });

  describe('validated keys', () => {
    const cases: Array<[string, unknown, string]> = [
      ['an empty name', '', 'must not be empty'],
      ['leading whitespace', ' pq', 'whitespace'],
      ['trailing whitespace', 'pq\t', 'whitespace'],
      ['a control character', 'p\nq', 'control characters'],
      ['a huge name', 'x'.repeat(10_000), 'at most 256 characters'],
      ['a number', 42, 'must be a string'],
      ['null', null, 'must be a string'],
      ['undefined', undefined, 'must be a string'],
    ];
    for (const [what, key, reason] of cases) {
      it(`rejects ${what} with InvalidNameError`, () => {
        expectError(() => drivers.register(key as string, pq), InvalidNameError, 'E_INVALID_NAME', 'sql.drivers: invalid name', reason);
        expect(drivers.size).to.equal(0);
      });
    }
    it('treats __proto__, constructor, hasOwnProperty and toString as ordinary keys', () => {
      const keys = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'prototype'];
      keys.forEach((k, i) => drivers.register(k, { dial: () => String(i) }));
      keys.forEach((k, i) => expect(drivers.get(k)!.dial()).to.equal(String(i)));
      expect(drivers.names()).to.deep.equal([...keys].sort());
      expect(({} as Record<string, unknown>)['dial']).to.equal(undefined, 'Object.prototype untouched');
      expect(drivers.get('valueOf')).to.equal(undefined);
    });
  });

  describe('listings are sorted copies; storage is unreachable', () => {
    it('names() is sorted and mutating it changes nothing', () => {
      drivers.register('pq', pq);
      drivers.register('mysql', mysql);
      const names = drivers.names();
      expect(names).to.deep.equal(['mysql', 'pq']);
      names.push('evil');
      names.length = 0;
      expect(drivers.names()).to.deep.equal(['mysql', 'pq']);
    });

    it('entries() are frozen and detached', () => {
      drivers.register('pq', pq);
      const [e] = drivers.entries();
      expect(Object.isFrozen(e)).to.equal(true);
      expect(() => {
        (e as { value: unknown }).value = mysql;
      }).to.throw(TypeError);
      const list = drivers.entries();
      list.pop();
      expect(drivers.size).to.equal(1);
      expect(drivers.get('pq')).to.equal(pq);
    });

    it('exposes no Map through any property', () => {
      drivers.register('pq', pq);
      const reachable = [...Object.getOwnPropertyNames(drivers), ...Object.getOwnPropertySymbols(drivers)].map(
        (k) => (drivers as unknown as Record<PropertyKey, unknown>)[k],
      );
      expect(reachable.some((v) => v instanceof Map)).to.equal(false);
      expect(JSON.stringify(drivers)).to.not.include('"dial"');
    });

    it('range() visits in key order and stops on false', () => {
      for (const n of ['c', 'a', 'b']) drivers.register(n, pq);
      const seen: string[] = [];
      drivers.range((_v, k) => {
        seen.push(k);
        return k !== 'b';
      });
      expect(seen).to.deep.equal(['a', 'b']);
      expect([...drivers].map(([k]) => k)).to.deep.equal(['a', 'b', 'c']);
    });
  });

  describe('mustGet', () => {
    it('throws UnknownNameError listing the known names and the closest match', () => {
      drivers.register('pg', pq);
      drivers.register('mysql', mysql);
      const err = expectError<UnknownNameError>(
        () => drivers.mustGet('pgx'),
        UnknownNameError,
        'E_UNKNOWN',
        "sql.drivers: unknown name 'pgx'",
        "did you mean 'pg'?",
        "'mysql'",
      );
      expect(err.known).to.deep.equal(['mysql', 'pg']);
      expect(err.suggestion).to.equal('pg');
    });
    it('gives no suggestion when nothing is close', () => {
      drivers.register('mysql', mysql);
      const err = expectError<UnknownNameError>(() => drivers.mustGet('oracle'), UnknownNameError, 'E_UNKNOWN');
      expect(err.suggestion).to.equal(undefined);
      expect(err.message).to.not.include('did you mean');
    });
    it('says so when the registry is empty', () => {
      expectError(() => drivers.mustGet('pq'), UnknownNameError, 'E_UNKNOWN', 'nothing is registered');
    });
  });

  describe('batch registration', () => {
    it('is all-or-nothing and reports every failure at once', () => {
      drivers.register('pq', pq);
      const err = expectError<PlugboardAggregateError>(
        () =>
          drivers.registerAll([
            ['mysql', mysql],
            ['pq', mysql],
            ['', mysql],
            ['nil', null as never],
          ]),
        PlugboardAggregateError,
        'E_BATCH',
        'sql.drivers',
        'nothing was registered',
      );
      expect(err).to.be.instanceOf(AggregateError);
      expect(err.errors.map((e: PlugboardError) => e.code)).to.deep.equal(['E_DUPLICATE', 'E_INVALID_NAME', 'E_NIL']);
      expect(drivers.names()).to.deep.equal(['pq']);
      expect(drivers.version).to.equal(1);
    });
    it('rejects a duplicate within the batch itself; one failure is thrown as itself, as everywhere', () => {
      expectError(
        () =>
          drivers.registerAll([
            ['a', pq],
            ['a', mysql],
          ]),
        DuplicateRegistrationError,
        'E_DUPLICATE',
        "'a'",
      );
      expect(drivers.size).to.equal(0);
    });
    it('accepts a Map or a record', () => {
      drivers.registerAll(new Map([['pq', pq]]));
      drivers.registerAll({ mysql });
      expect(drivers.names()).to.deep.equal(['mysql', 'pq']);
    });
    it('treats a __proto__ key of a JSON record as data', () => {
      const r = new ImplementationRegistry<number>('json');
      r.registerAll(JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, number>);
      expect(r.get('__proto__')).to.equal(1);
      expect(r.names()).to.deep.equal(['__proto__', 'a']);
    });
  });

  describe('lifecycle', () => {
    it("moves from 'empty' to 'populated' to 'frozen'", () => {
      expect(drivers.state).to.equal('empty');
      drivers.register('pq', pq);
      expect(drivers.state).to.equal('populated');
      drivers.freeze();
      expect(drivers.state).to.equal('frozen');
      drivers.freeze();
      expect(drivers.state).to.equal('frozen');
    });

    it('rejects every mutation after freeze() with FrozenRegistryError naming the key and the caller', () => {
      drivers.register('pq', pq);
      drivers.freeze();
      const err = expectError<FrozenRegistryError>(
        () => drivers.register('mysql', mysql),
        FrozenRegistryError,
        'E_FROZEN',
        "sql.drivers: registry is frozen; cannot register 'mysql'",
        'base-registry.test.ts:',
      );
      expect(err.key).to.equal('mysql');
      expectError(() => drivers.register('pq', mysql, { replace: true }), FrozenRegistryError, 'E_FROZEN');
      expectError(() => drivers.unregister('pq'), FrozenRegistryError, 'E_FROZEN', "unregister 'pq'");
      expectError(() => drivers.registerAll({ x: mysql }), FrozenRegistryError, 'E_FROZEN');
      expectError(() => drivers.replaceAll({ x: mysql }), FrozenRegistryError, 'E_FROZEN', 'replaceAll');
      expectError(() => drivers.unregisterOwner('p'), FrozenRegistryError, 'E_FROZEN');
      expect(drivers.names()).to.deep.equal(['pq']);
      expect(drivers.get('pq')).to.equal(pq, 'reads still work');
    });

    it('bumps version on every mutation and not on failures or reads', () => {
      expect(drivers.version).to.equal(0);
      drivers.register('pq', pq);
      expect(drivers.version).to.equal(1);
      expect(() => drivers.register('pq', pq)).to.throw();
      drivers.get('pq');
      expect(drivers.version).to.equal(1);
      drivers.register('pq', mysql, { replace: true });
      expect(drivers.version).to.equal(2);
      drivers.unregister('pq');
      expect(drivers.version).to.equal(3);
      expect(drivers.unregister('pq')).to.equal(false);
      expect(drivers.version).to.equal(3);
    });

    it('reports additions, replacements and removals to onChange listeners', () => {
      const seen: Array<RegistryChange<unknown>> = [];
      const off = drivers.onChange((c) => seen.push(c));
      drivers.register('pq', pq);
      drivers.register('pq', mysql, { replace: true });
      drivers.unregister('pq');
      off();
      drivers.register('again', pq);
      expect(seen.map((c) => [c.type, c.key, c.version])).to.deep.equal([
        ['add', 'pq', 1],
        ['replace', 'pq', 2],
        ['remove', 'pq', 3],
      ]);
      const replace = seen[1]!;
      expect(replace.type === 'replace' && replace.previous.value).to.equal(pq);
    });

    it('keeps the registration committed when a listener throws, and still calls the others', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      let second = 0;
      drivers.onChange(() => {
        throw new Error('listener broke');
      });
      drivers.onChange(() => second++);
      drivers.register('pq', pq);
      await new Promise((r) => setImmediate(r));
      process.off('warning', onWarning);
      expect(drivers.get('pq')).to.equal(pq);
      expect(second).to.equal(1);
      expect(warnings.some((w) => w.includes('listener broke'))).to.equal(true);
    });
  });

  describe('owners', () => {
    it('records the owner and removes only that owner’s entries', () => {
      drivers.register('pq', pq, { owner: 'plugin-a' });
      drivers.register('mysql', mysql, { owner: 'plugin-b' });
      expect(drivers.entry('pq')!.owner).to.equal('plugin-a');
      expect(drivers.unregisterOwner('plugin-a')).to.deep.equal(['pq']);
      expect(drivers.names()).to.deep.equal(['mysql']);
    });
  });

  describe('toJSON', () => {
    it('lists kind, state, version and entries with their sites, not the values', () => {
      drivers.register('pq', pq);
      const json = drivers.toJSON();
      expect(json).to.include({ id: 'sql.drivers', kind: 'implementation', state: 'populated', version: 1, size: 1 });
      expect(json.entries[0]!.name).to.equal('pq');
      expect(json.entries[0]!.site).to.match(/base-registry\.test\.ts:\d+$/);
      expect(json.entries[0]!.type).to.equal('object');
    });
    it('records no site when sites are turned off, but errors still name the caller', () => {
      const r = new ImplementationRegistry<number>('nosite', { captureSites: false });
      r.register('a', 1);
      expect(r.entry('a')!.site).to.equal(undefined);
      expectError(
        () => r.register('a', 2),
        DuplicateRegistrationError,
        'E_DUPLICATE',
        'first at an unknown site, again at test/container/base-registry.test.ts:',
      );
      r.freeze();
      expectError(() => r.register('b', 2), FrozenRegistryError, 'E_FROZEN', '(at test/container/base-registry.test.ts:');
    });
  });

  /** A real stack line from inside plugboard (a throwing `mustGet`). */
  const ownFrame = (): string => {
    try {
      new ImplementationRegistry<number>('own').mustGet('nope');
    } catch (err) {
      return (err as Error).stack!.split('\n').find((l) => /[/\\]container[/\\]base-registry\.(ts|js):/.test(l))!;
    }
    throw new Error('mustGet did not throw');
  };

  describe('registration sites', () => {
    it('skip node:internal frames, whose paths would otherwise read as a drive letter (e:internal/…)', () => {
      const stack = [
        'Error',
        ownFrame(), // a frame of plugboard's own code, as this run prints them (source-mapped or not)
        '    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)',
        '    at node:internal/modules/esm/loader:547:26',
        '    at file:///srv/app/main.js:12:7',
      ].join('\n');
      expect(pick(stack)).to.equal('/srv/app/main.js:12');
      expect(pick(stack.split('\n').slice(0, 4).join('\n'))).to.equal(undefined, 'no user frame: no site');
      expect(pick('Error\n    at C:\\app\\main.js:3:1')).to.equal('C:\\app\\main.js:3');
    });
  });

  describe('error hierarchy', () => {
    it('gives every error a stable code and PlugboardError ancestry', () => {
      const err = new DuplicateRegistrationError('r', 'k', { value: 1 }, { value: 2 });
      expect(err).to.be.instanceOf(PlugboardError);
      expect(err).to.be.instanceOf(Error);
      expect(err.name).to.equal('DuplicateRegistrationError');
      expect(new Error('x')).to.not.be.instanceOf(PlugboardError);
      expect(err).to.not.be.instanceOf(NilRegistrationError);
    });
  });
});
