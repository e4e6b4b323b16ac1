/**
 * go-kratos's own registry code in a child process, for the interop tests: the Go program of
 * test/interop/kratos (built once per machine by the Go builder) registers, deregisters, lists
 * and watches with kratos's contrib/registry/{etcd,zookeeper,consul}, driven by JSON lines on
 * its stdin. Every reply and every watcher event is a JSON line on its stdout, so a test waits
 * on what kratos did, never on time. Its stderr is kept and quoted when something fails.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { goBuild, repoRoot } from './go-build.js';

/** The kratos release the helper is built with (test/interop/kratos/go.mod pins it). */
export const KRATOS_VERSION = 'v2.9.2';

/** kratos's `registry.ServiceInstance` as encoding/json writes it: nil map and slice are `null`. */
export interface KratosInstance {
  id: string;
  name: string;
  version: string;
  metadata: Readonly<Record<string, string>> | null;
  endpoints: readonly string[] | null;
}

export type KratosBackend = 'etcd' | 'zookeeper' | 'consul';

export interface KratosOptions {
  backend: KratosBackend;
  /** host:port (comma-separated for etcd and ZooKeeper). */
  address: string;
  /** etcd `Namespace`, ZooKeeper `WithRootPath`; kratos's default (`/microservices`) if absent. */
  root?: string;
  /** etcd `RegisterTTL`, ZooKeeper session timeout, as a Go duration (`3s`). */
  ttl?: string;
  /** ZooKeeper: `user:password` added to the session (`conn.AddAuth("digest", …)`). */
  auth?: string;
  /** ZooKeeper: `user:password` for `WithDigestACL` (the ACL of the nodes kratos creates). */
  acl?: string;
  /** Consul: the ACL token. */
  token?: string;
  /** Consul: `WithHealthCheckInterval` in seconds (the TTL check is twice that). */
  interval?: number;
  /**
   * Consul: `WithHealthCheck(true)`, kratos's default: a TCP check of every endpoint. Off unless
   * asked for, since most tests' endpoints do not listen.
   */
  healthCheck?: boolean;
}

interface Line {
  seq?: number;
  ready?: boolean;
  ok?: boolean;
  error?: string;
  watch?: string;
  instances?: KratosInstance[];
}

/** What one `Watcher.Next()` returned. */
export type KratosNext = { instances: KratosInstance[]; error?: undefined } | { error: string; instances?: undefined };

/** The module of the helper program, in the source tree (whichever build folder this file was compiled to). */
const moduleDir = (): string => join(repoRoot(), 'test', 'interop', 'kratos');

/** The folder of the built helper (built on first use, then cached per machine). */
export function buildKratos(): Promise<string> {
  return goBuild({ name: `kratos-${KRATOS_VERSION}`, moduleDir: moduleDir(), packages: ['plugboard.test/kratos-registry'] });
}

/** One `Discovery.Watch` of the helper: its `Next()` results, in order. */
export class KratosWatch {
  private readonly queue: KratosNext[] = [];
  private waiter: (() => void) | undefined;
  /** The last list `Next()` returned. */
  last: KratosInstance[] | undefined;

  constructor(
    private readonly helper: KratosHelper,
    readonly id: string,
  ) {}

  /** @internal */
  push(n: KratosNext): void {
    this.queue.push(n);
    this.waiter?.();
  }

  /** The next result of kratos's `Next()`, within `ms`. */
  async next(ms = 10_000): Promise<KratosNext> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.helper.failure(`kratos watcher ${this.id}: no Next() within ${ms} ms`);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          t = setTimeout(resolve, left);
          this.waiter = resolve;
        }),
        this.helper.exit,
      ]);
      clearTimeout(t);
      this.waiter = undefined;
      if (this.queue.length === 0 && this.helper.exited) throw this.helper.failure(`kratos watcher ${this.id}: the helper exited`);
    }
    const n = this.queue.shift()!;
    if (n.instances !== undefined) this.last = n.instances;
    return n;
  }

  /** Consumes `Next()` results until one satisfies `ok`; fails after `ms` saying what it waited for. */
  async until(ok: (l: KratosInstance[]) => boolean, ms: number, what: string): Promise<KratosInstance[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      let n: KratosNext;
      try {
        n = await this.next(Math.max(1, deadline - Date.now()));
      } catch {
        throw this.helper.failure(`kratos watcher ${this.id}: not ${what} within ${ms} ms; last list ${JSON.stringify(this.last)}`);
      }
      if (n.instances !== undefined && ok(n.instances)) return n.instances;
    }
  }

  /** `Watcher.Stop()`. */
  stop(): Promise<void> {
    return this.helper.request({ op: 'stop', watch: this.id }).then(() => undefined);
  }
}

