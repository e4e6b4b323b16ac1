import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { App, DiscoveryError, MemoryRegistry, MemoryStore, type Registrar } from '../../src/discovery/index.js';
import { nextWithin, uniqueName, until } from './contract.js';

describe('App lifecycle (memory backend)', function () {
  this.timeout(20_000);

  it('registers on start(), and stop() removes the instance from a watcher’s list', async () => {
    const store = new MemoryStore();
    const name = uniqueName('app');
    const app = new App({ name, version: 'v1', endpoints: ['http://127.0.0.1:8000'], registrar: new MemoryRegistry({ store }), handleSignals: false });
    const watcher = await new MemoryRegistry({ store }).watch(name);
    expect(await nextWithin(watcher, 1000)).to.deep.equal([]);
    await app.start();
    expect(app.state).to.equal('running');
    const [inst] = await until(watcher, (l) => l.length === 1, 1000, 'the app');
    expect(inst!.id).to.match(new RegExp(`^${name}-[0-9a-f-]{36}$`), 'a generated id');
    await app.stop();
    expect(await until(watcher, (l) => l.length === 0, 1000, 'the app gone')).to.deep.equal([]);
    expect(app.state).to.equal('stopped');
    watcher.stop();
  });

  it('makes stop() before start() and a second stop() safe', async () => {
    const calls: string[] = [];
    const registrar: Registrar = { register: async () => void calls.push('register'), deregister: async () => void calls.push('deregister') };
    const app = new App({ name: 'x', endpoints: ['http://h:1'], registrar, handleSignals: false, onStop: [() => calls.push('hook')] });
    await app.stop();
    await app.stop();
    expect(calls).to.deep.equal(['hook']);
    const app2 = new App({ name: 'x', id: 'fixed', endpoints: ['http://h:1'], registrar, handleSignals: false });
    await app2.start();
    await Promise.all([app2.stop(), app2.stop()]);
    expect(calls).to.deep.equal(['hook', 'register', 'deregister']);
    expect(app2.instance.id).to.equal('fixed');
  });

  it('fails start() with E_DISCOVERY_TIMEOUT when registration hangs, and aborts the registrar call', async () => {
    let aborted = false;
    const registrar: Registrar = {
      register: (_i, opts) =>
        new Promise(() => {
          opts?.signal?.addEventListener('abort', () => (aborted = true));
        }),
      deregister: async () => undefined,
    };
    const app = new App({ name: 'slow', endpoints: ['http://h:1'], registrar, registrarTimeout: 100, handleSignals: false });
    await app.start().then(
      () => expect.fail('start must time out'),
      (e: DiscoveryError) => {
        expect(e.code).to.equal('E_DISCOVERY_TIMEOUT');
        expect(e.message).to.include("app 'slow': registering: took longer than 100 ms");
      },
    );
    expect(aborted).to.equal(true);
    expect(process.listenerCount('SIGTERM')).to.equal(0, 'signal handlers removed after a failed start');
  });

  it('validates the instance it will register', () => {
    expect(() => new App({ name: 'x', endpoints: ['nope'] })).to.throw(DiscoveryError, 'instance.endpoints[0]');
  });

  it('stops a real child process gracefully on SIGTERM: it deregisters and exits 0', async () => {
    const child = spawn(process.execPath, ['--enable-source-maps', '.build/legacy/test/discovery/fixtures/app-child.js'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!out.includes('registered 1') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(out, `child never registered; stderr: ${err}`).to.include('registered 1');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, `stderr: ${err}`).to.equal(0);
    expect(out).to.include('stopped by SIGTERM; instances now 0');
  });

  // docs/discovery.md: a signal during start() stops the app; start() settles only after the
  // stop steps ran, and rejects with E_DISCOVERY_ABORTED (#32: it resolved, and the code after
  // `await app.start()` went on against a stopped app), which the documented main handles by
  // exiting 0. Before A7's fix start() rejected at once: exit 1, onStop never ran.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`A7: ${signal} during start() in the documented main runs the stop steps, rejects start() and exits 0`, async () => {
      const child = spawn(process.execPath, ['--enable-source-maps', '.build/legacy/test/discovery/fixtures/sigterm-during-start.js'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (d.toString().includes('in beforeStart')) child.kill(signal);
      });
      const code = await exited;
      expect(out, `stderr: ${err}`).to.include('onStop: server closed');
      expect(out).to.include(`start() rejected: app 'warming-up': stopped during start() by ${signal}; the stop steps have run`);
      expect(out).not.to.include('after start()');
      expect(code, `stderr: ${err}`).to.equal(0);
    });
  }
});
