// `npm run bench [section …]`: compiles bench/ with tsc and runs it.
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.bench.json'], { stdio: 'inherit' });
execFileSync(process.execPath, ['.build/bench/bench/index.js', ...process.argv.slice(2)], { stdio: 'inherit' });
