/**
 * The testing kit's TcpProxy, used on its own: from a plain script (no test runner keeping the
 * event loop busy), `await TcpProxy.start()` must resolve; the proxy's process was unref'd
 * before it had answered, so such a script exited early (found when the Consul launcher was
 * first run from a script).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

describe('TcpProxy from a plain script', function () {
  this.timeout(20_000);
  it('start() resolves and close() ends it, with nothing else keeping the process alive', () => {
    const kit = pathToFileURL(resolve('.build/legacy/src/testing/tcp-proxy.js')).href;
    const script = `import { TcpProxy } from ${JSON.stringify(kit)};
const p = await TcpProxy.start(1);
console.log('ready', p.port > 0);
await p.close();
console.log('closed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(r.stdout.trim().split('\n'), r.stderr).to.deep.equal(['ready true', 'closed']);
    expect(r.status).to.equal(0);
  });
});
