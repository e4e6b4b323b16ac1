/**
 * A loopback TCP proxy that a test can cut and restore, to make a server unreachable for one
 * client while it keeps running for others (fault injection without touching the server).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';

export class TcpProxy {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #up = true;

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), targetPort);
    await p.listen();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    this.#up = false;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((r) => (this.#server === undefined ? r() : this.#server.close(() => r())));
    this.#server = undefined;
  }

  /** Accepts connections again. */
  async restore(): Promise<void> {
    this.#up = true;
    await this.listen();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => {
        if (!this.#up) return client.destroy();
        const upstream = connect(this.targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          this.#sockets.add(s);
          s.on('close', () => this.#sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
      this.#server = server;
    });
  }
}
