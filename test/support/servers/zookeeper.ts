/**
 * A real ZooKeeper for tests, from Debian's `zookeeper` package: a free loopback port, a
 * temporary data dir, the admin server off, stopped and removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { removeUnlessFailed } from './logs.js';

const JAR = '/usr/share/java/zookeeper.jar';

async function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setTimeout(1000, () => s.destroy());
    s.on('connect', () => s.write('ruok'));
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out === 'imok'));
    s.on('error', () => resolve(false));
  });
}

export class ZooKeeperServer {
  proc: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get connect(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(): Promise<ZooKeeperServer> {
    if (!existsSync(JAR)) {
      throw new Error(
        `ZooKeeper is not installed (${JAR} missing). The README's test command installs Debian's zookeeper package; or run: apt-get install zookeeper`,
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-zk-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'zoo.cfg'),
      [
        `tickTime=500`,
        `dataDir=${join(dir, 'data')}`,
        `clientPort=${port}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        'minSessionTimeout=1000',
        'maxSessionTimeout=30000',
        '4lw.commands.whitelist=ruok,srvr',
        '',
      ].join('\n'),
    );
    const s = new ZooKeeperServer(port, dir);
    await s.startProcess();
    return s;
  }

  /**
   * Stops and starts run one at a time: two overlapping restart faults once spawned two JVMs,
   * and the one whose handle was overwritten outlived destroy(), keeping mocha alive.
   */
  #ops: Promise<unknown> = Promise.resolve();
  private serially<T>(op: () => Promise<T>): Promise<T> {
    const r = this.#ops.then(op, op);
    this.#ops = r.catch(() => undefined);
    return r;
  }

  private get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the server process (again, unless it runs) on the same port and data dir, and waits for `imok`. */
  startProcess(): Promise<void> {
    return this.serially(() => this.start());
  }

  private async start(): Promise<void> {
    if (this.running) return;
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.proc = spawn(
      'java',
      [
        '-cp',
        `/etc/zookeeper/conf:${JAR}`,
        '-Dzookeeper.admin.enableServer=false',
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(this.dir, 'zoo.cfg'),
      ],
      {
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log); // the child holds its own copy
    const proc = this.proc;
    const deadline = Date.now() + 30_000;
    while (!(await ruok(this.port))) {
      if (proc.exitCode !== null) throw new Error(`ZooKeeper exited; see ${join(this.dir, 'server.log')}`);
      if (Date.now() > deadline) throw new Error(`ZooKeeper not ready within 30 s; see ${join(this.dir, 'server.log')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the server process (SIGKILL: sessions are not closed cleanly), keeping the data. */
  stopProcess(): Promise<void> {
    return this.serially(() => this.stop());
  }

  private async stop(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stopProcess();
    removeUnlessFailed(this.dir, 'ZooKeeper');
  }
}

/**
 * Ends the ZooKeeper session `session` (id and password in hex), the documented way to make a
 * session expire in a test: a second client connects with the same id and password, then
 * closes. The session's owner then learns that its session expired. The second client runs in
 * a process of its own: two native clients of one session in one process is a test artefact,
 * and it must not be what the tests exercise.
 */
export async function expireSession(connect: string, session: { id: string; password: string }): Promise<void> {
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, ['-e', EXPIRE, connect, session.id, session.password], { stdio: 'ignore' });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** The helper of {@link expireSession}: take the session over, close it, exit (5 s at most). */
const EXPIRE = String.raw`
const ZooKeeper = require('zookeeper');
const [connect, id, password] = process.argv.slice(1);
const zk = new ZooKeeper({ connect, timeout: 2000, client_id: id, client_password: password, debug_level: ZooKeeper.constants.ZOO_LOG_LEVEL_ERROR });
const done = () => setImmediate(() => { try { zk.close(); } catch {} process.exit(0); });
zk.once('connect', done);
zk.once('close', () => process.exit(0));
setTimeout(() => process.exit(0), 5000);
zk.init({});
`;

/**
 * Closes a raw `zookeeper` client outside of its own callbacks: after an `await` on one of its
 * promises, code runs inside the native callback, and closing there crashes the process (see
 * closeSafely in src/discovery/zookeeper/zk-client.ts).
 */
export function closeZk(zk: { close(): void }): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      zk.close();
      resolve();
    }),
  );
}
