/**
 * Async providers: `await scope.resolve()`, the `E_DI_ASYNC` error of a synchronous lookup,
 * failures, cycles through async factories, abort, and interleavings of resolves and disposals
 * (fast-check's scheduler). Compiled and run with legacy and TC39 standard decorators.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { DiError, FactoryError, inject, NilRegistrationError, PlugboardError, Scope, token, type Token } from '../../../src/container/index.js';
import { expectError, expectRejection } from '../../support/expect-error.js';

const mode = process.env['PLUGBOARD_DECORATORS'] ?? 'legacy';

class Db {
  closed = 0;
  constructor(readonly url: string) {}
  async close(): Promise<void> {
    this.closed++;
  }
}
const DB = token<Db>('db');

/** A promise and its resolve/reject, to let a test decide when an async factory finishes. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(`native injector: async providers (${mode} decorators)`, () => {
  it('resolves an async provider with await, once, and synchronously after it settled', async () => {
    let calls = 0;
    const scope = new Scope('app').provide(DB, {
      useFactory: async () => {
        calls++;
        await Promise.resolve();
        return new Db('pg://db');
      },
    });
    const err = expectError<DiError>(
      () => scope.get(DB),
      DiError,
      'E_DI_ASYNC',
      "scope 'app': token('db') has an async provider that has not settled yet",
      'await scope.resolve',
    );
    expect(err.token).to.equal("token('db')");
    const all = await Promise.all([scope.resolve(DB), scope.resolve(DB), scope.resolve(DB)]);
    expect(new Set(all).size).to.equal(1);
    expect(calls).to.equal(1, 'the get above started the factory; the resolves awaited it');
    expect(scope.get(DB)).to.equal(all[0]);
  });

  it('builds a class that injects an async provider, awaiting it first', async () => {
    let constructed = 0;
    class Repo {
      readonly db = inject(DB);
      constructor() {
        constructed++;
      }
    }
    const scope = new Scope('app').provide(DB, { useFactory: async () => new Db('pg://db') }).provide(Repo);
    const repo = await scope.resolve(Repo);
    expect(repo.db.url).to.equal('pg://db');
    expect(constructed).to.equal(1, 'the attempt that met the unsettled provider threw in the field initializer, before the constructor body');
    expectError(
      () =>
        new Scope('other')
          .provide(DB, { useFactory: async () => new Db('x') })
          .provide(Repo)
          .get(Repo),
      DiError,
      'E_DI_ASYNC',
      "token('db')",
      'needed by Repo',
    );
  });

  it('keeps scoped async instances per resolving scope and transient ones per injection', async () => {
    let n = 0;
    const CONN = token<{ n: number }>('conn');
    const TX = token<{ n: number }>('tx');
    class Unit {
      readonly a = inject(TX);
      readonly b = inject(TX);
      readonly conn = inject(CONN);
    }
    const root = new Scope('root')
      .provide(CONN, { useFactory: async () => ({ n: ++n }), lifetime: 'scoped' })
      .provide(TX, { useFactory: async () => ({ n: ++n }), lifetime: 'transient' })
      .provide(Unit, { lifetime: 'transient' });
    const r1 = root.child('r1');
    const r2 = root.child('r2');
    const [u1, u2] = await Promise.all([r1.resolve(Unit), r2.resolve(Unit)]);
    const u1b = await r1.resolve(Unit);
    expect(u1.a).to.not.equal(u1.b, 'two injections of a transient, two values');
    expect(u1.conn).to.equal(u1b.conn, 'one per scope');
    expect(u1.conn).to.not.equal(u2.conn);
    expect(await r1.resolve(CONN)).to.equal(u1.conn);
  });

  it('reports a rejecting async factory as E_FACTORY and tries again on the next resolve', async () => {
    let attempt = 0;
    const scope = new Scope('app').provide(DB, {
      useFactory: async () => {
        if (++attempt === 1) throw new Error('connection refused');
        return new Db('pg://db');
      },
    });
    const err = await expectRejection<FactoryError>(
      scope.resolve(DB),
      FactoryError,
      'E_FACTORY',
      "scope 'app': constructing 'token('db')' failed: connection refused",
    );
    expect((err.cause as Error).message).to.equal('connection refused');
    expect((await scope.resolve(DB)).url).to.equal('pg://db');
    const NIL = token<Db>('nil');
    scope.provide(NIL, { useFactory: async () => null as never });
    await expectRejection(scope.resolve(NIL), NilRegistrationError, 'E_NIL', "token('nil')", 'returned null');
  });

  it('reports a cycle through async factories instead of waiting forever', async () => {
    const A: Token<string> = token('a');
    const B: Token<string> = token('b');
    const scope = new Scope('app');
    scope.provide(A, {
      useFactory: async (s) => {
        await Promise.resolve();
        return `a+${await s.resolve(B)}`;
      },
    });
    scope.provide(B, {
      useFactory: async (s) => {
        await Promise.resolve();
        return `b+${await s.resolve(A)}`;
      },
    });
    const err = await expectRejection<DiError>(scope.resolve(A), DiError, 'E_DI_CYCLE', "token('a') → token('b') → token('a')");
    expect(err.path).to.deep.equal(["token('a')", "token('b')", "token('a')"]);
  });

  it('disposing a parent closes every child at once: no build starts in a child the disposal has not reached yet', async () => {
    // Children are disposed one after another (the last first); c1 was still open while c2's
    // disposal ran, and built a scoped instance that the disposal had already passed over.
    const root = new Scope('root');
    const c1 = root.child('c1');
    root.child('c2');
    let builds = 0;
    const T = token<object>('t');
    root.provide(T, {
      lifetime: 'scoped',
      useFactory: async () => {
        builds++;
        return {};
      },
    });
    const disposing = root.dispose();
    const outcome = await c1.resolve(T).then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await disposing;
    expect(outcome).to.equal('E_DI_DISPOSED');
    expect(builds).to.equal(0);
  });

  it('stops waiting when the signal fires; what the factory builds later is still disposed with the scope', async () => {
    const gate = deferred<void>();
    let built: Db | undefined;
    const scope = new Scope('app').provide(DB, {
      useFactory: async () => {
        await gate.promise;
        return (built = new Db('slow'));
      },
    });
    const ac = new AbortController();
    const pending = scope.resolve(DB, { signal: ac.signal });
    ac.abort(new Error('client went away'));
    const err = await expectRejection<DiError>(pending, DiError, 'E_DI_ABORTED', "scope 'app': resolving token('db'): aborted");
    expect((err.cause as Error).message).to.equal('client went away');
    const disposal = scope.dispose();
    gate.resolve();
    await disposal;
    expect(built?.closed).to.equal(1);
    await expectRejection(scope.resolve(DB), DiError, 'E_DI_DISPOSED', "scope 'app' was disposed");
  });

  it('any interleaving of resolves, faults and disposals disposes every instance exactly once and never builds a singleton twice', async () => {
    interface Op {
      kind: 'resolve' | 'dispose';
      provider: number;
      scope: number;
    }
    const N = 4;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ kind: fc.constantFrom<Op['kind']>('resolve', 'resolve', 'resolve', 'dispose'), provider: fc.nat(N - 1), scope: fc.nat(2) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.boolean(), { minLength: N, maxLength: N }),
        async (s, ops, faulty) => {
          const created: Array<{ provider: number; scope: string; disposed: number }> = [];
          const calls = new Map<string, number>();
          const root = new Scope('root');
          const scopes = [root, root.child('c1'), root.child('c2')];
          const tokens = Array.from({ length: N }, (_, i) => token<{ disposed: number }>(`p${i}`));
          tokens.forEach((t, i) => {
            root.provide(t, {
              lifetime: i % 2 === 0 ? 'singleton' : 'scoped',
              useFactory: async (owner) => {
                const key = `${owner.name}/p${i}`;
                const call = (calls.get(key) ?? 0) + 1;
                calls.set(key, call);
                await s.schedule(Promise.resolve(), `factory ${key}`);
                if (i > 0) await owner.resolve(tokens[i - 1]!); // a chain of async dependencies
                if (faulty[i] === true && call === 1) throw new Error(`fault in ${key}`);
                const r = { provider: i, scope: owner.name, disposed: 0, [Symbol.asyncDispose]: async () => void r.disposed++ };
                created.push(r);
                return r;
              },
            });
          });
          const results = await s.waitFor(
            Promise.allSettled(
              ops.map(async (op) => {
                await s.schedule(Promise.resolve(), `${op.kind} p${op.provider} in ${scopes[op.scope]!.name}`);
                if (op.kind === 'dispose') return scopes[op.scope]!.dispose().then(() => undefined);
                return scopes[op.scope]!.resolve(tokens[op.provider]!);
              }),
            ),
          );
          await s.waitFor(root.dispose()); // whatever is still alive; no disposal here fails
          const seen = new Map<string, unknown>(); // one instance per (provider, owning scope)
          results.forEach((r, k) => {
            const op = ops[k]!;
            if (r.status !== 'fulfilled' || op.kind !== 'resolve') return;
            const owner = op.provider % 2 === 0 ? 'root' : scopes[op.scope]!.name;
            const key = `${owner}/p${op.provider}`;
            if (seen.has(key)) expect(r.value, key).to.equal(seen.get(key));
            seen.set(key, r.value);
          });
          for (const r of results) {
            if (r.status === 'fulfilled') continue;
            const e = r.reason as { code?: string };
            expect(r.reason, String(r.reason)).to.be.instanceOf(PlugboardError);
            expect(['E_DI_DISPOSED', 'E_FACTORY']).to.include(e.code);
          }
          for (const c of created) expect(c.disposed, `p${c.provider} built in ${c.scope}`).to.equal(1);
          for (const [key, n] of calls) {
            const i = Number(/p(\d+)$/.exec(key)![1]);
            // Built once; each first-call fault in its chain (itself or a dependency) allows one more try.
            expect(n, key).to.be.at.most(1 + faulty.slice(0, i + 1).filter(Boolean).length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
