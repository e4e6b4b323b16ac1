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
  /**
   * Constructor argument tokens: `static inject`, else the parameter types TypeScript emitted
   * (`design:paramtypes`, legacy decorators with `emitDecoratorMetadata` and reflect-metadata
   * loaded), or `undefined` for none declared.
   */
  readonly params: readonly InjectionToken[] | undefined;
  /** Where {@link params} came from: `static inject` or the emitted parameter types. */
  readonly from: 'inject' | 'metadata' | undefined;
  /** Parameters whose emitted type names no injectable class (`from: 'metadata'` only), by index. */
  readonly bad: readonly BadParam[];
  /** How many constructor parameters the class declares (`cls.length`: those before the first default). */
  readonly arity: number;
  /** Members to set after the constructor returns, base class first. */
  readonly members: readonly MemberInjection[];
  /**
   * Whether instances need disposal, decided from the first instance: a class's instances share
   * their methods and fields, and checking each new instance for four disposal methods costs
   * more than the rest of building it once many classes flow through the same code.
   */
  disposable: boolean | undefined;
}

/** A constructor parameter whose emitted type cannot be injected. */
export interface BadParam {
  readonly index: number;
  /** The type as it reads in messages (`Object`, `String`). */
  readonly type: string;
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
    const declared = paramsOf(cls);
    const typed = declared === undefined ? paramTypesOf(cls) : undefined;
    plan = {
      params: declared ?? typed?.params,
      from: declared !== undefined ? 'inject' : typed !== undefined ? 'metadata' : undefined,
      bad: typed?.bad ?? [],
      arity: cls.length,
      members: membersOf(cls),
      disposable: undefined,
    };
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

/**
 * Types TypeScript records for a constructor but that name no injectable class: what an
 * interface, a union, a primitive or a function type compile to.
 */
const NOT_INJECTABLE: ReadonlySet<unknown> = new Set([Object, Function, String, Number, Boolean, Symbol, BigInt, Array, Promise]);

type Metadata = { getOwnMetadata?: (key: string, target: object) => unknown };

/**
 * The constructor parameter types TypeScript emitted for `cls` (`design:paramtypes`), when a
 * decorator on the class made it emit them and reflect-metadata is loaded to keep them. Each
 * must be a class to be injected by type; the others are listed in `bad` (a factory product's
 * first parameter, its config, may be typed by an interface).
 */
function paramTypesOf(cls: AnyFunction): { params: readonly InjectionToken[]; bad: readonly BadParam[] } | undefined {
  const read = (Reflect as unknown as Metadata).getOwnMetadata;
  if (typeof read !== 'function') return undefined;
  const types: unknown = read('design:paramtypes', cls);
  if (!Array.isArray(types) || types.length === 0) return undefined;
  const bad: BadParam[] = [];
  types.forEach((t: unknown, i) => {
    if (typeof t !== 'function' || NOT_INJECTABLE.has(t)) bad.push({ index: i, type: t === undefined ? 'undefined (a circular import?)' : tokenName(t) });
  });
  return { params: Object.freeze([...(types as InjectionToken[])]), bad: Object.freeze(bad) };
}

/**
 * `E_DI_PARAMS`: constructor parameter `index` of `cls` cannot be filled (`type` says what is
 * known of it): the injector never calls a constructor with `undefined`s in its place.
 */
export function unfillable(cls: AnyFunction, index: number, type: string | undefined): DiError {
  const name = cls.name || 'anonymous class';
  const what =
    type === undefined
      ? 'has no type the injector can see (nothing declares it: legacy decorators read parameter types only with emitDecoratorMetadata on and reflect-metadata imported)'
      : `is typed ${type}, which names no injectable class (an interface, a union or a primitive)`;
  return new DiError(
    'E_DI_PARAMS',
    `${name}: constructor parameter #${index} ${what}; declare the constructor's tokens: \`static inject = [Logger, …]\` (a class or a token per parameter), or use \`inject(token)\` in a field initializer`,
    { token: name },
  );
}

function membersOf(cls: AnyFunction): readonly MemberInjection[] {
  const chain: MemberInjection[][] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (Object.prototype.hasOwnProperty.call(c, INJECT_MEMBERS)) chain.unshift([...(c as unknown as Record<symbol, MemberInjection[]>)[INJECT_MEMBERS]!]);
  }
  return chain.flat();
}
