import { expect } from 'chai';
import { ImplementationRegistry, PlugboardError } from '../../src/container/index.js';
import { PluginError, type PluginHost } from '../../src/plugins/index.js';
import { expectRejection } from '../support/expect-error.js';
import { newHost } from './host-fixtures.js';
import { gate, Instances, lifeProblem, type Gate } from './lifecycle-fixtures.js';

/**
 * Issue #16: lifecycle calls that overlap on one plugin. Each used to corrupt the host; the
 * operations on one plugin now run one at a time, in call order. Gates hold an operation in
 * the middle of a step, so each interleaving is forced, not hoped for.
 */
describe('plugins: overlapping lifecycle calls', () => {
  let host: PluginHost;
  let ids: ImplementationRegistry<number>;
  let made: Instances;
  const state = (name: string) => host.report().plugins.find((p) => p.name === name);

  beforeEach(() => {
    host = newHost();
    ids = host.scope.registry('ids', ImplementationRegistry<number>);
    made = new Instances();
  });
  /** Every instance lived a possible life (checked at the end of each test). */
  const checkLives = (): void => {
    for (const i of made.all) expect(lifeProblem(i), lifeProblem(i)).to.equal(undefined);
  };

  /** A pause that holds `step` of one instance at `g`, and tells `entered` when it got there. */
  const holdAt = (step: string, g: Gate, entered: Gate) => (s: string) => (s === step ? (entered.open(), g.promise) : undefined);

  it('unload() during reload(): waits for the reload, then unloads the new version; each version is disposed once', async () => {
    const v1 = made.make('p');
    await host.load(v1.plugin);
    await host.start();
    const [hold, entered] = [gate(), gate()];
    const v2 = made.make('p', { pause: holdAt('setup', hold, entered) });
    const reloading = host.reload('p', v2.plugin);
    await entered.promise; // v2's setup is running
    const unloading = host.unload('p');
    hold.open();
    await reloading;
    await unloading;
    expect(state('p')).to.deep.include({ state: 'unloaded', registrations: {} });
    expect(ids.names()).to.deep.equal([]);
    expect(v1.events).to.deep.equal(['setup', 'start', 'stop', 'dispose']);
    expect(v2.events).to.deep.equal(['setup', 'start', 'stop', 'dispose']);
    checkLives();
  });

  it('two concurrent load() calls of one plugin: one loads, the other is E_PLUGIN_DUPLICATE and never set up', async () => {
    const [hold, entered] = [gate(), gate()];
    const first = made.make('p', { pause: holdAt('setup', hold, entered) });
    const second = made.make('p');
    const a = host.load(first.plugin);
    await entered.promise;
    const b = host.load(second.plugin);
    hold.open();
    await Promise.all([a, b]);
    const records = host.report().plugins.filter((p) => p.name === 'p');
    expect(records.map((r) => r.state)).to.deep.equal(['loaded', 'failed']);
    expect(records[1]!.errors[0]).to.include({ code: 'E_PLUGIN_DUPLICATE', step: 'load' });
    expect(second.events).to.deep.equal([], 'the second instance was never set up, so there is nothing of it to dispose');
    expect(ids.get('p')).to.equal(first.id);
    await host.unload('p');
    expect(first.events).to.deep.equal(['setup', 'dispose']);
    checkLives();
  });

  it('two concurrent reload() calls run one after the other: v2 is started before it is stopped, v3 is started once', async () => {
    const v1 = made.make('p');
    await host.load(v1.plugin);
    await host.start();
    const [hold, entered] = [gate(), gate()];
    const v2 = made.make('p', { pause: holdAt('setup', hold, entered) });
    const v3 = made.make('p');
    const r2 = host.reload('p', v2.plugin);
    await entered.promise;
    const r3 = host.reload('p', v3.plugin);
    hold.open();
    await Promise.all([r2, r3]);
    expect(v1.events).to.deep.equal(['setup', 'start', 'stop', 'dispose']);
    expect(v2.events).to.deep.equal(['setup', 'start', 'stop', 'dispose']);
    expect(v3.events).to.deep.equal(['setup', 'start']);
    expect(state('p')).to.deep.include({ state: 'started', reloads: 2, version: `1.0.${v3.id}` });
    expect(ids.names()).to.deep.equal(['p', `p.${v3.id}`]);
    checkLives();
  });

  it('a reload() whose new start() throws rejects, and the plugin fails as in start(): no registrations, both versions disposed', async () => {
    const v1 = made.make('p');
    await host.load(v1.plugin);
    await host.start();
    const v2 = made.make('p', { faults: new Set(['start']) });
    await expectRejection(host.reload('p', v2.plugin), PluginError, 'E_PLUGIN_SETUP', 'start() threw', 'start failed');
    expect(state('p')).to.deep.include({ state: 'failed', registrations: {} });
    expect(state('p')!.errors.at(-1)).to.include({ step: 'reload', code: 'E_PLUGIN_SETUP' });
    expect(ids.names()).to.deep.equal([]);
    expect(v1.events).to.deep.equal(['setup', 'start', 'stop', 'dispose']);
    expect(v2.events).to.deep.equal(['setup', 'start!', 'dispose']);
    expect(() => host.assertHealthy()).to.throw(PlugboardError, /1 plugin\(s\) failed: p/);
    checkLives();
  });

  it('the report shows the operation running, next to the state it started from', async () => {
    const [hold, entered] = [gate(), gate()];
    const v1 = made.make('p', { pause: holdAt('start', hold, entered) });
    await host.load(v1.plugin);
    const starting = host.start();
    await entered.promise;
    expect(state('p')).to.deep.include({ state: 'loaded', operation: 'start' });
    expect(host.formatReport()).to.include('[loaded, start running]');
    hold.open();
    await starting;
    expect(state('p')!.state).to.equal('started');
    expect(state('p')).to.not.have.property('operation');
    checkLives();
  });

  it('an operation queued behind an unload finds the plugin unloaded: E_PLUGIN_STATE, and nothing is done', async () => {
    const v1 = made.make('p');
    const [hold, entered] = [gate(), gate()];
    const slow = made.make('q', { pause: holdAt('dispose', hold, entered) });
    await host.load([v1.plugin, slow.plugin]);
    const unloading = host.unload('q');
    await entered.promise;
    const v2 = made.make('q');
    const reloading = host.reload('q', v2.plugin);
    const again = host.unload('q');
    hold.open();
    await unloading;
    await expectRejection(reloading, PluginError, 'E_PLUGIN_STATE', "plugin 'q' is unloaded", 'reload()');
    await expectRejection(again, PluginError, 'E_PLUGIN_STATE', "plugin 'q' is unloaded", 'unload()');
    expect(v2.events).to.deep.equal([]);
    await expectRejection(host.unload('q'), PluginError, 'E_PLUGIN_UNKNOWN', "no loaded plugin 'q'");
    checkLives();
  });

  it('a dependent whose setup runs while its dependency starts to unload is refused at commit, not left orphaned', async () => {
    const base = made.make('base');
    await host.load(base.plugin);
    const [hold, entered] = [gate(), gate()];
    const ext = made.make('ext', { dependencies: ['base'], pause: holdAt('setup', hold, entered) });
    const loading = host.load(ext.plugin);
    await entered.promise;
    await host.unload('base'); // ext is not live yet: nothing depends on base
    hold.open();
    const report = await loading;
    expect(report.plugins.find((p) => p.name === 'ext')!.errors[0]).to.include({
      code: 'E_PLUGIN_DEPENDENCY',
      message: "plugin 'ext' needs 'base', which is unloaded",
    });
    expect(ids.names()).to.deep.equal([]);
    expect(ext.events).to.deep.equal(['setup', 'dispose']);
    checkLives();
  });
});
