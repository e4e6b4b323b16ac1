// The README's test command (`npm test`): lint, compile the tests with tsc, run every mocha
// suite, and finish with one plain line "N passed, N failed" over all suites.
// Usage: node scripts/test.mjs [--no-lint] [--[no-]coverage] [--group unit|integration] [suite-name …]
// A full run (no group, no suite named) runs the unit suite under c8 and fails below the floor.
//   npm run test:unit         the unit group: no servers, no root, no child processes; seconds
//   npm run test:integration  the rest: real etcd/ZooKeeper, browser, child processes, docs, package
// A test file belongs to the integration group when its source starts servers or processes
// (see INTEGRATION below) or is an interleaving exploration; every other file is a unit test.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c8Args } from './coverage-floor.mjs';
import { globSync } from './glob.mjs';

const args = process.argv.slice(2);
const lint = !args.includes('--no-lint');
const groupAt = args.indexOf('--group');
const group = groupAt >= 0 ? args[groupAt + 1] : undefined;
if (group !== undefined && group !== 'unit' && group !== 'integration') {
  console.error(`unknown group '${group}'; use unit or integration`);
  process.exit(1);
}
const only = args.filter((a, i) => !a.startsWith('--') && i !== groupAt + 1);
const node = process.execPath;
// Coverage is measured when everything runs (plain `npm test`) unless --no-coverage, or with --coverage.
const coverage = args.includes('--coverage') || (group === undefined && only.length === 0 && !args.includes('--no-coverage'));
const c8Bin = createRequire(import.meta.url).resolve('c8/bin/c8.js');

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

/** What makes a test file an integration test: real servers, a browser, child processes. */
const INTEGRATION = /support\/(tcp-proxy|servers\/)|playwright|node:child_process/;
/** The TypeScript source of a compiled test file (.build/<flavour>/test/x.test.js → test/x.test.ts). */
const source = (js) => js.replace(/^\.build\/[^/]+\//, '').replace(/\.js$/, '.ts');
const isIntegration = (js) => /interleavings/.test(js) || INTEGRATION.test(readFileSync(source(js), 'utf8'));
const legacyFiles = () => globSync('.build/legacy/test', /\.test\.js$/);
/** The files compiled with TC39 standard decorators, under `root` (.build/standard or its dist copy). */
const standardFiles = (root) =>
  ['test/decorators', 'test/container/di', 'test/discovery/registration'].flatMap((dir) => globSync(join(root, dir), /\.test\.js$/));

/** Each suite is one mocha process over a set of compiled test files. */
const suites = [
  { name: 'unit', group: 'unit', env: { PLUGBOARD_DECORATORS: 'legacy' }, files: () => legacyFiles().filter((f) => !isIntegration(f)) },
  { name: 'integration', group: 'integration', env: { PLUGBOARD_DECORATORS: 'legacy' }, files: () => legacyFiles().filter(isIntegration) },
  // The decorator, native DI and backend registration suites again, compiled with TC39 standard decorators…
  { name: 'standard', group: 'unit', env: { PLUGBOARD_DECORATORS: 'standard' }, files: () => standardFiles('.build/standard') },
  // …and once more against the shipped build: the same compiled tests, with src/ pointing at dist/esm.
  { name: 'dist', group: 'unit', env: { PLUGBOARD_DECORATORS: 'standard' }, prepare: prepareDist, files: () => standardFiles('.build/dist') },
];
const selected = suites.filter((s) => (group === undefined || s.group === group) && (only.length === 0 || only.includes(s.name)));

/**
 * Builds dist/ and lays out .build/dist: a copy of the TC39-compiled tests whose `src` is a
 * symlink to dist/esm, so that their `../../src/...` imports load the shipped files (Node
 * follows the link: one module instance per file, from import and from require alike).
 */
function prepareDist() {
  if (run(node, ['scripts/build.mjs']) !== 0) return false;
  rmSync('.build/dist', { recursive: true, force: true });
  mkdirSync('.build/dist', { recursive: true });
  cpSync('.build/standard/test', '.build/dist/test', { recursive: true });
  symlinkSync('../../dist/esm', '.build/dist/src', 'dir');
  return true;
}

let passed = 0;
let failed = 0;
let pending = 0;
const problems = [];

if (lint) {
  console.log('\n== lint (eslint) ==');
  if (run(node, ['node_modules/eslint/bin/eslint.js', '.']) !== 0) problems.push('eslint reported problems');
  console.log('\n== format (prettier --check) ==');
  if (run(node, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', '.']) !== 0)
    problems.push('prettier: files are not formatted (npm run format)');
}

if (selected.some((s) => s.group === 'integration')) {
  console.log('\n== servers (etcd, zookeeper, chromium) ==');
  if (run(node, ['scripts/ensure-servers.mjs']) !== 0) problems.push('etcd/zookeeper/chromium are missing (see above); their tests fail');
}

rmSync('.build', { recursive: true, force: true });
const projects = [['legacy decorators', 'tsconfig.test.json']];
if (selected.some((s) => s.name === 'standard' || s.name === 'dist')) projects.push(['TC39 standard decorators', 'tsconfig.test-standard.json']);
for (const [label, project] of projects) {
  console.log(`\n== compile tests (tsc, ${label}) ==`);
  if (run(node, ['node_modules/typescript/bin/tsc', '-p', project]) !== 0) {
    console.error(`test compilation failed (${project})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// The servers built from Go modules (Consul, the kratos helper programs): built once per machine, before any suite.
if (selected.some((s) => s.group === 'integration')) {
  console.log('\n== servers built from Go modules (cached per machine) ==');
  if (run(node, ['.build/legacy/test/support/servers/prepare.js']) !== 0) problems.push('a server could not be built (see above); its tests fail');
}

const summaryDir = mkdtempSync(join(tmpdir(), 'plugboard-test-'));
for (const suite of selected) {
  if (suite.prepare !== undefined && !suite.prepare()) {
    failed += 1;
    problems.push(`suite ${suite.name} could not be prepared`);
    continue;
  }
  const files = suite.files();
  console.log(`\n== suite: ${suite.name} (${files.length} files) ==`);
  const summary = join(summaryDir, `${suite.name}.json`);
  const mocha = ['--enable-source-maps', 'node_modules/mocha/bin/mocha.js', '--reporter', 'scripts/mocha-reporter.cjs', '--timeout', '20000', ...files];
  // A full run measures the unit suite's coverage on the way and holds it to the floor.
  const covered = coverage && suite.name === 'unit';
  const r = spawnSync(node, covered ? [c8Bin, ...c8Args(true), node, ...mocha] : mocha, {
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
  if (covered && s.failures === 0 && r.status !== 0)
    problems.push(`the unit suite's coverage is below the floor (scripts/coverage-floor.mjs; see the summary above)`);
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
