/** Shared setup of the plugin tests: a host scope with the registries the fixtures extend. */
import { resolve } from 'node:path';
import { FactoryRegistry, ImplementationRegistry, Scope } from '../../src/container/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { definePlugin, PluginHost, type Plugin, type PluginHostOptions } from '../../src/plugins/index.js';

/** The fixture host app with a real node_modules layout. */
export const APP = resolve('test/fixtures/plugins/app');

export function hostScope(): Scope {
  const scope = new Scope('plugins-test');
  scope.registry('storage', FactoryRegistry<unknown, unknown>);
  scope.registry('codecs', ImplementationRegistry<{ contentType: string }>);
  return scope;
}

export function newHost(opts: PluginHostOptions = {}): PluginHost {
  return new PluginHost({ scope: hostScope(), root: APP, logger: silentLogger, timeoutMs: 2000, ...opts });
}

/** A plugin object registering `codecs/<name>` (plus whatever `extra` says). */
export function codecPlugin(name: string, extra: Partial<Plugin> & { log?: string[] } = {}): Plugin {
  const { log, ...rest } = extra;
  return definePlugin({
    meta: { name, version: '1.0.0', api: '^1' },
    setup(ctx) {
      ctx.registry<ImplementationRegistry<{ contentType: string }>>('codecs').register(name, { contentType: `text/${name}` });
      log?.push(`setup ${name}`);
    },
    start: () => void log?.push(`start ${name}`),
    stop: () => void log?.push(`stop ${name}`),
    dispose: () => void log?.push(`dispose ${name}`),
    ...rest,
  });
}
