import { PlugboardError } from '../container/errors.js';
import { PluginError } from './errors.js';
import type { Plugin } from './manifest.js';
import { dependencyOrder } from './order.js';
import type { PluginRecord, PluginState } from './report.js';

/**
 * One plugin's state machine, as the host keeps it. `record.state` is the stable state;
 * `record.operation` the operation running now (operations on one plugin are serialized by
 * the host, so there is at most one):
 *
 * ```
 *   (load) ──setup ok──▶ loaded ──start──▶ started ──stop──▶ stopped ──start──▶ started …
 *     │ fails                 │ reload keeps the state, swapping the version in place
 *     ▼                       ▼ unload (from loaded, started or stopped)
 *   failed                 unloaded          (start, or a reload's new start, fails → failed)
 * ```
 */
export interface Slot {
  record: PluginRecord;
  plugin?: Plugin;
  /** The module file, for plugins loaded from one (hot reload re-imports it). */
  file?: string;
  /** The errors behind `record.errors`, as thrown, for `assertHealthy`. */
  errors: unknown[];
}

/** States whose registrations are in the host's registries. */
export const LIVE: ReadonlySet<PluginState> = new Set(['loaded', 'started', 'stopped']);

/** Live and not on its way out: something may depend on it. */
export function inService(s: Slot | undefined): boolean {
  return s !== undefined && LIVE.has(s.record.state) && s.record.operation !== 'unload';
}

/** Started and not being stopped or unloaded: something may start on top of it. */
export function running(s: Slot | undefined): boolean {
  return s !== undefined && s.record.state === 'started' && s.record.operation !== 'stop' && s.record.operation !== 'unload';
}

/** `err` as the host reports it: a plugboard error as is, anything else as a `PluginError` of the step. */
export function asReported(err: unknown, step: string, plugin: string): PlugboardError {
  if (err instanceof PlugboardError) return err;
  const code = step === 'load' ? 'E_PLUGIN_LOAD' : 'E_PLUGIN_SETUP';
  return new PluginError(code, `plugin '${plugin}': ${step}: ${err instanceof Error ? err.message : String(err)}`, { plugin, cause: err });
}

/**
 * The host's plugins by name, and the dependency relations between them. Earlier failures of
 * a name are kept under `name#2`, `name#3`… so that the report shows them. Insertion order
 * is load order.
 */
export class PluginTable {
  readonly #slots = new Map<string, Slot>();

  /** The slot under `name` (the current one; not earlier failures). */
  get(name: string): Slot | undefined {
    return this.#slots.get(name);
  }

  /** Every slot, failures included, in load order. */
  all(): Slot[] {
    return [...this.#slots.values()];
  }

  /** Stores a loaded plugin under its name; a failure recorded there before moves aside. */
  putLoaded(s: Slot): void {
    const prior = this.#slots.get(s.record.name);
    if (prior !== undefined && prior.record.state === 'failed') this.#slots.set(this.#freeKey(s.record.name), prior);
    this.#slots.set(s.record.name, s);
  }

  /** Stores a failure: it never hides another record (a live plugin of that name, or an earlier failure). */
  putFailed(s: Slot): void {
    this.#slots.set(this.#slots.has(s.record.name) ? this.#freeKey(s.record.name) : s.record.name, s);
  }

  /** The live plugin `name`; `E_PLUGIN_UNKNOWN` listing the live ones otherwise. */
  live(name: string): Slot {
    const p = this.#slots.get(name);
    if (p === undefined || !LIVE.has(p.record.state))
      throw new PluginError('E_PLUGIN_UNKNOWN', `no loaded plugin '${name}'; loaded: ${this.liveOrder().join(', ') || '(none)'}`, { plugin: name });
    return p;
  }

  /** Names of the live plugins in dependency order. */
  liveOrder(): string[] {
    const live = [...this.#slots].filter(([key, p]) => key === p.record.name && LIVE.has(p.record.state));
    return dependencyOrder(new Map(live.map(([n, p]) => [n, p.record.dependencies]))).order;
  }

  /** Live plugins that depend on `name`, in dependency order. */
  dependents(name: string): string[] {
    return this.liveOrder().filter((d) => this.#slots.get(d)!.record.dependencies.includes(name));
  }

  /** Each dependency of `r` must be in service (or running, for `start`), and not on its way out. */
  checkDependencies(r: PluginRecord, need: 'live' | 'started' = 'live'): void {
    for (const d of r.dependencies) {
      const dep = this.#slots.get(d);
      if (need === 'started' ? running(dep) : inService(dep)) continue;
      const why =
        dep === undefined
          ? 'which is not loaded'
          : dep.record.operation === 'unload'
            ? 'which is being unloaded'
            : dep.record.state === 'failed'
              ? 'which failed'
              : `which is ${dep.record.state}`;
      throw new PluginError('E_PLUGIN_DEPENDENCY', `plugin '${r.name}' needs '${d}', ${why}`, { plugin: r.name, key: d });
    }
  }

  /** A reload may change dependencies: refuses a set that would close a cycle among the live plugins. */
  checkNoCycle(name: string, deps: readonly string[]): void {
    const graph = new Map(this.liveOrder().map((n) => [n, n === name ? deps : this.#slots.get(n)!.record.dependencies]));
    const cycle = dependencyOrder(graph).cycles.find((c) => c.includes(name));
    if (cycle !== undefined) throw new PluginError('E_PLUGIN_CYCLE', `reload of '${name}': dependency cycle ${cycle.join(' → ')}`, { plugin: name });
  }

  /** `E_PLUGIN_DEPENDENTS` while plugins in service depend on `name`, unless `cascade`. */
  refuseDependents(name: string, cascade: boolean): void {
    const dependents = this.dependents(name).filter((d) => inService(this.#slots.get(d)));
    if (dependents.length > 0 && !cascade) {
      throw new PluginError(
        'E_PLUGIN_DEPENDENTS',
        `plugin '${name}' cannot be unloaded: ${dependents.map((d) => `'${d}'`).join(', ')} depend(s) on it (pass { cascade: true } to unload them too)`,
        { plugin: name },
      );
    }
  }

  #freeKey(name: string): string {
    let key = name;
    for (let n = 2; this.#slots.has(key); n++) key = `${name}#${n}`;
    return key;
  }
}
