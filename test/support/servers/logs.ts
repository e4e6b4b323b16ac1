/**
 * A server's temporary folder (its data and its log) is removed when it stops, unless a test
 * of this process has failed: then it is kept and its path printed, so the failure can be read
 * against what the server logged. scripts/mocha-reporter.cjs raises the flag on a failure.
 */
import { rmSync } from 'node:fs';

export function removeUnlessFailed(dir: string, what: string): void {
  if ((globalThis as { __plugboardTestFailed?: boolean }).__plugboardTestFailed === true) {
    process.stderr.write(`[servers] a test failed: the ${what} log is kept in ${dir}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}
