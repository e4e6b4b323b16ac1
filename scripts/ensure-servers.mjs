// Installs what the test suite runs for real, when it is missing: Debian's etcd-server
// (etcd 3.4) and zookeeper (3.8) packages, and chromium for the dashboard's browser test. Needs root (CI and the dev machines
// run as root). Prints what it did; exits non-zero with a clear message if it cannot.
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
if (process.getuid?.() !== 0) {
  console.error(`servers: missing ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.log(`servers: installing ${missing.join(', ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
if (update.status !== 0) console.error('servers: apt-get update failed; trying the install anyway');
try {
  const servers = missing.filter((p) => p !== 'chromium');
  if (servers.length > 0) execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...servers], { stdio: 'inherit', env });
  // Chromium with its recommended packages (fonts among them), as the browser test was written against.
  if (missing.includes('chromium')) execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
} catch {
  console.error(`servers: apt-get install ${missing.join(' ')} failed; the etcd/ZooKeeper/browser tests will fail with a clear message`);
  process.exit(1);
}
// The package starts its own etcd/zookeeper service on the default ports; tests never use
// those ports, but stop the services so they do not compete for the machine.
for (const svc of ['etcd', 'zookeeper']) spawnSync('sh', ['-c', `service ${svc} stop >/dev/null 2>&1 || true`], { stdio: 'ignore' });
console.log('servers: installed');
