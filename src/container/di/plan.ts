/**
 * How a class is built: its constructor arguments (`static inject = [...]`) and, under legacy
 * decorators, the fields `@Inject` set right after the constructor returns. (Under TC39
 * decorators `@Inject` turns a field into an `inject()` initializer and needs no plan.)
 * Decorators write the member records under a `Symbol.for` key; the injector only reads them.
 */
import { DiError } from './errors.js';
import { isInjectionToken, tokenName, type InjectionToken } from './tokens.js';

/** Own static property of a class holding its legacy `@Inject` members. */
export const INJECT_MEMBERS: unique symbol = Symbol.for('plugboard.inject.members') as never;

/** One field or accessor to set after construction (legacy `@Inject`). */
export interface MemberInjection {
  readonly key: string | symbol;
  readonly token: InjectionToken;
  readonly optional: boolean;
}

/** What the injector needs to build a class. */
export interface Plan {
  /** Constructor argument tokens (`static inject`), or `undefined` for none declared. */
  readonly params: readonly InjectionToken[] | undefined;
  /** Members to set after the constructor returns, base class first. */
  readonly members: readonly MemberInjection[];
  /**
   * Whether instances need disposal, decided from the first instance: a class's instances share
   * their methods and fields, and checking each new instance for four disposal methods costs
   * more than the rest of building it once many classes flow through the same code.
   */
  disposable: boolean | undefined;
}

type AnyFunction = abstract new (...args: never[]) => unknown;

/** Appends a legacy `@Inject` member to the class's own records. */
export function recordMember(cls: AnyFunction, member: MemberInjection): void {
  const own = Object.prototype.hasOwnProperty.call(cls, INJECT_MEMBERS) ? (cls as unknown as Record<symbol, readonly MemberInjection[]>)[INJECT_MEMBERS]! : [];
  Object.defineProperty(cls, INJECT_MEMBERS, { value: Object.freeze([...own, Object.freeze(member)]), enumerable: false, configurable: true, writable: false });
}

const plans = new WeakMap<object, Plan>();

/** The plan of `cls`, worked out on its first construction and cached. */
export function planOf(cls: AnyFunction): Plan {
  let plan = plans.get(cls);
  if (plan === undefined) {
    plan = { params: paramsOf(cls), members: membersOf(cls), disposable: undefined };
    plans.set(cls, plan);
  }
  return plan;
}

function paramsOf(cls: AnyFunction): readonly InjectionToken[] | undefined {
  const list: unknown = (cls as unknown as { inject?: unknown }).inject;
  if (list === undefined) return undefined;
  const name = cls.name || 'anonymous class';
  if (!Array.isArray(list))
    throw new DiError('E_DI_TOKEN', `${name}.inject must be an array of tokens (constructor parameters), got ${list === null ? 'null' : typeof list}`, {
      token: name,
    });
  list.forEach((t: unknown, i) => {
    if (!isInjectionToken(t)) {
      const hint = t === undefined ? ' (a circular import? declare it as `static get inject() { return [...]; }`)' : '';
      throw new DiError('E_DI_TOKEN', `${name}.inject[${i}] is not a token: got ${tokenName(t)}${hint}; a token is a class or a symbol (token<T>('name'))`, {
        token: name,
      });
    }
  });
  return Object.freeze([...(list as InjectionToken[])]);
}

function membersOf(cls: AnyFunction): readonly MemberInjection[] {
  const chain: MemberInjection[][] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (Object.prototype.hasOwnProperty.call(c, INJECT_MEMBERS)) chain.unshift([...(c as unknown as Record<symbol, MemberInjection[]>)[INJECT_MEMBERS]!]);
  }
  return chain.flat();
}
