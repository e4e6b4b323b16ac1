/**
 * Plugin benchmark: what staging, checking and attributing costs over registering directly.
 * Loading 100 plugin objects of 10 registrations each, against `registerAll` of the same
 * 1,000 entries (one batch, and one call each, as plugins register); and one hot reload
 * against `replaceAll` of 10 entries.
 */
import { ImplementationRegistry, Scope } from '../src/container/index.js';
import { silentLogger } from '../src/observability/logger.js';
import { definePlugin, PluginHost, type Plugin } from '../src/plugins/index.js';
import { measure, table } from './harness.js';

const PLUGINS = 100;
const PER_PLUGIN = 10;

function plugin(n: number, version = '1.0.0'): Plugin {
  return definePlugin({
    meta: { name: `p${n}`, version, api: '^1' },
    setup(ctx) {
      const codecs = ctx.registry<ImplementationRegistry<number>>('codecs');
      for (let i = 0; i < PER_PLUGIN; i++) codecs.register(`p${n}-c${i}`, i);
    },
  });
}

export async function pluginsBench(): Promise<string[]> {
  const out: string[] = [];
  const plugins = Array.from({ length: PLUGINS }, (_, n) => plugin(n));
  const items = Array.from({ length: PLUGINS * PER_PLUGIN }, (_, i) => [`k${i}`, i] as const);
  let scope = new Scope('bench');
  const fresh = (): void => {
    scope = new Scope('bench');
    scope.registry('codecs', ImplementationRegistry<number>);
  };
  const load = await measure('plugin load', [
    {
      name: 'registerAll ×1000 (no plugins)',
      ops: 1,
      beforeEach: fresh,
      fn: () => scope.registry('codecs', ImplementationRegistry<number>).registerAll(items),
    },
    {
      name: 'register ×1000, one call each (no plugins)',
      ops: 1,
      beforeEach: fresh,
      fn: () => {
        const r = scope.registry('codecs', ImplementationRegistry<number>);
        for (const [k, v] of items) r.register(k, v);
      },
    },
    {
      name: 'PluginHost.load: 100 plugins × 10 registrations',
      ops: 1,
      beforeEach: fresh,
      fn: () => new PluginHost({ scope, logger: silentLogger }).load(plugins),
    },
  ]);
  out.push(table('Loading 100 plugin objects (1,000 registrations)', load, 'registerAll ×1000 (no plugins)'));

  fresh();
  const host = new PluginHost({ scope, logger: silentLogger });
  await host.load(plugin(0));
  const codecs = new Scope('plain').registry('codecs', ImplementationRegistry<number>); // no plugin owns these
  const ten = Array.from({ length: PER_PLUGIN }, (_, i) => [`p0-c${i}`, i] as const);
  let v = 1;
  const reload = await measure('plugin reload', [
    { name: 'replaceAll of 10 entries', ops: 1, fn: () => codecs.replaceAll(ten) },
    { name: 'host.reload(name, newVersion): 10 registrations', ops: 1, fn: () => host.reload('p0', plugin(0, `1.0.${v++}`)) },
  ]);
  out.push(table('Hot reload of one plugin (10 registrations)', reload, 'replaceAll of 10 entries'));
  return out;
}
