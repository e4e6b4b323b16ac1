/**
 * A Consul test server: the HTTP endpoints the Consul backend uses, written from Consul's API
 * documentation (https://developer.hashicorp.com/consul/api-docs), because no Consul server
 * can be installed on our machines (not packaged for Debian, no downloads). It is NOT Consul:
 * real-Consul testing has not been done here (docs/consul.md says so).
 *
 * Endpoints (all under /v1):
 * - `PUT /agent/service/register`, `PUT /agent/service/deregister/{id}` (404 for an unknown id);
 * - `PUT /agent/check/{pass,warn,fail}/{check_id}?note=` (404 "Unknown check ID" for an
 *   unknown check, 500 "does not have associated TTL" for a non-TTL one), and
 *   `PUT /agent/check/update/{check_id}` with `{"Status": "passing|warning|critical",
 *   "Output": "…"}` (what Go's `api.Agent.UpdateTTL` sends; 400 for another status);
 * - `GET /agent/services`, `GET /agent/checks`, `GET /catalog/services` (name → tags);
 * - `GET /health/service/{name}?passing&tag&dc&index&wait`, a blocking query: with `index`
 *   it waits until the service's index is greater, or `wait` (default 5m, at most 10m) plus a
 *   random jitter of up to wait/16 passes; it always answers with `X-Consul-Index`.
 *   `passing` keeps entries whose every check, the node's `serfHealth` included, passes.
 * ACL: with `aclToken` set, requests need that token (`X-Consul-Token` or `?token=`): 403
 * otherwise. `?dc=` other than the server's datacenter gives 500 "No path to datacenter".
 * HTTP and TCP checks are run at their interval; gRPC checks are recorded but not run.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { AgentState, HttpError, type AgentTiming, type Check, type CheckStatus, type ServiceDef } from './agent-state.js';
import { parseGoDuration } from './go-duration.js';
import { freePort } from '../free-port.js';

export interface ConsulServerOptions extends Partial<AgentTiming> {
  datacenter?: string;
  /**
   * A misbehaving agent, for client tests: `'missing'` answers blocking queries without
   * `X-Consul-Index`, `'zero'` with `X-Consul-Index: 0`. Consul's docs tell clients to treat
   * both as "reset to 0", and to rate-limit.
   */
  index?: 'normal' | 'missing' | 'zero';
  /** When set, every request must carry this ACL token. */
  aclToken?: string;
}

