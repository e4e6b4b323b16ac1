/**
 * docs/writing-a-backend.md is a complete backend: its blocks are extracted, compiled against
 * the sources as the docs' own paths name them, and run — the usage snippet, and the test file
 * with the contract suite and the interleaving check, in a mocha process of their own.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

const OUT = resolve('.build/docs-run/writing-a-backend');

/** `plugboard/x` → the compiled source behind it (this suite's own build of src). */
function target(spec: string): string {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const sub = spec === 'plugboard' ? '.' : `./${spec.slice('plugboard/'.length)}`;
  const file = pkg.exports[sub]?.import?.default;
  if (file === undefined) throw new Error(`docs/writing-a-backend.md imports '${spec}', which package.json does not export`);
  return resolve(file.replace('./dist/esm/', '.build/legacy/src/'));
}

describe('docs: writing-a-backend.md runs as written', function () {
  this.timeout(120_000);

  before(() => {
    rmSync(OUT, { recursive: true, force: true });
    const md = readFileSync('docs/writing-a-backend.md', 'utf8');
    for (const m of md.matchAll(/^```ts\n\/\/ (toy\/[\w.-]+)\.ts\n([\s\S]*?)^```$/gm)) {
      const code = m[2]!.replace(/from '(plugboard(?:\/[\w/]+)?)'/g, (_, spec: string) => `from '${target(spec)}'`);
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, experimentalDecorators: true } }).outputText;
      const file = join(OUT, `${m[1]}.js`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, js);
    }
  });

  it('the usage snippet registers, lists and closes through createRegistry("toy://")', () => {
    const r = spawnSync(process.execPath, [join(OUT, 'toy/use.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal("[ 'a' ]");
  });

  it('the toy backend passes the contract suite and the interleaving check, with its wipe fault', () => {
    const r = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', '--timeout', '60000', join(OUT, 'toy/toy.test.js')], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/16 passing/);
  });

  it('without its heartbeat, the toy fails the interleaving check, as the guide says (the check has teeth)', () => {
    const driver = readFileSync(join(OUT, 'toy/toy-driver.js'), 'utf8');
    const deaf = driver.replace(/\n {4}heartbeat = \{[\s\S]*?\n {4}\};/, '');
    expect(deaf, 'the heartbeat was not found in the compiled toy driver').to.not.equal(driver);
    writeFileSync(join(OUT, 'toy/toy-driver.js'), deaf);
    try {
      const r = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', '--timeout', '60000', '--grep', 'interleavings', join(OUT, 'toy/toy.test.js')], { encoding: 'utf8' });
      expect(r.status, r.stdout).to.not.equal(0);
      expect(r.stdout).to.match(/seed/i);
    } finally {
      writeFileSync(join(OUT, 'toy/toy-driver.js'), driver);
    }
  });
});
