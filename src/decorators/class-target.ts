import { isClass } from '../container/config-validation.js';
import { PlugboardError } from '../container/errors.js';
import { resolveSite, type SiteRef } from '../container/site.js';

/** Any class, abstract or not. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClass = abstract new (...args: any[]) => any;

/**
 * A class decorator usable under both decorator systems: legacy `experimentalDecorators`
 * calls it as `(target)`; TC39 standard decorators call it as `(value, context)`.
 */
export type PlugboardClassDecorator = <T extends AnyClass>(target: T, context?: ClassDecoratorContext<T>) => void;

/** A misused decorator: on a non-class, or with arguments it cannot use (`E_DECORATOR`). */
export class DecoratorError extends PlugboardError {
  constructor(decorator: string, message: string, details: { key?: string; site?: string } = {}) {
    super('E_DECORATOR', `${decorator}: ${message}${details.site === undefined ? '' : ` (at ${details.site})`}`, details);
  }
}

function isContext(arg: unknown): arg is { kind: string; name?: unknown } {
  return typeof arg === 'object' && arg !== null && typeof (arg as { kind?: unknown }).kind === 'string';
}

/**
 * @internal
 * Tells the two decorator systems apart by their arguments and returns the decorated class.
 * TC39: `(value, { kind: 'class' })`. Legacy: exactly one argument, a class (a method or
 * property decorator would get 2 or 3 arguments).
 */
export function decoratedClass(decorator: string, args: readonly unknown[], siteRef: SiteRef): AnyClass {
  const [target, second] = args;
  const fail = (what: string): never => {
    const site = resolveSite(siteRef); // formatted only on this error path
    throw new DecoratorError(decorator, `can only decorate a class, not ${what}`, site === undefined ? {} : { site });
  };
  if (isContext(second)) {
    if (second.kind !== 'class') fail(`a ${second.kind} (${String(second.name)})`);
    return target as AnyClass;
  }
  if (args.length !== 1 || !isClass(target)) {
    fail(
      args.length >= 2
        ? `a class member (${String(args[1])})`
        : target === null
          ? 'null'
          : typeof target === 'function'
            ? 'a plain function'
            : `a ${typeof target}`,
    );
  }
  return target as AnyClass;
}