/** One request as the server saw it, for assertions. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  at: number;
}

const NODE = 'consul-test-node';
const SERF = {
  Node: NODE,
  CheckID: 'serfHealth',
  Name: 'Serf Health Status',
  Status: 'passing',
  Notes: '',
  Output: 'Agent alive and reachable',
  ServiceID: '',
  ServiceName: '',
  ServiceTags: [],
  Type: '',
  CreateIndex: 1,
  ModifyIndex: 1,
};

export class ConsulServer {
  readonly requests: SeenRequest[] = [];
  /** Fault injection: service registrations are answered this many ms late (a slow or overloaded agent). */
  registerDelayMs = 0;
  state: AgentState;
  #http: Server;
  #listening = false;
  #ops: Promise<void> = Promise.resolve();
  readonly #opts: Required<Omit<ConsulServerOptions, 'aclToken'>> & { aclToken?: string };

  private constructor(
    readonly port: number,
    opts: ConsulServerOptions,
  ) {
    this.#opts = { datacenter: 'dc1', reapIntervalMs: 30_000, minDeregisterAfterMs: 60_000, index: 'normal', ...opts };
    this.state = this.newState(1);
    this.#http = this.newHttp();
  }

  static async start(opts: ConsulServerOptions = {}): Promise<ConsulServer> {
    const s = new ConsulServer(await freePort(), opts);
    await s.listen();
    return s;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Requests seen for a path prefix, e.g. `/v1/agent/check/pass/`. */
  seen(prefix: string, since = 0): SeenRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix) && r.at >= since);
  }

  /** Stops answering (connections are cut), as an agent that went down. */
  stop(): Promise<void> {
    return this.serial(() => this.stopNow());
  }

  /** Listens again on the same port (after {@link stop}). */
  resume(): Promise<void> {
    return this.serial(() => this.resumeNow());
  }

  /**
   * An agent restart that lost its state (a dev agent, or a wiped data dir): the services
   * are gone and the index starts again from `startIndex`, below what clients have seen.
   * With `keepConnections`, open requests are not cut: a blocking query then answers at its
   * `wait` with an index lower than the one it was given (Consul's "index went backwards").
   */
  restart(startIndex = 1, opts: { keepConnections?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      if (opts.keepConnections !== true) await this.stopNow();
      this.state.close();
      this.state = this.newState(startIndex);
      if (opts.keepConnections !== true) await this.resumeNow();
    });
  }

  async destroy(): Promise<void> {
    await this.serial(() => this.stopNow()).catch(() => undefined);
    this.state.close();
  }

  /** Faults may overlap in a test: stop, resume and restart run one after another. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#ops.then(fn);
    this.#ops = run.catch(() => undefined);
    return run;
  }

  private async stopNow(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    this.#http.closeAllConnections();
    await new Promise<void>((r) => this.#http.close(() => r()));
  }

  private async resumeNow(): Promise<void> {
    if (this.#listening) return;
    this.#http = this.newHttp();
    await this.listen();
  }

  private newState(startIndex: number): AgentState {
    const s = new AgentState({ reapIntervalMs: this.#opts.reapIntervalMs, minDeregisterAfterMs: this.#opts.minDeregisterAfterMs }, startIndex);
    s.probe = probe;
    return s;
  }

  private newHttp(): Server {
    return createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(err instanceof Error ? err.message : String(err));
      });
    });
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.port, '127.0.0.1', () => {
        this.#listening = true;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://consul');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: decodeURIComponent(url.pathname), query: url.searchParams, at: Date.now() });
    this.authorize(req, url);
    const body = await readBody(req);
    const m = (re: RegExp): string | undefined => re.exec(url.pathname)?.[1];
    let id: string | undefined;
    if (method === 'PUT' && url.pathname === '/v1/agent/service/register') {
      if (this.registerDelayMs > 0) await new Promise((r) => setTimeout(r, this.registerDelayMs));
      this.state.register(parseJson(body) as ServiceDef);
      return ok(res);
    }
    if (method === 'PUT' && (id = m(/^\/v1\/agent\/service\/deregister\/(.+)$/)) !== undefined) {
      this.state.deregister(decodeURIComponent(id));
      return ok(res);
    }
    if (method === 'PUT' && (id = m(/^\/v1\/agent\/check\/update\/(.+)$/)) !== undefined) {
      const upd = (parseJson(body) ?? {}) as { Status?: unknown; Output?: unknown };
      if (upd.Status !== 'passing' && upd.Status !== 'warning' && upd.Status !== 'critical')
        throw new HttpError(400, `Invalid check status: "${String(upd.Status)}"`);
      this.state.updateTtl(decodeURIComponent(id), upd.Status, typeof upd.Output === 'string' ? upd.Output : '');
      return ok(res);
    }
    const check = /^\/v1\/agent\/check\/(pass|warn|fail)\/(.+)$/.exec(url.pathname);
    if (method === 'PUT' && check !== null) {
      const status: CheckStatus = check[1] === 'pass' ? 'passing' : check[1] === 'warn' ? 'warning' : 'critical';
      this.state.updateTtl(decodeURIComponent(check[2]!), status, url.searchParams.get('note') ?? '');
      return ok(res);
    }
    if (method === 'GET' && url.pathname === '/v1/agent/services') {
      return json(res, Object.fromEntries([...this.state.services].map(([k, s]) => [k, serviceJson(s.def, s.createIndex, s.modifyIndex)])));
    }
    if (method === 'GET' && url.pathname === '/v1/catalog/services') {
      // Every registered service name with its tags (health does not matter here), plus Consul's own.
      const out: Record<string, string[]> = { consul: [] };
      for (const s of this.state.services.values()) out[s.def.Name] = [...new Set([...(out[s.def.Name] ?? []), ...(s.def.Tags ?? [])])];
      return json(res, out, this.state.index);
    }
    if (method === 'GET' && url.pathname === '/v1/agent/checks') {
      return json(res, Object.fromEntries([...this.state.checks].map(([k, c]) => [k, { ...checkJson(c), Definition: c.def }])));
    }
    if (method === 'GET' && (id = m(/^\/v1\/health\/service\/(.+)$/)) !== undefined) {
      const dc = url.searchParams.get('dc');
      if (dc !== null && dc !== this.#opts.datacenter) throw new HttpError(500, 'No path to datacenter');
      return this.healthService(decodeURIComponent(id), url.searchParams, req, res);
    }
    throw new HttpError(404, `Unsupported path ${method} ${url.pathname} (Consul test server)`);
  }

  private authorize(req: IncomingMessage, url: URL): void {
    const want = this.#opts.aclToken;
    if (want === undefined) return;
    const token = (req.headers['x-consul-token'] as string | undefined) ?? url.searchParams.get('token') ?? undefined;
    if (token === want) return;
    throw new HttpError(403, token === undefined ? 'Permission denied: anonymous token lacks permission' : 'ACL not found');
  }

  /** `GET /v1/health/service/{name}`, blocking when `index` is given. */
  private async healthService(name: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const min = Number(q.get('index') ?? '0');
    if (!Number.isInteger(min) || min < 0) throw new HttpError(400, `Invalid index: "${q.get('index')}"`);
    if (min > 0 && this.state.indexFor(name) <= min) {
      const wait = Math.min(parseGoDuration(q.get('wait') ?? '5m'), 600_000);
      const state = this.state;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          off();
          req.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, wait + Math.random() * (wait / 16));
        const off = state.onChange(() => {
          if (state.indexFor(name) > min) done();
        });
        req.socket.once('close', done);
      });
      if (res.destroyed) return;
    }
    const passing = q.has('passing') && q.get('passing') !== 'false';
    const tag = q.get('tag');
    const entries = [...this.state.services.values()]
      .filter((s) => s.def.Name === name && (tag === null || (s.def.Tags ?? []).includes(tag)))
      .sort((a, b) => (a.def.ID < b.def.ID ? -1 : 1))
      .map((s) => ({ s, checks: [...this.state.checks.values()].filter((c) => c.serviceId === s.def.ID) }))
      .filter((e) => !passing || e.checks.every((c) => c.status === 'passing'))
      .map(({ s, checks }) => ({
        Node: {
          ID: '00000000-0000-0000-0000-000000000001',
          Node: NODE,
          Address: '127.0.0.1',
          Datacenter: this.#opts.datacenter,
          TaggedAddresses: { lan: '127.0.0.1', wan: '127.0.0.1' },
          Meta: {},
          CreateIndex: 1,
          ModifyIndex: 1,
        },
        Service: serviceJson(s.def, s.createIndex, s.modifyIndex),
        Checks: [SERF, ...checks.map(checkJson)],
      }));
    const index = this.#opts.index === 'missing' ? undefined : this.#opts.index === 'zero' ? 0 : this.state.indexFor(name);
    json(res, entries, index);
  }
}

