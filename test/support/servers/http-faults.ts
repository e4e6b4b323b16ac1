/**
 * An HTTP proxy in front of a real server that injects the faults a real server shows only
 * under load or in a cluster, so that the client's handling of them is tested against the
 * real server's answers: a slow answer on some paths, and a blocking-query index that is
 * missing, zero or lower than the one asked for (what a Consul client sees when its agent is
 * answered by another server, or restarted between two of its queries).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type IndexFault = 'none' | 'missing' | 'zero' | 'lower';

export class HttpFaults {
  /** Answers to paths starting with this prefix are held back `delayMs`. */
  delayPrefix = '';
  delayMs = 0;
  /** How the `X-Consul-Index` of each answer is changed. */
  index: IndexFault = 'none';
  /** Every request forwarded, with its body (what the client sent the real server). */
  readonly requests: Array<{ method: string; path: string; body: string }> = [];
  #sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: string,
  ) {}

  /** A proxy on a free loopback port forwarding to `target` (`host:port`). */
  static async start(target: string): Promise<HttpFaults> {
    const server = createServer();
    const self = new HttpFaults(server, target);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void self.forward(req, res));
    server.on('connection', (s) => {
      self.#sockets.add(s);
      s.once('close', () => self.#sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The JSON bodies sent to paths starting with `prefix`. */
  sent(prefix: string): unknown[] {
    return this.requests.filter((r) => r.path.startsWith(prefix)).map((r) => JSON.parse(r.body) as unknown);
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [host, port] = this.target.split(':');
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return void res.destroy(); // the client went away mid-body
    }
    const body = Buffer.concat(chunks);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // kept as sent; the server answers it
    }
    this.requests.push({ method: req.method ?? '', path, body: body.toString() });
    const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      void (async () => {
        if (this.delayMs > 0 && (req.url ?? '').startsWith(this.delayPrefix)) await new Promise((r) => setTimeout(r, this.delayMs));
        const headers = { ...up.headers };
        const asked = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('index') ?? '0');
        if (this.index === 'missing') delete headers['x-consul-index'];
        else if (this.index === 'zero') headers['x-consul-index'] = '0';
        else if (this.index === 'lower' && asked > 1) headers['x-consul-index'] = String(asked - 1);
        res.writeHead(up.statusCode ?? 502, headers);
        up.on('error', () => res.destroy());
        up.pipe(res);
      })();
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy()); // a client that gives up ends its request upstream too
    upstream.end(body);
  }
}
