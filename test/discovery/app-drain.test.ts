/**
 * Issue #18, end to end: a child process serves HTTP and is registered in a real etcd; this
 * process holds a second watcher. On SIGTERM the instance must leave our watcher's list while
 * the child's server still accepts connections, and the server closes only after the drain.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { until, uniqueName } from './contract.js';

/** GET `path` on a fresh connection: the body, or the connection error's code. */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

/** The child's stdout lines, and a way to wait for one. */
function lines(child: ChildProcess): { all: string[]; waitFor(line: string | RegExp): Promise<string> } {
  const all: string[] = [];
  const waiters: Array<() => void> = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    rest += d.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    all.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.on('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (line: string | RegExp): Promise<string> => {
    const match = (): string | undefined => all.find((l) => (typeof line === 'string' ? l === line : line.test(l)));
    for (;;) {
      const hit = match();
      if (hit !== undefined) return hit;
      if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before printing ${String(line)}; stdout: ${all.join(' | ')}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { all, waitFor };
}

describe('App confirmed drain across processes (issue #18, real etcd)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  const prefix = '/app-drain';

  before(async () => {
    cluster = await EtcdCluster.start(1);
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('on SIGTERM, the instance leaves a second watcher’s list before the server stops accepting; the server closes after the drain', async () => {
    const name = uniqueName('drain');
    const watcherSide = new EtcdRegistry({ hosts: cluster.endpoints }, { prefix, logger: { warn: () => undefined } });
    const watcher = await watcherSide.watch(name);
    const child = spawn(process.execPath, ['--enable-source-maps', '.build/legacy/test/discovery/fixtures/app-drain-child.js'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ETCD_ENDPOINTS: cluster.endpoints.join(','), ETCD_PREFIX: prefix, APP_NAME: name },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const out = lines(child);
    try {
      const port = Number((await out.waitFor(/^listening \d+$/)).split(' ')[1]);
      await until(watcher, (l) => l.length === 1, 10_000, 'the child registered');
      // Work in flight: the child's drain hook waits for it.
      const held = get(port, '/hold');
      await out.waitFor('step holding');
      const order: string[] = [];
      child.kill('SIGTERM');
      await until(watcher, (l) => l.length === 0, 10_000, 'the child gone');
      order.push('watcher: gone');
      // Told to go, yet still serving: clients that have not heard yet are answered.
      order.push(`probe after gone: ${await get(port, '/ping')}`);
      expect(out.all, 'the server must not close before the instance left our list').not.to.include('step closing');
      order.push(`release: ${await get(port, '/release')}`);
      order.push(`held request: ${await held}`);
      // Bounded, so that a child kept alive says what it got through.
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000).unref())]);
      expect(code, `stdout: ${out.all.join(' | ')}; stderr: ${stderr}`).to.equal(0);
      order.push(`probe after exit: ${await get(port, '/ping')}`);

      expect(order).to.deep.equal(['watcher: gone', 'probe after gone: pong', 'release: pong', 'held request: released', 'probe after exit: ECONNREFUSED']);
      const steps = out.all.filter((l) => l.startsWith('step ') && l !== 'step holding');
      expect(steps).to.deep.equal([
        'step beforeStop',
        'step deregistered',
        'step drain',
        'step drained',
        'step closing',
        'step closed',
        'step afterStop',
        'step registry closed',
      ]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      watcher.stop();
      await watcherSide.close();
    }
  });

  it('etcd: a watcher stopped while its watch stream is still opening leaves nothing open; the process exits after close()', async () => {
    // The App's confirmation watcher does exactly this: it stops as soon as the first list lacks the instance.
    const child = spawn(
      process.execPath,
      ['.build/legacy/test/discovery/fixtures/etcd-watch-stop.js', cluster.endpoints.join(','), prefix, uniqueName('stop'), '30'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const out = lines(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await out.waitFor('closed');
    const code = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 8000).unref())]);
    if (code === 'alive') child.kill('SIGKILL');
    expect(code, 'the process must exit by itself once the registry is closed').to.equal(0);
  });
});
