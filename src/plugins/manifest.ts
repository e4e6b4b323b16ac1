import semver from 'semver';
import { configSpecProblem, type ConfigSpec } from '../container/config-validation.js';
import type { Logger } from '../container/logger.js';
import type { AnyRegistry } from '../container/registry-class.js';
import type { Scope } from '../container/scope.js';
import { PluginError } from './errors.js';

/** The plugin API this host implements. A plugin's `meta.api` is a semver range over it. */
export const PLUGIN_API_VERSION = '1.0.0';

/** Who a plugin is. */
export interface PluginMeta {
  /** Unique name, e.g. `storage-s3`. */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** Range of the plugin API it was written for, e.g. `^1`. */
  readonly api: string;
}

/**
 * What `setup` receives: a plugin-scoped view of the host scope. Everything registered
 * through it (`ctx.registry(…).register`, `ctx.install(…)`, and decorators run while the
 * plugin's module was imported) is recorded as this plugin's, applied only once `setup` has
 * succeeded, and removed again on failure, unload or reload.
 */
export interface PluginContext<C = unknown> {
  readonly plugin: PluginMeta;
  /** The staging scope: reads fall back to the host scope, writes are the plugin's. */
  readonly scope: Scope;
  /**
   * `scope.registry(id, Kind)`: a registry whose registrations are attributed to the plugin.
   * Without `Kind`, the host's existing registry `id` (its kind is taken from there).
   */
  readonly registry: Scope['registry'] & (<R = AnyRegistry>(id: string) => R);
  /** `scope.install(...classes)`: replays decorated classes as the plugin's registrations. */
  install(...classes: Array<abstract new (...args: never[]) => unknown>): void;
  /** A child logger bound to `{ plugin: name }`. */
  readonly logger: Logger;
  /**
   * Configuration the host gave for this plugin (`new PluginHost({ config: { [name]: … } })`),
   * validated by the plugin's `config` spec when it declares one.
   */
  readonly config: C;
}

/** Result of a `ping()`: `true`/`false`, or details. */
export type PingResult = boolean | { ok: boolean; detail?: string };

/** A plugin: a manifest plus lifecycle functions. */
export interface Plugin<C = unknown> {
  readonly meta: PluginMeta;
  /** Names of plugins that must be loaded (and started) before this one. */
  readonly dependencies?: readonly string[];
  /**
   * How the host's configuration for this plugin is checked before `setup` runs: a
   * class-validator class, a Standard Schema validator or a validate function, as for
   * factories. A bad config fails this plugin alone (`E_CONFIG`, naming every violated field).
   */
  readonly config?: ConfigSpec<C>;
  /** Adds registrations through `ctx`. Runs once per load (and per reload). */
  setup(ctx: PluginContext<C>): void | Promise<void>;
  /** Called by `host.start()`, in dependency order. */
  start?(): void | Promise<void>;
  /** Called by `host.stop()`, in reverse dependency order. */
  stop?(): void | Promise<void>;
  /** Called after the plugin's registrations were removed (unload, reload, failure). */
  dispose?(): void | Promise<void>;
  /** Health probe; its result appears in the boot report. */
  ping?(): PingResult | Promise<PingResult>;
}

/** Types a plugin object, its config included (and checks nothing at run time: the host validates on load). */
export function definePlugin<C = unknown>(plugin: Plugin<C>): Plugin<C> {
  return plugin;
}

const NAME = /^(@[a-z0-9][\w.-]*\/)?[a-zA-Z0-9][\w.-]{0,213}$/;
const LIFECYCLE = ['setup', 'start', 'stop', 'dispose', 'ping'] as const;

/**
 * Checks a plugin object before any of its functions runs, and its API range against the
 * host's. `E_PLUGIN_MANIFEST` names the field; `E_PLUGIN_API` names both versions.
 */
export function validatePlugin(value: unknown, source: string, hostApi = PLUGIN_API_VERSION): Plugin {
  const bad = (field: string, problem: string, plugin?: string): never => {
    throw new PluginError('E_PLUGIN_MANIFEST', `plugin from ${source}: ${field} ${problem}`, { key: field, ...(plugin === undefined ? {} : { plugin }) });
  };
  if (typeof value !== 'object' || value === null) bad('the export', `must be a plugin object, got ${value === null ? 'null' : typeof value}`);
  const p = value as Record<string, unknown>;
  const meta = p['meta'] as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null) bad('meta', 'must be an object { name, version, api }');
  const name = meta!['name'];
  if (typeof name !== 'string' || !NAME.test(name)) bad('meta.name', `must be a package-like name, got ${JSON.stringify(name)}`);
  const n = name as string;
  if (typeof meta!['version'] !== 'string' || semver.valid(meta!['version']) === null)
    bad('meta.version', `must be a semver version, got ${JSON.stringify(meta!['version'])}`, n);
  const api = meta!['api'];
  if (typeof api !== 'string' || semver.validRange(api) === null) bad('meta.api', `must be a semver range such as '^1', got ${JSON.stringify(api)}`, n);
  const deps = p['dependencies'] ?? [];
  if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || d === '')) bad('dependencies', 'must be an array of plugin names', n);
  if ((deps as string[]).includes(n)) bad('dependencies', 'must not name the plugin itself', n);
  for (const fn of LIFECYCLE) {
    if (fn === 'setup' ? typeof p[fn] !== 'function' : p[fn] !== undefined && typeof p[fn] !== 'function')
      bad(fn, fn === 'setup' ? 'must be a function' : 'must be a function when given', n);
  }
  const configProblem = p['config'] === undefined ? undefined : configSpecProblem(p['config']);
  if (configProblem !== undefined) bad('config', configProblem.replace(/^config /, ''), n);
  if (!semver.satisfies(hostApi, api as string)) {
    throw new PluginError('E_PLUGIN_API', `plugin '${n}' ${String(meta!['version'])} needs plugin API ${String(api)}, but this host provides ${hostApi}`, {
      plugin: n,
      key: 'meta.api',
    });
  }
  return value as Plugin;
}
