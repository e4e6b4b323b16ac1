/** The ```ts blocks of README.md and docs/*.md (see code-blocks.test.ts for what the markers mean). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Block {
  doc: string;
  line: number;
  file: string;
  code: string;
  /** ```ts partial: type-checked, not executed. */
  partial: boolean;
  /** ```ts server: runs until stopped (a server, an endless watch). */
  server: boolean;
  /** A path block (`// drivers/pq.ts`): run through the blocks that import it. */
  companion: boolean;
}

/** Every block of `docs` (default: README.md and every docs/*.md), in order. */
export function blocks(docs: readonly string[] = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]): Block[] {
  const out: Block[] = [];
  for (const doc of docs) {
    const lines = readFileSync(doc, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(ts|typescript)(?:\s+(partial|server))?\s*$/.exec(lines[i]!);
      if (fence === null) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const n = out.filter((b) => b.doc === doc).length + 1;
      const named = /^\/\/ ([\w./-]+\.ts)\s*$/.exec(lines[start] ?? '')?.[1];
      const dir = doc.replace(/[/.]/g, '_');
      out.push({ doc, line: start + 1, file: join(dir, named ?? `block_${n}.ts`), code: lines.slice(start, end).join('\n'), partial: fence[2] === 'partial', server: fence[2] === 'server', companion: named !== undefined });
      i = end;
    }
  }
  return out;
}
