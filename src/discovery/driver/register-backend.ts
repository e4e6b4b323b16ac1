import { RegisterFactory } from '../../decorators/decorators.js';
import type { PlugboardClassDecorator } from '../../decorators/class-target.js';
import { BACKENDS, libraryScope } from '../backends.js';

/**
 * Registers a backend class under its URL scheme in plugboard's own backend registry, so
 * `createRegistry('nats://…')` finds it once its module is imported. It is `@RegisterFactory`
 * into `discovery.backends` of {@link libraryScope}: importing a backend never touches a user's
 * scope, and importing it twice (ESM and CJS copies) replaces rather than throws. The class is
 * built with the parsed URL (`BackendConfig`) as its only argument.
 *
 * ```ts
 * @RegisterBackend('nats')
 * export class NatsRegistry extends DriverRegistry<NatsDriver> { … }
 * ```
 */
export function RegisterBackend(scheme: string): PlugboardClassDecorator {
  return RegisterFactory(scheme, { registry: BACKENDS, scope: libraryScope(), replace: true });
}