/** A running helper process: kratos's Registrar and Discovery on one backend. */
export class KratosHelper {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (l: Line) => void; reject: (e: Error) => void }>();
  private readonly watches = new Map<string, KratosWatch>();
  private log = '';
  private exitNow: () => void = () => undefined;
  exited = false;
  /** Resolves when the process exited. */
  readonly exit = new Promise<void>((r) => (this.exitNow = r));

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly backend: KratosBackend,
  ) {
    proc.stderr.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    });
    createInterface({ input: proc.stdout }).on('line', (raw) => this.receive(raw));
    // A binary that cannot be started (a broken cache) fails at once, as an exit does.
    proc.on('error', (err) => {
      if (this.exited) return;
      this.log += `\n${err.message}`;
      proc.emit('exit', null, 'ENOENT');
    });
    proc.on('exit', (code, signal) => {
      this.exited = true;
      const err = this.failure(`the kratos helper exited (${signal ?? `code ${code}`})`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.exitNow();
    });
  }

  /** Builds the helper if needed, starts it, and waits until its client is connected. */
  static async start(opts: KratosOptions): Promise<KratosHelper> {
    const bin = join(await buildKratos(), 'kratos-registry');
    const args = ['-backend', opts.backend, '-address', opts.address];
    if (opts.root !== undefined) args.push('-root', opts.root);
    if (opts.ttl !== undefined) args.push('-ttl', opts.ttl);
    if (opts.auth !== undefined) args.push('-auth', opts.auth);
    if (opts.acl !== undefined) args.push('-acl', opts.acl);
    if (opts.token !== undefined) args.push('-token', opts.token);
    if (opts.interval !== undefined) args.push('-interval', String(opts.interval));
    if (opts.healthCheck === true) args.push('-health-check');
    const h = new KratosHelper(spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] }), opts.backend);
    await h.expect(0);
    return h;
  }

  /** kratos's stderr so far (its last 20 kB). */
  get stderr(): string {
    return this.log;
  }

  /** @internal An error naming what failed, with kratos's stderr. */
  failure(what: string): Error {
    const tail = this.log.trim().split('\n').slice(-15).join('\n');
    return new Error(`${what} [kratos ${KRATOS_VERSION}, ${this.backend}]${tail === '' ? '' : `\n--- kratos stderr ---\n${tail}`}`);
  }

  private receive(raw: string): void {
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      this.log += `\n[unparsable stdout] ${raw}`;
      return;
    }
    if (line.watch !== undefined && line.seq === undefined) {
      this.watches.get(line.watch)?.push(line.error !== undefined ? { error: line.error } : { instances: line.instances ?? [] });
      return;
    }
    const seq = line.ready === true ? 0 : (line.seq ?? -1);
    const p = this.pending.get(seq);
    if (p === undefined) return;
    this.pending.delete(seq);
    p.resolve(line);
  }

  private expect(seq: number, ms = 30_000): Promise<Line> {
    return new Promise<Line>((resolve, reject) => {
      if (this.exited) return reject(this.failure('the kratos helper is not running'));
      const t = setTimeout(() => {
        this.pending.delete(seq);
        reject(this.failure(seq === 0 ? `the kratos helper did not connect within ${ms} ms` : `no reply to command ${seq} within ${ms} ms`));
      }, ms);
      this.pending.set(seq, {
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });
  }

  /** @internal Sends a command and resolves with kratos's reply; a kratos error rejects. */
  async request(cmd: Record<string, unknown>): Promise<Line> {
    const seq = ++this.seq;
    const reply = this.expect(seq);
    this.proc.stdin.write(`${JSON.stringify({ seq, ...cmd })}\n`);
    const line = await reply;
    if (line.error !== undefined) throw new KratosError(`kratos ${String(cmd['op'])}: ${line.error}`, line.error);
    return line;
  }

  /** `Registrar.Register(ctx, ins)`. */
  async register(instance: KratosInstance): Promise<void> {
    await this.request({ op: 'register', instance });
  }

  /** `Registrar.Deregister(ctx, ins)`. */
  async deregister(instance: KratosInstance): Promise<void> {
    await this.request({ op: 'deregister', instance });
  }

  /** `Discovery.GetService(ctx, name)`; kratos's error rejects with a {@link KratosError}. */
  async getService(name: string): Promise<KratosInstance[]> {
    return (await this.request({ op: 'get', name })).instances ?? [];
  }

  /** `Discovery.Watch(ctx, name)`: every `Next()` from then on is queued on the returned watch. */
  async watch(name: string): Promise<KratosWatch> {
    const w = new KratosWatch(this, `w${this.seq + 1}`);
    this.watches.set(w.id, w);
    await this.request({ op: 'watch', name, watch: w.id });
    return w;
  }

  /** Closes kratos's client (the etcd client; the ZooKeeper session), as a clean exit would. */
  async closeClient(): Promise<void> {
    await this.request({ op: 'close' });
  }

  /** SIGKILL: no deregistration, no session close; waits for the exit. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** Ends the helper (SIGKILL: it holds nothing that needs a clean exit). */
  destroy(): Promise<void> {
    return this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    if (!this.exited) this.proc.kill(sig);
    return this.exit;
  }
}

/** An error that kratos's registry code returned; `kratos` holds its message as Go printed it. */
export class KratosError extends Error {
  constructor(
    message: string,
    readonly kratos: string,
  ) {
    super(message);
    this.name = 'KratosError';
  }
}
