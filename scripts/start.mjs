// `npm start`: compiles the examples with tsc and runs the demo (examples/demo). Arguments
// pass through: `npm start -- --registry etcd://127.0.0.1:2379`.
import { execFileSync, spawn } from 'node:child_process';

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.examples.json'], { stdio: 'inherit' });
const demo = spawn(process.execPath, ['--enable-source-maps', '.build/examples/examples/demo/main.js', ...process.argv.slice(2)], { stdio: 'inherit' });
// Forward signals (a terminal's Ctrl-C reaches both; a supervisor's signal only us), then wait
// for the demo's graceful stop.
process.on('SIGINT', () => demo.kill('SIGINT'));
process.on('SIGTERM', () => demo.kill('SIGTERM'));
demo.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));
