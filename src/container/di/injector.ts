/**
 * The native injector: one per scope, created on first use. It implements {@link Resolver}, so a
 * scope without an attached container builds its decorated providers and factory products with
 * it, and it serves `scope.provide` / `get` / `resolve` / `dispose`.
 *
 * Lookups fall through to the parent scope's injector, as registry reads do. A singleton is
 * built by (and disposed with) the scope that provides it, with its dependencies resolved
 * there; scoped and transient instances by the scope that asked for them.
 */
import type { BaseRegistry } from '../base-registry.js';
import { DuplicateRegistrationError, FactoryError, FrozenRegistryError, NilRegistrationError, PlugboardAggregateError, PlugboardError } from '../errors.js';
import type { FactoryRegistry } from '../factory-registry.js';
import type { Scope } from '../scope.js';
import { LazySite } from '../site.js';
import { withinAsyncPath } from './async-path.js';
import { configClassOf } from './config-class.js';
import { context, NO_CONFIG, type Frame } from './context.js';
import { asyncError, cycleError, disposedError, missingError } from './diagnostics.js';
import { disposeReversed, isDisposable } from './disposal.js';
import { DiError } from './errors.js';
import { planOf, unfillable, type Plan } from './plan.js';
import { isThenable, raceAbort } from './promises.js';
import { ProviderRecord, toRecord, UNSET, type Provider } from './providers.js';
import { awaitable, prefetched, resolveAsync } from './resolve.js';
import type { Resolver } from './resolver.js';
import { isInjectionToken, registryTarget, tokenName, TOKENS, type InjectionToken, type RegistryTokenTarget } from './tokens.js';

type Ctor = new (...args: unknown[]) => unknown;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistry = BaseRegistry<any, any>;

/** Options of {@link Injector.get}. */
export interface GetOptions {
  /** Return `undefined` instead of throwing `E_DI_MISSING` when nothing provides the token. */
  optional?: boolean;
}

/** Options of {@link Injector.resolve} and {@link Injector.dispose}. */
export interface AbortOptions {
  /** Stop waiting (`E_DI_ABORTED`); the work itself goes on and its results are still disposed with the scope. */
  signal?: AbortSignal;
}

/** Bumped by every `provide`, anywhere: cached parameter lookups ({@link ProviderRecord.deps}) are then stale. */
let providesVersion = 0;

// It is also the `FrameResolver` of its frames (structurally: that interface is internal).
export class Injector implements Resolver {
  /** The scope this injector belongs to. */
  readonly scope: Scope;
  /** The parent scope's injector: lookups fall through to it. */
  readonly parent: Injector | undefined;
  readonly #records = new Map<unknown, ProviderRecord>();
  /** Provided values and built singletons of this scope, by token: the hot path of `get` is one lookup here. */
  readonly #values = new Map<unknown, unknown>();
  /** Records made on demand for entries of factory registries (`entryToken`). */
  readonly #implicit = new Map<symbol, ProviderRecord>();
  #scoped: Map<ProviderRecord, unknown> | undefined;
  #scopedPending: Map<ProviderRecord, Promise<unknown>> | undefined;
  /** Disposable instances built here, in creation order, with their labels. */
  readonly #built = new Map<object, string>();
  /** Async factories in flight: disposal waits for them. */
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;
  #disposal: Promise<void> | undefined;

  constructor(scope: Scope) {
    this.scope = scope;
    this.parent = scope.parent?.injector;
  }

