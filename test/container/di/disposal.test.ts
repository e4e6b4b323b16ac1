/**
 * Disposal: `await scope[Symbol.asyncDispose]()` disposes what the scope built, in reverse
 * order of creation, calling one method per instance, collecting failures while the others
 * still run. Compiled and run with legacy and TC39 standard decorators.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { DiError, ImplementationRegistry, PlugboardAggregateError, PlugboardError, Scope, token, type InjectionToken } from '../../../src/container/index.js';
import { RegisterProvider } from '../../../src/decorators/index.js';
import { expectError, expectRejection } from '../../support/expect-error.js';

const mode = process.env['PLUGBOARD_DECORATORS'] ?? 'legacy';

describe(`native injector: disposal (${mode} decorators)`, () => {
  it('disposes in reverse order of creation, one method per instance, never a provided value', async () => {
    const log: string[] = [];
    class Conn {
      async [Symbol.asyncDispose](): Promise<void> {
        log.push('conn: asyncDispose');
      }
      close(): void {
        log.push('conn: close (must not be called: asyncDispose wins)');
      }
    }
    class Cache {
      static inject = [Conn];
      constructor(readonly conn: Conn) {}
      [Symbol.dispose](): void {
        log.push('cache: dispose symbol');
      }
    }
    class Pool {
      static inject = [Cache];
      constructor(readonly cache: Cache) {}
      dispose(): void {
        log.push('pool: dispose()');
      }
    }
    class Server {
      static inject = [Pool];
      constructor(readonly pool: Pool) {}
      close(): Promise<void> {
        log.push('server: close()');
        return Promise.resolve();
      }
    }
    const given = { close: () => log.push('given value closed (must not be)') };
    const GIVEN = token<typeof given>('given');
    const scope = new Scope('app').provide(Conn).provide(Cache).provide(Pool).provide(Server).provide(GIVEN, { value: given });
    scope.get(Server);
    scope.get(GIVEN);
    await scope[Symbol.asyncDispose]();
    expect(log).to.deep.equal(['server: close()', 'pool: dispose()', 'cache: dispose symbol', 'conn: asyncDispose']);
    await scope.dispose();
    expect(log).to.have.length(4, 'a second disposal disposes nothing again');
    expectError(() => scope.get(Server), DiError, 'E_DI_DISPOSED', "scope 'app' was disposed");
    expectError(() => scope.get(GIVEN), DiError, 'E_DI_DISPOSED');
    expectError(() => scope.provide(token('late'), { value: 1 }), DiError, 'E_DI_DISPOSED');
  });

  it('disposes child scopes first, and with them the scoped and transient instances they built', async () => {
    const log: string[] = [];
    const tracked = (name: string) => ({ name, close: () => void log.push(name) });
    const ROOT = token<{ name: string }>('root-singleton');
    const REQ = token<{ name: string }>('per-request');
    let n = 0;
    const root = new Scope('root')
      .provide(ROOT, { useFactory: () => tracked('root singleton') })
      .provide(REQ, { useFactory: () => tracked(`request ${++n}`), lifetime: 'scoped' });
    root.get(ROOT);
    const r1 = root.child('r1');
    const r2 = root.child('r2');
    r1.get(REQ);
    r2.get(REQ);
    await r2.dispose();
    expect(log).to.deep.equal(['request 2']);
    await root.dispose();
    expect(log).to.deep.equal(['request 2', 'request 1', 'root singleton']);
  });

  it('disposes the providers and factory products the scope’s registries built', async () => {
    const log: string[] = [];
    const scope = new Scope('app');
    @RegisterProvider('pq', { registry: 'sql.drivers', scope })
    class PqDriver {
      close(): void {
        log.push('pq closed');
      }
    }
    scope.registry('sql.drivers', ImplementationRegistry<PqDriver>).get('pq');
    await scope.dispose();
    expect(log).to.deep.equal(['pq closed']);
  });

  it('collects disposal errors into one PlugboardAggregateError after running every disposal', async () => {
    const log: string[] = [];
    const A = token<object>('a');
    const B = token<object>('b');
    const C = token<object>('c');
    const scope = new Scope('app')
      .provide(A, { useFactory: () => ({ close: () => void log.push('a') }) })
      .provide(B, {
        useFactory: () => ({
          dispose: () => {
            log.push('b');
            throw new Error('b is stuck');
          },
        }),
      })
      .provide(C, {
        useFactory: () => ({
          [Symbol.asyncDispose]: async () => {
            log.push('c');
            throw new Error('c refused');
          },
        }),
      });
    scope.get(A);
    scope.get(B);
    scope.get(C);
    const err = await expectRejection<PlugboardAggregateError>(
      scope.dispose(),
      PlugboardAggregateError,
      'E_DI_DISPOSE',
      "scope 'app': 2 of 3 disposals failed",
      "disposing token('c') failed: c refused",
      "disposing token('b') failed: b is stuck",
    );
    expect(log).to.deep.equal(['c', 'b', 'a'], 'every disposal ran, in reverse order');
    expect(err.errors).to.have.length(2);
    for (const e of err.errors) expect(e).to.be.instanceOf(DiError).with.property('code', 'E_DI_DISPOSE');
    expect(((err.errors[0] as DiError).cause as Error).message).to.equal('c refused');
    expect(err).to.be.instanceOf(PlugboardError);
    expect(await scope.dispose().catch((e: unknown) => e)).to.equal(err, 'the same outcome for every caller');
  });

  it('stops waiting for a hanging disposal when the signal fires, and still runs the others', async () => {
    const log: string[] = [];
    const A = token<object>('a');
    const HANG = token<object>('hang');
    const scope = new Scope('app')
      .provide(A, { useFactory: () => ({ close: () => void log.push('a') }) })
      .provide(HANG, { useFactory: () => ({ close: () => new Promise<void>(() => log.push('hang started')) }) });
    scope.get(A);
    scope.get(HANG);
    const ac = new AbortController();
    const disposal = scope.dispose({ signal: ac.signal });
    ac.abort();
    const err = await expectRejection<PlugboardAggregateError>(disposal, PlugboardAggregateError, 'E_DI_DISPOSE', "disposing token('hang'): aborted");
    expect(err.errors.map((e) => (e as DiError).code)).to.deep.equal(['E_DI_ABORTED']);
    expect(log).to.deep.equal(['hang started', 'a']);
  });

  // Node i depends on a subset of the nodes before it; each has a generated lifetime and, in the
  // second property, a generated home (the root or a child scope).
  const graph = fc.array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      lifetime: fc.constantFrom<'singleton' | 'scoped' | 'transient'>('singleton', 'scoped', 'transient'),
      inChild: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  );

  /** Provides the generated graph; every instance records its creation, its arguments and its disposal. */
  function build(nodes: Array<{ deps: number[]; lifetime: 'singleton' | 'scoped' | 'transient'; inChild: boolean }>, home: (i: number) => Scope) {
    const created: Array<{ deps: unknown[] }> = [];
    const disposed: object[] = [];
    const tokens: Array<InjectionToken<object>> = [];
    nodes.forEach((spec, i) => {
      const deps = [...new Set(spec.deps.filter((d) => d < i))].map((d) => tokens[d]!);
      class Node {
        static inject = deps;
        readonly deps: unknown[];
        constructor(...args: unknown[]) {
          this.deps = args;
          created.push(this); // after its dependencies: they were built as its arguments
        }
        close(): void {
          disposed.push(this);
        }
      }
      Object.defineProperty(Node, 'name', { value: `Node${i}` });
      tokens.push(Node);
      home(i).provide(Node, { lifetime: spec.lifetime });
    });
    return { created, disposed, tokens };
  }

  it('disposes in exactly the reverse order of creation, for any graph of lifetimes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(graph, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (nodes, asks) => {
        const scope = new Scope('app');
        const { created, disposed, tokens } = build(nodes, () => scope);
        for (const a of asks) scope.get(tokens[a % tokens.length]!);
        await scope.dispose();
        expect(disposed).to.deep.equal([...created].reverse());
      }),
      { numRuns: 200 },
    );
  });

  it('disposes every instance once, each before the instances it depends on, across child scopes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(graph, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (nodes, asks) => {
        const root = new Scope('root');
        const child = root.child('child');
        // A node at home in the child may depend on root nodes; a root node never on a child one.
        const inChild = nodes.map((n, i) => n.inChild && !nodes.some((other, k) => k > i && !other.inChild && other.deps.includes(i)));
        const { created, disposed, tokens } = build(nodes, (i) => (inChild[i] ? child : root));
        for (const a of asks) child.get(tokens[a % tokens.length]!);
        await root.dispose();
        expect(disposed).to.have.members(created);
        expect(disposed).to.have.length(created.length, 'nothing disposed twice');
        for (const c of created)
          for (const d of c.deps) expect(disposed.indexOf(c)).to.be.lessThan(disposed.indexOf(d as object), 'a dependent is disposed before its dependency');
      }),
      { numRuns: 200 },
    );
  });
});
