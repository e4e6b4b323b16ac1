import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { FactoryRegistry, ImplementationRegistry, Scope } from '../../src/container/index.js';
import { MemoryRegistry } from '../../src/discovery/index.js';
import { instrumentScope, ServiceTracker } from '../../src/observability/index.js';
import { PlugboardMetrics } from '../../src/observability/metrics.js';
import { definePlugin, PluginHost } from '../../src/plugins/index.js';

/** A real pino logger writing JSON lines into an array. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('observability: logging and metrics', () => {
  it('logs each registration at debug with registry, key and site, through one child logger per registry', async () => {
    const { logger, lines } = capture();
    const scope = new Scope('obs');
    const codecs = scope.registry('codecs', ImplementationRegistry<string>);
    const undo = instrumentScope(scope, { logger });
    codecs.register('json', 'application/json');
    scope.registry('later', ImplementationRegistry<number>).register('n', 1); // created after instrumenting
    await flush();
    const reg = lines.filter((l) => l['msg'] === "codecs: add 'json'")[0]!;
    expect(reg).to.include({ level: 20, registry: 'codecs', scope: 'obs', change: 'add', key: 'json' });
    expect(reg['site']).to.match(/instrument\.test\.ts:\d+/);
    expect(lines.some((l) => l['registry'] === 'later' && l['key'] === 'n')).to.equal(true);
    undo();
    codecs.register('yaml', 'text/yaml');
    await flush();
    expect(lines.some((l) => l['key'] === 'yaml')).to.equal(false, 'detached');
  });

  it('logs a rejected registration at warn with the error’s code, key, site and message', async () => {
    const { logger, lines } = capture();
    const scope = new Scope('obs');
    const codecs = scope.registry('codecs', ImplementationRegistry<string>);
    instrumentScope(scope, { logger });
    codecs.register('json', 'a');
    expect(() => codecs.register('json', 'b')).to.throw();
    expect(() => codecs.register('', 'b')).to.throw();
    await flush();
    const warns = lines.filter((l) => l['level'] === 40);
    expect(warns).to.have.length(2);
    expect(warns[0]).to.include({ registry: 'codecs', operation: 'register', code: 'E_DUPLICATE', key: 'json' });
    expect(warns[0]!['msg']).to.include("'json'");
    expect(warns[0]!['site']).to.match(/instrument\.test\.ts:\d+/);
    expect(warns[1]).to.include({ code: 'E_INVALID_NAME' });
  });

  it('exports the metrics to prom-client with Prometheus names and bounded labels', async () => {
    const prom = new Registry();
    const metrics = new PlugboardMetrics(prom);
    const scope = new Scope('obs');
    const codecs = scope.registry('codecs', ImplementationRegistry<string>);
    scope.registry('storage', FactoryRegistry<unknown, unknown>);
    instrumentScope(scope, { metrics });
    codecs.register('json', 'a');
    codecs.get('json');
    codecs.get('json');
    codecs.get('nope');
    codecs.replaceAll({ json: 'b', yaml: 'c' });
    const host = new PluginHost({ scope, metrics, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await host.load([
      definePlugin({ meta: { name: 'p1', version: '1.0.0', api: '^1' }, setup: () => undefined }),
      definePlugin({ meta: { name: 'p2', version: '1.0.0', api: '^1' }, setup: () => Promise.reject(new Error('x')) }),
    ]);
    const memory = new MemoryRegistry();
    await memory.register({ id: 'a', name: 'greeter', endpoints: ['http://127.0.0.1:1'] });
    const tracker = new ServiceTracker(memory, metrics);
    await tracker.track('greeter');
    const text = await prom.metrics();
    expect(text).to.include('plugboard_registry_lookups_total{registry="codecs",outcome="hit"} 2');
    expect(text).to.include('plugboard_registry_lookups_total{registry="codecs",outcome="miss"} 1');
    expect(text).to.include('plugboard_registry_entries{registry="codecs"} 2');
    expect(text).to.include('plugboard_registry_entries{registry="storage"} 0');
    expect(text).to.include('plugboard_registry_swaps_total{registry="codecs"} 1');
    expect(text).to.match(/plugboard_plugin_load_duration_seconds_count\{plugin="p1",outcome="ok"\} 1/);
    expect(text).to.match(/plugboard_plugin_load_duration_seconds_count\{plugin="p2",outcome="failed"\} 1/);
    expect(text).to.include('plugboard_discovery_instances{service="greeter"} 1');
    expect(text).to.include('# TYPE plugboard_discovery_watch_errors_total counter');
    expect(text).to.not.match(/key="/, 'registry keys are never labels');
    tracker.stop();
    await memory.close();
  });

  it('a registry with nothing attached does not call any hook', () => {
    const scope = new Scope('obs');
    const codecs = scope.registry('codecs', ImplementationRegistry<string>);
    let calls = 0;
    const undo = instrumentScope(scope, {
      metrics: {
        lookupRecorder: () => () => void calls++,
        swapped: () => calls++,
        trackEntries: () => undefined,
        pluginLoaded: () => undefined,
        instances: () => undefined,
        watchError: () => undefined,
      },
    });
    codecs.register('a', 'x');
    codecs.get('a');
    expect(calls).to.equal(1);
    undo();
    codecs.get('a');
    expect(calls).to.equal(1);
  });
});
