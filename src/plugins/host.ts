import { performance } from 'node:perf_hooks';
import { validateConfig } from '../container/config-validation.js';
import { defaultScope } from '../container/default-scope.js';
import { readDuration } from '../container/duration.js';
import { checkHostOptions, directoryOption, ownConfig } from './host-options.js';
import { PlugboardAggregateError } from '../container/errors.js';
import { childLogger, defaultLogger, type Logger } from '../container/logger.js';
import type { AnyRegistry, RegistryClass } from '../container/registry-class.js';
import type { Scope } from '../container/scope.js';
import { prepareCandidate, type Candidate, type Places, type PluginInput } from './candidate.js';
import { forgetCommonJs, pluginRoot } from './cjs-cache.js';
import { PluginError, withTimeout } from './errors.js';
import { PLUGIN_API_VERSION, type Plugin, type PluginContext } from './manifest.js';
import { dependencyOrder } from './order.js';
import { baseDirectory } from './paths.js';
import { asReported, LIVE, PluginTable, type Slot } from './slots.js';
import { formatReport, type BootReport, type PluginRecord } from './report.js';
import { KeyedQueue } from './serial.js';
import { commitStaged, removeOwned } from './staging.js';

export type { PluginInput } from './candidate.js';

/** Where the host reports plugin load durations: `new PlugboardMetrics()` of `plugboard/observability/metrics` is one. */
export interface PluginMetrics {
  /** One plugin load (import and setup), with its outcome and duration. */
  pluginLoaded(plugin: string, outcome: 'ok' | 'failed', seconds: number): void;
}

/** Options of a {@link PluginHost}. */
export interface PluginHostOptions {
  /** The scope plugins register into (default: the default scope). */
  scope?: Scope;
  /** The host's directory: package names are found in its `node_modules` (default `process.cwd()`). */
  root?: string | URL;
  /**
   * Where relative plugin paths (`'./plugins/audit.js'`) are resolved: a directory, or a
   * module's URL such as `import.meta.url` (its directory). Default: `root`.
   */
  base?: string | URL;
  /** Plugin files must stay inside these directories (default `[root]`, and `base` when given; relative ones are resolved against `root`). */
  roots?: ReadonlyArray<string | URL>;
  /** Deadline of each lifecycle call, in ms (default 10 000). */
  timeoutMs?: number;
  /** Throw at the first failure instead of isolating it (default false). */
  failFast?: boolean;
  logger?: Logger;
  /** Per-plugin configuration, by plugin name: `ctx.config`, checked by the plugin's `config` spec. */
  config?: Readonly<Record<string, unknown>>;
  /** The plugin API version this host provides (default {@link PLUGIN_API_VERSION}). */
  apiVersion?: string;
  /** Receives `plugboard_plugin_load_duration_seconds` observations (`new PlugboardMetrics()`). */
  metrics?: PluginMetrics;
}

/**
 * Loads plugins into a scope and runs their lifecycle. Each plugin has a state machine, and
 * the lifecycle operations on one plugin (load, start, stop, reload, unload) run one at a
 * time, in call order; an operation that no longer makes sense when its turn comes gets
 * `E_PLUGIN_STATE`. A failing plugin is isolated: its registrations are rolled back, it is
 * reported, and the others go on. See docs/plugins.md.
 */
export class PluginHost {
  readonly scope: Scope;
  readonly #places: Places;
  readonly #timeoutMs: number;
  readonly #failFast: boolean;
  readonly #logger: Logger;
  readonly #config: Readonly<Record<string, unknown>>;
  readonly #api: string;
  readonly #metrics: PluginMetrics | undefined;
  readonly #slots = new PluginTable();
  /** Lifecycle operations, one at a time per plugin name. */
  readonly #ops = new KeyedQueue();
  /** `start()` and `stop()` sweeps, one at a time. */
  readonly #sweeps = new KeyedQueue();
  #reloadSeq = 0;

