/**
 * A loopback TCP proxy for fault injection: point one client at it to make a server
 * unreachable for that client alone (`cut()`), slow (`delay(ms)`), or reachable again
 * (`restore()`), while the server keeps running for everyone else.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

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

/** See the module comment. */
export class TcpProxy {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #up = true;
  #delayMs = 0;

  private constructor(
    /** The port clients connect to. */
    readonly port: number,
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  /** Starts a proxy on a free loopback port, forwarding to `targetHost:targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), targetPort, targetHost);
    await p.listen();
    return p;
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
  async cut(): Promise<void> {
    this.#up = false;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Accepts connections again (after {@link cut}). */
  async restore(): Promise<void> {
    if (this.#up && this.#server !== undefined) return;
    this.#up = true;
    await this.listen();
  }

  /** Delays every chunk forwarded in either direction by `ms` (0: no delay). */
  delay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Stops the proxy and drops its connections. */
  async close(): Promise<void> {
    await this.cut();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => {
        if (!this.#up) return client.destroy();
        const upstream = connect(this.targetPort, this.targetHost);
        for (const s of [client, upstream]) {
          this.#sockets.add(s);
          s.on('close', () => this.#sockets.delete(s));
          s.on('error', () => undefined);
        }
        this.pipe(client, upstream);
        this.pipe(upstream, client);
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
      this.#server = server;
    });
  }

  /**
   * Forwards `from` to `to` in order, each chunk `delay` ms after it arrived (a latency, not a
   * throughput limit). When `from` closes, `to` is closed after the chunks still on their way:
   * a server's last words before it hangs up ("session expired") must reach the client.
   */
  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const due = Date.now() + this.#delayMs;
      chain = chain.then(() => {
        const wait = due - Date.now();
        if (wait <= 0) return void to.write(chunk);
        return new Promise<void>((r) => setTimeout(() => (to.write(chunk), r()), wait).unref());
      });
    });
    from.on('close', () => {
      chain = chain.then(() => void to.end());
    });
  }
}
