/**
 * Every ```ts block of README.md and docs/*.md is type-checked against the sources, so the
 * docs cannot rot. Each block is its own module; `plugboard/...` imports map to src/ as the
 * package's exports map them to dist/. A block that needs context declares it itself
 * (`declare const discovery: Discovery;`). A block whose first line is a path comment
 * (`// drivers/pq.ts`) is written at that path, so the doc's other blocks can import it.
 * Blocks are checked with legacy decorators; a block with a `// both decorator systems` line
 * is checked again with TC39 standard decorators.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

interface Block {
  doc: string;
  line: number;
  file: string;
  code: string;
}

const OUT = '.build/docs-blocks';
const BOTH = /^\/\/ both decorator systems\s*$/m;

function blocks(): Block[] {
  const docs = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const out: Block[] = [];
  for (const doc of docs) {
    const lines = readFileSync(doc, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const n = out.filter((b) => b.doc === doc).length + 1;
      const named = /^\/\/ ([\w./-]+\.ts)\s*$/.exec(lines[start] ?? '')?.[1];
      const dir = doc.replace(/[/.]/g, '_');
      out.push({ doc, line: start + 1, file: join(dir, named ?? `block_${n}.ts`), code: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return out;
}

/** `plugboard/x` → the source file behind `./dist/esm/x.js`, from package.json's exports. */
function paths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { import?: { default?: string } } | string> };
  const out: Record<string, string[]> = {};
  for (const [sub, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? undefined : target.import?.default;
    if (file === undefined) continue;
    out[sub === '.' ? 'plugboard' : `plugboard/${sub.slice(2)}`] = [join('..', '..', file.replace('./dist/esm/', 'src/').replace(/\.js$/, '.ts'))];
  }
  return out;
}

/** Runs tsc on `project` and returns its diagnostics by block file. */
function check(project: string): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--pretty', 'false'], { encoding: 'utf8' });
  for (const line of r.stdout.split('\n')) {
    const m = /^([^(]+\.ts)\((\d+),\d+\): (.*)$/.exec(line.trim());
    if (m === null) continue;
    const file = relative(OUT, m[1]!);
    errors.set(file, [...(errors.get(file) ?? []), `line ${m[2]}: ${m[3]}`]);
  }
  if (r.status !== 0 && errors.size === 0) throw new Error(`tsc failed without block diagnostics:\n${r.stdout}${r.stderr}`);
  return errors;
}

describe('docs: TypeScript code blocks compile', function () {
  this.timeout(120_000);
  const all = blocks();
  let errors = new Map<string, string[]>();
  let standardErrors = new Map<string, string[]>();

  before(() => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const b of all) {
      mkdirSync(dirname(join(OUT, b.file)), { recursive: true });
      writeFileSync(join(OUT, b.file), `${b.code}\nexport {};\n`);
    }
    const compilerOptions = { noEmit: true, experimentalDecorators: true, emitDecoratorMetadata: true, declaration: false, paths: paths() };
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions, include: ['**/*.ts'] }));
    errors = check(join(OUT, 'tsconfig.json'));
    const both = all.filter((b) => BOTH.test(b.code));
    writeFileSync(
      join(OUT, 'tsconfig.standard.json'),
      JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { ...compilerOptions, experimentalDecorators: false, emitDecoratorMetadata: false }, files: both.map((b) => b.file) }),
    );
    if (both.length > 0) standardErrors = check(join(OUT, 'tsconfig.standard.json'));
  });

  it('finds the blocks', () => {
    expect(all.length).to.be.greaterThan(15);
  });

  for (const b of all) {
    it(`${b.doc}:${b.line}`, () => {
      const errs = errors.get(b.file) ?? [];
      expect(errs, `${b.doc}:${b.line} (block lines count from ${b.line}):\n${errs.join('\n')}`).to.deep.equal([]);
    });
    if (!BOTH.test(b.code)) continue;
    it(`${b.doc}:${b.line} (TC39 standard decorators)`, () => {
      const errs = standardErrors.get(b.file) ?? [];
      expect(errs, `${b.doc}:${b.line} under TC39 decorators (block lines count from ${b.line}):\n${errs.join('\n')}`).to.deep.equal([]);
    });
  }
});
