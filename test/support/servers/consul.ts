/**
 * The real Consul agent for tests: Consul v1.16.3 (the newest MPL-2.0 release), built once per
 * machine from its Go module (./consul-module) and run as `consul agent -dev` on free loopback
 * ports. Clients reach it through a {@link TcpProxy}, so a test can cut the network to a
 * running agent (`stop`/`resume`) or restart the agent itself, which in dev mode loses every
 * service and check (`restart`). The agent logs each HTTP request it served at debug level;
 * {@link ConsulAgent.seen} reads that log, so tests assert what the real server received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpProxy, freePort } from '../../../src/testing/tcp-proxy.js';
import { goBuild, repoRoot } from './go-build.js';
import { removeUnlessFailed } from './logs.js';

export const CONSUL_VERSION = '1.16.3';

/** The module that pins Consul: in the source tree, whichever build folder this file was compiled to. */
const MODULE = join(repoRoot(), 'test/support/servers/consul-module');

/** Builds (once per machine) and returns the path of the `consul` binary. */
export async function consulBinary(): Promise<string> {
  const dir = await goBuild({ name: `consul-${CONSUL_VERSION}`, moduleDir: MODULE, packages: ['github.com/hashicorp/consul'] });
  return join(dir, 'consul');
}

export interface ConsulAgentOptions {
  /** Turns ACLs on with default-deny; this token is the management and the agent token. */
  aclToken?: string;
  datacenter?: string;
}

/** One request as the agent logged it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** When the agent finished answering it (ms since the epoch). */
  at: number;
}

const REQUEST = /^(\S+) \[DEBUG\] agent\.http: Request finished: method=(\S+) url=("(?:[^"\\]|\\.)*"|\S+)/;