  constructor(opts: PluginHostOptions = {}) {
    checkHostOptions(opts);
    this.scope = opts.scope ?? defaultScope();
    const root = opts.root === undefined ? process.cwd() : directoryOption('root', opts.root, process.cwd());
    const base = baseDirectory(opts.base, root);
    // `base: import.meta.url` works whatever the working directory: the base is a root too, unless roots are given.
    const roots = opts.roots ?? (base === root ? [root] : [root, base]);
    this.#places = { root, base, roots: roots.map((r, i) => directoryOption(`roots[${i}]`, r, root)) };
    // One parser, one bound: Infinity or 2^31 ms would become a 1 ms timer (setTimeout clamps it).
    this.#timeoutMs = readDuration('PluginHost', 'timeoutMs', opts.timeoutMs) ?? 10_000;
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
    for (const input of list) candidates.push(await prepareCandidate(input, this.scope, this.#places, this.#api));
    const byName = new Map<string, Candidate>();
    for (const c of candidates) {
      const twin = byName.get(c.record.name);
      if (c.error === undefined && twin !== undefined) c.error = this.#duplicate(c, twin.record);
      if (c.error !== undefined) await this.#fail(c, 'load', c.error);
      else byName.set(c.record.name, c);
    }
    const { order, cycles } = dependencyOrder(new Map([...byName].map(([n, c]) => [n, c.record.dependencies])));
    for (const cycle of cycles) {
      for (const n of new Set(cycle))
        await this.#fail(byName.get(n)!, 'load', new PluginError('E_PLUGIN_CYCLE', `plugin '${n}': dependency cycle ${cycle.join(' → ')}`, { plugin: n }));
    }
    for (const name of order) await this.#ops.run(name, () => this.#loadOne(byName.get(name)!));
    return this.report();
  }

  /** Calls `start()` in dependency order; a plugin whose dependency is not started fails. */
  async start(): Promise<BootReport> {
    return this.#sweeps.run('start/stop', async () => {
      for (const name of this.#slots.liveOrder()) await this.#ops.run(name, () => this.#startOne(name));
      return this.report();
    });
  }

  /** Calls `stop()` in reverse dependency order; errors are reported, and stopping goes on. */
  async stop(): Promise<BootReport> {
    return this.#sweeps.run('start/stop', async () => {
      for (const name of this.#slots.liveOrder().reverse()) await this.#ops.run(name, () => this.#stopOne(name));
      return this.report();
    });
  }

