import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { defaultScope, withScope } from '../container/default-scope.js';
import { PlugboardAggregateError, PlugboardError } from '../container/errors.js';
import type { RegistryClass, Scope } from '../container/scope.js';
import type { BaseRegistry } from '../container/base-registry.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRegistry = BaseRegistry<any, any>;
import { childLogger, defaultLogger, type Logger } from '../container/logger.js';
import type { MetricsSink } from '../observability/metrics.js';
import { PluginError, withTimeout } from './errors.js';
import type { FoundPlugin } from './find.js';
import { PLUGIN_API_VERSION, validatePlugin, type Plugin, type PluginContext } from './manifest.js';
import { dependencyOrder } from './order.js';
import { confine, packageDir, packageEntry } from './paths.js';
import { formatReport, type BootReport, type PluginRecord, type PluginState } from './report.js';
import { commitStaged, removeOwned, stagingScope } from './staging.js';

/** Options of a {@link PluginHost}. */
export interface PluginHostOptions {
  /** The scope plugins register into (default: the default scope). */
  scope?: Scope;
  /** Where relative paths and package names are resolved: its `node_modules` (default `process.cwd()`). */
  root?: string;
  /** Plugin files must stay inside these directories (default `[root]`). */
  roots?: readonly string[];
  /** Deadline of each lifecycle call, in ms (default 10 000). */
  timeoutMs?: number;
  /** Throw at the first failure instead of isolating it (default false). */
  failFast?: boolean;
  logger?: Logger;
  /** Per-plugin configuration, by plugin name: `ctx.config`. */
  config?: Readonly<Record<string, unknown>>;
  /** The plugin API version this host provides (default {@link PLUGIN_API_VERSION}). */
  apiVersion?: string;
  /** Receives `plugboard_plugin_load_duration_seconds` observations (`new PlugboardMetrics()`). */
  metrics?: Pick<MetricsSink, 'pluginLoaded'>;
}

/** What `load` takes: plugin objects, module paths, package names, or {@link findPlugins} results. */
export type PluginInput = Plugin | string | FoundPlugin;

/** A plugin ready for setup: validated, with its registrations staged so far. */
interface Candidate {
  record: PluginRecord;
  plugin?: Plugin;
  file?: string;
  staging: Scope;
  error?: unknown;
}

const LIVE: ReadonlySet<PluginState> = new Set(['loaded', 'started', 'stopped']);

/**
 * Loads plugins into a scope and runs their lifecycle. A failing plugin is isolated: its
 * registrations are rolled back, it is reported, and the others go on. See docs/plugins.md.
 */
export class PluginHost {
  readonly scope: Scope;
  readonly #root: string;
  readonly #roots: readonly string[];
  readonly #timeoutMs: number;
  readonly #failFast: boolean;
  readonly #logger: Logger;
  readonly #config: Readonly<Record<string, unknown>>;
  readonly #api: string;
  readonly #metrics: Pick<MetricsSink, 'pluginLoaded'> | undefined;
  /** By name; failed imports are kept under their source. Insertion order is load order. */
  readonly #plugins = new Map<string, { record: PluginRecord; plugin?: Plugin; file?: string }>();
  #reloadSeq = 0;

  constructor(opts: PluginHostOptions = {}) {
    this.scope = opts.scope ?? defaultScope();
    this.#root = resolve(opts.root ?? process.cwd());
    this.#roots = (opts.roots ?? [this.#root]).map((r) => resolve(this.#root, r));
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#failFast = opts.failFast ?? false;
    this.#logger = childLogger(opts.logger ?? defaultLogger, { component: 'plugins' });
    this.#config = opts.config ?? {};
    this.#api = opts.apiVersion ?? PLUGIN_API_VERSION;
    this.#metrics = opts.metrics;
  }

