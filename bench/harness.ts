import { Bench } from 'tinybench';

/** One benchmark case: `fn` performs `ops` operations per call. */
export interface Case {
  name: string;
  ops: number;
  fn: () => unknown;
  /** Runs before each measured call (not timed), e.g. to build fresh state. */
  beforeEach?: () => void;
}

/** Runs the cases in one tinybench run and returns nanoseconds per operation for each. */
export async function measure(title: string, cases: Case[], time = 700): Promise<Map<string, number>> {
  const bench = new Bench({ time, warmup: true });
  for (const c of cases) {
    bench.add(c.name, c.fn, c.beforeEach === undefined ? {} : { beforeEach: c.beforeEach });
  }
  await bench.run();
  const out = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result as { state: string; period?: number; error?: unknown };
    if (r.state !== 'completed' || r.period === undefined) throw new Error(`${title}: ${task.name} did not complete: ${String(r.error)}`);
    const c = cases.find((x) => x.name === task.name)!;
    out.set(task.name, (r.period * 1e6) / c.ops);
  }
  return out;
}

/** Formats ns/op with sensible units. */
export function fmt(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** Prints a markdown table of the results with a ratio column against `baseline`. */
export function table(title: string, results: Map<string, number>, baseline: string): string {
  const base = results.get(baseline)!;
  const lines = [`### ${title}`, '', '| case | time/op | ratio vs ' + baseline + ' |', '|---|---:|---:|'];
  for (const [name, ns] of results) lines.push(`| ${name} | ${fmt(ns)} | ${(ns / base).toFixed(2)}× |`);
  const text = lines.join('\n');
  console.log(`${text}\n`);
  return text;
}

/** Prints a target check line: `actual` against `limit` with a verdict. */
export function target(label: string, ratio: number, op: '<=' | '>=', limit: number, unit = '×'): string {
  const ok = op === '<=' ? ratio <= limit : ratio >= limit;
  const line = `- ${label}: **${ratio.toFixed(2)}${unit}** (target ${op} ${limit}${unit}) — ${ok ? 'met' : 'MISSED'}`;
  console.log(line);
  return line;
}
