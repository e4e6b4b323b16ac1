// The coverage floor of the unit suite: the figures measured when it was set. Raise it when
// coverage rises; `npm test` (the unit suite runs under c8) and `npm run coverage` fail below it.
// 2026-12-07: lines 82.96 %, branches 85.48 %. The line floor went from 85 to 82 because the Consul
// backend's tests moved from the unit group (they ran against a stand-in agent in-process) to the
// integration group (the real agent); the code is as tested as before, by a suite c8 does not measure.
export const FLOOR = { lines: 82, branches: 85 };

/** c8's arguments for a run reported against the TypeScript sources, checked against FLOOR when `check`. */
export function c8Args(check) {
  const base = [
    '--reporter',
    'text-summary',
    '--reporter',
    'html',
    '--report-dir',
    'coverage',
    '--exclude-after-remap',
    '--include',
    'src/**',
    '--include',
    '.build/*/src/**',
  ];
  return check ? [...base, '--check-coverage', '--lines', String(FLOOR.lines), '--branches', String(FLOOR.branches)] : base;
}
