import { BaseRegistry, type RegistryOptions } from './base-registry.js';
import type { Entry, RegistryJSON } from './entry.js';
import { FrozenRegistryError, InvalidOptionError, RegistryError, RegistryKindError, throwCollected } from './errors.js';
import type { Resolver } from './di/resolver.js';
import { Injector, type AbortOptions, type GetOptions } from './di/injector.js';
import type { Provider } from './di/providers.js';
import type { InjectionToken } from './di/tokens.js';
import { installIntent, intentsOf, type Installation } from './intents.js';
import { validateName } from './names.js';
import type { AnyRegistry, RegistryClass } from './registry-class.js';
import { setSiblings } from './registry-siblings.js';

export type { RegistryClass } from './registry-class.js';

/** What {@link Scope.snapshot} returns: opaque, for {@link Scope.restore}. */
export interface ScopeSnapshot {
  readonly scope: Scope;
  readonly registries: ReadonlyMap<string, { readonly kind: string; readonly entries: ReadonlyArray<Entry<unknown>> }>;
}

/** What `Scope.toJSON()` returns. */
export interface ScopeJSON {
  name: string;
  parent?: string;
  frozen: boolean;
  registries: RegistryJSON[];
  children: ScopeJSON[];
}

/**
 * A set of registries by string id. Registries are created on first use and type-checked on
 * every later use. A child scope's registries fall back to the parent's for reads; its
 * writes stay local. Tests use scopes instead of global state.
 */
export class Scope {
  /** Name, for diagnostics. */
  readonly name: string;
  /** The scope reads fall back to. */
  readonly parent: Scope | undefined;
  #registries = new Map<string, AnyRegistry>();
  #children = new Set<WeakRef<Scope>>(); // weak: per-test child scopes must not pile up
  #frozen = false;
  #resolver: Resolver | undefined;
  #injector: Injector | undefined;
  readonly #created = new Set<(registry: AnyRegistry) => void>();

  constructor(name = 'root', parent?: Scope) {
    validateName('scope name', name);
    this.name = name;
    this.parent = parent;
  }

