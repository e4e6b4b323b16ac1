/** The demo, as a newcomer runs it: `npm start` (memory backend), and with `--registry etcd://…`. */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import type { DebugSnapshot } from '../../src/observability/index.js';
import { EtcdCluster } from '../support/servers/etcd.js';

/** Runs a command until its "ready" line; returns its output so far and the process. */
function untilReady(cmd: string, args: string[], ms = 90_000): Promise<{ p: ChildProcess; out: () => string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`no "ready" line within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, ms);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^ready/m.test(out)) {
        clearTimeout(t);
        resolve({ p, out: () => out });
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d); // the demo's warnings, if any, show in the test log
    });
    p.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited (${code}) before "ready"\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/** Ctrl-C; resolves with the exit code, or the signal's name if it killed the process. */
async function stop(p: ChildProcess): Promise<number | string | null> {
  const exited = new Promise<number | string | null>((r) => p.once('exit', (code, signal) => r(code ?? signal)));
  p.kill('SIGINT');
  return exited;
}

function checkRun(out: string, backend: string): string {
  expect(out).to.include(`[3/6] inversify injected Discovery (${backend}) into GreeterClient`);
  expect(out).to.match(/\[1\/6\] storage drivers \(by decorator\): memory, prefixed-memory/);
  expect(out).to.include('[2/6] plugin greetings-es 1.0.0 loaded from plugins/ (greetings: es)');
  expect(out).to.match(/\[4\/6\] 3 greeter instances registered: greeter-1 http:\/\/127\.0\.0\.1:\d+, greeter-2/);
  const answered = [...out.matchAll(/call \d: "[^"]+" from (greeter-\d)/g)].map((m) => m[1]);
  expect(answered.slice(0, 6).sort()).to.deep.equal(['greeter-1', 'greeter-1', 'greeter-2', 'greeter-2', 'greeter-3', 'greeter-3'], 'round-robin over 3');
  expect(out).to.include('¡Hola, Ada!');
  expect(out).to.include('[6/6] stopped greeter-2; the watcher now sees 2: greeter-1, greeter-3');
  expect(answered.slice(6)).to.not.include('greeter-2');
  const url = /^dashboard: (\S+)/m.exec(out)?.[1];
  expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/debug\/registry$/);
  return url!;
}

describe('examples/demo', function () {
  this.timeout(120_000);

  /** Runs the compiled demo to its end; resolves with its exit code and output. */
  const runDemo = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, ['.build/legacy/examples/demo/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => resolve({ code, out, err }));
    });

  it('an unreachable backend ends the demo with one line and exit code 2; the stack trace only with DEBUG', async () => {
    const plain = await runDemo(['--registry', 'etcd://127.0.0.1:1/demo'], { ...process.env, DEBUG: '' });
    expect(plain.code, plain.err).to.equal(2);
    expect(
      plain.err.split('\n').filter((l) => l.startsWith('demo: ')),
      plain.err,
    ).to.deep.equal(["demo: app 'greeter': registering: took longer than 10000 ms (deadline of 10000 ms passed) [E_DISCOVERY_TIMEOUT]"]);
    expect(plain.err, 'no stack trace').to.not.match(/\n\s+at /);
    // Bad input fails the same way, at once.
    const debug = await runDemo(['--registry', 'etcd://127.0.0.1:1/demo?ttl=0'], { ...process.env, DEBUG: '1' });
    expect(debug.code).to.equal(2);
    expect(debug.err).to.match(/\n\s+at /);
  });

  it('npm start: runs to "ready" on the memory backend and serves the dashboard until Ctrl-C', async () => {
    const { p, out } = await untilReady(process.execPath, ['scripts/start.mjs']);
    try {
      const url = checkRun(out(), 'memory');
      const snap = (await (await fetch(`${url}.json`)).json()) as DebugSnapshot;
      expect(snap.plugins!.plugins[0]).to.include({ name: 'greetings-es', state: 'started' });
      expect(snap.services[0]!.instances.map((i) => i.id)).to.deep.equal(['greeter-1', 'greeter-3']);
      expect(snap.scope.registries.find((r) => r.id === 'storage')!.entries.map((e) => e.key)).to.deep.equal(['memory', 'prefixed-memory']);
    } finally {
      expect(await stop(p)).to.equal(0);
    }
    expect(out()).to.match(/stopped\s*$/);
  });

  it('--registry etcd://… runs the same demo on real etcd', async () => {
    const etcd = await EtcdCluster.start(1);
    try {
      const { p, out } = await untilReady(process.execPath, [
        '--enable-source-maps',
        '.build/legacy/examples/demo/main.js',
        '--registry',
        `etcd://${etcd.endpoints[0]!.replace(/^https?:\/\//, '')}/demo`,
      ]);
      try {
        expect(out()).to.include('plugboard demo · discovery etcd://');
        checkRun(out(), 'etcd');
      } finally {
        const code = await stop(p);
        expect(code).to.equal(0, `exit ${String(code)}; output:\n${out()}`);
      }
    } finally {
      await etcd.destroy();
    }
  });
});
