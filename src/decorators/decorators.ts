import semver from 'semver';
import { configSpecProblem, type ConfigSpec } from '../container/config-validation.js';
import { InvalidOptionError, InvalidVersionError } from '../container/errors.js';
import { FactoryRegistry } from '../container/factory-registry.js';
import { HandlerRegistry } from '../container/handler-registry.js';
import { ImplementationRegistry } from '../container/implementation-registry.js';
import type { IntentMode, RegistrationIntent } from '../container/intents.js';
import { validateName } from '../container/names.js';
import type { Lifetime } from '../container/provider.js';
import type { RegistryClass, Scope } from '../container/scope.js';
import { defaultScope } from '../container/default-scope.js';
import { LazySite, resolveSite } from '../container/site.js';
import { decoratedClass, DecoratorError, type AnyClass, type PlugboardClassDecorator } from './class-target.js';
import { checkDecoratorOptions, COMMON_OPTIONS } from './check-options.js';
import { installNow, recordAttributes, recordIntent } from './record.js';
import { showValue } from '../container/show-value.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistryClass = RegistryClass<any>;

/** Options every registration decorator accepts. */
export interface DecoratorOptions {
  /** Target registry id (each decorator family has its own default). */
  registry?: string;
  /** Scope to register into at decoration time; default: the current default scope. */
  scope?: Scope;
  /** Replace an existing entry of the same name instead of throwing `E_DUPLICATE`. */
  replace?: boolean;
}

/** Options of {@link RegisterProvider}. */
export interface ProviderOptions extends DecoratorOptions {
  /** `'singleton'` (default): one instance, built on first `get`. `'transient'`: a new one per `get`. */
  lifetime?: Lifetime;
  /** Registry kind to create the registry as, when the scope does not have it yet (default `ImplementationRegistry`). */
  kind?: AnyRegistryClass;
}

/** Options of {@link RegisterFactory}. */
export interface FactoryOptions extends DecoratorOptions {
  /** A class-validator config class, a Standard Schema validator (under TC39 decorators), or a validate function `(raw) => cfg`. */
  config?: ConfigSpec<unknown>;
}

/** Options of {@link Handles}. */
export interface HandlesOptions extends DecoratorOptions {
  lifetime?: Lifetime;
}

/** Options of the generic {@link Register}. */
export interface RegisterOptions extends DecoratorOptions {
  kind?: AnyRegistryClass;
  lifetime?: Lifetime;
  config?: ConfigSpec<unknown>;
  /** Any other registration option of the target kind (tags, rank, version…). */
  [option: string]: unknown;
}

/** Default registry ids of the decorator families. */
export const DEFAULT_REGISTRIES = Object.freeze({ providers: 'providers', factories: 'factories', handlers: 'handlers' });

interface Plan {
  decorator: string;
  registry: string;
  kind: AnyRegistryClass;
  name: string;
  mode: IntentMode;
  lifetime?: Lifetime;
  options: Record<string, unknown>;
  scope?: Scope;
  /** Checks specific to the decorator, run on the class before anything is recorded. */
  check?: (cls: AnyClass, site: LazySite) => void;
}

function checkLifetime(decorator: string, lifetime: unknown, name: string): void {
  if (lifetime !== undefined && lifetime !== 'singleton' && lifetime !== 'transient') {
    throw new DecoratorError(decorator, `lifetime must be 'singleton' or 'transient', got ${showValue(lifetime)}`, { key: name });
  }
}

/**
 * The one code path behind every registration decorator: validate the arguments at
 * decoration time, find the class (legacy or TC39), record the intent on it under
 * `Symbol.for('plugboard.registrations')`, and register it into the scope now.
 */
