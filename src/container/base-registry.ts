import type { ChangeListener, Entry, RegisterOptions, RegistryChange, RegistryJSON, RegistryState } from './entry.js';
import { DuplicateRegistrationError, FrozenRegistryError, InvalidOptionError, NilRegistrationError, throwCollected, UnknownNameError } from './errors.js';
import { closestName, validateName } from './names.js';
import { captureSite, LazySite, resolveSite, type CapturedStack, type SiteEntry, type SiteRef } from './site.js';
import { ChangeListeners } from './change-listeners.js';
import { createEntry, rawValue, reown } from './stored-entry.js';
import { checkOwnerSwap, ownerSwap } from './owner-swap.js';
import { registryJSON } from './registry-json.js';
import { mistypedId } from './registry-siblings.js';
import { diffStores, removed, stored } from './store-changes.js';
import { commitBatch, prepareBatch, toItems, type BatchInput } from './batch.js';
import { EMPTY_META, freezeMeta, sameMeta } from './meta.js';
import type { RegistryObserver } from './observer.js';
import type { ReadonlyRegistry } from './readonly-registry.js';
import type { Prepared, RegistryOptions } from './registry-options.js';

export type { BatchInput, BatchItem } from './batch.js';
export type { RegistryObserver } from './observer.js';
export type { Prepared, RegistryOptions } from './registry-options.js';

/**
 * The storage and invariants shared by every registry kind: no duplicates, no nil, validated
 * keys, validate-then-commit, sorted copies for listings, a terminal freeze, a version that
 * moves on every mutation, change listeners, and whole-snapshot swaps for hot reload.
 *
 * Storage is a private `Map` that is never handed out: `__proto__` and `constructor` are
 * ordinary keys.
 */
export abstract class BaseRegistry<V, O extends RegisterOptions = RegisterOptions> implements ReadonlyRegistry<V> {
  /** Kind name, e.g. `implementation`; used by scopes to type-check registry ids. */
  static readonly kind: string = 'base';

  /** Stable id of this registry, e.g. `sql.drivers`. */
  readonly id: string;
  /** Name of the scope that owns the registry, if any. */
  readonly scopeName: string | undefined;
  /** The registry this one falls back to on reads. */
  protected readonly parent: this | undefined;

  #store = new Map<string, Entry<V>>();
  #frozen = false;
  #version = 0;
  #seq = 0;
  readonly #listeners: ChangeListeners<V>;
  readonly #captureSites: boolean;
  #observer: RegistryObserver | undefined;

  constructor(id: string, options: RegistryOptions = {}) {
    validateName('registry id', id);
    if (typeof options !== 'object' || options === null)
      throw new InvalidOptionError(id, undefined, `registry options must be an object, got ${options === null ? 'null' : typeof options}`);
    this.id = id;
    this.#listeners = new ChangeListeners<V>(id);
    this.scopeName = options.scope;
    this.parent = options.parent as this | undefined;
    this.#captureSites = options.captureSites ?? true;
  }

  /** The kind name of this registry (`implementation`, `factory`, …). */
  get kind(): string {
    return (this.constructor as typeof BaseRegistry).kind;
  }

  // ---------------------------------------------------------------- reads

  /** The value registered under `key` here or in a parent, or `undefined`. Never throws. */
  get(key: string): V | undefined {
    const e = this.#store.get(key);
    const o = this.#observer;
    if (e !== undefined) {
      if (o !== undefined) o.lookup?.(true);
      return e.value;
    }
    const v = this.parent === undefined ? undefined : this.parent.#find(key);
    if (o !== undefined) o.lookup?.(v !== undefined);
    return v;
  }

