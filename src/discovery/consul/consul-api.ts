import type Consul from 'consul';
import { EventEmitter } from 'node:events';
import { DiscoveryError } from '../errors.js';
import type { AgentServiceRegistration, HealthEntry } from './codec.js';
import type { ResolvedConsulOptions } from './options.js';

/** The part of papi's request API (under the `consul` client) that registration goes through. */
interface RawPut {
  _put(req: {
    name: string;
    path: string;
    type: 'json';
    body: unknown;
    headers: Record<string, string>;
    ctx: RequestContext;
    timeout: number;
  }): Promise<unknown>;
}

/** A cancellable request context, as the `consul` client takes it (`ctx.emit('cancel')` aborts; `canceled` refuses to start). */
export class RequestContext extends EventEmitter {
  /** Read by the client before it sends: a request cancelled before it started is not sent. */
  canceled = false;
  /** Makes the client return `[response, body]` (read from the context, not the options), so that `X-Consul-Index` can be read. */
  includeResponse = false;
  cancel(): void {
    this.canceled = true;
    this.emit('cancel');
  }

  /** A context cancelled when `signal` fires; `dispose()` detaches it once the request is done. */
  static of(signal: AbortSignal | undefined): { ctx: RequestContext; dispose: () => void } {
    const ctx = new RequestContext();
    if (signal === undefined) return { ctx, dispose: () => undefined };
    const onAbort = (): void => ctx.cancel();
    if (signal.aborted) ctx.canceled = true;
    else signal.addEventListener('abort', onAbort, { once: true });
    return { ctx, dispose: () => signal.removeEventListener('abort', onAbort) };
  }
}

/** The longest a non-blocking request to the agent may take. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Runs one request with a context cancelled by `signal`, and maps its error. */
async function withContext<T>(
  signal: AbortSignal | undefined,
  what: string,
  fn: (ctx: RequestContext) => Promise<T>,
  onError?: (err: unknown) => T,
  includeResponse = false,
): Promise<T> {
  const { ctx, dispose } = RequestContext.of(signal);
  ctx.includeResponse = includeResponse;
  try {
    return await fn(ctx);
  } catch (err) {
    if (onError !== undefined) return onError(err);
    throw consulError(what, err);
  } finally {
    dispose();
  }
}

/** The Consul calls the backend makes, on the `consul` npm client, with errors mapped. */
export class ConsulApi {
  constructor(
    readonly client: Consul,
    private readonly o: Pick<ResolvedConsulOptions, 'token' | 'dc'>,
  ) {}

  static create(ConsulClass: typeof Consul, o: ResolvedConsulOptions): Consul {
    return new ConsulClass({ host: o.host, port: o.port, secure: o.secure, ...(o.token === undefined ? {} : { defaults: { token: o.token } }) });
  }

  /**
   * `PUT /v1/agent/service/register`. Through the client's request layer: its
   * `agent.service.register` keeps only the `lan` and `wan` tagged addresses, and our
   * endpoints are tagged addresses keyed by scheme.
   */
  async register(body: AgentServiceRegistration, signal?: AbortSignal): Promise<void> {
    const headers = (this.o.token === undefined ? {} : { 'x-consul-token': this.o.token }) as Record<string, string>;
    await withContext(signal, `register '${body.Name}/${body.ID}'`, (ctx) =>
      (this.client as unknown as RawPut)._put({
        name: 'agent.service.register',
        path: '/agent/service/register',
        type: 'json',
        body,
        headers,
        ctx,
        timeout: REQUEST_TIMEOUT_MS,
      }),
    );
  }

  /** `PUT /v1/agent/service/deregister/{id}`; an id the agent does not know is not an error. */
  async deregister(id: string, signal?: AbortSignal): Promise<void> {
    await withContext(
      signal,
      `deregister '${id}'`,
      (ctx) => this.client.agent.service.deregister({ id, ctx, timeout: REQUEST_TIMEOUT_MS } as never),
      (err) => {
        if (statusOf(err) !== 404) throw consulError(`deregister '${id}'`, err);
      },
    );
  }

