import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The layers of DESIGN.md §2, checked on the sources (type-only imports count: they tie the
 * emitted declarations together too). The registry core is the bottom: it imports nothing
 * from the layers above it; the plugin layer sits on the core only; and no module of the core
 * or the plugin layer is part of an import cycle.
 */
const SRC = 'src';

function sources(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => normalize(join(dir, f)));
}

/** The relative imports of one file (static, `export … from`, `import type`, dynamic), as repo paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/**
 * The one type-level recursion allowed: a factory provider receives the Scope, and
 * `Scope.provide` takes a Provider, so the DI modules name the Scope class's type. They import
 * it with `import type` only, which the check below enforces; every other edge counts, type
 * imports included.
 */
function allowedTypeEdge(file: string, dep: string): boolean {
  if (dep !== normalize('src/container/scope.ts') || !file.startsWith(normalize('src/container/di/'))) return false;
  const text = readFileSync(file, 'utf8');
  return !/(?:^|\n)\s*import\s+(?!type\b)[^;'"]*from\s+['"]\.\.\/scope\.js['"]/.test(text);
}

const graph = new Map(sources(SRC).map((f) => [f, importsOf(f).filter((d) => !allowedTypeEdge(f, d))]));
const layer = (file: string): string => relative(SRC, file).split(/[\\/]/)[0]!;

/** The first import cycle reachable from `start`, as a path that ends where it starts (empty when none). */
function cycleFrom(start: string): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (f: string): string[] | undefined => {
    if (path.includes(f)) return [...path.slice(path.indexOf(f)), f];
    if (seen.has(f)) return undefined;
    seen.add(f);
    path.push(f);
    for (const d of graph.get(f) ?? []) {
      const c = visit(d);
      if (c !== undefined) return c;
    }
    path.pop();
    return undefined;
  };
  return visit(start) ?? [];
}

describe('layers and import cycles', () => {
  it('the registry core (src/container) imports nothing from the layers above it', () => {
    const up = [...graph].flatMap(([f, deps]) => (layer(f) === 'container' ? deps.filter((d) => layer(d) !== 'container').map((d) => `${f} → ${d}`) : []));
    expect(up).to.deep.equal([]);
  });

  it('the plugin layer (src/plugins) imports only the core and itself (the Logger type is at the bottom)', () => {
    const up = [...graph].flatMap(([f, deps]) =>
      layer(f) === 'plugins' ? deps.filter((d) => !['container', 'plugins'].includes(layer(d))).map((d) => `${f} → ${d}`) : [],
    );
    expect(up).to.deep.equal([]);
  });

  it('no module of the core or the plugin layer is in an import cycle (intents.ts ↔ scope.ts was one)', () => {
    const cycles = [...graph.keys()]
      .filter((f) => ['container', 'plugins'].includes(layer(f)))
      .map(cycleFrom)
      .filter((c) => c.length > 0);
    expect(cycles.map((c) => c.join(' → '))).to.deep.equal([]);
  });
});