  /** `get` without observation, for the parent chain. */
  #find(key: string): V | undefined {
    const e = this.#store.get(key);
    if (e !== undefined) return e.value;
    return this.parent === undefined ? undefined : this.parent.#find(key);
  }

  /** Attaches (or, with `undefined`, detaches) observability hooks. */
  observe(observer: RegistryObserver | undefined): void {
    this.#observer = observer;
  }

  /** Whether `key` is registered here or in a parent. */
  has(key: string): boolean {
    return this.#store.has(key) || (this.parent !== undefined && this.parent.has(key));
  }

  /** Like {@link get}, but a miss throws `UnknownNameError` listing the known names and the closest one. */
  mustGet(key: string): V {
    const v = this.get(key);
    if (v === undefined) throw this.unknown(key);
    return v;
  }

  /** The entry (value plus site, owner and metadata) under `key`, or `undefined`. */
  entry(key: string): Entry<V> | undefined {
    return this.#store.get(key) ?? this.parent?.entry(key);
  }

  /** Sorted copy of every key, parents' included. */
  names(): string[] {
    return [...(this.parent === undefined ? this.#store.keys() : this.merged().keys())].sort();
  }

  /** Number of entries, parents' included (a local entry hides a parent's of the same key). */
  get size(): number {
    return this.parent === undefined ? this.#store.size : this.merged().size;
  }

  /** Every entry (frozen), sorted by key. A local entry hides a parent's of the same key. */
  entries(): Array<Entry<V>> {
    return [...this.merged().values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Calls `fn` for every entry in key order; returning `false` stops early. Iterates a snapshot. */
  range(fn: (value: V, key: string, entry: Entry<V>) => boolean | void): void {
    checkCallback(this.id, 'range', fn);
    for (const e of this.entries()) if (fn(e.value, e.key, e) === false) return;
  }

  /** Iterates `[key, value]` pairs of a snapshot, in key order. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const e of this.entries()) yield [e.key, e.value];
  }

  /** `'empty'`, `'populated'` or `'frozen'` (terminal). */
  get state(): RegistryState {
    if (this.#frozen) return 'frozen';
    return this.#store.size > 0 ? 'populated' : 'empty';
  }

  /** Increases on every mutation. */
  get version(): number {
    return this.#version;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Registers `value` under `name`. Throws `InvalidNameError`, `NilRegistrationError`,
   * `DuplicateRegistrationError` (unless `opts.replace`) or `FrozenRegistryError`; on any
   * error nothing changes. Returns the storage key (the name; `name@version` for versioned).
   */
  register(name: string, value: V, opts?: O): string {
    let site: SiteRef = opts?.site;
    if (site === undefined && this.#captureSites) {
      // The site is the caller of `register`, captured here and not in a helper: V8 walks
      // every frame above `register` to find it, at ~0.2 µs each (see docs/benchmarks.md).
      const holder: CapturedStack = {};
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 1;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- a stack marker for captureStackTrace, never called
      Error.captureStackTrace(holder, this.register);
      Error.stackTraceLimit = limit;
      site = holder; // formatted when the entry's site is first read
    }
    if (this.#observer === undefined) return this.#register(name, value, opts, site);
    try {
      return this.#register(name, value, opts, site);
    } catch (err) {
      this.#observer.rejected?.('register', err);
      throw err;
    }
  }

  #register(name: string, value: V, opts: O | undefined, site: SiteRef): string {
    if (this.#frozen) throw this.frozenError('register', name, opts);
    const p = this.prepare(name, value, opts, undefined);
    const previous = this.#store.get(p.key);
    if (previous !== undefined && opts?.replace !== true) {
      const incoming = resolveSite(site) ?? this.errorSite(opts);
      throw new DuplicateRegistrationError(this.id, p.key, previous, { value: p.value, ...(incoming === undefined ? {} : { site: incoming }) });
    }
    const entry = this.makeEntry(p, opts, site, previous);
    this.#store.set(p.key, entry);
    this.#version++;
    if (this.#listeners.active) this.#listeners.emit([stored(this.id, p.key, entry, previous)], this.#version);
    return p.key;
  }

  /**
   * Registers several entries, all or nothing: every item is validated (including duplicates
   * within the batch) before any is committed. One failure is thrown as itself; several are
   * reported together as one `PlugboardAggregateError` with code `E_BATCH`. Input that is not
   * a `Map`, a record or an iterable of `[name, value, opts?]` tuples is `E_INVALID_OPTION`.
   */
  registerAll(input: BatchInput<V, O>): void {
    this.#observed('registerAll', () => this.#registerAll(input));
  }

  #registerAll(input: BatchInput<V, O>): void {
    if (this.#frozen) throw this.frozenError('register', undefined, undefined);
    const items = toItems(this.id, 'registerAll', input);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a stack marker for captureStackTrace, never called
    const site = this.siteOf(undefined, this.registerAll);
    const check = (repeats: boolean) =>
      prepareBatch(
        this.id,
        items,
        site,
        (n, v, o) => this.prepare(n, v, o, undefined),
        (k) => this.#store.get(k),
        repeats,
      );
    const message = (n: number): string => `${this.id}: batch registration rejected (${n} errors); nothing was registered`;
    const { prepared, errors } = check(false);
    if (errors.length > 0) throwCollected(check(true).errors, message, this.id); // the full report, repeats included
    if (prepared.length === 0) return;
    const seq = this.#seq;
    const previous = commitBatch(
      this.#store,
      prepared,
      ({ p, opts }, prev) => this.makeEntry(p, opts, opts?.site ?? site, prev),
      (e) => e.seq >= seq,
    );
    if (previous === false) {
      this.#seq = seq;
      return throwCollected(check(true).errors, message, this.id); // a key repeated within the batch
    }
    this.#version++;
    if (this.#listeners.active)
      this.#listeners.emit(
        prepared.map(({ p }, i) => stored(this.id, p.key, this.#store.get(p.key)!, previous[i])),
        this.#version,
      );
  }

  /**
   * Hot reload: validates `input` as a whole new set of entries, then swaps it in with one
   * assignment. A reader sees the old set or the new one, never a mix. Keys present in both
   * keep their registration order. Listeners get the diff (adds, replaces, removes).
   */
  replaceAll(input: BatchInput<V, O>): void {
    this.#observed('replaceAll', () => this.#replaceAll(input));
    this.#observer?.swapped?.();
  }

  #replaceAll(input: BatchInput<V, O>): void {
    if (this.#frozen) throw this.frozenError('replaceAll', undefined, undefined);
    const items = toItems(this.id, 'replaceAll', input);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a stack marker for captureStackTrace, never called
    const site = this.siteOf(undefined, this.replaceAll);
    const check = (repeats: boolean) =>
      prepareBatch(
        this.id,
        items,
        site,
        (n, v, o) => this.prepare(n, v, o, undefined),
        () => undefined,
        repeats,
      );
    const message = (n: number): string => `${this.id}: replaceAll rejected (${n} errors); the old entries stay`;
    const { prepared, errors } = check(false);
    if (errors.length > 0) throwCollected(check(true).errors, message, this.id); // the full report, repeats included
    const old = this.#store;
    const next = new Map<string, Entry<V>>();
    const seq = this.#seq;
    for (const { p, opts } of prepared) {
      if (next.has(p.key)) {
        this.#seq = seq;
        return throwCollected(check(true).errors, message, this.id); // a key repeated within the batch
      }
      next.set(p.key, this.makeEntry(p, opts, opts?.site ?? site, old.get(p.key)));
    }
    const changes = diffStores(this.id, old, next, (a, b) => rawValue(a) === rawValue(b) && sameMeta(a.meta, b.meta));
    this.#store = next; // the swap: one assignment
    this.committed(changes, true);
  }

  /** Removes `key` from this registry (not from a parent). Returns whether it was there. */
  unregister(key: string): boolean {
    if (this.#frozen) throw this.frozenError('unregister', key, undefined);
    const previous = this.#store.get(key);
    if (previous === undefined) return false;
    this.#store.delete(key);
    this.committed([removed(this.id, key, previous)]);
    return true;
  }

  /** Removes every entry attributed to `owner` (plugin rollback/unload). Returns the removed keys. */
  unregisterOwner(owner: string): string[] {
    if (this.#frozen) throw this.frozenError('unregister entries of', owner, undefined);
    const changes: Array<RegistryChange<V>> = [];
    for (const [key, previous] of this.#store) {
      if (previous.owner === owner) changes.push(removed(this.id, key, previous));
    }
    for (const c of changes) this.#store.delete(c.key);
    this.committed(changes);
    return changes.map((c) => c.key);
  }

  /** Freezes the registry for good: every later mutation throws `FrozenRegistryError`. Idempotent. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Subscribes to additions, replacements and removals. Returns the unsubscribe function. */
  onChange(listener: ChangeListener<V>): () => void {
    checkCallback(this.id, 'onChange', listener);
    return this.#listeners.add(listener);
  }

  /** Diagnostics: kind, state, version and every entry with its site and metadata (not the values). */
  toJSON(): RegistryJSON {
    return registryJSON(this);
  }

  // ---------------------------------------------------------------- for kinds and scopes

  /**
   * Validates one registration and returns what to store. Kinds override this to add their
   * own checks and metadata, calling `super.prepare` first and assigning `meta` a new object
   * (the one it returns is shared and frozen). Must not mutate anything else.
   */
  protected prepare(name: string, value: V, _opts: O | undefined, site: string | undefined): Prepared<V> {
    validateName(this.id, name);
    if (value === null || value === undefined) {
      throw new NilRegistrationError(this.id, name, `cannot register ${value === null ? 'null' : 'undefined'}`, site);
    }
    return { key: name, name, value, meta: EMPTY_META };
  }

  /** Builds the error thrown when a lookup that needs a hit misses. */
  protected unknown(key: string): UnknownNameError {
    if (typeof key !== 'string') validateName(this.id, key); // mustGet(undefined): E_INVALID_NAME, not a miss
    const known = this.names();
    return new UnknownNameError(this.id, key, known, closestName(key, known), undefined, undefined, this.mistypedId());
  }

  /** The id this registry's was likely mistyped from, when nobody ever wrote to it (see `mistypedId`). */
  protected mistypedId(): string | undefined {
    return this.#neverWritten() ? mistypedId(this) : undefined;
  }

  #neverWritten(): boolean {
    return this.#version === 0 && (this.parent === undefined || this.parent.#neverWritten());
  }

  /** @internal Whether anything was ever registered here or in a parent (the scope's typo check). */
  get written(): boolean {
    return !this.#neverWritten();
  }

  /** @internal This registry's own entries (not the parent's), in insertion order. A snapshot. */
  localSnapshot(): Array<Entry<V>> {
    return [...this.#store.values()];
  }

  /** Local entries plus parents' entries whose keys are not shadowed locally. */
  protected merged(): Map<string, Entry<V>> {
    const out = this.parent === undefined ? new Map<string, Entry<V>>() : this.parent.merged();
    for (const [k, e] of this.#store) out.set(k, e);
    return out;
  }

  /** Version of this registry and its ancestors, for caches that depend on both. */
  protected lineageVersion(): string {
    return this.parent === undefined ? `${this.#version}` : `${this.#version}/${this.parent.lineageVersion()}`;
  }

  /** @internal Replaces every local entry with `entries` (used by `Scope.restore`). */
  restoreEntries(entries: ReadonlyArray<Entry<V>>): void {
    if (this.#frozen) throw this.frozenError('restore', undefined, undefined);
    // Everything is computed before the swap (no spread of the entries into Math.max: that
    // overflows the call stack past ~120k entries, after the store had been swapped).
    const next = new Map(entries.map((e) => [e.key, e]));
    const seq = entries.reduce((max, e) => Math.max(max, e.seq + 1), this.#seq);
    const changes = diffStores(this.id, this.#store, next, (a, b) => a === b);
    this.#store = next;
    this.#seq = seq;
    this.committed(changes, true);
    this.#observer?.swapped?.();
  }

  #observed(operation: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#observer?.rejected?.(operation, err);
      throw err;
    }
  }

  /**
   * @internal Plugin commit and hot reload: makes `entries` (validated by a staging registry
   * of the same kind) the whole set attributed to `owner`, swapped in with one assignment as
   * `replaceAll` does. A key held by anyone else is a duplicate, and then nothing changes.
   * With `check`, only validates (so a caller can check several registries before changing any).
   */
  adoptEntries(owner: string, entries: ReadonlyArray<Entry<V>>, opts: { check?: boolean } = {}): void {
    this.#observed('adoptEntries', () => {
      if (this.#frozen) throw this.frozenError(`add the entries of '${owner}' to`, entries[0]?.key, undefined);
      checkOwnerSwap(this.id, this.#store, owner, entries);
      if (opts.check === true) return;
      const old = this.#store;
      const { next, changes } = ownerSwap(this.id, old, owner, entries, (e) => reown(e, owner, old.get(e.key)?.seq ?? this.#seq++));
      this.#store = next; // the swap: one assignment
      this.committed(changes, true);
      this.#observer?.swapped?.();
    });
  }

  // ---------------------------------------------------------------- internals

  /** The site of a registration: the one given, else (capture on) the caller of `entry`, the public method called, taken lazily. */
  private siteOf(opts: RegisterOptions | undefined, entry: SiteEntry): SiteRef {
    if (opts?.site !== undefined) return opts.site;
    return this.#captureSites ? new LazySite(entry) : undefined;
  }

  /** `opts` with the site of a registration made through `alias`, an alias of `register` (`handle`): the alias's caller. */
  protected aliasSite<T extends RegisterOptions>(opts: T | undefined, alias: SiteEntry): T | undefined {
    if (opts?.site !== undefined || !this.#captureSites) return opts;
    return { ...opts, site: new LazySite(alias) } as T;
  }

  /** The error for a mutation of a frozen registry, naming the caller's site (taken even when routine capture is off: errors are rare). */
  private frozenError(operation: string, key: string | undefined, opts: RegisterOptions | undefined): FrozenRegistryError {
    return new FrozenRegistryError(this.id, key, operation, this.errorSite(opts));
  }

  private errorSite(opts: RegisterOptions | undefined): string | undefined {
    return resolveSite(opts?.site) ?? captureSite();
  }

  private makeEntry(p: Prepared<V>, opts: O | undefined, site: SiteRef, previous: Entry<V> | undefined): Entry<V> {
    // A replacement keeps its predecessor's place in registration order.
    return createEntry(this.id, p, freezeMeta(p.meta), site, opts?.owner, previous === undefined ? this.#seq++ : previous.seq);
  }

  private committed(changes: Array<RegistryChange<V>>, forceBump = false): void {
    if (changes.length === 0 && !forceBump) return;
    this.#version++;
    if (this.#listeners.active) this.#listeners.emit(changes, this.#version);
  }
}

/** A callback argument must be a plain function (a class cannot be called): `range(42)` is E_INVALID_OPTION, not a TypeError later. */
function checkCallback(registry: string, method: string, fn: unknown): void {
  if (typeof fn !== 'function' || /^class\b/.test(Function.prototype.toString.call(fn)))
    throw new InvalidOptionError(
      registry,
      undefined,
      `${method} needs a function, got ${fn === null ? 'null' : typeof fn === 'function' ? 'a class' : typeof fn}`,
    );
}