function registration(plan: Plan): PlugboardClassDecorator {
  validateName(plan.registry, plan.name);
  checkLifetime(plan.decorator, plan.lifetime, plan.name);
  const decorate = (...args: unknown[]): void => {
    // The class statement is a few frames below: past the decorator helpers (`__decorate`,
    // `Reflect.decorate`, `__esDecorate`), which are skipped when the site is formatted.
    const site = new LazySite(decorate, DECORATOR_FRAMES);
    const cls = decoratedClass(plan.decorator, args, site);
    plan.check?.(cls, site);
    const intent: RegistrationIntent = {
      registry: plan.registry,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- any registry class; the intent holds the widest type
      kind: plan.kind,
      name: plan.name,
      mode: plan.mode,
      ...(plan.lifetime === undefined ? {} : { lifetime: plan.lifetime }),
      options: plan.options,
      site,
      decorator: plan.decorator,
    };
    recordIntent(cls, intent);
    installNow(plan.scope ?? defaultScope(), cls, intent);
  };
  return decorate;
}

/** Frames taken below a decorator: the decorator helpers of tsc, tslib and reflect-metadata, then the class. */
const DECORATOR_FRAMES = 6;

function replaceOption(opts: DecoratorOptions): Record<string, unknown> {
  return opts.replace === true ? { replace: true } : {};
}

/**
 * Registers the class as a provider: `registry.get(name)` returns one lazily constructed
 * instance (or a new one per `get` with `lifetime: 'transient'`). The TypeScript answer to
 * Go's `init()` + blank import: `import './drivers/pq'` is all a user writes.
 *
 * ```ts
 * @RegisterProvider('pq', { registry: 'sql.drivers' })
 * export class PqDriver implements Driver { … }
 * ```
 */
export function RegisterProvider(name: string, opts: ProviderOptions = {}): PlugboardClassDecorator {
  checkDecoratorOptions('@RegisterProvider', name, opts, [...COMMON_OPTIONS, 'lifetime', 'kind']);
  return registration({
    decorator: '@RegisterProvider',
    registry: opts.registry ?? DEFAULT_REGISTRIES.providers,
    kind: opts.kind ?? ImplementationRegistry,
    name,
    mode: 'provider',
    ...(opts.lifetime === undefined ? {} : { lifetime: opts.lifetime }),
    options: replaceOption(opts),
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
  });
}

/** Refuses at decoration time what `FactoryRegistry` would refuse at registration. */
function checkConfig(decorator: string, name: string, config: unknown): void {
  if (config === undefined) return;
  const problem = configSpecProblem(config);
  if (problem !== undefined) throw new InvalidOptionError(decorator, name, problem);
}

/**
 * Registers the class in a factory registry: `registry.new(name, cfg)` validates `cfg`
 * against `config` and calls `new Class(cfg)` (through the scope's DI resolver, if any).
 */
export function RegisterFactory(name: string, opts: FactoryOptions = {}): PlugboardClassDecorator {
  checkDecoratorOptions('@RegisterFactory', name, opts, [...COMMON_OPTIONS, 'config']);
  checkConfig('@RegisterFactory', name, opts.config);
  return registration({
    decorator: '@RegisterFactory',
    registry: opts.registry ?? DEFAULT_REGISTRIES.factories,
    kind: FactoryRegistry,
    name,
    mode: 'factory',
    options: { ...replaceOption(opts), ...(opts.config === undefined ? {} : { config: opts.config }) },
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
  });
}

/**
 * Registers the class as the handler of `pattern` in a handler registry. The class must have
 * a `handle(...args)` method; one instance is built on first dispatch.
 */
export function Handles(pattern: string, opts: HandlesOptions = {}): PlugboardClassDecorator {
  checkDecoratorOptions('@Handles', pattern, opts, [...COMMON_OPTIONS, 'lifetime']);
  return registration({
    decorator: '@Handles',
    registry: opts.registry ?? DEFAULT_REGISTRIES.handlers,
    kind: HandlerRegistry,
    name: pattern,
    mode: 'handler',
    ...(opts.lifetime === undefined ? {} : { lifetime: opts.lifetime }),
    options: replaceOption(opts),
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
    check: (cls, site) => {
      if (typeof (cls.prototype as { handle?: unknown }).handle !== 'function') {
        const at = resolveSite(site);
        throw new DecoratorError('@Handles', `class ${cls.name} needs a handle(...) method to handle '${pattern}'`, {
          key: pattern,
          ...(at === undefined ? {} : { site: at }),
        });
      }
    },
  });
}

