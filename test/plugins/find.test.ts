import { expect } from 'chai';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FactoryRegistry } from '../../src/container/index.js';
import { findPlugins, PluginError } from '../../src/plugins/index.js';
import Module from 'node:module';
import { expectError, expectRejection } from '../support/expect-error.js';
import { captureWarnings } from '../support/warnings.js';
import { APP, newHost } from './host-fixtures.js';

const rel = (files: Array<{ file: string }>): string[] => files.map((f) => relative(APP, f.file));

describe('plugins: finding and loading modules', () => {
  it('finds the dependencies matched by the package.json globs, installed ones only', () => {
    const found = findPlugins({ root: APP });
    expect(found.map((f) => [f.packageName, f.origin])).to.deep.equal([
      ['@acme/plugboard-plugin', 'package.json'],
      ['@acme/storage-s3', 'package.json'],
      ['plugboard-plugin-cache', 'package.json'],
    ]);
    expect(rel(found)).to.deep.equal([
      'node_modules/@acme/plugboard-plugin/lib/index.cjs',
      'node_modules/@acme/storage-s3/index.js',
      'node_modules/plugboard-plugin-cache/index.js',
    ]);
  });

  it('finds packages by naming convention, scoped ones included, and never others', () => {
    const found = findPlugins({ root: APP, packageJson: false, conventions: true });
    expect(found.map((f) => f.packageName)).to.deep.equal(['@acme/plugboard-plugin', 'plugboard-plugin-cache', 'plugboard-plugin-metrics']);
    expect(found.every((f) => f.origin === 'convention')).to.equal(true);
  });

  // #32: under tsx, findPlugins({ directories }) matched only .js/.mjs/.cjs: it found nothing and said nothing.
  describe('plugins written in TypeScript', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'plugboard-ts-plugins-'));
      for (const f of ['a.ts', 'b.mts', 'c.cts', 'types.d.ts', 'd.js']) writeFileSync(join(dir, f), 'export default {};\n');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const names = (found: Array<{ file: string }>): string[] => found.map((f) => relative(dir, f.file));

    it('without a TypeScript loader: skips .ts/.mts/.cts with one warning per directory naming them', () => {
      const w = captureWarnings();
      try {
        expect(names(findPlugins({ root: dir, packageJson: false, directories: ['.'] }))).to.deep.equal(['d.js']);
        expect(names(findPlugins({ root: dir, packageJson: false, directories: ['.'] }))).to.deep.equal(['d.js']);
        expect(w.warnings.map((x) => x.code)).to.deep.equal(['PLUGBOARD_PLUGIN_TS_SKIPPED'], 'once');
        expect(w.warnings[0]!.message).to.include("plugin directory '.': skipped 3 TypeScript files (a.ts, b.mts, c.cts)").and.include('tsx');
        expect(findPlugins({ root: dir, packageJson: false, directories: ['.'], typescript: false })).to.have.length(1);
        expect(w.warnings, 'typescript: false asks for no warning').to.have.length(1);
      } finally {
        w.restore();
      }
    });

    it('with a loader registered (a .ts require hook, as tsx and ts-node add) or typescript: true: finds them, never .d.ts', () => {
      expect(names(findPlugins({ root: dir, packageJson: false, directories: ['.'], typescript: true }))).to.deep.equal(['a.ts', 'b.mts', 'c.cts', 'd.js']);
      const extensions = (Module as unknown as { _extensions: Record<string, unknown> })._extensions;
      extensions['.ts'] = extensions['.js'];
      try {
        expect(names(findPlugins({ root: dir, packageJson: false, directories: ['.'] }))).to.deep.equal(['a.ts', 'b.mts', 'c.cts', 'd.js']);
      } finally {
        delete extensions['.ts'];
      }
    });
  });

  it('finds the modules of a directory: ESM and CJS files and folders with a package.json', () => {
    expect(rel(findPlugins({ root: APP, packageJson: false, directories: ['plugins'] }))).to.deep.equal([
      'plugins/folder-plugin/entry.js',
      'plugins/hello.mjs',
      'plugins/legacy.cjs',
    ]);
  });

  it('deduplicates a plugin found by two methods', () => {
    const found = findPlugins({ root: APP, conventions: true });
    expect(found.filter((f) => f.packageName === 'plugboard-plugin-cache')).to.have.length(1);
    expect(found).to.have.length(4);
  });

  it('loads every discovered plugin, ESM and CJS (module.exports, exports.default, named export), in dependency order', async () => {
    const host = newHost();
    const report = await host.load(findPlugins({ root: APP, conventions: true, directories: ['plugins'] }));
    expect(report.failed).to.equal(0, JSON.stringify(report.plugins.flatMap((p) => p.errors)));
    const names = report.plugins.map((p) => p.name);
    expect(names).to.have.members(['acme', 'storage-s3', 'cache', 'metrics', 'folder', 'hello', 'legacy']);
    expect(names.indexOf('storage-s3')).to.be.below(names.indexOf('cache'));
    expect(host.scope.registry('codecs', (await import('../../src/container/index.js')).ImplementationRegistry).names()).to.deep.equal([
      'acme-bin',
      'folder',
      'hello',
      'legacy',
      'prometheus-text',
    ]);
    const storage = host.scope.peek('storage')!;
    expect(storage.names()).to.deep.equal(['cached-s3', 's3']);
    expect(storage.entry('cached-s3')!.owner).to.equal('cache');
    expect(await host.scope.registry('storage', FactoryRegistry<unknown, unknown>).new('cached-s3', { bucket: 'b' })).to.deep.equal({
      driver: 'cached',
      inner: { driver: 's3', cfg: { bucket: 'b' } },
    });
    expect(report.plugins.find((p) => p.name === 'cache')).to.deep.include({ origin: 'package.json', source: 'plugboard-plugin-cache', version: '0.3.0' });
  });

  it('loads by explicit specifier: a package name and a relative path', async () => {
    const host = newHost();
    const report = await host.load(['@acme/storage-s3', './plugins/hello.mjs']);
    expect(report.plugins.map((p) => [p.name, p.state, p.origin])).to.have.deep.members([
      ['storage-s3', 'loaded', 'explicit'],
      ['hello', 'loaded', 'explicit'],
    ]);
  });

  it('refuses paths that escape the roots with ../ and through a symlink, without importing them', async () => {
    expectError(
      () => findPlugins({ root: APP, packageJson: false, directories: ['../outside'] }),
      PluginError,
      'E_PLUGIN_PATH',
      '../outside',
      'outside the plugin roots',
    );
    expectError(
      () => findPlugins({ root: APP, packageJson: false, directories: ['linked'] }),
      PluginError,
      'E_PLUGIN_PATH',
      'evil.mjs',
      'resolves to',
      'outside',
    );
    const host = newHost();
    const report = await host.load(['../outside/evil.mjs', './linked/evil.mjs', '../../../../package.json']);
    expect(report.plugins.map((p) => p.errors[0]!.code)).to.deep.equal(['E_PLUGIN_PATH', 'E_PLUGIN_PATH', 'E_PLUGIN_PATH']);
    expect((globalThis as Record<string, unknown>)['__plugboardEvilImported']).to.equal(undefined);
  });

  it('a symlink that stays inside the roots is fine; a missing file is E_PLUGIN_LOAD; a module without a plugin export is E_PLUGIN_LOAD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-plugins-'));
    try {
      writeFileSync(join(dir, 'real.mjs'), "export default { meta: { name: 'real', version: '1.0.0', api: '^1' }, setup() {} };");
      writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;');
      symlinkSync(join(dir, 'real.mjs'), join(dir, 'alias.mjs'));
      const host = newHost({ root: dir });
      const report = await host.load(['./alias.mjs', './missing.mjs', './empty.mjs']);
      const by = (s: string) => report.plugins.find((p) => p.source.endsWith(s) || p.name === s)!;
      expect(by('real').state).to.equal('loaded');
      expect(by('missing.mjs').errors[0]).to.include({ code: 'E_PLUGIN_LOAD' });
      expect(by('empty.mjs').errors[0]!.message).to.include("export named 'plugin'").and.include('nothing');
      await expectRejection(newHost({ root: dir, failFast: true }).load(['./missing.mjs']), PluginError, 'E_PLUGIN_LOAD', 'does not exist');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('attributes registrations made by decorators while the plugin module is imported', async () => {
    const { defaultScope } = await import('../../src/container/index.js');
    const host = newHost({ root: process.cwd() });
    const report = await host.load(['./.build/legacy/test/plugins/fixtures/decorated-plugin.js']);
    expect(report.failed).to.equal(0, JSON.stringify(report.plugins[0]!.errors));
    const services = host.scope.peek('services')!;
    expect(services.entry('decorated-svc')!.owner).to.equal('decorated');
    expect((services.get('decorated-svc') as { hello(): string }).hello()).to.include('decorated plugin');
    expect(defaultScope().peek('services')?.has('decorated-svc') ?? false).to.equal(false, 'nothing leaked into the default scope');
  });
});