  /** Calls every live plugin's `ping()`; results appear in the report. Pings do not wait for other operations. */
  async ping(): Promise<BootReport> {
    for (const name of this.#slots.liveOrder()) {
      const p = this.#slots.get(name)!;
      const plugin = p.plugin;
      if (plugin?.ping === undefined) continue;
      try {
        const r = await withTimeout(name, 'ping', this.#timeoutMs, () => plugin.ping!());
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
   * Waits for the plugin's earlier operations; `E_PLUGIN_STATE` if it is no longer live then.
   */
  async unload(name: string, opts: { cascade?: boolean } = {}): Promise<void> {
    this.#slots.live(name);
    this.#slots.refuseDependents(name, opts.cascade === true);
    await this.#ops.run(name, () => this.#unloadOne(name, opts.cascade === true, false));
  }

  /**
   * Hot reload: imports the plugin's module again (a new URL for ES modules; for CommonJS, its
   * own modules are dropped from the require cache first), or takes `replacement`, sets it up
   * to one side, checks its registrations, then swaps them in atomically and stops and
   * disposes the old version; the new one is started if the old one was. On any failure
   * before the swap the old version stays in service, untouched, and the error is thrown. If
   * the new version's `start` fails, the plugin fails as in `start()`: its registrations are
   * removed and the error is thrown. Node never frees a replaced ES module: in production,
   * prefer a restart.
   */
  async reload(name: string, replacement?: Plugin): Promise<void> {
    const s = this.#slots.live(name);
    if (replacement === undefined && s.file === undefined) {
      throw new PluginError('E_PLUGIN_LOAD', `plugin '${name}' was loaded as an object: pass the new version to reload(name, plugin)`, { plugin: name });
    }
    await this.#ops.run(name, () => this.#reloadOne(name, replacement));
  }

  /** The boot report: every plugin with version, source, state, timings, registrations, errors. */
  report(): BootReport {
    const plugins = this.#slots.all().map((p) => structuredClone(p.record));
    return {
      apiVersion: this.#api,
      plugins,
      loaded: plugins.filter((p) => LIVE.has(p.state)).length,
      failed: plugins.filter((p) => p.state === 'failed').length,
    };
  }

  /** The report as a readable tree. */
  formatReport(): string {
    return formatReport(this.report());
  }

  /** Throws one `E_PLUGIN_BOOT` aggregate of every failed plugin's errors, if any failed. */
  assertHealthy(): void {
    const failed = this.#slots.all().filter((p) => p.record.state === 'failed');
    if (failed.length === 0) return;
    throw new PlugboardAggregateError(
      'E_PLUGIN_BOOT',
      failed.flatMap((p) => p.errors),
      `${failed.length} plugin(s) failed: ${failed.map((p) => p.record.name).join(', ')}`,
    );
  }

  /** The live plugin object by name (`undefined` if not loaded). */
  get(name: string): Plugin | undefined {
    const p = this.#slots.get(name);
    return p !== undefined && LIVE.has(p.record.state) ? p.plugin : undefined;
  }

  // ---------------------------------------------------------------------- the operations

  async #loadOne(c: Candidate): Promise<void> {
    const name = c.record.name;
    const live = this.#slots.get(name);
    if (live !== undefined && LIVE.has(live.record.state)) return this.#fail(c, 'load', this.#duplicate(c, live.record));
    let config: unknown;
    try {
      this.#slots.checkDependencies(c.record);
    } catch (err) {
      return this.#fail(c, 'load', err);
    }
    try {
      config = await validateConfig('plugins', name, c.plugin!.config, ownConfig(this.#config, name));
    } catch (err) {
      return this.#fail(c, 'config', err); // setup never ran: nothing to dispose
    }
    try {
      const t0 = performance.now();
      await withTimeout(name, 'setup', this.#timeoutMs, () => c.plugin!.setup(this.#context(c, config)));
      this.#slots.checkDependencies(c.record); // again: a dependency may have begun to unload meanwhile
      c.record.registrations = commitStaged(this.scope, c.staging, name);
      c.record.timings['setup'] = performance.now() - t0;
      c.record.state = 'loaded';
      this.#metrics?.pluginLoaded(name, 'ok', ((c.record.timings['import'] ?? 0) + c.record.timings['setup']) / 1000);
      this.#slots.putLoaded({ record: c.record, plugin: c.plugin!, errors: [], ...(c.file === undefined ? {} : { file: c.file }) });
      this.#logger.debug({ plugin: name, version: c.record.version, registrations: c.record.registrations }, 'plugin loaded');
    } catch (err) {
      await this.#fail(c, 'setup', err);
    }
  }

  async #startOne(name: string): Promise<void> {
    const s = this.#slots.get(name);
    if (s === undefined || (s.record.state !== 'loaded' && s.record.state !== 'stopped')) return;
    s.record.operation = 'start';
    try {
      this.#slots.checkDependencies(s.record, 'started');
      await this.#step(s, 'start', () => s.plugin!.start?.());
      s.record.state = 'started';
    } catch (err) {
      await this.#retire(s, 'start', err);
    } finally {
      delete s.record.operation;
    }
  }

  async #stopOne(name: string): Promise<void> {
    const s = this.#slots.get(name);
    if (s === undefined || s.record.state !== 'started') return;
    s.record.operation = 'stop';
    try {
      await this.#step(s, 'stop', () => s.plugin!.stop?.()).catch((err: unknown) => this.#note(s, 'stop', err));
      s.record.state = 'stopped';
    } finally {
      delete s.record.operation;
    }
  }

  /** `byCascade`: a dependent unloaded for a plugin that goes; finding it gone already is fine. */
  async #unloadOne(name: string, cascade: boolean, byCascade: boolean): Promise<void> {
    const s = this.#slots.get(name);
    if (s === undefined || !LIVE.has(s.record.state)) {
      if (byCascade) return;
      throw this.#stateError(name, 'unload', s);
    }
    this.#slots.refuseDependents(name, cascade);
    s.record.operation = 'unload'; // from now on no plugin can come to depend on it
    try {
      // Dependents go first: the cascade's, and any already being unloaded (waited for).
      for (const d of this.#slots.dependents(name).reverse()) await this.#ops.run(d, () => this.#unloadOne(d, cascade, true));
      if (s.record.state === 'started') await this.#step(s, 'stop', () => s.plugin!.stop?.()).catch((err: unknown) => this.#note(s, 'stop', err));
      removeOwned(this.scope, name, s.record.registrations);
      s.record.registrations = {};
      await this.#step(s, 'dispose', () => s.plugin!.dispose?.()).catch((err: unknown) => this.#note(s, 'dispose', err));
      s.record.state = 'unloaded';
    } finally {
      delete s.record.operation;
    }
  }

  async #reloadOne(name: string, replacement: Plugin | undefined): Promise<void> {
    const s = this.#slots.get(name);
    if (s === undefined || !LIVE.has(s.record.state)) throw this.#stateError(name, 'reload', s);
    s.record.operation = 'reload';
    try {
      const t0 = performance.now();
      if (replacement === undefined) forgetCommonJs(s.file!, pluginRoot(s.file!, this.#places.root));
      const c = await prepareCandidate(replacement ?? { file: s.file!, origin: s.record.origin }, this.scope, this.#places, this.#api, ++this.#reloadSeq);
      let setUp = false;
      try {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the module's own failure, passed on as it came
        if (c.error !== undefined) throw c.error;
        if (c.record.name !== name)
          throw new PluginError('E_PLUGIN_MANIFEST', `reload of '${name}': the new module is plugin '${c.record.name}'`, { plugin: name });
        this.#slots.checkDependencies(c.record);
        this.#slots.checkNoCycle(name, c.record.dependencies);
        const config = await validateConfig('plugins', name, c.plugin!.config, ownConfig(this.#config, name));
        setUp = true;
        await withTimeout(name, 'setup', this.#timeoutMs, () => c.plugin!.setup(this.#context(c, config)));
        this.#slots.checkDependencies(c.record);
        s.record.registrations = commitStaged(this.scope, c.staging, name, s.record.registrations); // the swap
      } catch (err) {
        if (setUp) await withTimeout(name, 'dispose', this.#timeoutMs, () => c.plugin!.dispose?.()).catch((e: unknown) => this.#note(s, 'reload', e));
        this.#note(s, 'reload', err);
        throw asReported(err, 'reload', name);
      }
      // The new version is in service: retire the old one, then start the new one if the old one ran.
      const previous = s.plugin!;
      const wasStarted = s.record.state === 'started';
      Object.assign(s.record, { version: c.record.version, api: c.record.api, dependencies: c.record.dependencies, reloads: s.record.reloads + 1 });
      s.plugin = c.plugin!;
      if (wasStarted) await withTimeout(name, 'stop', this.#timeoutMs, () => previous.stop?.()).catch((err: unknown) => this.#note(s, 'reload', err));
      await withTimeout(name, 'dispose', this.#timeoutMs, () => previous.dispose?.()).catch((err: unknown) => this.#note(s, 'reload', err));
      if (wasStarted) {
        try {
          await this.#step(s, 'start', () => s.plugin!.start?.());
        } catch (err) {
          await this.#retire(s, 'reload', err, true);
          throw asReported(err, 'reload', name);
        }
      }
      s.record.timings['reload'] = performance.now() - t0;
      this.#logger.info({ plugin: name, version: s.record.version }, 'plugin reloaded');
    } finally {
      delete s.record.operation;
    }
  }

  // ---------------------------------------------------------------------- internals

  #context(c: Candidate, config: unknown): PluginContext {
    const scope = c.staging;
    return Object.freeze({
      plugin: c.plugin!.meta,
      scope,
      // Without a kind, the host's registry of that id: plugins extend the host's extension points.
      registry: ((id: string, Kind?: RegistryClass<AnyRegistry>, o?: object) =>
        scope.registry(id, Kind ?? this.#kindOf(id, c.record.name), o)) as PluginContext['registry'],
      install: (...classes: Array<abstract new (...args: never[]) => unknown>) => scope.install(...classes),
      logger: childLogger(this.#logger, { plugin: c.plugin!.meta.name }),
      config,
    });
  }

  #kindOf(id: string, plugin: string): RegistryClass<AnyRegistry> {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      const r = s.peek(id);
      if (r !== undefined) return r.constructor as RegistryClass<AnyRegistry>;
    }
    throw new PluginError('E_PLUGIN_SETUP', `plugin '${plugin}': the host has no registry '${id}'; pass its kind: ctx.registry('${id}', FactoryRegistry)`, {
      plugin,
      key: id,
    });
  }

  #stateError(name: string, op: string, s: Slot | undefined): PluginError {
    return new PluginError(
      'E_PLUGIN_STATE',
      `plugin '${name}' is ${s?.record.state ?? 'gone'}: it changed while ${op}() waited for the operation before it; nothing was done`,
      { plugin: name },
    );
  }

  #duplicate(c: Candidate, other: PluginRecord): PluginError {
    return new PluginError('E_PLUGIN_DUPLICATE', `plugin '${c.record.name}' from ${c.record.source} is already loaded from ${other.source}`, {
      plugin: c.record.name,
    });
  }

  async #step(p: { record: PluginRecord }, step: string, fn: () => unknown): Promise<void> {
    const t0 = performance.now();
    await withTimeout(p.record.name, step, this.#timeoutMs, fn);
    p.record.timings[step] = performance.now() - t0;
  }

  /** Records `err` (each error of an aggregate) in the report and keeps the error for {@link assertHealthy}. */
  #note(s: Pick<Slot, 'record' | 'errors'>, step: string, err: unknown): void {
    const errors = err instanceof PlugboardAggregateError ? err.errors : [err];
    for (const e of errors) {
      const typed = asReported(e, step, s.record.name);
      s.errors.push(typed);
      s.record.errors.push({ code: typed.code, message: typed.message, step });
      this.#logger.warn({ plugin: s.record.name, step, code: typed.code }, typed.message);
    }
  }

  /** A candidate failed: nothing of it stays registered; `dispose` runs if setup had begun. */
  async #fail(c: Candidate, step: 'load' | 'config' | 'setup', err: unknown): Promise<void> {
    const s: Slot = {
      record: c.record,
      errors: [],
      ...(c.plugin === undefined ? {} : { plugin: c.plugin }),
      ...(c.file === undefined ? {} : { file: c.file }),
    };
    s.record.state = 'failed';
    this.#metrics?.pluginLoaded(c.record.name, 'failed', (c.record.timings['import'] ?? 0) / 1000);
    this.#note(s, step, err);
    if (c.plugin !== undefined && step === 'setup')
      await withTimeout(c.record.name, 'dispose', this.#timeoutMs, () => c.plugin!.dispose?.()).catch((e: unknown) => this.#note(s, 'dispose', e));
    this.#slots.putFailed(s);
    if (this.#failFast) throw asReported(err, step, c.record.name);
  }

  /** A live plugin failed (`start`, or a reload's new version): its registrations go, it is disposed, and it is failed. */
  async #retire(s: Slot, step: string, err: unknown, rethrown = false): Promise<void> {
    removeOwned(this.scope, s.record.name, s.record.registrations);
    s.record.registrations = {};
    s.record.state = 'failed';
    this.#note(s, step, err);
    await withTimeout(s.record.name, 'dispose', this.#timeoutMs, () => s.plugin!.dispose?.()).catch((e: unknown) => this.#note(s, 'dispose', e));
    if (this.#failFast && !rethrown) throw asReported(err, step, s.record.name);
  }
}
