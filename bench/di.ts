/**
 * Native DI benchmark (`npm run bench -- di`). In one run:
 * - resolving a built singleton (`scope.get`) against raw `Map.get`, inversify 8 and tsyringe 4;
 * - building a transient with 3 singleton dependencies, declared with `static inject` and with
 *   `inject()` fields, against inversify's `get` and tsyringe's `resolve` of the same graph.
 */
import 'reflect-metadata';
import { Container, inject as inversifyInject, injectable } from 'inversify';
import { container as tsyringeRoot, inject as tsyringeInject, injectable as tsyringeInjectable } from 'tsyringe';
import { inject, Scope, token, type Token } from '../src/container/index.js';
import { measure, table, target } from './harness.js';

const N = 1000;

@injectable()
@tsyringeInjectable()
class A {}
@injectable()
@tsyringeInjectable()
class B {}
@injectable()
@tsyringeInjectable()
class C {}

/** The transient with 3 dependencies, declared for every container at once. */
@injectable()
@tsyringeInjectable()
class Service {
  static inject = [A, B, C];
  constructor(
    @inversifyInject(A) @tsyringeInject(A) readonly a: A,
    @inversifyInject(B) @tsyringeInject(B) readonly b: B,
    @inversifyInject(C) @tsyringeInject(C) readonly c: C,
  ) {}
}

/** The same service with its dependencies declared as `inject()` field initializers. */
class FieldService {
  readonly a = inject(A);
  readonly b = inject(B);
  readonly c = inject(C);
}

export async function diBench(): Promise<string[]> {
  const out: string[] = [];
  let sink = 0;

  // ---- resolving a singleton ------------------------------------------------------------------
  const tokens: Array<Token<{ i: number }>> = Array.from({ length: N }, (_, i) => token(`svc-${i}`));
  const map = new Map<symbol, { i: number }>();
  const scope = new Scope('bench');
  const inv = new Container();
  const tsy = tsyringeRoot.createChildContainer();
  tokens.forEach((t, i) => {
    const value = { i };
    map.set(t, value);
    scope.provide(t, { useFactory: () => ({ i }) }); // a singleton built on first get, below
    inv
      .bind(t)
      .toDynamicValue(() => ({ i }))
      .inSingletonScope();
    tsy.register(t, { useFactory: () => value });
  });
  for (const t of tokens) scope.get(t);
  for (const t of tokens) inv.get(t);
  const singleton = await measure('singleton', [
    {
      name: 'Map.get',
      ops: N,
      fn: () => {
        for (let i = 0; i < N; i++) if (map.get(tokens[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'plugboard scope.get (singleton)',
      ops: N,
      fn: () => {
        for (let i = 0; i < N; i++) if (scope.get(tokens[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'inversify 8 container.get (singleton)',
      ops: N,
      fn: () => {
        for (let i = 0; i < N; i++) if (inv.get(tokens[i]!) !== undefined) sink++;
      },
    },
    {
      name: 'tsyringe 4 resolve (factory)',
      ops: N,
      fn: () => {
        for (let i = 0; i < N; i++) if (tsy.resolve(tokens[i]!) !== undefined) sink++;
      },
    },
  ]);
  out.push(table('Resolving a singleton (1000 tokens)', singleton, 'Map.get'));
  out.push(target('scope.get (singleton) vs Map.get', singleton.get('plugboard scope.get (singleton)')! / singleton.get('Map.get')!, '<=', 1.5));

  // ---- building a transient with 3 dependencies -----------------------------------------------
  const native = new Scope('bench')
    .provide(A)
    .provide(B)
    .provide(C)
    .provide(Service, { lifetime: 'transient' })
    .provide(FieldService, { lifetime: 'transient' });
  const ic = new Container();
  ic.bind(A).toSelf().inSingletonScope();
  ic.bind(B).toSelf().inSingletonScope();
  ic.bind(C).toSelf().inSingletonScope();
  ic.bind(Service).toSelf().inTransientScope();
  const tc = tsyringeRoot.createChildContainer();
  tc.registerSingleton(A);
  tc.registerSingleton(B);
  tc.registerSingleton(C);
  const M = 100;
  const transient = await measure('transient', [
    {
      name: 'new Service(a, b, c) by hand',
      ops: M,
      fn: () => {
        const a = native.get(A),
          b = native.get(B),
          c = native.get(C);
        for (let i = 0; i < M; i++) if (new Service(a, b, c).a === a) sink++;
      },
    },
    {
      name: 'plugboard scope.get (static inject)',
      ops: M,
      fn: () => {
        for (let i = 0; i < M; i++) if (native.get(Service) !== undefined) sink++;
      },
    },
    {
      name: 'plugboard scope.get (inject() fields)',
      ops: M,
      fn: () => {
        for (let i = 0; i < M; i++) if (native.get(FieldService) !== undefined) sink++;
      },
    },
    {
      name: 'inversify 8 container.get',
      ops: M,
      fn: () => {
        for (let i = 0; i < M; i++) if (ic.get(Service) !== undefined) sink++;
      },
    },
    {
      name: 'tsyringe 4 resolve',
      ops: M,
      fn: () => {
        for (let i = 0; i < M; i++) if (tc.resolve(Service) !== undefined) sink++;
      },
    },
  ]);
  out.push(table('Building a transient with 3 singleton dependencies', transient, 'inversify 8 container.get'));
  const ours = transient.get('plugboard scope.get (static inject)')!;
  out.push(target('inversify get / plugboard get (transient, static inject)', transient.get('inversify 8 container.get')! / ours, '>=', 1));
  out.push(target('tsyringe resolve / plugboard get (transient, static inject)', transient.get('tsyringe 4 resolve')! / ours, '>=', 1));
  out.push(
    target(
      'inversify get / plugboard get (transient, inject() fields)',
      transient.get('inversify 8 container.get')! / transient.get('plugboard scope.get (inject() fields)')!,
      '>=',
      1,
    ),
  );
  if (sink === -1) console.log(sink);
  return out;
}
