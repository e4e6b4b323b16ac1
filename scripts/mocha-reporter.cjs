// Mocha's spec reporter, plus a JSON summary written to $PLUGBOARD_TEST_SUMMARY so that
// scripts/test.mjs can add up several mocha runs into one "N passed, N failed" line.
const { writeFileSync } = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on('fail', (test, err) => {
      failures.push({ title: test.fullTitle(), message: String(err && err.message) });
      globalThis.__plugboardTestFailed = true; // test/support/servers/logs.ts then keeps the servers' logs
    });
    // The test running now, so that a process that dies (a native crash, an exit) says where.
    runner.on('test', (test) => {
      if (process.env.PLUGBOARD_TEST_SUMMARY) writeFileSync(`${process.env.PLUGBOARD_TEST_SUMMARY}.running`, test.fullTitle());
    });
    runner.once('end', () => {
      const file = process.env.PLUGBOARD_TEST_SUMMARY;
      if (!file) return;
      const { passes, failures: failed, pending, tests } = runner.stats;
      writeFileSync(file, JSON.stringify({ passes, failures: failed, pending, tests, failed: failures }));
    });
  }
}
module.exports = SummaryReporter;