  /**
   * Imports, validates, orders and sets up plugins. Failures are isolated and reported in the
   * returned report (or thrown at once with `failFast`); {@link assertHealthy} turns them into
   * one aggregate error.
   */
  async load(inputs: PluginInput | readonly PluginInput[]): Promise<BootReport> {
    const list = Array.isArray(inputs) ? (inputs as readonly PluginInput[]) : [inputs as PluginInput];
    const candidates: Candidate[] = [];
    for (const input of list) candidates.push(await this.prepare(input, undefined));
    const byName = new Map<string, Candidate>();
    for (const c of candidates) {
      if (c.error === undefined && (byName.has(c.record.name) || LIVE.has(this.#plugins.get(c.record.name)?.record.state as PluginState))) {
        c.error = new PluginError('E_PLUGIN_DUPLICATE', `plugin '${c.record.name}' from ${c.record.source} is already loaded from ${(byName.get(c.record.name)?.record ?? this.#plugins.get(c.record.name)!.record).source}`, { plugin: c.record.name });
      }
      if (c.error !== undefined) await this.fail(c, 'load', c.error);
      else byName.set(c.record.name, c);
    }
    const { order, cycles } = dependencyOrder(new Map([...byName].map(([n, c]) => [n, c.record.dependencies])));
    for (const cycle of cycles) {
      for (const n of new Set(cycle)) await this.fail(byName.get(n)!, 'load', new PluginError('E_PLUGIN_CYCLE', `plugin '${n}': dependency cycle ${cycle.join(' → ')}`, { plugin: n }));
    }
    for (const name of order) {
      const c = byName.get(name)!;
      try {
        this.checkDependencies(c.record);
      } catch (err) {
        await this.fail(c, 'load', err); // setup never ran: nothing to dispose
        continue;
      }
      try {
        const t0 = performance.now();
        await withTimeout(name, 'setup', this.#timeoutMs, () => c.plugin!.setup(this.context(c)));
        c.record.registrations = commitStaged(this.scope, c.staging, name);
        c.record.timings['setup'] = performance.now() - t0;
        c.record.state = 'loaded';
        this.#metrics?.pluginLoaded(name, 'ok', ((c.record.timings['import'] ?? 0) + c.record.timings['setup']) / 1000);
        const prior = this.#plugins.get(name);
        if (prior !== undefined && prior.record.state === 'failed') this.#plugins.set(this.freeKey(name), prior); // keep the failure in the report
        this.#plugins.set(name, { record: c.record, plugin: c.plugin!, ...(c.file === undefined ? {} : { file: c.file }) });
        this.#logger.debug({ plugin: name, version: c.record.version, registrations: c.record.registrations }, 'plugin loaded');
      } catch (err) {
        await this.fail(c, 'setup', err);
      }
    }
    return this.report();
  }

  /** Calls `start()` in dependency order; a plugin whose dependency is not started fails. */
  async start(): Promise<BootReport> {
    for (const p of this.ordered()) {
      if (p.record.state !== 'loaded' && p.record.state !== 'stopped') continue;
      try {
        this.checkDependencies(p.record, 'started');
        await this.step(p, 'start', () => p.plugin!.start?.());
        p.record.state = 'started';
      } catch (err) {
        removeOwned(this.scope, p.record.name, p.record.registrations);
        p.record.registrations = {};
        await this.fail({ ...p, staging: this.scope }, 'start', err);
      }
    }
    return this.report();
  }

  /** Calls `stop()` in reverse dependency order; errors are reported, and stopping goes on. */
  async stop(): Promise<BootReport> {
    for (const p of this.ordered().reverse()) {
      if (p.record.state !== 'started') continue;
      await this.step(p, 'stop', () => p.plugin!.stop?.()).catch((err: unknown) => this.note(p.record, 'stop', err));
      p.record.state = 'stopped';
    }
    return this.report();
  }

  /** Calls every live plugin's `ping()`; results appear in the report. */
  async ping(): Promise<BootReport> {
    for (const p of this.ordered()) {
      if (!LIVE.has(p.record.state) || p.plugin?.ping === undefined) continue;
      try {
        const r = await withTimeout(p.record.name, 'ping', this.#timeoutMs, () => p.plugin!.ping!());
        const ok = typeof r === 'boolean' ? r : r.ok;
        const detail = typeof r === 'boolean' ? undefined : r.detail;
        p.record.ping = { ok, ...(detail === undefined ? {} : { detail }), at: new Date().toISOString() };
      } catch (err) {
        p.record.ping = { ok: false, detail: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
      }
    }
    return this.report();
  }

  /**
   * Stops the plugin if started, removes its registrations and calls `dispose`. Refuses
   * (`E_PLUGIN_DEPENDENTS`) while live plugins depend on it, unless `cascade` unloads them first.
   */
  async unload(name: string, opts: { cascade?: boolean } = {}): Promise<void> {
    const p = this.live(name);
    const dependents = this.ordered().filter((d) => LIVE.has(d.record.state) && d.record.dependencies.includes(name));
    if (dependents.length > 0 && opts.cascade !== true) {
      throw new PluginError('E_PLUGIN_DEPENDENTS', `plugin '${name}' cannot be unloaded: ${dependents.map((d) => `'${d.record.name}'`).join(', ')} depend(s) on it (pass { cascade: true } to unload them too)`, { plugin: name });
    }
    for (const d of dependents.reverse()) if (LIVE.has(d.record.state)) await this.unload(d.record.name, opts);
    if (p.record.state === 'started') await this.step(p, 'stop', () => p.plugin!.stop?.()).catch((err: unknown) => this.note(p.record, 'stop', err));
    removeOwned(this.scope, name, p.record.registrations);
    p.record.registrations = {};
    await this.step(p, 'dispose', () => p.plugin!.dispose?.()).catch((err: unknown) => this.note(p.record, 'dispose', err));
    p.record.state = 'unloaded';
  }

  /**
   * Hot reload: imports the plugin's module again under a cache-busting URL (or takes
   * `replacement`), sets it up to one side, checks its registrations, then swaps them in
   * atomically and disposes the old version. On any failure before the swap the old version
   * stays in service, untouched, and the error is thrown. Node never frees the replaced
   * module: in production, prefer a restart.
   */
  async reload(name: string, replacement?: Plugin): Promise<void> {
    const old = this.live(name);
    if (replacement === undefined && old.file === undefined) {
      throw new PluginError('E_PLUGIN_LOAD', `plugin '${name}' was loaded as an object: pass the new version to reload(name, plugin)`, { plugin: name });
    }
    const t0 = performance.now();
    const c = await this.prepare(replacement ?? { file: old.file!, origin: old.record.origin }, ++this.#reloadSeq);
    try {
      if (c.error !== undefined) throw c.error;
      if (c.record.name !== name) throw new PluginError('E_PLUGIN_MANIFEST', `reload of '${name}': the new module is plugin '${c.record.name}'`, { plugin: name });
      this.checkDependencies(c.record);
      await withTimeout(name, 'setup', this.#timeoutMs, () => c.plugin!.setup(this.context(c)));
      const wasStarted = old.record.state === 'started';
      const registrations = commitStaged(this.scope, c.staging, name, old.record.registrations); // the swap
      const previous = old.plugin!;
      Object.assign(old.record, { version: c.record.version, api: c.record.api, dependencies: c.record.dependencies, registrations, reloads: old.record.reloads + 1 });
      old.plugin = c.plugin!;
      if (wasStarted) await withTimeout(name, 'stop', this.#timeoutMs, () => previous.stop?.()).catch((err: unknown) => this.note(old.record, 'reload', err));
      await withTimeout(name, 'dispose', this.#timeoutMs, () => previous.dispose?.()).catch((err: unknown) => this.note(old.record, 'reload', err));
      if (wasStarted) await this.step(old, 'start', () => old.plugin!.start?.()).catch((err: unknown) => this.note(old.record, 'reload', err));
      old.record.timings['reload'] = performance.now() - t0;
      this.#logger.info({ plugin: name, version: old.record.version }, 'plugin reloaded');
    } catch (err) {
      if (c.plugin?.dispose !== undefined) await withTimeout(name, 'dispose', this.#timeoutMs, () => c.plugin!.dispose!()).catch(() => undefined);
      this.note(old.record, 'reload', err);
      throw err;
    }
  }

  /** The boot report: every plugin with version, source, state, timings, registrations, errors. */
  report(): BootReport {
    const plugins = [...this.#plugins.values()].map((p) => structuredClone(p.record));
    return { apiVersion: this.#api, plugins, loaded: plugins.filter((p) => LIVE.has(p.state)).length, failed: plugins.filter((p) => p.state === 'failed').length };
  }

  /** The report as a readable tree. */
  formatReport(): string {
    return formatReport(this.report());
  }

  /** Throws one `E_PLUGIN_BOOT` aggregate of every failed plugin's errors, if any failed. */
  assertHealthy(): void {
    const failed = [...this.#plugins.values()].filter((p) => p.record.state === 'failed');
    if (failed.length === 0) return;
    const errors = failed.flatMap((p) => p.record.errors.map((e) => new PluginError(e.code as never, e.message, { plugin: p.record.name })));
    throw new PlugboardAggregateError('E_PLUGIN_BOOT', errors, `${failed.length} plugin(s) failed: ${failed.map((p) => p.record.name).join(', ')}`);
  }

  /** The live plugin object by name (`undefined` if not loaded). */
  get(name: string): Plugin | undefined {
    const p = this.#plugins.get(name);
    return p !== undefined && LIVE.has(p.record.state) ? p.plugin : undefined;
  }

  // ---------------------------------------------------------------------- internals

  /** Resolves, imports (inside a staging scope, so import-time decorators are the plugin's) and validates. */
  private async prepare(input: PluginInput, bust: number | undefined): Promise<Candidate> {
    const staging = stagingScope(this.scope);
    const record: PluginRecord = { name: '?', source: 'object', origin: 'explicit', state: 'failed', dependencies: [], timings: {}, registrations: {}, errors: [], reloads: 0 };
    const c: Candidate = { record, staging };
    try {
      let value: unknown = input;
      if (typeof input === 'string') Object.assign(record, { name: input, source: input });
      if (typeof input === 'string' || (typeof input === 'object' && input !== null && 'file' in input && 'origin' in input)) {
        const found = typeof input === 'string' ? this.resolveSpecifier(input) : { ...(input as FoundPlugin), file: confine((input as FoundPlugin).file, this.#roots, 'plugin') };
        Object.assign(record, { name: found.packageName ?? found.file, source: found.packageName ?? found.file, origin: found.origin });
        c.file = found.file;
        const t0 = performance.now();
        const url = pathToFileURL(found.file).href + (bust === undefined ? '' : `?reload=${bust}`);
        const ns = (await withScope(staging, () => importModule(url)).catch((err: unknown) => {
          throw new PluginError('E_PLUGIN_LOAD', `plugin ${record.source}: import failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        })) as Record<string, unknown>;
        record.timings['import'] = performance.now() - t0;
        value = pickExport(ns);
      }
      const plugin = validatePlugin(value, record.source === 'object' ? 'an object' : record.source, this.#api);
      Object.assign(record, { name: plugin.meta.name, version: plugin.meta.version, api: plugin.meta.api, dependencies: [...(plugin.dependencies ?? [])] });
      c.plugin = plugin;
    } catch (err) {
      if (err instanceof PluginError && err.plugin !== undefined) record.name = err.plugin;
      c.error = err;
    }
    return c;
  }

  private resolveSpecifier(spec: string): FoundPlugin {
    if (spec.startsWith('.') || spec.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec)) {
      return { file: confine(resolve(this.#root, spec), this.#roots, 'plugin'), origin: 'explicit' };
    }
    if (!/^(@[\w.-]+\/)?[\w.-]+$/.test(spec)) throw new PluginError('E_PLUGIN_LOAD', `plugin '${spec}': not a path or a package name`, { key: spec });
    const dir = confine(packageDir(this.#root, spec), this.#roots, `plugin package '${spec}'`);
    return { file: confine(packageEntry(dir), this.#roots, `plugin package '${spec}'`), origin: 'explicit', packageName: spec };
  }

  private context(c: Candidate): PluginContext {
    const scope = c.staging;
    return Object.freeze({
      plugin: c.plugin!.meta,
      scope,
      // Without a kind, the host's registry of that id: plugins extend the host's extension points.
      registry: ((id: string, Kind?: RegistryClass<AnyRegistry>, o?: object) => scope.registry(id, Kind ?? this.kindOf(id, c.record.name), o)) as PluginContext['registry'],
      install: (...classes: Array<abstract new (...args: never[]) => unknown>) => scope.install(...classes),
      logger: childLogger(this.#logger, { plugin: c.plugin!.meta.name }),
      config: this.#config[c.plugin!.meta.name],
    });
  }

  private kindOf(id: string, plugin: string): RegistryClass<AnyRegistry> {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      const r = s.peek(id);
      if (r !== undefined) return r.constructor as RegistryClass<AnyRegistry>;
    }
    throw new PluginError('E_PLUGIN_SETUP', `plugin '${plugin}': the host has no registry '${id}'; pass its kind: ctx.registry('${id}', FactoryRegistry)`, { plugin, key: id });
  }

  private checkDependencies(r: PluginRecord, need: 'live' | 'started' = 'live'): void {
    for (const d of r.dependencies) {
      const dep = this.#plugins.get(d)?.record;
      const ok = dep !== undefined && (need === 'started' ? dep.state === 'started' : LIVE.has(dep.state));
      if (!ok) {
        const why = dep === undefined ? 'which is not loaded' : dep.state === 'failed' ? 'which failed' : `which is ${dep.state}`;
        throw new PluginError('E_PLUGIN_DEPENDENCY', `plugin '${r.name}' needs '${d}', ${why}`, { plugin: r.name, key: d });
      }
    }
  }

  /** Live plugins in dependency order. */
  private ordered(): Array<{ record: PluginRecord; plugin?: Plugin; file?: string }> {
    const live = [...this.#plugins.values()].filter((p) => p.plugin !== undefined);
    const { order } = dependencyOrder(new Map(live.map((p) => [p.record.name, p.record.dependencies])));
    return order.map((n) => this.#plugins.get(n)!);
  }

  private live(name: string): { record: PluginRecord; plugin?: Plugin; file?: string } {
    const p = this.#plugins.get(name);
    if (p === undefined || !LIVE.has(p.record.state)) throw new PluginError('E_PLUGIN_UNKNOWN', `no loaded plugin '${name}'; loaded: ${this.ordered().filter((x) => LIVE.has(x.record.state)).map((x) => x.record.name).join(', ') || '(none)'}`, { plugin: name });
    return p;
  }

  private async step(p: { record: PluginRecord }, step: string, fn: () => unknown): Promise<void> {
    const t0 = performance.now();
    await withTimeout(p.record.name, step, this.#timeoutMs, fn);
    p.record.timings[step] = performance.now() - t0;
  }

  private note(r: PluginRecord, step: string, err: unknown): void {
    r.errors.push({ code: err instanceof PlugboardError ? (err as PlugboardError).code : 'E_PLUGIN_SETUP', message: err instanceof Error ? err.message : String(err), step });
    this.#logger.warn({ plugin: r.name, step, code: r.errors.at(-1)!.code }, r.errors.at(-1)!.message);
  }

  private freeKey(name: string): string {
    let key = name;
    for (let n = 2; this.#plugins.has(key); n++) key = `${name}#${n}`;
    return key;
  }

  /** Records a failure: nothing of the plugin stays registered; `dispose` runs if setup had begun. */
  private async fail(c: Candidate, step: string, err: unknown): Promise<void> {
    c.record.state = 'failed';
    if (step === 'setup' || step === 'load') this.#metrics?.pluginLoaded(c.record.name, 'failed', (c.record.timings['import'] ?? 0) / 1000);
    this.note(c.record, step, err);
    if (c.plugin !== undefined && step !== 'load') await withTimeout(c.record.name, 'dispose', this.#timeoutMs, () => c.plugin!.dispose?.()).catch((e: unknown) => this.note(c.record, 'dispose', e));
    // A failure never hides another record: a live plugin of that name, or an earlier failure.
    const key = this.#plugins.get(c.record.name)?.record === c.record ? c.record.name : this.freeKey(c.record.name);
    this.#plugins.set(key, { record: c.record, ...(c.plugin === undefined ? {} : { plugin: c.plugin }), ...(c.file === undefined ? {} : { file: c.file }) });
    if (this.#failFast) throw err;
  }
}

/**
 * A real `import()`, also in the CJS build, where TypeScript would turn `import()` into
 * `require()` (which cannot load ES modules nor take a cache-busting URL).
 */
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/** The plugin a module exports: `default`, `plugin`, or a CJS `module.exports(.default)`. */
function pickExport(ns: Record<string, unknown>): unknown {
  const d = ns['default'] as Record<string, unknown> | undefined;
  for (const v of [ns['plugin'], d, d?.['default'], d?.['plugin']]) if (typeof v === 'object' && v !== null && 'meta' in v) return v;
  throw new PluginError('E_PLUGIN_LOAD', `the module exports no plugin (expected a default export or an export named 'plugin' with a 'meta' field; found: ${Object.keys(ns).join(', ') || 'nothing'})`);
}