export class ConsulAgent {
  #proc: ChildProcess | undefined;
  #ops: Promise<void> = Promise.resolve();
  #generation = 0;

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly ports: { http: number; serfLan: number; server: number },
    private readonly proxy: TcpProxy,
    private readonly opts: ConsulAgentOptions,
  ) {}

  static async start(opts: ConsulAgentOptions = {}): Promise<ConsulAgent> {
    const bin = await consulBinary();
    const dir = mkdtempSync(join(tmpdir(), 'plugboard-consul-'));
    const ports = { http: await freePort(), serfLan: await freePort(), server: await freePort() };
    const proxy = await TcpProxy.start(ports.http);
    const agent = new ConsulAgent(bin, dir, ports, proxy, opts);
    try {
      await agent.launch();
    } catch (err) {
      await agent.destroy();
      throw err;
    }
    return agent;
  }

  /** Where clients connect: `127.0.0.1:<port>` of the proxy in front of the agent. */
  get address(): string {
    return this.proxy.address;
  }

  get port(): number {
    return this.proxy.port;
  }

  /** The agent's own HTTP address, bypassing the proxy (for a test's own reads during a cut). */
  get directAddress(): string {
    return `127.0.0.1:${this.ports.http}`;
  }

  /** The agent's log of this run so far (for a failing test's message). */
  log(): string {
    try {
      return readFileSync(this.logFile(), 'utf8');
    } catch {
      return '';
    }
  }

  /** Requests the agent has answered (in every run, across restarts) whose path starts with `prefix`, finished at or after `since`. */
  seen(prefix: string, since = 0): SeenRequest[] {
    const out: SeenRequest[] = [];
    const runs = Array.from({ length: this.#generation }, (_, i) => join(this.dir, `agent-${i + 1}.log`));
    const lines = runs.flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n') : []));
    for (const line of lines) {
      const m = REQUEST.exec(line);
      if (m === null) continue;
      const url = m[3]!.startsWith('"') ? (JSON.parse(m[3]!) as string) : m[3]!;
      const q = url.indexOf('?');
      const path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
      const at = Date.parse(m[1]!);
      if (path.startsWith(prefix) && at >= since) out.push({ method: m[2]!, path, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), at });
    }
    return out;
  }

  /** A request to the agent's HTTP API (directly, not through the proxy); JSON in and out. */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = this.opts.aclToken === undefined ? {} : { 'X-Consul-Token': this.opts.aclToken };
    const res = await fetch(`http://${this.directAddress}/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`consul ${method} ${path}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** The agent's services by id (every registered one, passing or not). */
  services(): Promise<Record<string, { ID: string; Service: string; Tags?: string[]; Meta?: Record<string, string> }>> {
    return this.api('GET', '/agent/services');
  }

  /** The agent's checks by id. */
  checks(): Promise<Record<string, { CheckID: string; Status: string; ServiceID: string }>> {
    return this.api('GET', '/agent/checks');
  }

  /** The network to the agent goes down: open connections are cut and new ones refused. */
  stop(): Promise<void> {
    return this.serial(() => this.proxy.cut());
  }

  /** A silent partition: the proxy stops forwarding in both directions and closes nothing. */
  freeze(): Promise<void> {
    return this.serial(() => this.proxy.freeze());
  }

  /** The network comes back (after {@link stop} or {@link freeze}); the agent kept its state. */
  resume(): Promise<void> {
    return this.serial(() => this.proxy.restore());
  }

  /**
   * The agent restarts: killed, then started again on the same ports. A dev agent keeps its
   * state in memory, so every service and check is gone and its index starts again, below
   * what clients have seen.
   */
  restart(): Promise<void> {
    return this.serial(async () => {
      await this.kill();
      await this.launch();
    });
  }

  async destroy(): Promise<void> {
    await this.serial(async () => {
      await this.kill();
      await this.proxy.close().catch(() => undefined);
    }).catch(() => undefined);
    removeUnlessFailed(this.dir, 'Consul agent');
  }

  private logFile(): string {
    return join(this.dir, `agent-${this.#generation}.log`);
  }

  /** Faults may overlap in a test: stop, resume and restart run one after another. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#ops.then(fn);
    this.#ops = run.catch(() => undefined);
    return run;
  }

  private async launch(): Promise<void> {
    this.#generation += 1;
    const args = [
      'agent',
      '-dev',
      '-log-level=debug',
      '-bind=127.0.0.1',
      '-client=127.0.0.1',
      `-http-port=${this.ports.http}`,
      `-serf-lan-port=${this.ports.serfLan}`,
      '-serf-wan-port=-1',
      `-server-port=${this.ports.server}`,
      '-dns-port=-1',
      '-grpc-port=-1',
      '-grpc-tls-port=-1',
      `-datacenter=${this.opts.datacenter ?? 'dc1'}`,
      `-node=plugboard-test`,
      '-disable-host-node-id',
    ];
    if (this.opts.aclToken !== undefined) {
      const t = JSON.stringify(this.opts.aclToken);
      args.push(`-hcl=acl { enabled = true\n default_policy = "deny"\n tokens { initial_management = ${t}\n agent = ${t} } }`);
    }
    const log = openSync(this.logFile(), 'a');
    const proc = spawn(this.bin, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.#proc = proc;
    // An agent never outlives the test process, even one that ends without destroy() (a timed-out hook).
    const reap = (): void => void proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new Error(`consul agent could not be started (${this.bin}): ${err.message}`)));
      proc.once('exit', (code, signal) => reject(new Error(`consul agent exited (${code ?? signal}) before serving:\n${this.log().slice(-3000)}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([this.serving(), exited]);
  }

  /** Waits until the agent serves: a leader is elected and its node is in the catalog (so `passing` queries see services). */
  private async serving(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const leader = await this.api<string>('GET', '/status/leader');
        const nodes = await this.api<unknown[]>('GET', '/catalog/nodes');
        if (leader !== '' && nodes.length > 0) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`consul agent did not serve within 60 s:\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50)); // polling the agent's own readiness endpoints
    }
  }

  private async kill(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await gone;
  }
}
