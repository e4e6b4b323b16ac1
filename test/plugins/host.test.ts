import { expect } from 'chai';
import { ImplementationRegistry, PlugboardAggregateError } from '../../src/container/index.js';
import { definePlugin, PluginError, validatePlugin } from '../../src/plugins/index.js';
import { expectError, expectRejection } from '../support/expect-error.js';
import { codecPlugin, newHost } from './host-fixtures.js';

const codecs = (host: ReturnType<typeof newHost>): ImplementationRegistry<{ contentType: string }> =>
  host.scope.registry('codecs', ImplementationRegistry<{ contentType: string }>);
const state = (host: ReturnType<typeof newHost>, name: string): string | undefined => host.report().plugins.find((p) => p.name === name)?.state;
const firstError = (host: ReturnType<typeof newHost>, name: string) => host.report().plugins.find((p) => p.name === name)?.errors[0];

describe('plugins: host', () => {
  describe('manifest', () => {
    it('is validated before any function runs; the message names the field', () => {
      let ran = false;
      const setup = (): void => void (ran = true);
      const cases: Array<[unknown, string, string]> = [
        [null, 'E_PLUGIN_MANIFEST', 'the export'],
        [{ setup }, 'E_PLUGIN_MANIFEST', 'meta must be'],
        [{ meta: { name: '', version: '1.0.0', api: '^1' }, setup }, 'E_PLUGIN_MANIFEST', 'meta.name'],
        [{ meta: { name: 'x', version: 'one', api: '^1' }, setup }, 'E_PLUGIN_MANIFEST', 'meta.version'],
        [{ meta: { name: 'x', version: '1.0.0', api: 'latest!' }, setup }, 'E_PLUGIN_MANIFEST', 'meta.api'],
        [{ meta: { name: 'x', version: '1.0.0', api: '^1' }, dependencies: 'y', setup }, 'E_PLUGIN_MANIFEST', 'dependencies'],
        [{ meta: { name: 'x', version: '1.0.0', api: '^1' }, dependencies: ['x'], setup }, 'E_PLUGIN_MANIFEST', 'itself'],
        [{ meta: { name: 'x', version: '1.0.0', api: '^1' } }, 'E_PLUGIN_MANIFEST', 'setup must be a function'],
        [{ meta: { name: 'x', version: '1.0.0', api: '^1' }, setup, stop: 'later' }, 'E_PLUGIN_MANIFEST', 'stop must be a function'],
        [{ meta: { name: '__proto__', version: '1.0.0', api: '^1' }, setup }, 'E_PLUGIN_MANIFEST', 'meta.name'],
      ];
      for (const [value, code, part] of cases) expectError(() => validatePlugin(value, 'test'), PluginError, code, part);
      expect(ran).to.equal(false);
    });

    it('an incompatible api range is E_PLUGIN_API naming both versions, and setup never runs', async () => {
      let ran = false;
      const host = newHost();
      await host.load(definePlugin({ meta: { name: 'future', version: '3.1.0', api: '^2' }, setup: () => void (ran = true) }));
      expect(firstError(host, 'future')).to.deep.include({ code: 'E_PLUGIN_API' });
      expect(firstError(host, 'future')!.message).to.include('^2').and.include('1.0.0').and.include('future');
      expect(ran).to.equal(false);
      const newer = newHost({ apiVersion: '2.4.0' });
      expect((await newer.load(definePlugin({ meta: { name: 'future', version: '3.1.0', api: '^2' }, setup: () => undefined }))).loaded).to.equal(1);
    });
  });

  describe('loading', () => {
    it('sets plugins up in dependency order, whatever the input order', async () => {
      const log: string[] = [];
      const host = newHost();
      await host.load([
        codecPlugin('c', { log, dependencies: ['b'] }),
        codecPlugin('a', { log }),
        codecPlugin('b', { log, dependencies: ['a'] }),
        codecPlugin('d', { log, dependencies: ['a', 'c'] }),
      ]);
      expect(log).to.deep.equal(['setup a', 'setup b', 'setup c', 'setup d']);
      await host.start();
      await host.stop();
      expect(log.slice(4)).to.deep.equal(['start a', 'start b', 'start c', 'start d', 'stop d', 'stop c', 'stop b', 'stop a']);
    });

    it('a cycle is E_PLUGIN_CYCLE naming it; a dependent of the cycle fails with E_PLUGIN_DEPENDENCY; the others load', async () => {
      const host = newHost();
      await host.load([
        codecPlugin('x', { dependencies: ['y'] }),
        codecPlugin('y', { dependencies: ['z'] }),
        codecPlugin('z', { dependencies: ['x'] }),
        codecPlugin('w', { dependencies: ['x'] }),
        codecPlugin('ok'),
      ]);
      for (const n of ['x', 'y', 'z']) {
        expect(firstError(host, n)!.code).to.equal('E_PLUGIN_CYCLE');
        expect(firstError(host, n)!.message).to.include('x → y → z → x');
      }
      expect(firstError(host, 'w')).to.deep.include({ code: 'E_PLUGIN_DEPENDENCY' });
      expect(firstError(host, 'w')!.message).to.include("needs 'x', which failed");
      expect(state(host, 'ok')).to.equal('loaded');
      expect(codecs(host).names()).to.deep.equal(['ok']);
    });

    it('a missing dependency is E_PLUGIN_DEPENDENCY naming it', async () => {
      const host = newHost();
      const log: string[] = [];
      await host.load(codecPlugin('needy', { log, dependencies: ['ghost'] }));
      expect(firstError(host, 'needy')).to.deep.include({
        code: 'E_PLUGIN_DEPENDENCY',
        step: 'load',
        message: "plugin 'needy' needs 'ghost', which is not loaded",
      });
      expect(log).to.deep.equal([], 'neither setup nor dispose ran');
    });

    it('a dependency loaded by an earlier load() call counts', async () => {
      const host = newHost();
      await host.load(codecPlugin('base'));
      await host.load(codecPlugin('ext', { dependencies: ['base'] }));
      expect(state(host, 'ext')).to.equal('loaded');
    });

    it('a setup that never settles is E_PLUGIN_TIMEOUT; the timeout is configurable', async () => {
      const host = newHost({ timeoutMs: 150 });
      const t0 = Date.now();
      await host.load(codecPlugin('slow', { setup: () => new Promise<void>(() => undefined) }));
      expect(Date.now() - t0).to.be.below(2000);
      expect(firstError(host, 'slow')).to.deep.include({
        code: 'E_PLUGIN_TIMEOUT',
        step: 'setup',
        message: "plugin 'slow': setup() did not finish within 150 ms",
      });
    });

    it('a failing plugin: its registrations are rolled back, dispose runs, the others load, and one aggregate report comes back', async () => {
      const log: string[] = [];
      const host = newHost();
      const broken = definePlugin({
        meta: { name: 'broken', version: '0.0.1', api: '^1' },
        setup(ctx) {
          ctx.registry<ImplementationRegistry<{ contentType: string }>>('codecs').register('half-done', { contentType: 'x' });
          throw new Error('S3 credentials missing');
        },
        dispose: () => void log.push('dispose broken'),
      });
      const report = await host.load([codecPlugin('before'), broken, codecPlugin('after')]);
      expect(report).to.deep.include({ loaded: 2, failed: 1 });
      expect(codecs(host).names()).to.deep.equal(['after', 'before']);
      expect(log).to.deep.equal(['dispose broken']);
      expect(firstError(host, 'broken')).to.deep.include({ code: 'E_PLUGIN_SETUP', step: 'setup' });
      expect(firstError(host, 'broken')!.message).to.include('S3 credentials missing');
      const agg = expectError<PlugboardAggregateError>(() => host.assertHealthy(), PlugboardAggregateError, 'E_PLUGIN_BOOT', 'broken');
      expect(agg.errors).to.have.length(1);
      expect(host.formatReport())
        .to.match(/✗ broken 0\.0\.1 \[failed\]/)
        .and.include('✓ before 1.0.0 [loaded]')
        .and.include('codecs: after');
    });

    it('a registration clashing with the host is rolled back as a whole, naming the registry and key', async () => {
      const host = newHost();
      codecs(host).register('json', { contentType: 'application/json' });
      const report = await host.load(
        definePlugin({
          meta: { name: 'greedy', version: '1.0.0', api: '^1' },
          setup(ctx) {
            ctx.registry<ImplementationRegistry<{ contentType: string }>>('codecs').register('yaml', { contentType: 'text/yaml' });
            ctx.registry<ImplementationRegistry<{ contentType: string }>>('codecs').register('json', { contentType: 'evil' });
          },
        }),
      );
      expect(report.plugins[0]!.errors[0]).to.deep.include({ code: 'E_DUPLICATE' });
      expect(report.plugins[0]!.errors[0]!.message).to.include('codecs').and.include('json');
      expect(codecs(host).names()).to.deep.equal(['json']);
      expect(codecs(host).get('json')!.contentType).to.equal('application/json');
    });

    it('fail fast: the first failure is thrown', async () => {
      const host = newHost({ failFast: true });
      await expectRejection(
        host.load([codecPlugin('a'), codecPlugin('b', { dependencies: ['nope'] }), codecPlugin('c')]),
        PluginError,
        'E_PLUGIN_DEPENDENCY',
        'nope',
      );
      expect(codecs(host).names()).to.deep.equal(['a']);
    });

    it('two plugins with one name: the second is E_PLUGIN_DUPLICATE', async () => {
      const host = newHost();
      await host.load([codecPlugin('twin'), { ...codecPlugin('twin'), meta: { name: 'twin', version: '2.0.0', api: '^1' } }]);
      const twins = host.report().plugins.filter((p) => p.name === 'twin');
      expect(twins.map((t) => t.state)).to.have.members(['loaded', 'failed']);
      expect(twins.find((t) => t.state === 'failed')!.errors[0]!.code).to.equal('E_PLUGIN_DUPLICATE');
    });

    it('the report has version, source, state, timings and registrations, as JSON', async () => {
      const host = newHost();
      await host.load(codecPlugin('r'));
      await host.start();
      const [p] = JSON.parse(JSON.stringify(host.report())).plugins;
      expect(p).to.deep.include({
        name: 'r',
        version: '1.0.0',
        api: '^1',
        source: 'object',
        origin: 'explicit',
        state: 'started',
        registrations: { codecs: ['r'] },
        errors: [],
      });
      expect(p.timings.setup).to.be.a('number');
      expect(p.timings.start).to.be.a('number');
      expect(codecs(host).entry('r')!.owner).to.equal('r');
    });
  });

  describe('lifecycle', () => {
    it('a failing start rolls the plugin back, and its dependents are not started', async () => {
      const log: string[] = [];
      const host = newHost();
      await host.load([
        codecPlugin('db', { log, start: () => Promise.reject(new Error('connection refused')) }),
        codecPlugin('api', { log, dependencies: ['db'] }),
        codecPlugin('solo', { log }),
      ]);
      await host.start();
      expect(state(host, 'db')).to.equal('failed');
      expect(firstError(host, 'db')).to.deep.include({ code: 'E_PLUGIN_SETUP', step: 'start' });
      expect(state(host, 'api')).to.equal('failed');
      expect(firstError(host, 'api')!.message).to.include("needs 'db', which failed");
      expect(state(host, 'solo')).to.equal('started');
      expect(codecs(host).names()).to.deep.equal(['solo']);
      expect(log).to.include('dispose db');
    });

    it('ping results appear in the report; a throwing ping is a failing one', async () => {
      const host = newHost();
      await host.load([
        codecPlugin('up', { ping: () => ({ ok: true, detail: '3 connections' }) }),
        codecPlugin('down', { ping: () => Promise.reject(new Error('unreachable')) }),
        codecPlugin('quiet'),
      ]);
      const r = await host.ping();
      expect(r.plugins.find((p) => p.name === 'up')!.ping).to.deep.include({ ok: true, detail: '3 connections' });
      expect(r.plugins.find((p) => p.name === 'down')!.ping).to.deep.include({ ok: false });
      expect(r.plugins.find((p) => p.name === 'down')!.ping!.detail).to.include('unreachable');
      expect(r.plugins.find((p) => p.name === 'quiet')!.ping).to.equal(undefined);
    });
  });

  describe('unload', () => {
    it('removes the registrations, stops and disposes; refuses while dependents are loaded', async () => {
      const log: string[] = [];
      const host = newHost();
      await host.load([codecPlugin('base', { log }), codecPlugin('ext', { log, dependencies: ['base'] }), codecPlugin('other', { log })]);
      await host.start();
      log.length = 0;
      await expectRejection(host.unload('base'), PluginError, 'E_PLUGIN_DEPENDENTS', "'ext'", 'cascade');
      expect(codecs(host).names()).to.deep.equal(['base', 'ext', 'other']);
      await host.unload('other');
      expect(log).to.deep.equal(['stop other', 'dispose other']);
      expect(codecs(host).names()).to.deep.equal(['base', 'ext']);
      await host.unload('base', { cascade: true });
      expect(log.slice(2)).to.deep.equal(['stop ext', 'dispose ext', 'stop base', 'dispose base']);
      expect(codecs(host).names()).to.deep.equal([]);
      expect(state(host, 'base')).to.equal('unloaded');
      await expectRejection(host.unload('base'), PluginError, 'E_PLUGIN_UNKNOWN', 'base');
      expect((await host.load(codecPlugin('base'))).plugins.find((p) => p.name === 'base')!.state).to.equal('loaded');
    });
  });
});
