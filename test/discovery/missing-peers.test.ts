/**
 * #32 item 8: a backend module imports without its client package, and its first use says
 * which package to install. The packages are hidden from a child process by a resolve hook
 * (test/discovery/fixtures/hide-peers.ts), not uninstalled.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

const backends = [
  { backend: 'etcd', pkg: 'etcd3' },
  { backend: 'consul', pkg: 'consul' },
  { backend: 'zookeeper', pkg: 'zookeeper' },
];

describe('backend client packages that are not installed', function () {
  this.timeout(30_000);
  for (const { backend, pkg } of backends) {
    it(`import 'plugboard/discovery/${backend}' works without '${pkg}'; the first use is E_DISCOVERY_BACKEND naming npm install ${pkg}`, () => {
      const r = spawnSync(
        process.execPath,
        ['--import', './.build/legacy/test/discovery/fixtures/hide-peers.js', '.build/legacy/test/discovery/fixtures/missing-peer.js', backend],
        { env: { ...process.env, PLUGBOARD_HIDE: pkg }, encoding: 'utf8', timeout: 20_000 },
      );
      const line = r.stdout.trim().split('\n').pop() ?? '';
      expect(line, `stderr: ${r.stderr}`).to.match(/^\{/);
      const out = JSON.parse(line) as { imported: boolean; code?: string; message: string };
      expect(out.imported, `the import failed: ${out.message}`).to.equal(true);
      expect(out.code).to.equal('E_DISCOVERY_BACKEND');
      expect(out.message).to.equal(`${backend}: the '${pkg}' package is not installed (npm install ${pkg})`);
    });
  }
});
