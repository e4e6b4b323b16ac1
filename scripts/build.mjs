// Builds dist/esm (ESM + .d.ts) and dist/cjs (CommonJS + .d.ts) with tsc. tsc, not esbuild:
// decorator metadata (emitDecoratorMetadata) is only emitted by tsc.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
tsc('tsconfig.build.json');
tsc('tsconfig.build.cjs.json');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
chmodSync('dist/esm/cli/plugboard.js', 0o755); // the `plugboard` bin (ESM only: it uses top-level await)
console.log('built dist/esm and dist/cjs');
