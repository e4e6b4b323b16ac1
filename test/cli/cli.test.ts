/** The `plugboard` binary, run as a child process. */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import { ConsulRegistry } from '../../src/discovery/consul/index.js';
import { ConsulAgent } from '../support/servers/consul.js';
import { EtcdCluster } from '../support/servers/etcd.js';
import { freePort } from '../support/free-port.js';

const BIN = '.build/legacy/src/cli/plugboard.js';
const quiet = { warn: () => undefined };

function run(args: string[], ms = 20_000, env: NodeJS.ProcessEnv = { ...process.env, DEBUG: '' }): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`plugboard ${args.join(' ')} did not exit within ${ms} ms; stdout: ${out}`));
    }, ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

/** Collects a child's stdout lines; `next(pred)` waits for a matching one. */
function lines(p: ChildProcess): { next(pred: (l: string) => boolean, ms?: number): Promise<string> } {
  const seen: string[] = [];
  let buf = '';
  const waiters: Array<() => void> = [];
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    seen.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  return {
    async next(pred, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = seen.findIndex(pred);
        if (i >= 0) return seen.splice(0, i + 1).at(-1)!;
        if (Date.now() > deadline) throw new Error(`no matching line within ${ms} ms; saw: ${seen.join(' | ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

describe('plugboard CLI', function () {
  this.timeout(60_000);

  describe('usage', () => {
    it('prints help (exit 0); no command, an unknown command or a bad URL is a usage error (exit 1)', async () => {
      const help = await run(['--help']);
      expect(help.code).to.equal(0);
      expect(help.out).to.include('plugboard ls <registry-url>').and.include('exit codes');
      expect((await run([])).code).to.equal(1);
      const unknown = await run(['frobnicate']);
      expect(unknown.code).to.equal(1);
      expect(unknown.err).to.include("unknown command 'frobnicate'");
      const bad = await run(['ls', 'not a url']);
      expect(bad.code).to.equal(1);
      expect(bad.err).to.include('missing scheme');
      expect((await run(['watch', 'memory://'])).err).to.include('watch needs <registry-url> <service>');
      expect((await run(['ls', 'memory://', '--timeout', 'soon'])).code).to.equal(1);
    });
  });

  describe('inspect, against a running app on the memory backend', () => {
    let app: ChildProcess;
    let url: string;
    before(async () => {
      app = spawn(process.execPath, ['--enable-source-maps', '.build/legacy/test/cli/fixtures/served-app.js'], { stdio: ['ignore', 'pipe', 'inherit'] });
      url = (await lines(app).next((l) => l.startsWith('url '))).slice(4);
    });
    after(() => app?.kill());

    it('prints registries, entries, plugins and services readably', async () => {
      const r = await run(['inspect', url]);
      expect(r.code).to.equal(0, r.err);
      expect(r.out).to.include('registry storage (factory, populated').and.include('plugin storage-s3');
      expect(r.out).to.match(/s3\s+function\s+plugin storage-s3\s+test\/observability\/fixtures\/dashboard-app\.ts:\d+/);
      expect(r.out).to.include('✓ storage-s3 1.2.0 [started]');
      expect(r.out).to.include('service greeter (memory, healthy): 3 instances');
    });

    it('--json gives the snapshot; an app that does not answer exits 2', async () => {
      const origin = new URL(url).origin;
      const r = await run(['inspect', origin, '--json']);
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.out).services[0].instances).to.have.length(3);
      const down = await run(['inspect', `http://127.0.0.1:${await freePort()}`, '--timeout', '2s']);
      expect(down.code).to.equal(2);
      expect(down.err).to.include('fetching');
    });
  });

  describe('ls and watch, against real etcd', () => {
    let etcd: EtcdCluster;
    let reg: EtcdRegistry;
    before(async () => {
      etcd = await EtcdCluster.start(1);
      reg = new EtcdRegistry({ hosts: etcd.endpoints }, { prefix: '/cli', logger: quiet });
      await reg.register({ id: 'g1', name: 'greeter', endpoints: ['http://10.0.0.1:8000'] });
      await reg.register({ id: 'g2', name: 'greeter', endpoints: ['http://10.0.0.2:8000'] });
      await reg.register({ id: 'b1', name: 'billing', endpoints: ['grpc://10.0.0.3:9000'] });
    });
    after(async () => {
      await reg?.close();
      await etcd?.destroy();
    });
    const etcdUrl = (): string => `etcd://${etcd.endpoints[0]!.replace(/^https?:\/\//, '')}/cli`;

    it('ls lists services with instance counts, as a table or JSON', async () => {
      const r = await run(['ls', etcdUrl()]);
      expect(r.code).to.equal(0, r.err);
      expect(
        r.out
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)),
      ).to.deep.equal([
        ['SERVICE', 'INSTANCES'],
        ['billing', '1'],
        ['greeter', '2'],
      ]);
      expect(JSON.parse((await run(['ls', etcdUrl(), '--json'])).out)).to.deep.equal([
        { service: 'billing', instances: 1 },
        { service: 'greeter', instances: 2 },
      ]);
    });

    it('watch streams every change until Ctrl-C, then exits 0', async () => {
      const p = spawn(process.execPath, [BIN, 'watch', etcdUrl(), 'greeter', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const out = lines(p);
      const first = JSON.parse(await out.next((l) => l.startsWith('{')));
      expect(first.instances.map((i: { id: string }) => i.id)).to.deep.equal(['g1', 'g2']);
      await reg.register({ id: 'g3', name: 'greeter', endpoints: ['http://10.0.0.4:8000'] });
      const next = JSON.parse(await out.next((l) => l.startsWith('{')));
      expect(next.instances).to.have.length(3);
      await reg.deregister({ id: 'g3', name: 'greeter', endpoints: ['http://10.0.0.4:8000'] });
      expect(JSON.parse(await out.next((l) => l.startsWith('{'))).instances).to.have.length(2);
      const exited = new Promise<number | null>((r) => p.on('exit', r));
      p.kill('SIGINT');
      expect(await exited).to.equal(0);
    });

    it('an unreachable backend exits 2 with a clear message', async () => {
      const r = await run(['ls', `etcd://127.0.0.1:${await freePort()}/cli`, '--timeout', '2s']);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/plugboard: listing etcd:\/\/127\.0\.0\.1:\d+\/cli/);
      expect(r.err.trim().split('\n'), 'one line, no stack trace').to.have.length(1);
    });

    it('with DEBUG set, a backend failure also prints the stack trace', async () => {
      const r = await run(['ls', `etcd://127.0.0.1:${await freePort()}/cli`, '--timeout', '1s'], 20_000, { ...process.env, DEBUG: '1' });
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/^plugboard: listing etcd:/);
      expect(r.err).to.match(/\n\s+at /);
    });
  });

  it('ls against the Consul test server', async () => {
    const consul = await ConsulAgent.start();
    const reg = new ConsulRegistry({ port: consul.port, logger: quiet });
    try {
      await reg.register({ id: 'c1', name: 'payments', endpoints: ['http://10.0.0.9:80'] });
      const r = await run(['ls', `consul://${consul.address}`, '--json']);
      expect(r.code).to.equal(0, r.err);
      expect(JSON.parse(r.out)).to.deep.equal([{ service: 'payments', instances: 1 }]);
    } finally {
      await reg.close();
      await consul.destroy();
    }
  });
});
