// `npm start`: compiles the examples with tsc and runs the main demo.
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.examples.json'], { stdio: 'inherit' });
execFileSync(process.execPath, ['--enable-source-maps', '.build/examples/examples/core/main.js', ...process.argv.slice(2)], { stdio: 'inherit' });
