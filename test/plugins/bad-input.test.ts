import 'reflect-metadata';
import { expect } from 'chai';
import { IsInt, IsString, Min } from 'class-validator';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImplementationRegistry, InvalidOptionError } from '../../src/container/index.js';
import { definePlugin, findPlugins, PluginError, validatePlugin } from '../../src/plugins/index.js';
import { expectError } from '../support/expect-error.js';
import { codecPlugin, newHost } from './host-fixtures.js';

/**
 * Issue #16: plugin inputs nobody had tried. Each used to escape as ENOENT, ENOTDIR,
 * SyntaxError or TypeError, or was misreported; each is now a typed error in the boot report.
 */
describe('plugins: bad input', () => {
  let dir: string;
  const plugin = (name: string): string =>
    `export default { meta: { name: '${name}', version: '1.0.0', api: '^1' }, setup(ctx) { ctx.registry('codecs').register('${name}', { contentType: 'x' }); } };`;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plugboard-bad-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('findPlugins collects problems as failed entries instead of throwing', () => {
    it('a listed directory that does not exist, or is a file', async () => {
      writeFileSync(join(dir, 'not-a-dir'), '');
      const found = findPlugins({ root: dir, packageJson: false, directories: ['missing', 'not-a-dir'] });
      expect(found.map((f) => [f.origin, f.error?.code, f.error?.message])).to.deep.equal([
        ['directory', 'E_PLUGIN_LOAD', `plugin directory 'missing': '${join(dir, 'missing')}' does not exist`],
        ['directory', 'E_PLUGIN_LOAD', `plugin directory 'not-a-dir': '${join(dir, 'not-a-dir')}' is a file, not a directory`],
      ]);
      const report = await newHost({ root: dir }).load(found);
      expect(report.failed).to.equal(2);
      expect(report.plugins.map((p) => p.errors[0]!.code)).to.deep.equal(['E_PLUGIN_LOAD', 'E_PLUGIN_LOAD']);
    });

    /** findPlugins over `plugins/`, holding a good plugin plus `extra`; returns file → `ok` or `CODE: message`. */
    const scan = (extra: () => void): Record<string, string> => {
      mkdirSync(join(dir, 'plugins'));
      writeFileSync(join(dir, 'plugins', 'good.mjs'), plugin('good'));
      extra();
      const found = findPlugins({ root: dir, packageJson: false, directories: ['plugins'] });
      return Object.fromEntries(
        found.map((f) => [f.file.slice(join(dir, 'plugins').length + 1), f.error === undefined ? 'ok' : `${f.error.code}: ${f.error.message}`]),
      );
    };
    const folder = (name: string, pkg: string) => (): void => {
      mkdirSync(join(dir, 'plugins', name));
      writeFileSync(join(dir, 'plugins', name, 'package.json'), pkg);
    };

    it('a dangling symlink in a plugin directory', () => {
      const byFile = scan(() => symlinkSync(join(dir, 'nowhere.mjs'), join(dir, 'plugins', 'dangling.mjs')));
      expect(byFile).to.deep.equal({ 'dangling.mjs': `E_PLUGIN_LOAD: 'dangling.mjs' in plugin directory 'plugins': a dangling symlink`, 'good.mjs': 'ok' });
    });

    it('a plugin folder whose package.json is not valid JSON', () => {
      const byFile = scan(folder('broken', '{ "main": '));
      expect(byFile['good.mjs']).to.equal('ok');
      expect(byFile['broken']).to.match(/^E_PLUGIN_LOAD: .*broken\/package\.json is not valid JSON/);
    });

    it('a plugin folder whose package.json has "main": 42', () => {
      const byFile = scan(folder('numeric', '{ "main": 42 }'));
      expect(byFile['good.mjs']).to.equal('ok');
      expect(byFile['numeric']).to.match(/^E_PLUGIN_LOAD: .*numeric\/package\.json: "main" must be a string, got 42$/);
    });

    it('a file named node_modules/@scope does not stop the convention scan', () => {
      mkdirSync(join(dir, 'node_modules', 'plugboard-plugin-ok'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'plugboard-plugin-ok', 'package.json'), '{ "name": "plugboard-plugin-ok", "main": "index.mjs" }');
      writeFileSync(join(dir, 'node_modules', 'plugboard-plugin-ok', 'index.mjs'), plugin('ok'));
      writeFileSync(join(dir, 'node_modules', '@scope'), 'not a directory');
      const found = findPlugins({ root: dir, packageJson: false, conventions: true });
      expect(found.map((f) => [f.packageName ?? f.file.slice(dir.length), f.error?.code])).to.deep.equal([
        ['/node_modules/@scope', 'E_PLUGIN_LOAD'],
        ['plugboard-plugin-ok', undefined],
      ]);
      expect(found[0]!.error!.message).to.include('is a file, not a directory');
    });

    it('a path escaping the roots still throws E_PLUGIN_PATH (nothing is imported)', () => {
      expectError(() => findPlugins({ root: dir, packageJson: false, directories: ['..'] }), PluginError, 'E_PLUGIN_PATH', 'outside the plugin roots');
    });
  });

  it('a plugin package with a broken package.json is E_PLUGIN_LOAD, not E_PLUGIN_SETUP', async () => {
    mkdirSync(join(dir, 'node_modules', 'plugboard-plugin-broken'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'plugboard-plugin-broken', 'package.json'), '{ nope');
    const report = await newHost({ root: dir }).load('plugboard-plugin-broken');
    expect(report.plugins[0]!.errors[0]).to.include({ code: 'E_PLUGIN_LOAD', step: 'load' });
    expect(report.plugins[0]!.errors[0]!.message).to.include('plugboard-plugin-broken/package.json is not valid JSON');
  });

  it('relative plugin paths resolve against the documented base (import.meta.url or a directory), not the working directory', async () => {
    mkdirSync(join(dir, 'app', 'plugins'), { recursive: true });
    writeFileSync(join(dir, 'app', 'plugins', 'near.mjs'), plugin('near'));
    const moduleUrl = pathToFileURL(join(dir, 'app', 'main.js')); // what import.meta.url is in app/main.js
    const host = newHost({ root: dir, base: moduleUrl });
    expect((await host.load('./plugins/near.mjs')).plugins[0]).to.deep.include({ name: 'near', state: 'loaded' });
    const byDir = newHost({ root: dir, base: join(dir, 'app') });
    expect((await byDir.load('./plugins/near.mjs')).plugins[0]!.state).to.equal('loaded');
    expect(findPlugins({ root: dir, base: moduleUrl, packageJson: false, directories: ['plugins'] }).map((f) => f.file)).to.deep.equal([
      join(dir, 'app', 'plugins', 'near.mjs'),
    ]);
    expectError(() => newHost({ root: dir, base: 'https://example.com/x.js' }), PluginError, 'E_PLUGIN_PATH', 'base must be a directory or a file: URL');
  });

  describe('plugin config, validated by the ConfigSpec the manifest declares', () => {
    class S3Config {
      @IsString() bucket = 'default';
      @IsInt() @Min(1) retries = 3;
    }

    it('hands setup the validated config with defaults; a bad config fails that plugin alone, naming every field', async () => {
      const seen: S3Config[] = [];
      const s3 = (name: string) => definePlugin({ meta: { name, version: '1.0.0', api: '^1' }, config: S3Config, setup: (ctx) => void seen.push(ctx.config) });
      const host = newHost({ config: { good: { bucket: 'photos' }, bad: { bucket: 7, retries: 0, extra: true } } });
      const report = await host.load([s3('good'), s3('bad'), codecPlugin('other')]);
      expect(report).to.deep.include({ loaded: 2, failed: 1 });
      expect(seen).to.have.length(1);
      expect(seen[0]).to.be.instanceOf(S3Config).and.deep.include({ bucket: 'photos', retries: 3 });
      const bad = report.plugins.find((p) => p.name === 'bad')!;
      expect(bad.errors[0]).to.include({ code: 'E_CONFIG', step: 'config' });
      expect(bad.errors[0]!.message).to.include("plugins: invalid config for 'bad'").and.include('bucket:').and.include('retries:').and.include('extra:');
      expect(host.scope.registry('codecs', ImplementationRegistry).names()).to.deep.equal(['other']);
    });

    it('accepts a validate function; a config spec that is not one is E_PLUGIN_MANIFEST', async () => {
      const host = newHost({ config: { fn: 'raw' } });
      let got: unknown;
      await host.load(
        definePlugin({
          meta: { name: 'fn', version: '1.0.0', api: '^1' },
          config: (raw: unknown) => `${String(raw)}!`,
          setup: (ctx) => void (got = ctx.config),
        }),
      );
      expect(got).to.equal('raw!');
      expectError(
        () => validatePlugin({ meta: { name: 'x', version: '1.0.0', api: '^1' }, config: 42, setup: () => undefined }, 'test'),
        PluginError,
        'E_PLUGIN_MANIFEST',
        'config must be a class',
      );
      class Bare {
        bucket = 'x';
      }
      expectError(
        () => validatePlugin({ meta: { name: 'x', version: '1.0.0', api: '^1' }, config: Bare, setup: () => undefined }, 'test'),
        PluginError,
        'E_PLUGIN_MANIFEST',
        'config class Bare has no class-validator decorators',
      );
    });
  });
});