  /** `PUT /v1/agent/check/pass/{id}`. */
  async pass(checkId: string, signal?: AbortSignal): Promise<void> {
    await withContext(signal, `heartbeat of '${checkId}'`, (ctx) => this.client.agent.check.pass({ id: checkId, ctx, timeout: REQUEST_TIMEOUT_MS } as never));
  }

  /** `GET /v1/catalog/services` names, without Consul's own `consul` service. */
  async serviceNames(signal?: AbortSignal): Promise<string[]> {
    const opts = { ...(this.o.dc === undefined ? {} : { dc: this.o.dc }), timeout: REQUEST_TIMEOUT_MS };
    const body = (await withContext(signal, 'list services', (ctx) => this.client.catalog.service.list({ ...opts, ctx } as never))) as Record<string, unknown>;
    return Object.keys(body ?? {})
      .filter((n) => n !== 'consul')
      .sort();
  }

  /**
   * `GET /v1/health/service/{name}?passing`, blocking when `index` > 0. Returns the entries
   * and `X-Consul-Index` (0 when missing or unreadable).
   */
  async health(name: string, q: { index?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<{ entries: HealthEntry[]; index: number }> {
    const blocking = q.index !== undefined && q.index > 0;
    const waitMs = q.waitMs ?? 30_000;
    const opts = {
      service: name,
      passing: true,
      ...(this.o.dc === undefined ? {} : { dc: this.o.dc }),
      ...(blocking ? { index: String(q.index), wait: goDuration(waitMs) } : {}),
      // The agent may hold a blocking query up to wait + wait/16; give the socket a little more.
      timeout: blocking ? waitMs + waitMs / 16 + 5000 : REQUEST_TIMEOUT_MS,
    };
    const res = await withContext(
      q.signal,
      `health of '${name}'`,
      (ctx) => (this.client.health.service as (o: object) => Promise<unknown>).call(this.client.health, { ...opts, ctx }),
      undefined,
      true,
    );
    const [response, body] = res as [{ headers: Record<string, string | undefined> }, unknown];
    const index = Number(response.headers['x-consul-index'] ?? 0);
    return { entries: Array.isArray(body) ? (body as HealthEntry[]) : [], index: Number.isSafeInteger(index) && index > 0 ? index : 0 };
  }
}

/** The HTTP status of a `consul` client error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown; response?: { statusCode?: unknown } } | null)?.response?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The agent's own words: papi keeps only short bodies in `message`. */
function bodyOf(err: unknown): string {
  const body = (err as { response?: { body?: unknown } } | null)?.response?.body;
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return err instanceof Error ? err.message : String(err);
}

/** Whether the agent no longer knows a check: it restarted, or reaped the service. */
export function isUnknownCheck(err: unknown): boolean {
  const cause = err instanceof DiscoveryError ? err.cause : err;
  const status = statusOf(cause);
  // Consul ≥ 1.11 answers 404 "Unknown check ID"; older agents 500 "does not have associated TTL".
  return status === 404 || (status === 500 && /does not have associated TTL|Unknown check/i.test(bodyOf(cause)));
}

/** A `DiscoveryError`: 403 becomes `E_DISCOVERY_AUTH`, everything else `E_DISCOVERY_BACKEND`. */
export function consulError(what: string, err: unknown): DiscoveryError {
  if (err instanceof DiscoveryError) return err;
  const status = statusOf(err);
  const detail = bodyOf(err).trim().slice(0, 300);
  return new DiscoveryError(
    status === 403 ? 'E_DISCOVERY_AUTH' : 'E_DISCOVERY_BACKEND',
    `consul: ${what} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`,
    { cause: err },
  );
}

/** A wait as Consul reads it (a Go duration): whole seconds as `5s`, anything else in ms. */
function goDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}
