/**
 * `@Inject(token)`: injects a dependency into a field or an accessor, under TC39 standard
 * decorators and legacy `experimentalDecorators` alike, with no reflect-metadata.
 * - TC39: the field (or accessor) gets an initializer that calls `inject(token)`, so the value
 *   is there for the constructor body, as with `readonly log = inject(Logger)`.
 * - Legacy: a legacy field decorator cannot add an initializer, so the member is recorded on
 *   the class and the injector sets it right after the constructor returns.
 */
import { inject, type InjectOptions } from '../container/di/context.js';
import { DiError } from '../container/di/errors.js';
import { recordMember } from '../container/di/plan.js';
import { isInjectionToken, tokenName, type InjectionToken } from '../container/di/tokens.js';
import { DecoratorError } from './class-target.js';

/** What `@Inject(token)` returns: a field or accessor decorator for either decorator system. */
export interface InjectDecorator {
  /** TC39 field. */
  <This, V>(target: undefined, context: ClassFieldDecoratorContext<This, V>): (initial: V) => V;
  /** TC39 accessor (`@Inject(T) accessor log!: Logger`). */
  <This, V>(target: ClassAccessorDecoratorTarget<This, V>, context: ClassAccessorDecoratorContext<This, V>): ClassAccessorDecoratorResult<This, V>;
  /** Legacy field or accessor. */
  (target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
}

function isContext(arg: unknown): arg is { kind: string; name: unknown; static: boolean } {
  return typeof arg === 'object' && arg !== null && typeof (arg as { kind?: unknown }).kind === 'string';
}

/**
 * Injects `token` into the decorated field or accessor when plugboard builds the class
 * (`scope.get`, `scope.resolve`, a registry provider or factory product). With `{ optional:
 * true }`, a token nobody provides leaves the field's own initial value.
 *
 * ```ts
 * class Greeter {
 *   @Inject(LOGGER) log!: Logger;
 * }
 * ```
 */
export function Inject<T>(token: InjectionToken<T>, options: InjectOptions = {}): InjectDecorator {
  if (!isInjectionToken(token)) {
    const hint = token === undefined ? ' (a circular import?)' : '';
    throw new DiError('E_DI_TOKEN', `@Inject: not a token: ${tokenName(token)}${hint}; a token is a class or a symbol (token<T>('name'))`);
  }
  const optional = options.optional === true;
  const resolve = (initial: unknown): unknown => {
    const v = inject(token, { optional });
    return v === undefined ? initial : v;
  };
  const decorator = (target: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown => {
    if (isContext(context)) {
      const member = `${context.kind} ${String(context.name)}`;
      if (context.kind !== 'field' && context.kind !== 'accessor')
        throw new DecoratorError('@Inject', `can only decorate a field or an accessor, not a ${member}`);
      if (context.static) throw new DecoratorError('@Inject', `cannot inject into static ${member}`);
      return context.kind === 'field' ? resolve : { init: resolve };
    }
    if (typeof context !== 'string' && typeof context !== 'symbol')
      throw new DecoratorError('@Inject', 'can only decorate a field or an accessor, not a class');
    if (typeof target === 'function') throw new DecoratorError('@Inject', `cannot inject into static member ${String(context)}`);
    if (typeof target !== 'object' || target === null) throw new DecoratorError('@Inject', `can only decorate a field or an accessor (${String(context)})`);
    if (descriptor !== undefined && (typeof descriptor.value === 'function' || descriptor.set === undefined)) {
      throw new DecoratorError('@Inject', `can only decorate a field or an accessor with a setter, not method or getter ${String(context)}`);
    }
    recordMember((target as { constructor: abstract new () => unknown }).constructor, { key: context, token, optional });
    return undefined;
  };
  return decorator as InjectDecorator;
}
