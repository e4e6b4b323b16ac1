// `npm run coverage`: c8 over the unit group (no servers; about a minute), reported against the
// TypeScript sources through the source maps, and checked against a floor: the figures measured
// when the floor was set. Raise FLOOR when coverage rises; a drop below it fails the command.
// `npm test` runs the unit suite under c8 too, with the same floor (scripts/coverage-floor.mjs).
// `npm run coverage -- --group integration` (or any scripts/test.mjs arguments) measures another
// selection, without the floor check.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { c8Args } from './coverage-floor.mjs';

const extra = process.argv.slice(2);
const c8 = createRequire(import.meta.url).resolve('c8/bin/c8.js');
const argv = [c8, ...c8Args(extra.length === 0), process.execPath, 'scripts/test.mjs', '--no-lint', ...(extra.length === 0 ? ['--group', 'unit'] : extra)];
const r = spawnSync(process.execPath, argv, { stdio: 'inherit' });
process.exit(r.status ?? 1);