  /** See {@link Scope.provide}. */
  provide<T>(token: InjectionToken<T>, provider?: Provider<T>): void {
    const site = new LazySite();
    const record = toRecord(this.scope.name, token, provider, this, site);
    const where = `scope '${this.scope.name}'`;
    if (this.#closed) throw disposedError(this.scope.name);
    if (this.scope.frozen) throw new FrozenRegistryError(where, record.name, 'provide', site.value);
    const existing = this.#records.get(token);
    if (existing !== undefined) {
      const shown = (r: ProviderRecord): unknown => (r.kind === 'value' ? r.value : (r.cls ?? r.factory));
      throw new DuplicateRegistrationError(
        where,
        record.name,
        { value: shown(existing), site: existing.site?.value },
        { value: shown(record), site: site.value },
      );
    }
    this.#records.set(token, record);
    if (record.value !== UNSET) this.#values.set(token, record.value);
    providesVersion++;
  }

  /** See {@link Scope.get}. The hot path: a built singleton is one `Map` lookup. */
  get<T>(token: InjectionToken<T>, options?: GetOptions): T {
    const v = this.#values.get(token);
    if (v !== undefined) return v as T;
    const r = this.#records.get(token);
    if (r === undefined) return this.#lookup(token, options?.optional === true, undefined) as T;
    return (r.value !== UNSET ? r.value : this.#instance(r)) as T;
  }

  /** @internal Resolves an `inject()` (or a `static inject` parameter) of the construction `frame`. */
  inFrame(frame: Frame, token: unknown, optional: boolean): unknown {
    const v = this.#values.get(token);
    if (v !== undefined) return v;
    const r = this.#records.get(token);
    if (r === undefined) return this.#lookup(token, optional, frame);
    return r.value !== UNSET ? r.value : this.#instance(r);
  }

  /**
   * See {@link Scope.resolve}. Tries a synchronous build; when it meets an async provider that
   * has not settled, awaits it and tries again (constructors that ran before the async
   * dependency was met run again; singletons they built are kept).
   */
  resolve<T>(token: InjectionToken<T>, options: AbortOptions = {}): Promise<T> {
    return resolveAsync({ scope: this.scope, closed: () => this.#closed, attempt: () => this.get(token) }, token, options.signal);
  }

  /**
   * Builds `cls` (the {@link Resolver} contract): a decorated provider, or, with `config`, a
   * factory product, which gets `config` as its first constructor argument (without `static
   * inject`) and as `inject(TOKENS.Config)`. Errors are not wrapped: the registry names them.
   */
  construct<T>(cls: new (...args: never[]) => T, config?: unknown): T {
    if (this.#closed) throw disposedError(this.scope.name);
    const h = context();
    const parent = h.frame;
    const label = cls.name || 'anonymous class';
    for (let f = parent; f !== undefined; f = f.parent) {
      if (f.record === undefined && f.cls === cls) throw cycleError(this.scope.name, label, parent, (x) => x === f);
    }
    const frame: Frame = { injector: this, label, record: undefined, cls, config: config === undefined ? NO_CONFIG : config, parent };
    const plan = planOf(cls);
    h.frame = frame;
    let value: unknown;
    try {
      value = this.#instantiate(frame, cls as unknown as Ctor, plan, undefined);
    } finally {
      h.frame = parent;
    }
    if ((plan.disposable ??= isDisposable(value))) this.#built.set(value as object, label);
    return value as T;
  }

  /** See {@link Scope.dispose}. Idempotent: every call gets the same promise. */
  dispose(options: AbortOptions = {}): Promise<void> {
    this.#closeTree();
    return (this.#disposal ??= this.#dispose(options.signal));
  }

  /**
   * Closes this scope and every scope below it at once: the children are disposed one after
   * another, and a child not yet reached must not start a build meanwhile (it would be built
   * again, or outlive the disposal).
   */
  #closeTree(): void {
    this.#closed = true;
    for (const child of this.scope.children()) child.injector.#closeTree();
  }

  async #dispose(signal: AbortSignal | undefined): Promise<void> {
    const name = this.scope.name;
    const errors: unknown[] = [];
    for (const child of this.scope.children().reverse()) {
      try {
        await child.injector.dispose(signal === undefined ? {} : { signal });
      } catch (err) {
        errors.push(...(err instanceof PlugboardAggregateError ? (err.errors as unknown[]) : [err]));
      }
    }
    while (this.#inflight.size > 0) {
      try {
        await raceAbort(Promise.allSettled([...this.#inflight]), signal, 'waiting for async providers in flight', name);
      } catch (err) {
        errors.push(err);
        break;
      }
    }
    this.#values.clear();
    for (const r of this.#records.values()) r.value = UNSET;
    for (const r of this.#implicit.values()) r.value = UNSET;
    this.#scoped = undefined;
    const built = new Map(this.#built);
    this.#built.clear();
    errors.push(...(await disposeReversed(built, name, signal)));
    if (errors.length > 0) {
      const reasons = errors.map((e) => (e instanceof Error ? e.message : String(e))).join(' | ');
      throw new PlugboardAggregateError('E_DI_DISPOSE', errors, `scope '${name}': ${errors.length} of ${built.size} disposals failed: ${reasons}`);
    }
  }

  #lookup(token: unknown, optional: boolean, frame: Frame | undefined): unknown {
    if (!isInjectionToken(token)) {
      const who = frame === undefined ? '' : `${frame.label}: `;
      throw new DiError('E_DI_TOKEN', `scope '${this.scope.name}': ${who}not a token: ${tokenName(token)}; a token is a class or a symbol (token<T>('name'))`, {
        scope: this.scope.name,
      });
    }
    const r = this.#find(token);
    return r === undefined ? this.#builtin(token, optional, frame) : this.#instance(r);
  }

  #find(token: unknown): ProviderRecord | undefined {
    const parent = this.parent;
    return this.#records.get(token) ?? (parent === undefined ? undefined : parent.#find(token));
  }

  /** The value of `r` for this (the asking) injector, by lifetime. */
  #instance(r: ProviderRecord): unknown {
    if (r.lifetime === 'singleton') {
      if (r.value !== UNSET) return r.value;
      if (r.pending !== undefined) throw this.#pending(r, r.pending);
      return (r.owner as Injector).#produce(r);
    }
    if (r.lifetime === 'scoped') {
      const v = this.#scoped?.get(r);
      if (v !== undefined) return v;
      const p = this.#scopedPending?.get(r);
      if (p !== undefined) throw this.#pending(r, p);
    } else if (r.kind === 'factory') {
      const ready = prefetched(r);
      if (ready !== undefined) return ready.value;
    }
    return this.#produce(r);
  }

  /** Builds a new value of `r` with this injector as the context, and keeps it as its lifetime says. */
  #produce(r: ProviderRecord): unknown {
    if (this.#closed) throw disposedError(this.scope.name);
    const h = context();
    const parent = h.frame;
    if (r.building) throw cycleError(this.scope.name, r.name, parent, (f) => f.record === r);
    let frame = r.frame;
    if (frame === undefined) {
      frame = r.frame = { injector: this, label: r.name, record: r, cls: r.cls, config: NO_CONFIG, parent };
    } else {
      frame.injector = this;
      frame.parent = parent;
    }
    r.building = true;
    h.frame = frame;
    let value: unknown;
    try {
      value = r.kind === 'class' ? this.#instantiate(frame, r.cls!, (r.plan ??= planOf(r.cls!)), r) : withinAsyncPath(r, () => r.factory!(this.scope));
    } catch (err) {
      throw this.#failed(r, err);
    } finally {
      h.frame = parent;
      frame.parent = undefined; // the reused frame must not keep the caller's frames alive
      r.building = false;
    }
    if (r.kind === 'factory' && isThenable(value)) throw this.#started(r, value, parent);
    return this.#keep(r, value);
  }

  /**
   * Builds `cls` in `frame`: constructor arguments from `static inject`, else the config (if
   * any) and the emitted parameter types, then legacy `@Inject` members. A parameter nothing
   * fills is `E_DI_PARAMS` before the constructor runs. For a provided class (`r`), the parameters' records
   * are looked up once and reused until a provider is added somewhere.
   */
  #instantiate(frame: Frame, cls: Ctor, plan: Plan, r: ProviderRecord | undefined): unknown {
    const params = plan.params;
    let instance: unknown;
    if (params === undefined) {
      // Nothing says what the parameters are: never call a constructor with `undefined`s.
      const filled = frame.config === NO_CONFIG ? 0 : 1;
      if (plan.arity > filled) throw unfillable(cls, filled, undefined);
      instance = filled === 0 ? new cls() : new cls(frame.config);
    } else if (plan.from === 'metadata' && (frame.config !== NO_CONFIG || plan.bad.length > 0)) {
      // Typed by its parameters: a factory product gets its config first, as without types, then the rest by type.
      const filled = frame.config === NO_CONFIG ? 0 : 1;
      const bad = plan.bad.find((b) => b.index >= filled);
      if (bad !== undefined) throw unfillable(cls, bad.index, bad.type);
      const args: unknown[] = filled === 0 ? [] : [frame.config];
      for (let i = filled; i < params.length; i++) args.push(this.inFrame(frame, params[i], false));
      instance = new cls(...args);
    } else {
      let deps: ReadonlyArray<ProviderRecord | undefined> | undefined;
      if (r !== undefined) {
        if (r.depsFrom !== this || r.depsVersion !== providesVersion) {
          r.deps = params.map((t) => this.#find(t));
          r.depsFrom = this;
          r.depsVersion = providesVersion;
        }
        deps = r.deps;
      }
      // Up to three arguments without an array and a spread: this is the hot path of a transient.
      const n = params.length;
      const a0 = n > 0 ? this.#arg(frame, params, deps, 0) : undefined;
      const a1 = n > 1 ? this.#arg(frame, params, deps, 1) : undefined;
      const a2 = n > 2 ? this.#arg(frame, params, deps, 2) : undefined;
      if (n <= 3) {
        instance = n === 0 ? new cls() : n === 1 ? new cls(a0) : n === 2 ? new cls(a0, a1) : new cls(a0, a1, a2);
      } else {
        const args: unknown[] = [a0, a1, a2];
        for (let i = 3; i < n; i++) args.push(this.#arg(frame, params, deps, i));
        instance = new cls(...args);
      }
    }
    const members = plan.members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const v = this.inFrame(frame, m.token, m.optional);
      if (v !== undefined) (instance as Record<PropertyKey, unknown>)[m.key] = v; // optional and missing: keep the field's own value
    }
    return instance;
  }

  #arg(frame: Frame, params: readonly InjectionToken[], deps: ReadonlyArray<ProviderRecord | undefined> | undefined, i: number): unknown {
    const d = deps === undefined ? undefined : deps[i];
    if (d === undefined) return this.inFrame(frame, params[i], false); // not cached, or built in (TOKENS.Config…)
    return d.value !== UNSET ? d.value : this.#instance(d);
  }

  #keep(r: ProviderRecord, value: unknown): unknown {
    if (value === undefined || value === null) {
      throw new NilRegistrationError(`scope '${this.scope.name}'`, r.name, `useFactory returned ${String(value)}`, r.site?.value);
    }
    if (r.plan !== undefined ? (r.plan.disposable ??= isDisposable(value)) : isDisposable(value)) this.#built.set(value, r.name);
    if (r.lifetime === 'singleton') {
      r.value = value;
      this.#values.set(r.token, value); // this is the owner: singletons are built by their providing scope
    } else if (r.lifetime === 'scoped') (this.#scoped ??= new Map()).set(r, value);
    return value;
  }

  /** An async factory returned `thenable`: remember it as pending and ask the caller to await it. */
  #started(r: ProviderRecord, thenable: PromiseLike<unknown>, frame: Frame | undefined): DiError {
    const settle = async (): Promise<unknown> => {
      try {
        return this.#keep(r, await thenable);
      } catch (err) {
        throw this.#failed(r, err);
      } finally {
        this.#inflight.delete(p);
        if (r.lifetime === 'singleton') r.pending = undefined;
        else if (r.lifetime === 'scoped') this.#scopedPending?.delete(r);
      }
    };
    const p = settle();
    p.catch(() => undefined); // its failure reaches whoever awaits it; unawaited, it is not unhandled
    this.#inflight.add(p);
    if (r.lifetime === 'singleton') r.pending = p;
    else if (r.lifetime === 'scoped') (this.#scopedPending ??= new Map()).set(r, p);
    return this.#pending(r, p, frame);
  }

  #pending(r: ProviderRecord, promise: Promise<unknown>, frame: Frame | undefined = context().frame): DiError {
    return awaitable(asyncError(this.scope.name, r.name, frame), r, promise);
  }

  #failed(r: ProviderRecord, err: unknown): unknown {
    if (err instanceof PlugboardError) return err; // already typed and named (a dependency's failure, a cycle…)
    return new FactoryError(`scope '${this.scope.name}'`, r.name, err, r.site?.value);
  }

  /** Tokens nobody provides but plugboard knows: the config, the scope, registries and their entries. */
  #builtin(token: InjectionToken, optional: boolean, frame: Frame | undefined): unknown {
    if (frame !== undefined && frame.config !== NO_CONFIG && (token === TOKENS.Config || token === configClassOf(frame.config))) return frame.config;
    if (token === TOKENS.Scope) return this.scope;
    const target = typeof token === 'symbol' ? registryTarget(token) : undefined;
    if (target !== undefined) {
      const v = this.#fromRegistry(token as symbol, target, optional);
      if (v !== undefined) return v;
    }
    if (optional) return undefined;
    throw missingError(this.scope.name, token, frame, this.#known(), this.parent !== undefined);
  }

  #fromRegistry(token: symbol, target: RegistryTokenTarget, optional: boolean): unknown {
    const id = target.kind === 'registry' ? target.id : target.registry;
    let owner: Scope | undefined = this.scope;
    let registry: AnyRegistry | undefined;
    while (owner !== undefined) {
      registry = owner.peek(id);
      if (registry !== undefined) break;
      owner = owner.parent;
    }
    if (registry === undefined || owner === undefined) return undefined;
    if (target.kind === 'registry') return registry;
    // A missing entry throws the registry's own E_UNKNOWN, with its "did you mean".
    if (!registry.has(target.name)) return optional ? undefined : registry.mustGet(target.name);
    if (registry.kind !== 'factory') return registry.mustGet(target.name);
    const injector = owner.injector;
    let r = injector.#implicit.get(token);
    if (r === undefined) {
      const factories = registry as unknown as FactoryRegistry<unknown>;
      r = new ProviderRecord(token, tokenName(token), injector, 'singleton', 'factory', undefined, () => factories.new(target.name), undefined);
      injector.#implicit.set(token, r);
    }
    return this.#instance(r);
  }

  /** Every token this injector and its parents provide. */
  #known(): unknown[] {
    const parent = this.parent;
    return [...new Set([...this.#records.keys(), ...(parent === undefined ? [] : parent.#known())])];
  }
}
