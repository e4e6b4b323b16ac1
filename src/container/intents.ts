/**
 * Registration intents: what a decorator records on a class so that any scope can replay
 * the registration (`scope.install(Class)`). The records live under `Symbol.for` keys, so
 * they survive duplicate copies of plugboard (ESM + CJS). Decorators write them; the core
 * only reads them, and never imports the decorators.
 */
import type { BaseRegistry } from './base-registry.js';
import { InvalidOptionError } from './errors.js';
import type { FactoryRegistry } from './factory-registry.js';
import { provider, type Lifetime } from './provider.js';
import type { AnyRegistry, RegistryClass } from './registry-class.js';
import type { LazySite } from './site.js';

/** @internal Own static property of a decorated class holding its {@link RegistrationIntent}s. */
export const INTENTS: unique symbol = Symbol.for('plugboard.registrations') as never;
/** @internal Own static property holding the class's {@link ClassAttributes} (from `@Tagged`, `@Version`). */
export const ATTRIBUTES: unique symbol = Symbol.for('plugboard.attributes') as never;

/** @internal How a class becomes a registry value. */
export type IntentMode = 'provider' | 'factory' | 'handler';

/** @internal One registration a decorator asked for. */
export interface RegistrationIntent {
  /** Target registry id. */
  readonly registry: string;
  /** Kind the registry is created as if the scope does not have it yet. */
  readonly kind: RegistryClass<AnyRegistry>;
  /** Key (name or pattern). */
  readonly name: string;
  readonly mode: IntentMode;
  /** Provider lifetime (mode `provider` and `handler`). */
  readonly lifetime?: Lifetime;
  /** Extra registration options (config spec for factories, tags, rank, version…). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where the decorator was applied (`file:line`, formatted lazily). */
  readonly site?: string | LazySite;
  /** The decorator that recorded it, for messages (`@RegisterProvider`). */
  readonly decorator: string;
}

/** @internal Modifiers recorded by `@Tagged` and `@Version`; merged into every intent of the class. */
export interface ClassAttributes {
  readonly tags?: Readonly<Record<string, string>> | readonly string[];
  readonly rank?: number;
  readonly version?: string;
}

type AnyClass = abstract new (...args: never[]) => unknown;

/** @internal The class's own intents (a subclass does not inherit its parent's registrations). */
export function intentsOf(cls: AnyClass): readonly RegistrationIntent[] {
  return Object.prototype.hasOwnProperty.call(cls, INTENTS) ? ((cls as unknown as Record<symbol, RegistrationIntent[]>)[INTENTS] ?? []) : [];
}

/** @internal The class's own attributes. */
export function attributesOf(cls: AnyClass): ClassAttributes {
  return Object.prototype.hasOwnProperty.call(cls, ATTRIBUTES) ? ((cls as unknown as Record<symbol, ClassAttributes>)[ATTRIBUTES] ?? {}) : {};
}

/** @internal Where an installed intent ended up, so it can be removed again. */
export interface Installation {
  readonly registry: BaseRegistry<unknown>;
  readonly key: string;
}

/**
 * @internal
 * What {@link installIntent} needs of a scope: its registries and its way of constructing
 * classes. Structural, so that this module does not import scope.ts (which imports it).
 */
export interface InstallTarget {
  registry<R extends AnyRegistry>(id: string, Kind: RegistryClass<R>): R;
  construct<T>(cls: new (...args: never[]) => T, ...args: [] | [config: unknown]): T;
}

/**
 * @internal
 * Registers `cls` into `scope` as `intent` says, constructing through `scope.construct` (so an
 * attached DI container builds it). Returns where it went.
 */
export function installIntent(scope: InstallTarget, cls: AnyClass, intent: RegistrationIntent): Installation {
  const registry = scope.registry(intent.registry, intent.kind) as BaseRegistry<unknown>;
  const attrs = attributesOf(cls);
  const opts: Record<string, unknown> = {
    ...(attrs.tags === undefined ? {} : { tags: attrs.tags }),
    ...(attrs.rank === undefined ? {} : { rank: attrs.rank }),
    ...(attrs.version === undefined ? {} : { version: attrs.version }),
    ...intent.options,
    ...(intent.site === undefined ? {} : { site: intent.site }),
  };
  const label = cls.name || 'anonymous class';
  const construct = (...args: [] | [config: unknown]): unknown => scope.construct(cls as never, ...args);
  let key: string;
  switch (intent.mode) {
    case 'provider':
      key = registry.register(
        intent.name,
        provider(() => construct(), { lifetime: intent.lifetime ?? 'singleton', label }),
        opts,
      );
      break;
    case 'factory':
      key = (registry as unknown as FactoryRegistry<unknown>).register(intent.name, (cfg) => construct(cfg), opts);
      break;
    case 'handler': {
      let instance: { handle(...a: unknown[]): unknown } | undefined;
      const handler = (...a: unknown[]): unknown => {
        const target = intent.lifetime === 'transient' ? (construct() as typeof instance) : (instance ??= construct() as typeof instance);
        return target!.handle(...a);
      };
      Object.defineProperty(handler, 'name', { value: label });
      key = registry.register(intent.name, handler, opts);
      break;
    }
    default:
      throw new InvalidOptionError(intent.registry, intent.name, `unknown intent mode '${String(intent.mode)}'`);
  }
  return { registry, key };
}
