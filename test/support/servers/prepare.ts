/**
 * Builds every server and helper program the integration tests need, before the suites start
 * (scripts/test.mjs runs it after compiling the tests), so that a first run on a machine
 * shows what it builds and how long it takes, and a build failure is one clear line rather
 * than a timed-out test hook. Later runs find everything in the cache and return at once.
 * Usage: node .build/legacy/test/support/servers/prepare.js
 */
import { consulBinary, CONSUL_VERSION } from './consul.js';
import { buildKratos, KRATOS_VERSION } from './kratos.js';

const steps: Array<[string, () => Promise<unknown>]> = [
  [`Consul ${CONSUL_VERSION}`, consulBinary],
  [`the kratos ${KRATOS_VERSION} helper (test/interop/kratos)`, buildKratos],
];

let failed = false;
for (const [what, build] of steps) {
  const t0 = Date.now();
  try {
    await build();
    console.log(`servers: ${what} ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed = true;
    console.error(`servers: ${what} could not be built: ${(err as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
