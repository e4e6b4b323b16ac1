// The README's test command (`npm test`): lint, compile the tests with tsc, run every mocha
// suite, and finish with one plain line "N passed, N failed" over all suites.
// Usage: node scripts/test.mjs [--no-lint] [suite-name …]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globSync } from './glob.mjs';

const args = process.argv.slice(2);
const lint = !args.includes('--no-lint');
const only = args.filter((a) => !a.startsWith('--'));
const node = process.execPath;

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

/** Each suite is one mocha process over a set of compiled test files. */
const suites = [
  { name: 'legacy', env: { PLUGBOARD_DECORATORS: 'legacy' }, files: () => globSync('.build/legacy/test', /\.test\.js$/) },
  // The decorator and native DI suites again, compiled with TC39 standard decorators.
  {
    name: 'standard',
    env: { PLUGBOARD_DECORATORS: 'standard' },
    files: () => ['.build/standard/test/decorators', '.build/standard/test/container/di'].flatMap((dir) => globSync(dir, /\.test\.js$/)),
  },
];

let passed = 0;
let failed = 0;
let pending = 0;
const problems = [];

if (lint) {
  console.log('\n== lint (eslint) ==');
  if (run(node, ['node_modules/eslint/bin/eslint.js', '.']) !== 0) problems.push('eslint reported problems');
}

console.log('\n== servers (etcd, zookeeper, chromium) ==');
if (run(node, ['scripts/ensure-servers.mjs']) !== 0) problems.push('etcd/zookeeper could not be installed; their tests will fail');

rmSync('.build', { recursive: true, force: true });
for (const [label, project] of [['legacy decorators', 'tsconfig.test.json'], ['TC39 standard decorators', 'tsconfig.test-standard.json']]) {
  console.log(`\n== compile tests (tsc, ${label}) ==`);
  if (run(node, ['node_modules/typescript/bin/tsc', '-p', project]) !== 0) {
    console.error(`test compilation failed (${project})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const summaryDir = mkdtempSync(join(tmpdir(), 'plugboard-test-'));
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  const files = suite.files();
  console.log(`\n== suite: ${suite.name} (${files.length} files) ==`);
  const summary = join(summaryDir, `${suite.name}.json`);
  const r = spawnSync(node, ['--enable-source-maps', 'node_modules/mocha/bin/mocha.js', '--reporter', 'scripts/mocha-reporter.cjs', '--timeout', '20000', ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...suite.env, PLUGBOARD_TEST_SUMMARY: summary },
  });
  if (!existsSync(summary)) {
    failed += 1;
    const running = existsSync(`${summary}.running`) ? readFileSync(`${summary}.running`, 'utf8') : '(none)';
    problems.push(`suite ${suite.name} ended without a summary (exit ${r.status ?? r.signal}), while running: ${running}`);
    continue;
  }
  const s = JSON.parse(readFileSync(summary, 'utf8'));
  passed += s.passes;
  failed += s.failures;
  pending += s.pending;
  if (s.tests === 0) problems.push(`suite ${suite.name} ran no tests`);
}
rmSync(summaryDir, { recursive: true, force: true });

if (pending > 0) problems.push(`${pending} test(s) were skipped; skipping is not allowed`);
for (const p of problems) console.error(`problem: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || problems.length > 0 || passed === 0 ? 1 : 0);
