/**
 * Real etcd servers for tests, from Debian's `etcd-server` package: free loopback ports,
 * temporary data directories, stopped and removed afterwards. Never a default port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { removeUnlessFailed } from './logs.js';

const ETCD = process.env['PLUGBOARD_ETCD_BIN'] ?? '/usr/bin/etcd';

function requireEtcd(): void {
  if (!existsSync(ETCD)) {
    throw new Error(
      `etcd is not installed (${ETCD} missing). The README's test command installs Debian's etcd-server package; or run: apt-get install etcd-server`,
    );
  }
}

/** One etcd member. */
export class EtcdMember {
  proc: ChildProcess | undefined;
  readonly clientUrl: string;
  readonly peerUrl: string;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly initialCluster: string,
    private readonly extraArgs: string[],
    readonly scheme: 'http' | 'https',
  ) {
    this.clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
    this.peerUrl = `http://127.0.0.1:${peerPort}`;
  }

  /** Starts (or restarts) the member with the same data dir and ports. */
  start(): void {
    if (this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null) return;
    const log = openSync(join(this.dataDir, '..', `${this.name}.log`), 'a');
    this.proc = spawn(
      ETCD,
      [
        '--name',
        this.name,
        '--data-dir',
        this.dataDir,
        '--listen-client-urls',
        this.clientUrl,
        '--advertise-client-urls',
        this.clientUrl,
        '--listen-peer-urls',
        this.peerUrl,
        '--initial-advertise-peer-urls',
        this.peerUrl,
        '--initial-cluster',
        this.initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `plugboard-test-${this.initialCluster.length}-${this.initialCluster.split(',')[0]!.split(':').pop()}`, // the same for every member
        '--logger',
        'zap',
        '--log-level',
        'error',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', log, log] },
    );
  }

  /** SIGTERM, and waits for the exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL, and waits for the exit. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (p === undefined || !this.running) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
  }
}

/** A running single-node or multi-node etcd cluster. */
export class EtcdCluster {
  private constructor(
    readonly members: EtcdMember[],
    private readonly root: string,
  ) {}

  /** Starts `size` members on free loopback ports and waits until the cluster answers. */
  static async start(size = 1, opts: { extraArgs?: string[]; scheme?: 'http' | 'https' } = {}): Promise<EtcdCluster> {
    requireEtcd();
    const root = mkdtempSync(join(tmpdir(), 'plugboard-etcd-'));
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    const names = Array.from({ length: size }, (_, i) => `m${i}`);
    const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i * 2 + 1]}`).join(',');
    const members = names.map(
      (n, i) => new EtcdMember(n, join(root, n), ports[i * 2]!, ports[i * 2 + 1]!, initial, opts.extraArgs ?? [], opts.scheme ?? 'http'),
    );
    const cluster = new EtcdCluster(members, root);
    for (const m of members) m.start();
    await cluster.waitHealthy();
    return cluster;
  }

  /** Client URLs of the members. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** `host:port` list for an `etcd://` URL. */
  get authority(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  /** Polls each running member's /health until all answer (or `ms` passes). */
  async waitHealthy(ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (const m of this.members.filter((x) => x.running)) {
      for (;;) {
        if (m.scheme === 'http') {
          try {
            const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
            if (res.ok && ((await res.json()) as { health?: string }).health === 'true') break;
          } catch {
            /* not up yet */
          }
        } else if (await portOpen(m.clientPort)) break;
        if (!m.running) throw new Error(`etcd member ${m.name} exited; see ${join(this.root, `${m.name}.log`)}`);
        if (Date.now() > deadline) throw new Error(`etcd member ${m.name} not healthy within ${ms} ms; see ${join(this.root, `${m.name}.log`)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops every member and deletes the data. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    removeUnlessFailed(this.root, 'etcd');
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
