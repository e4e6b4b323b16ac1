/**
 * Class decorators that register the class they decorate, under legacy
 * (`experimentalDecorators`) and TC39 standard decorators alike.
 * @module
 */
export {
  RegisterProvider,
  RegisterFactory,
  Handles,
  Register,
  createRegistryDecorator,
  Tagged,
  Version,
  DEFAULT_REGISTRIES,
  type DecoratorOptions,
  type ProviderOptions,
  type FactoryOptions,
  type HandlesOptions,
  type RegisterOptions as RegisterDecoratorOptions,
} from './decorators.js';
export { DecoratorError, type PlugboardClassDecorator, type AnyClass } from './class-target.js';
export { Inject, type InjectDecorator } from './inject.js';
