import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImplementationRegistry } from '../../src/container/index.js';
import { PluginError, type PluginHost } from '../../src/plugins/index.js';
import { expectRejection } from '../support/expect-error.js';
import { codecPlugin, newHost } from './host-fixtures.js';

type Codec = { contentType: string };
const log = (): string[] => ((globalThis as Record<string, unknown>)['__reloadLog'] ??= []) as string[];

/** A plugin module whose version and codecs can be rewritten on disk. */
function writeGreeter(dir: string, version: string, body = ''): void {
  writeFileSync(
    join(dir, 'greeter.mjs'),
    `const log = (globalThis.__reloadLog ??= []);
export default {
  meta: { name: 'greeter', version: '${version}', api: '^1' },
  setup(ctx) {
    ${body}
    const codecs = ctx.registry('codecs');
    codecs.register('greeting', { contentType: 'text/${version}' });
    codecs.register('only-${version}', { contentType: 'x' });
    log.push('setup ${version}');
  },
  start() { log.push('start ${version}'); },
  stop() { log.push('stop ${version}'); },
  dispose() { log.push('dispose ${version}'); },
};
`,
  );
}

describe('plugins: hot reload', () => {
  let dir: string;
  let host: PluginHost;
  let codecs: ImplementationRegistry<Codec>;

  beforeEach(async () => {
    log().length = 0;
    dir = mkdtempSync(join(tmpdir(), 'plugboard-reload-'));
    writeGreeter(dir, '1.0.0');
    host = newHost({ root: dir });
    codecs = host.scope.registry('codecs', ImplementationRegistry<Codec>);
    codecs.register('host-codec', { contentType: 'host' });
    await host.load('./greeter.mjs');
    await host.start();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the new code under a fresh URL, swaps the registrations, disposes the old version and restarts', async () => {
    writeGreeter(dir, '2.0.0');
    log().length = 0;
    await host.reload('greeter');
    expect(codecs.get('greeting')!.contentType).to.equal('text/2.0.0');
    expect(codecs.names()).to.deep.equal(['greeting', 'host-codec', 'only-2.0.0']);
    expect(codecs.entry('only-2.0.0')!.owner).to.equal('greeter');
    expect(codecs.entry('host-codec')!.owner).to.equal(undefined);
    expect(log()).to.deep.equal(['setup 2.0.0', 'stop 1.0.0', 'dispose 1.0.0', 'start 2.0.0']);
    const p = host.report().plugins.find((x) => x.name === 'greeter')!;
    expect(p).to.deep.include({ version: '2.0.0', state: 'started', reloads: 1, registrations: { codecs: ['greeting', 'only-2.0.0'] } });
  });

  it('a new version that throws in setup leaves the old one in service, untouched', async () => {
    const before = codecs.entries();
    writeGreeter(dir, '2.0.0', "throw new Error('bad config in v2');");
    await expectRejection(host.reload('greeter'), PluginError, 'E_PLUGIN_SETUP', 'bad config in v2');
    expect(codecs.entries()).to.deep.equal(before);
    expect(codecs.entries().every((e, i) => e === before[i])).to.equal(true, 'the very same entry objects');
    const p = host.report().plugins.find((x) => x.name === 'greeter')!;
    expect(p).to.deep.include({ version: '1.0.0', state: 'started', reloads: 0 });
    expect(p.errors.at(-1)).to.deep.include({ step: 'reload', code: 'E_PLUGIN_SETUP' });
    expect(log()).to.not.include('stop 1.0.0');
  });

  it('a new version that is another plugin, or whose registrations clash, is refused and the old one stays', async () => {
    writeFileSync(join(dir, 'greeter.mjs'), "export default { meta: { name: 'impostor', version: '1.0.0', api: '^1' }, setup() {} };");
    await expectRejection(host.reload('greeter'), PluginError, 'E_PLUGIN_MANIFEST', 'impostor');
    writeFileSync(
      join(dir, 'greeter.mjs'),
      "export default { meta: { name: 'greeter', version: '3.0.0', api: '^1' }, setup(ctx) { ctx.registry('codecs').register('host-codec', { contentType: 'stolen' }); } };",
    );
    await host.reload('greeter').then(
      () => expect.fail('a clash was accepted'),
      (e: { code: string; message: string }) => {
        expect(e.code).to.equal('E_DUPLICATE');
        expect(e.message).to.include('host-codec');
      },
    );
    expect(codecs.get('greeting')!.contentType).to.equal('text/1.0.0');
    expect(codecs.get('host-codec')!.contentType).to.equal('host');
  });

  it('a reader calling get() in a loop during reloads never sees a missing entry', async () => {
    let reads = 0;
    let misses = 0;
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const g = codecs.get('greeting');
        reads++;
        if (g === undefined) misses++;
        else seen.add(g.contentType);
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 2; i <= 21; i++) {
      writeGreeter(dir, `${i}.0.0`);
      await host.reload('greeter');
    }
    reading = false;
    await reader;
    expect(misses).to.equal(0);
    expect(reads).to.be.greaterThan(20);
    expect(seen.size).to.be.greaterThan(1, 'the reader saw several versions');
    expect(codecs.get('greeting')!.contentType).to.equal('text/21.0.0');
  });

  it('reloads a CommonJS plugin for real: its own modules run again, libraries under node_modules stay shared', async () => {
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules', 'shared'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'shared', 'package.json'), '{"name":"shared","main":"index.js"}');
    writeFileSync(join(dir, 'node_modules', 'shared', 'index.js'), 'module.exports = { loadedAt: Symbol("shared") };');
    const writeCjs = (version: string): void => {
      writeFileSync(join(dir, 'lib', 'text.cjs'), `module.exports = { text: 'text/${version}' };`);
      writeFileSync(
        join(dir, 'legacy.cjs'),
        `const { text } = require('./lib/text.cjs');
const shared = require('shared');
module.exports = {
  meta: { name: 'legacy', version: '${version}', api: '^1' },
  setup(ctx) { ctx.registry('codecs').register('legacy', { contentType: text, shared: shared.loadedAt }); },
};`,
      );
    };
    writeCjs('1.0.0');
    await host.load('./legacy.cjs');
    const shared = (codecs.get('legacy') as Codec & { shared: symbol }).shared;
    writeCjs('2.0.0');
    await host.reload('legacy');
    expect(codecs.get('legacy')!.contentType).to.equal('text/2.0.0', 'the required module ran again');
    expect(host.report().plugins.find((p) => p.name === 'legacy')).to.deep.include({ version: '2.0.0', reloads: 1 });
    expect((codecs.get('legacy') as Codec & { shared: symbol }).shared).to.equal(shared, 'node_modules stayed cached');
  });

  it('a plugin loaded as an object reloads from a replacement object', async () => {
    const h = newHost();
    const reg = h.scope.registry('codecs', ImplementationRegistry<Codec>);
    await h.load(codecPlugin('inline'));
    await expectRejection(h.reload('inline'), PluginError, 'E_PLUGIN_LOAD', 'pass the new version');
    await h.reload('inline', { ...codecPlugin('other-key'), meta: { name: 'inline', version: '1.1.0', api: '^1' } });
    expect(reg.names()).to.deep.equal(['other-key']);
    expect(reg.entry('other-key')!.owner).to.equal('inline');
  });
});