/** Issue #28, plugins (22, 26, 27). */
describe('plugins: host options against hostile input (issue #28)', () => {
  it('22: timeoutMs Infinity or ≥ 2^31 is E_INVALID_OPTION naming the option (setTimeout would make it 1 ms)', () => {
    for (const bad of [Infinity, 2 ** 31, -1, NaN])
      expectError(() => newHost({ timeoutMs: bad }), InvalidOptionError, 'E_INVALID_OPTION', 'PluginHost', "'timeoutMs'");
    expect(() => newHost({ timeoutMs: 2 ** 31 - 1 })).to.not.throw();
  });

  it('26: plugins named constructor or toString get no config, not Object', async () => {
    const seen: unknown[] = [];
    const host = newHost();
    const named = (name: string) =>
      definePlugin({
        meta: { name, version: '1.0.0', api: '^1' },
        setup(ctx) {
          seen.push(ctx.config);
        },
      });
    const report = await host.load([named('constructor'), named('toString')]);
    expect(report.failed).to.equal(0);
    expect(seen).to.deep.equal([undefined, undefined]);
  });

  it('27: unknown options are refused with did-you-mean; root may be a file: URL', () => {
    expectError(() => newHost({ cwd: '/tmp' } as never), InvalidOptionError, 'E_INVALID_OPTION', "'cwd'", 'unknown option', 'known: apiVersion');
    expectError(() => newHost({ rot: '/tmp' } as never), InvalidOptionError, 'E_INVALID_OPTION', "did you mean 'root'?");
    expect(() => newHost({ root: pathToFileURL(tmpdir()) })).to.not.throw();
  });

  it('27: base: a module URL works whatever the working directory (the base is a root too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-base-'));
    try {
      mkdirSync(join(dir, 'plugins'));
      writeFileSync(join(dir, 'plugins', 'p.mjs'), "export default { meta: { name: 'p', version: '1.0.0', api: '^1' }, setup() {} };");
      const host = newHost({ root: tmpdir().replace(/\/?$/, '/nowhere-above'), base: pathToFileURL(join(dir, 'main.mjs')).href });
      const report = await host.load('./plugins/p.mjs');
      expect(report.plugins.map((p) => [p.name, p.state, p.errors.map((e) => e.code)])).to.deep.equal([['p', 'loaded', []]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
