/**
 * Decorator benchmark: registering 10k decorated classes (the decorator applied at class
 * definition, as an import does) and replaying 10k recorded intents with `scope.install`,
 * against 10k inversify binds, in one run.
 */
import { Container } from 'inversify';
import { Scope } from '../src/container/index.js';
import { RegisterProvider } from '../src/decorators/index.js';
import { measure, table } from './harness.js';

const N = 10_000;

export async function decoratorsBench(): Promise<string[]> {
  const names = Array.from({ length: N }, (_, i) => `svc-${i}`);
  // Classes created up front; defining a class is not what is measured.
  const fresh = (): Array<new () => object> => names.map(() => class {});
  let pending = fresh();
  const decorated = fresh();
  const setup = new Scope('setup');
  decorated.forEach((cls, i) => RegisterProvider(names[i]!, { scope: setup })(cls));
  const results = await measure(
    '10k decorated classes',
    [
      {
        name: 'inversify 8 bind ×10k (toSelf)',
        ops: 1,
        fn: () => {
          const c = new Container();
          for (let i = 0; i < N; i++) c.bind(decorated[i]!).toSelf();
        },
      },
      {
        name: '@RegisterProvider applied to 10k classes',
        ops: 1,
        beforeEach: () => {
          pending = fresh();
        },
        fn: () => {
          const scope = new Scope('bench');
          for (let i = 0; i < N; i++) RegisterProvider(names[i]!, { scope })(pending[i]!);
        },
      },
      {
        name: 'scope.install of 10k decorated classes',
        ops: 1,
        fn: () => new Scope('bench').install(...decorated),
      },
    ],
    1500,
  );
  return [table('Registering 10k decorated classes', results, 'inversify 8 bind ×10k (toSelf)')];
}
