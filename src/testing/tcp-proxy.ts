/**
 * A loopback TCP proxy for fault injection: point one client at it to make a server
 * unreachable for that client alone (`cut()`), slow (`delay(ms)`), or reachable again
 * (`restore()`), while the server keeps running for everyone else.
 *
 * The proxy runs in a child process of its own. A client under test may block its event loop
 * (the native ZooKeeper client waits up to 1.5 s for the server's answer to a close), and a
 * proxy sharing that loop could not forward the very bytes the client waits for.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The proxy itself, run with `node -e` in the child (no file to locate from ESM or CJS). It
 * forwards each chunk `delay` ms after it arrived, in order, and closes a side only after the
 * chunks still on their way: a server's last words before it hangs up must reach the client.
 */
const PROXY = String.raw`
const net = require('node:net');
const [targetPort, targetHost] = process.argv.slice(1);
let up = true, delayMs = 0, server;
const sockets = new Set();
function pipe(from, to) {
  let chain = Promise.resolve();
  from.on('data', (chunk) => {
    const due = Date.now() + delayMs;
    chain = chain.then(() => {
      const wait = due - Date.now();
      if (wait <= 0) return void to.write(chunk);
      return new Promise((r) => setTimeout(() => (to.write(chunk), r()), wait));
    });
  });
  from.on('close', () => { chain = chain.then(() => void to.end()); });
}
function listen(port) {
  return new Promise((resolve, reject) => {
    server = net.createServer((client) => {
      if (!up) return client.destroy();
      const upstream = net.connect(Number(targetPort), targetHost);
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
      pipe(client, upstream); pipe(upstream, client);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}
async function cut() {
  up = false;
  for (const s of sockets) s.destroy();
  sockets.clear();
  const s = server; server = undefined;
  if (s) await new Promise((r) => s.close(() => r()));
}
let port;
process.on('message', async (m) => {
  try {
    if (m.op === 'cut') await cut();
    else if (m.op === 'restore') { if (!server) { up = true; await listen(port); } }
    else if (m.op === 'delay') delayMs = m.ms;
    else if (m.op === 'close') { await cut(); process.send({ id: m.id, ok: true }); process.exit(0); }
    process.send({ id: m.id, ok: true });
  } catch (err) { process.send({ id: m.id, ok: false, error: String(err) }); }
});
// The test process died without closing us (a crash, a kill): nobody will, so leave.
process.on('disconnect', () => process.exit(0));
listen(0).then((p) => { port = p; process.send({ ready: p }); }, (err) => { process.send({ error: String(err) }); process.exit(1); });
`;

/** See the module comment. */
export class TcpProxy {
  #next = 0;
  #waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    /** The port clients connect to. */
    readonly port: number,
  ) {
    child.on('message', (m: { id?: number; ok?: boolean; error?: string }) => {
      const w = m.id === undefined ? undefined : this.#waiting.get(m.id);
      if (w === undefined) return;
      this.#waiting.delete(m.id!);
      if (this.#waiting.size === 0) this.channel()?.unref?.();
      if (m.ok === true) w.resolve();
      else w.reject(new Error(`TcpProxy: ${m.error ?? 'failed'}`));
    });
    child.on('exit', () => {
      for (const w of this.#waiting.values()) w.reject(new Error('TcpProxy: the proxy process exited'));
      this.#waiting.clear();
    });
  }

  /** Starts a proxy on a free loopback port, forwarding to `targetHost:targetPort`. */
  static start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const child = fork('-e', [PROXY, String(targetPort), targetHost], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execPath: process.execPath,
    });
    // Held until the proxy is ready (a script awaiting start() must not exit meanwhile); then
    // unref'd, so that an open proxy never keeps the caller's process alive.
    const idle = (): void => {
      child.unref();
      (child.channel as { unref?(): void } | undefined)?.unref?.();
    };
    return new Promise((resolve, reject) => {
      child.once('message', (m: { ready?: number; error?: string }) => {
        idle();
        if (m.ready !== undefined) resolve(new TcpProxy(child, m.ready));
        else reject(new Error(`TcpProxy: ${m.error}`));
      });
      child.once('exit', (code) => reject(new Error(`TcpProxy: the proxy process exited (${code})`)));
    });
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones. */
  cut(): Promise<void> {
    return this.send({ op: 'cut' });
  }

  /** Accepts connections again (after {@link cut}). */
  restore(): Promise<void> {
    return this.send({ op: 'restore' });
  }

  /** Delays every chunk forwarded in either direction by `ms` (0: no delay). */
  delay(ms: number): Promise<void> {
    return this.send({ op: 'delay', ms });
  }

  /** Stops the proxy and its process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.ref(); // held until the proxy's process has exited, as start() holds it until ready
    await this.send({ op: 'close' }).catch(() => undefined);
    await exited;
  }

  private send(m: Record<string, unknown>): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error('TcpProxy: the proxy is closed'));
    const id = ++this.#next;
    this.channel()?.ref?.(); // an answer is awaited: keep the process alive until it comes
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.child.send({ ...m, id });
    });
  }

  /** The IPC channel: unref'd while idle, so an open proxy never keeps the tests' process alive. */
  private channel(): { ref?(): void; unref?(): void } | undefined {
    return this.child.channel as { ref?(): void; unref?(): void } | undefined;
  }
}
