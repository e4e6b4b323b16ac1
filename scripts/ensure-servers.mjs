// Installs what the test suite runs for real, when it is missing: Debian's etcd-server
// (etcd 3.4) and zookeeper (3.8) packages, and chromium for the dashboard's browser test.
// Nothing happens when all are there. Otherwise it installs them as root or through passwordless
// sudo (CI and the dev machines run as root); if it cannot, it says what to install and exits
// non-zero. Prints what it did.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = [
  { pkg: 'etcd-server', check: '/usr/bin/etcd' },
  { pkg: 'zookeeper', check: '/usr/share/zookeeper/bin/zkServer.sh' },
  { pkg: 'chromium', check: '/usr/bin/chromium' },
];
const missing = wanted.filter((w) => !existsSync(w.check)).map((w) => w.pkg);
if (missing.length === 0) {
  console.log('servers: etcd, zookeeper and chromium are installed');
  process.exit(0);
}
// apt-get runs only when it can: as root, or through sudo without a password (never a prompt).
const root = process.getuid?.() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!hasApt || (!root && !sudo)) {
  const why = hasApt ? 'not root and no passwordless sudo' : 'no apt-get on this machine';
  console.error(`servers: missing ${missing.join(', ')} (${why}), so the tests that need them will fail.`);
  console.error(`servers: install them, e.g. on Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}; then run the tests again.`);
  console.error('servers: the unit tests need none of them: npm run test:unit');
  process.exit(1);
}
const apt = (argv) => (root ? ['apt-get', argv] : ['sudo', ['-n', 'apt-get', ...argv]]);
console.log(`servers: installing ${missing.join(', ')} with apt-get${root ? '' : ' (sudo)'}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync(...apt(['update', '-qq']), { stdio: 'inherit', env });
if (update.status !== 0) console.error('servers: apt-get update failed; trying the install anyway');
try {
  const servers = missing.filter((p) => p !== 'chromium');
  if (servers.length > 0) execFileSync(...apt(['install', '-y', '-qq', '--no-install-recommends', ...servers]), { stdio: 'inherit', env });
  // Chromium with its recommended packages (fonts among them), as the browser test was written against.
  if (missing.includes('chromium')) execFileSync(...apt(['install', '-y', '-qq', 'chromium']), { stdio: 'inherit', env });
} catch {
  console.error(`servers: apt-get install ${missing.join(' ')} failed; the etcd/ZooKeeper/browser tests will fail with a clear message`);
  process.exit(1);
}
// The package starts its own etcd/zookeeper service on the default ports; tests never use
// those ports, but stop the services so they do not compete for the machine.
for (const svc of ['etcd', 'zookeeper']) spawnSync('sh', ['-c', `service ${svc} stop >/dev/null 2>&1 || true`], { stdio: 'ignore' });
console.log('servers: installed');
