/**
 * The native ZooKeeper client logs every lost connection (the C client's ZOO_ERROR lines on
 * stderr, the binding's "yield:… connection loss" lines on stdout), several a second while a
 * server is down. The registry handles those and reports them through its health, so that log
 * reaches the application's output only with DEBUG set. Run in a child process, whose output
 * is what a user sees.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { isNativeLog } from '../../src/discovery/zookeeper/zk-process.js';
import { freePort } from '../support/free-port.js';

const ENTRY = pathToFileURL('.build/legacy/src/discovery/zookeeper/index.js').href;

/** A registry pointed at a port nobody listens on: one call, cut short, then close. */
function run(port: number, debug: boolean): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    import { ZooKeeperRegistry } from '${ENTRY}';
    const r = new ZooKeeperRegistry({ connect: '127.0.0.1:${port}', sessionTimeout: 2000, logger: { warn: () => undefined } });
    try { await r.getService('x', { signal: AbortSignal.timeout(1500) }); } catch (e) { console.log(e.code); }
    await r.close();`;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBUG: debug ? '1' : '' },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('ZooKeeper: the native client log', function () {
  this.timeout(30_000);

  it('stays out of the output while the server is unreachable, and shows with DEBUG set', async () => {
    const port = await freePort();
    const quiet = await run(port, false);
    expect(quiet.code).to.equal(0);
    expect(quiet.out).to.equal('E_DISCOVERY_ABORTED\n');
    expect(quiet.err).to.not.match(/ZOO_|connection loss/);
    const debug = await run(port, true);
    expect(debug.out).to.include('E_DISCOVERY_ABORTED');
    expect(debug.err).to.match(/ZOO_ERROR@|yield:zookeeper_process returned an error: -4 - connection loss/);
  });

  it("knows the binding's lines for states the registry handles, and lets its other errors through", () => {
    // Seen in the interleaving runs: one "Session expired" line per expiry fault.
    for (const line of [
      'Session expired. Shutting down...',
      'Authentication failure. Shutting down...',
      'yield:zookeeper_process returned an error: -4 - connection loss',
      '2026-11-22 17:08:01,123:4242(0x7f):ZOO_ERROR@handle_socket_error_msg@1: Socket closed',
    ])
      expect(isNativeLog(line), line).to.equal(true);
    for (const line of ['Failed to malloc memory for uv_poll_t', 'zookeeper_init returned 0!', 'Error: something of the application'])
      expect(isNativeLog(line), line).to.equal(false);
  });
});