/**
 * The generic form: registers the class into `registryId` under `name`. The registry kind is
 * `opts.kind`, else the kind the registry already has in the scope, else
 * `ImplementationRegistry`. Factory registries get `new(name, cfg)` products, handler
 * registries a handler, every other kind a lazily built provider.
 */
export function Register(registryId: string, name: string, opts: RegisterOptions = {}): PlugboardClassDecorator {
  checkDecoratorOptions('@Register', name, opts, undefined); // the target kind's own options pass through
  // `registry` is the first argument here; the rest are the target kind's own options.
  const { kind, lifetime, scope, replace, registry: _registryId, ...rest } = opts;
  const k = kind ?? ((scope ?? defaultScope()).peek(registryId)?.constructor as AnyRegistryClass | undefined) ?? ImplementationRegistry;
  const mode: IntentMode = k.kind === FactoryRegistry.kind ? 'factory' : k.kind === HandlerRegistry.kind ? 'handler' : 'provider';
  if (mode === 'factory') checkConfig('@Register', name, rest['config']);
  return registration({
    decorator: '@Register',
    registry: registryId,
    kind: k,
    name,
    mode,
    ...(lifetime === undefined ? {} : { lifetime }),
    options: { ...rest, ...(replace === true ? { replace: true } : {}) },
    ...(scope === undefined ? {} : { scope }),
  });
}

/**
 * Makes a domain decorator bound to one registry, e.g.
 * `export const Codec = createRegistryDecorator('codecs', TaggedRegistry)` and then
 * `@Codec('json') class JsonCodec {}`.
 */
export function createRegistryDecorator(
  registryId: string,
  kind: AnyRegistryClass = ImplementationRegistry,
  defaults: Omit<RegisterOptions, 'kind'> = {},
): (name: string, opts?: Omit<RegisterOptions, 'kind'>) => PlugboardClassDecorator {
  validateName('createRegistryDecorator', registryId);
  return (name, opts = {}) => Register(registryId, name, { ...defaults, ...opts, kind });
}

/**
 * Modifier: attaches tags and a rank to the class's registrations. A `TaggedRegistry` uses
 * them for `select`/`view`; other kinds ignore them. Combine with a registration decorator.
 */
export function Tagged(tags: Readonly<Record<string, string>> | readonly string[], rank?: number): PlugboardClassDecorator {
  if (typeof tags !== 'object' || tags === null) throw new DecoratorError('@Tagged', 'tags must be an object of strings or an array of strings');
  if (rank !== undefined && (typeof rank !== 'number' || !Number.isFinite(rank)))
    throw new DecoratorError('@Tagged', `rank must be a finite number, got ${String(rank)}`);
  return (...args: unknown[]) => {
    const cls = decoratedClass('@Tagged', args, undefined);
    recordAttributes(cls, { tags, ...(rank === undefined ? {} : { rank }) });
  };
}

/**
 * Modifier: gives the class's registrations a semver version. A `VersionedRegistry` requires
 * it (`get(name, '^1')`); other kinds ignore it. `@Version('not-semver')` throws
 * `InvalidVersionError` at decoration time.
 */
export function Version(version: string): PlugboardClassDecorator {
  const v = typeof version === 'string' ? semver.valid(version) : null;
  if (v === null) throw new InvalidVersionError('@Version', String(version), version, 'not a valid semver version');
  return (...args: unknown[]) => {
    const cls = decoratedClass('@Version', args, undefined);
    recordAttributes(cls, { version: v });
  };
}