  /**
   * The registry `id` of kind `Kind`, created on first use (with `options`). Asking for an
   * existing id with another kind throws `RegistryKindError` (`E_KIND_MISMATCH`).
   */
  registry<R extends AnyRegistry, O extends RegistryOptions = RegistryOptions>(
    id: string,
    Kind: RegistryClass<R, O>,
    options?: Omit<O, 'parent' | 'scope'>,
  ): R {
    checkKind(this.name, id, Kind);
    const existing = this.#registries.get(id);
    if (existing !== undefined) {
      if (existing.kind !== Kind.kind) throw new RegistryKindError(this.name, id, existing.kind, Kind.kind);
      return existing as R;
    }
    validateName(`scope '${this.name}'`, id);
    const parent = this.parent?.registry(id, Kind, options);
    const created = new Kind(id, { ...options, scope: this.name, ...(parent === undefined ? {} : { parent }) } as O);
    if (this.#frozen) created.freeze();
    setSiblings(created, () => this.#visibleIds());
    this.#registries.set(id, created);
    for (const fn of this.#created) fn(created);
    return created;
  }

  /** The ids of the registries of this scope and its parents, and whether each was written to (typo hints). */
  #visibleIds(): Array<readonly [string, boolean]> {
    const out = new Map<string, boolean>();
    for (const [id, r] of this.#registries) out.set(id, r.written);
    for (const [id, written] of this.parent === undefined ? [] : this.parent.#visibleIds()) out.set(id, (out.get(id) ?? false) || written);
    return [...out];
  }

  /** The registry `id` if this scope has created it, without creating it. */
  peek(id: string): AnyRegistry | undefined {
    return this.#registries.get(id);
  }

  /** Calls `fn` with every registry this scope creates from now on (observability). Returns the unsubscribe function. */
  onRegistryCreated(fn: (registry: AnyRegistry) => void): () => void {
    if (typeof fn !== 'function')
      throw new InvalidOptionError(`scope '${this.name}'`, undefined, `onRegistryCreated needs a function, got ${fn === null ? 'null' : typeof fn}`);
    this.#created.add(fn);
    return () => this.#created.delete(fn);
  }

  /** The registries this scope owns, sorted by id. */
  registries(): AnyRegistry[] {
    return [...this.#registries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A child scope: lookups fall through to this scope, registrations stay in the child. */
  child(name: string): Scope {
    const c = new Scope(name, this);
    this.#children.add(new WeakRef(c));
    return c;
  }

  /** The child scopes created from this one. */
  children(): Scope[] {
    const live: Scope[] = [];
    for (const ref of this.#children) {
      const c = ref.deref();
      if (c === undefined) this.#children.delete(ref);
      else live.push(c);
    }
    return live;
  }

  /** Freezes every registry of the scope, including ones created later. Terminal. */
  freeze(): void {
    this.#frozen = true;
    for (const r of this.#registries.values()) r.freeze();
  }

  /** Whether {@link freeze} was called. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Captures every registry's entries, for {@link restore} in tests. */
  snapshot(): ScopeSnapshot {
    const registries = new Map<string, { kind: string; entries: ReadonlyArray<Entry<unknown>> }>();
    for (const [id, r] of this.#registries) registries.set(id, { kind: r.kind, entries: r.localSnapshot() });
    return { scope: this, registries };
  }

  /**
   * Puts back the entries captured by {@link snapshot}: registries created since are emptied,
   * the others get their captured entries back. A frozen scope cannot be restored
   * (`FrozenRegistryError`): freezing is terminal, so tests that freeze use a fresh scope.
   */
  restore(snap: ScopeSnapshot): void {
    if (typeof snap !== 'object' || snap === null || !((snap.registries as unknown) instanceof Map))
      throw new RegistryError('E_SNAPSHOT', `scope '${this.name}': restore needs what snapshot() returned, got ${snap === null ? 'null' : typeof snap}`);
    if (snap.scope !== this)
      throw new RegistryError(
        'E_SNAPSHOT',
        `scope '${this.name}': the snapshot was taken from ${snap.scope instanceof Scope ? `scope '${snap.scope.name}'` : 'something else'}`,
      );
    if (this.#frozen) throw new FrozenRegistryError(`scope '${this.name}'`, undefined, 'restore a snapshot');
    const frozen = [...this.#registries.values()].find((r) => r.state === 'frozen');
    if (frozen !== undefined) throw new FrozenRegistryError(frozen.id, undefined, 'restore a snapshot');
    for (const [id, r] of this.#registries) {
      const captured = snap.registries.get(id);
      r.restoreEntries(captured === undefined ? [] : captured.entries);
    }
  }

  /**
   * Attaches a DI resolver: from now on, providers and factory products of decorated classes
   * registered in this scope (and in child scopes without their own) are built through it.
   * Attach a child container's resolver to a child scope to line the two trees up.
   */
  attach(resolver: Resolver | undefined): this {
    this.#resolver = resolver;
    return this;
  }

  /** The resolver in effect: this scope's, else the nearest ancestor's. */
  get resolver(): Resolver | undefined {
    return this.#resolver ?? this.parent?.resolver;
  }

  /**
   * Builds an instance of `cls`. Providers (`config` absent) and factory products (`config`
   * is the validated config) of decorated classes are built through here: with a resolver
   * attached, the container supplies constructor dependencies and `config` is injectable as
   * `TOKENS.Config`; without one, the native {@link injector} does (`new cls(config)` for a
   * class that declares nothing).
   */
  construct<T>(cls: new (...args: never[]) => T, ...args: [] | [config: unknown]): T {
    const resolver = this.resolver ?? this.injector;
    return args.length === 0 ? resolver.construct(cls) : resolver.construct(cls, args[0]);
  }

  /** The scope's native injector (created on first use): the resolver when no container is attached. */
  get injector(): Injector {
    return (this.#injector ??= new Injector(this));
  }

  /**
   * Provides `token` in this scope: `{ value }`, `{ useClass, lifetime }`, `{ useFactory,
   * lifetime }`, or nothing for a class token (the class itself). Lifetimes: `'singleton'`
   * (default, one per providing scope), `'scoped'` (one per resolving scope, e.g. a child
   * scope per request) and `'transient'`. Child scopes see their parents' providers. Throws
   * `E_DUPLICATE` for a token this scope already provides, `E_FROZEN` on a frozen scope.
   */
  provide<T>(token: InjectionToken<T>, provider?: Provider<T>): this {
    this.injector.provide(token, provider);
    return this;
  }

  /**
   * The value of `token`, built synchronously if need be. Throws `E_DI_MISSING`, `E_DI_CYCLE`,
   * or `E_DI_ASYNC` if an async provider on the way has not settled (use {@link resolve}).
   */
  get<T>(token: InjectionToken<T>): T;
  get<T>(token: InjectionToken<T>, options: GetOptions & { optional: true }): T | undefined;
  get<T>(token: InjectionToken<T>, options?: GetOptions): T | undefined;
  get<T>(token: InjectionToken<T>, options?: GetOptions): T | undefined {
    return this.injector.get(token, options);
  }

  /** The value of `token`, awaiting async providers on the way. */
  resolve<T>(token: InjectionToken<T>, options?: AbortOptions): Promise<T> {
    return this.injector.resolve(token, options);
  }

  /**
   * Disposes everything this scope's injector built (child scopes first), in reverse order of
   * creation: `[Symbol.asyncDispose]()`, `[Symbol.dispose]()`, `dispose()` or `close()`.
   * Failures are collected into one `PlugboardAggregateError` (`E_DI_DISPOSE`) after every
   * disposal ran. Afterwards the scope builds nothing more (`E_DI_DISPOSED`).
   */
  dispose(options?: AbortOptions): Promise<void> {
    return this.injector.dispose(options);
  }

  /** `await using scope = new Scope('request')` disposes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /**
   * Replays the registrations recorded by decorators on `classes` into this scope, all or
   * nothing: if one fails, the ones already made are removed again and every failure is
   * reported. Throws `E_NOT_DECORATED` for a class with no registrations.
   */
  install(...classes: Array<abstract new (...args: never[]) => unknown>): void {
    const done: Installation[] = [];
    const errors: unknown[] = [];
    // What each touched registry held before, so that a failure puts back exactly that (an
    // entry a decorated class replaced included), and registries this call created go again.
    const before = new Map<string, { registry: AnyRegistry | undefined; entries: ReadonlyArray<Entry<unknown>> }>();
    for (const cls of classes) {
      const intents = typeof cls === 'function' ? intentsOf(cls) : [];
      if (intents.length === 0) {
        errors.push(new RegistryError('E_NOT_DECORATED', `scope '${this.name}': ${describeClass(cls)} has no plugboard registrations (is it decorated?)`));
        continue;
      }
      for (const intent of intents) {
        const id = typeof intent.registry === 'string' ? intent.registry : '';
        if (!before.has(id)) {
          const r = this.#registries.get(id);
          before.set(id, { registry: r, entries: r === undefined ? [] : r.localSnapshot() });
        }
        try {
          done.push(installIntent(this, cls, intent));
        } catch (err) {
          errors.push(err);
        }
      }
    }
    if (errors.length === 0) return;
    if (done.length > 0) {
      for (const [id, was] of before) {
        const now = this.#registries.get(id);
        if (now === undefined || now.state === 'frozen') continue;
        if (was.registry === undefined) this.#registries.delete(id);
        else if (!sameEntries(now.localSnapshot(), was.entries)) now.restoreEntries(was.entries);
      }
    }
    throwCollected(errors, (n) => `scope '${this.name}': install failed (${n} errors); nothing was installed`);
  }

  /**
   * Installs every decorated class exported by a module namespace
   * (`scope.installModule(await import('./drivers'))`). Returns the classes installed.
   */
  installModule(namespace: Readonly<Record<string, unknown>>): Array<abstract new (...args: never[]) => unknown> {
    if (typeof namespace !== 'object' || namespace === null)
      throw new InvalidOptionError(
        `scope '${this.name}'`,
        undefined,
        `installModule needs a module namespace (await import(...)), got ${namespace === null ? 'null' : typeof namespace}`,
      );
    const classes = [...new Set(Object.values(namespace))].filter(
      (v): v is abstract new (...args: never[]) => unknown => typeof v === 'function' && intentsOf(v as never).length > 0,
    );
    this.install(...classes);
    return classes;
  }

  /** Diagnostics for every registry and child scope. */
  toJSON(): ScopeJSON {
    return {
      name: this.name,
      ...(this.parent === undefined ? {} : { parent: this.parent.name }),
      frozen: this.#frozen,
      registries: this.registries().map((r) => r.toJSON()),
      children: this.children().map((c) => c.toJSON()),
    };
  }
}

function sameEntries(a: ReadonlyArray<Entry<unknown>>, b: ReadonlyArray<Entry<unknown>>): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/** `Kind` must be a registry class (a constructor with a static `kind`): `scope.registry(id, undefined)` is E_INVALID_OPTION. */
function checkKind(scope: string, id: unknown, Kind: unknown): void {
  if (typeof Kind !== 'function' || typeof (Kind as { kind?: unknown }).kind !== 'string' || !(Kind.prototype instanceof BaseRegistry))
    throw new InvalidOptionError(
      `scope '${scope}'`,
      typeof id === 'string' ? id : undefined,
      `registry(id, Kind) needs a registry class such as ImplementationRegistry as Kind, got ${describeClass(Kind)}`,
    );
}

function describeClass(cls: unknown): string {
  return typeof cls === 'function' ? `class ${cls.name || '(anonymous)'}` : `a ${cls === null ? 'null' : typeof cls}`;
}
