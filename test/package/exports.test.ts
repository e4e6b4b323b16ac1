import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

/** Builds dist/ and loads the package by its own name, as a user would, from ESM and from CJS. */
describe('package build and exports', function () {
  this.timeout(120_000);

  before(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe' });
  });

  const run = (args: string[]): string => execFileSync(process.execPath, args, { encoding: 'utf8' }).trim();

  it('loads from ESM with import', () => {
    const out = run(['--input-type=module', '-e', "import { ImplementationRegistry, Scope } from 'plugboard'; import * as c from 'plugboard/container'; const r = new ImplementationRegistry('x'); r.register('a', 1); console.log(r.get('a'), typeof Scope, typeof c.FactoryRegistry);"]);
    expect(out).to.equal('1 function function');
  });

  it('loads from CJS with require', () => {
    const out = run(['-e', "const { ImplementationRegistry } = require('plugboard'); const c = require('plugboard/container'); const r = new ImplementationRegistry('x'); r.register('a', 2); console.log(r.get('a'), typeof c.Scope);"]);
    expect(out).to.equal('2 function');
  });

  it('loads plugboard/discovery from both module systems without loading grpc-js', () => {
    const esm = run(['--input-type=module', '-e', "import { createRegistry } from 'plugboard/discovery'; const r = await createRegistry('memory://'); await r.register({ id: 'a', name: 'x', endpoints: ['http://h:1'] }); console.log((await r.getService('x')).length, Object.keys(await import('node:module').then(() => ({})))); await r.close();"]);
    expect(esm.split(' ')[0]).to.equal('1');
    const cjs = run(['-e', "const d = require('plugboard/discovery'); console.log(typeof d.createRegistry, Object.keys(require.cache).some((k) => k.includes('@grpc')));"]);
    expect(cjs).to.equal('function false');
    expect(run(['-e', "console.log(typeof require('plugboard/discovery/grpc').registerDiscoveryResolver)"])).to.equal('function');
  });

  it('shares one default scope and one error brand between the ESM and CJS copies', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; import * as esm from 'plugboard'; const cjs = createRequire(process.cwd() + '/x.js')('plugboard'); console.log(esm.defaultScope() === cjs.defaultScope(), new cjs.UnknownNameError('r','k',[]) instanceof esm.PlugboardError);",
    ]);
    expect(out).to.equal('true true');
  });

  it('has no side effects at import: no global state and no timers or sockets left behind (file reads of the loader settle first)', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "const before = process.getActiveResourcesInfo().length; await import('plugboard'); await new Promise((r) => setTimeout(r, 20)); const g = Object.getOwnPropertySymbols(globalThis).map(String).filter((s) => s.includes('plugboard')); console.log(JSON.stringify(g), process.getActiveResourcesInfo().length - before);",
    ]);
    expect(out).to.equal('[] 0');
  });
});