function serviceJson(d: ServiceDef & { ID: string; Name: string }, createIndex: number, modifyIndex: number): object {
  // Go encodes maps with sorted keys.
  const tagged = Object.fromEntries(Object.entries(d.TaggedAddresses ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  const meta = Object.fromEntries(Object.entries(d.Meta ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    ID: d.ID,
    Service: d.Name,
    Tags: d.Tags ?? [],
    Address: d.Address ?? '',
    TaggedAddresses: tagged,
    Meta: meta,
    Port: d.Port ?? 0,
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
  };
}

function checkJson(c: Check): object {
  return {
    Node: NODE,
    CheckID: c.id,
    Name: c.name,
    Status: c.status,
    Notes: c.def.Notes ?? '',
    Output: c.output,
    ServiceID: c.serviceId,
    ServiceName: c.serviceName,
    ServiceTags: [],
    Type: c.type,
    CreateIndex: c.createIndex,
    ModifyIndex: c.modifyIndex,
  };
}

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
}

function json(res: ServerResponse, value: unknown, index?: number): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    ...(index === undefined
      ? {}
      : { 'X-Consul-Index': String(index), 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0', 'X-Consul-Effective-Consistency': 'leader' }),
  });
  res.end(JSON.stringify(value));
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new HttpError(400, `Request decode failed: ${(err as Error).message}`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

/** Runs an HTTP check (2xx passing, 429 warning, else critical) or a TCP check (connect or not). */
function probe(c: Check): Promise<CheckStatus> {
  const timeout = parseGoDuration(c.def.Timeout ?? '10s');
  return new Promise((resolve) => {
    if (c.type === 'http') {
      const req = httpRequest(c.def.HTTP!, { timeout }, (res) => {
        res.resume();
        const s = res.statusCode ?? 0;
        resolve(s >= 200 && s < 300 ? 'passing' : s === 429 ? 'warning' : 'critical');
      });
      req.on('error', () => resolve('critical'));
      req.on('timeout', () => req.destroy());
      req.end();
    } else {
      const [host, port] = c.def.TCP!.split(/:(?=\d+$)/);
      const sock = connect(Number(port), host);
      sock.setTimeout(timeout, () => sock.destroy());
      sock.once('connect', () => {
        sock.destroy();
        resolve('passing');
      });
      sock.once('error', () => resolve('critical'));
      sock.once('close', () => resolve('critical'));
    }
  });
}
