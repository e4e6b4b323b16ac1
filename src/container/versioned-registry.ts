import semver from 'semver';
import { BaseRegistry, type Prepared } from './base-registry.js';
import type { RegisterOptions } from './entry.js';
import { InvalidVersionError } from './errors.js';

/** Options of {@link VersionedRegistry.register}: the version is required. */
export interface VersionedRegisterOptions extends RegisterOptions {
  version: string;
}

/**
 * Several versions of a value under one name, resolved with semver: a pinned version, a
 * range (highest match), or the latest. The storage key is `name@version`.
 *
 * ```ts
 * codecs.register('json', v1, { version: '1.4.0' });
 * codecs.register('json', v2, { version: '2.0.1' });
 * codecs.get('json', '^1');  // v1
 * codecs.latest('json');     // v2
 * ```
 */
export class VersionedRegistry<V> extends BaseRegistry<V, VersionedRegisterOptions> {
  static override readonly kind: string = 'versioned';

  #byName = new Map<string, string[]>();
  #byNameFor = '';

  protected override prepare(name: string, value: V, opts: VersionedRegisterOptions | undefined, site: string | undefined): Prepared<V> {
    const p = super.prepare(name, value, opts, site);
    const raw = opts?.version;
    if (typeof raw !== 'string') {
      throw new InvalidVersionError(
        this.id,
        name,
        raw,
        'a version is required (pass { version }; with decorators, write @Version(...) below the registration decorator, which runs first)',
      );
    }
    const version = semver.valid(raw);
    if (version === null) throw new InvalidVersionError(this.id, name, raw, 'not a valid semver version');
    return { ...p, key: `${name}@${version}`, meta: { version } };
  }

  /**
   * The value of `name` at `versionOrRange`: an exact version, a semver range (the highest
   * satisfying version), or, when omitted, the latest. Never throws on a miss; throws
   * `InvalidVersionError` for a range semver cannot parse.
   */
  override get(name: string, versionOrRange?: string): V | undefined {
    const version = this.resolve(name, versionOrRange);
    return version === undefined ? undefined : this.entry(`${name}@${version}`)?.value;
  }

  override has(name: string, versionOrRange?: string): boolean {
    return this.resolve(name, versionOrRange) !== undefined;
  }

  override mustGet(name: string, versionOrRange?: string): V {
    const v = this.get(name, versionOrRange);
    if (v !== undefined) return v;
    const err = this.unknown(name);
    if (versionOrRange === undefined || !this.has(name)) throw err;
    throw new InvalidVersionError(this.id, name, versionOrRange, `no version satisfies (have ${this.versions(name).join(', ')})`);
  }

  /** The latest version's value: the highest release, or the highest pre-release if there is no release. */
  latest(name: string): V | undefined {
    return this.get(name);
  }

  /** Every version registered for `name`, ascending. */
  versions(name: string): string[] {
    return [...(this.index().get(name) ?? [])];
  }

  /** Sorted distinct names (not `name@version` keys). */
  override names(): string[] {
    return [...this.index().keys()].sort();
  }

  /** Removes one version (`unregister(name, version)` or `unregister('name@version')`), or every version of `name`. */
  override unregister(name: string, version?: string): boolean {
    if (version === undefined && this.localSnapshot().some((e) => e.key === name)) return super.unregister(name); // a `name@version` key
    if (version !== undefined) {
      const v = semver.valid(version);
      return v !== null && super.unregister(`${name}@${v}`);
    }
    let removed = false;
    for (const v of this.versions(name)) removed = super.unregister(`${name}@${v}`) || removed;
    return removed;
  }

  /** The concrete version `versionOrRange` resolves to for `name`, or `undefined`. */
  resolve(name: string, versionOrRange?: string): string | undefined {
    const versions = this.index().get(name);
    if (versions === undefined) return undefined;
    if (versionOrRange === undefined) {
      for (let i = versions.length - 1; i >= 0; i--) if (semver.prerelease(versions[i]!) === null) return versions[i];
      return versions[versions.length - 1];
    }
    const exact = semver.valid(versionOrRange);
    if (exact !== null) return versions.includes(exact) ? exact : undefined;
    if (semver.validRange(versionOrRange) === null) throw new InvalidVersionError(this.id, name, versionOrRange, 'not a valid semver range');
    return semver.maxSatisfying(versions, versionOrRange) ?? undefined;
  }

  private index(): Map<string, string[]> {
    const gen = this.lineageVersion();
    if (gen !== this.#byNameFor) {
      const next = new Map<string, string[]>();
      for (const e of this.merged().values()) {
        const list = next.get(e.name) ?? [];
        list.push(e.meta['version'] as string);
        next.set(e.name, list);
      }
      for (const list of next.values()) list.sort(semver.compare);
      this.#byName = next;
      this.#byNameFor = gen;
    }
    return this.#byName;
  }
}
