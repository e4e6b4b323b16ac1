import type { BaseRegistry } from './base-registry.js';
import type { RegistryOptions } from './registry-options.js';

/** Any registry kind. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRegistry = BaseRegistry<any, any>;

/** A registry class a scope can create: `ImplementationRegistry`, `FactoryRegistry`, … */
export interface RegistryClass<R extends AnyRegistry, O extends RegistryOptions = RegistryOptions> {
  new (id: string, options?: O): R;
  readonly kind: string;
}
