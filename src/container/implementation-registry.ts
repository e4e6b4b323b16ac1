import { BaseRegistry } from './base-registry.js';
import type { RegisterOptions } from './entry.js';

/**
 * Ready, shareable values found by name: the `database/sql.Register` shape.
 *
 * ```ts
 * const drivers = scope.registry('sql.drivers', ImplementationRegistry<Driver>);
 * drivers.register('pq', new PqDriver());
 * drivers.mustGet('pq');
 * ```
 */
export class ImplementationRegistry<V> extends BaseRegistry<V, RegisterOptions> {
  static override readonly kind: string = 'implementation';
}
