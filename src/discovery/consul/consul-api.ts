import Consul from 'consul';
import { EventEmitter } from 'node:events';
import { DiscoveryError } from '../errors.js';
import type { AgentServiceRegistration, HealthEntry } from './codec.js';
import type { ResolvedConsulOptions } from './options.js';

/** The part of papi's request API (under the `consul` client) that registration goes through. */
interface RawPut {
  _put(req: { name: string; path: string; type: 'json'; body: unknown; headers: Record<string, string> }): Promise<unknown>;
}

/** A cancellable request context, as the `consul` client takes it (`ctx.emit('cancel')` aborts). */
export class RequestContext extends EventEmitter {
  /** Makes the client return `[response, body]`, so that `X-Consul-Index` can be read. */
  readonly includeResponse = true;
  cancel(): void {
    this.emit('cancel');
  }
}

/** The Consul calls the backend makes, on the `consul` npm client, with errors mapped. */
export class ConsulApi {
  constructor(
    readonly client: Consul,
    private readonly o: Pick<ResolvedConsulOptions, 'token' | 'dc'>,
  ) {}

  static create(o: ResolvedConsulOptions): Consul {
    return new Consul({ host: o.host, port: o.port, secure: o.secure, ...(o.token === undefined ? {} : { defaults: { token: o.token } }) });
  }

  /**
   * `PUT /v1/agent/service/register`. Through the client's request layer: its
   * `agent.service.register` keeps only the `lan` and `wan` tagged addresses, and our
   * endpoints are tagged addresses keyed by scheme.
   */
  async register(body: AgentServiceRegistration): Promise<void> {
    const req = { name: 'agent.service.register', path: '/agent/service/register', type: 'json' as const, body, headers: (this.o.token === undefined ? {} : { 'x-consul-token': this.o.token }) as Record<string, string> };
    await (this.client as unknown as RawPut)._put(req).catch((err: unknown) => Promise.reject(consulError(`register '${body.Name}/${body.ID}'`, err)));
  }

  /** `PUT /v1/agent/service/deregister/{id}`; an id the agent does not know is not an error. */
  async deregister(id: string): Promise<void> {
    await this.client.agent.service.deregister(id).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw consulError(`deregister '${id}'`, err);
    });
  }

  /** `PUT /v1/agent/check/pass/{id}`. */
  async pass(checkId: string): Promise<void> {
    await this.client.agent.check.pass(checkId).catch((err: unknown) => Promise.reject(consulError(`heartbeat of '${checkId}'`, err)));
  }

  /** `GET /v1/catalog/services` names, without Consul's own `consul` service. */
  async serviceNames(): Promise<string[]> {
    const opts = this.o.dc === undefined ? {} : { dc: this.o.dc };
    const body = (await this.client.catalog.service.list(opts).catch((err: unknown) => Promise.reject(consulError('list services', err)))) as Record<string, unknown>;
    return Object.keys(body ?? {}).filter((n) => n !== 'consul').sort();
  }

  /**
   * `GET /v1/health/service/{name}?passing`, blocking when `index` > 0. Returns the entries
   * and `X-Consul-Index` (0 when missing or unreadable).
   */
  async health(name: string, q: { index?: number; waitMs?: number; ctx?: RequestContext } = {}): Promise<{ entries: HealthEntry[]; index: number }> {
    const ctx = q.ctx ?? new RequestContext();
    const opts = {
      service: name,
      passing: true,
      ctx,
      ...(this.o.dc === undefined ? {} : { dc: this.o.dc }),
      ...(q.index === undefined || q.index <= 0 ? {} : { index: String(q.index), wait: `${Math.round((q.waitMs ?? 30_000) / 1000)}s` }),
      // The agent may hold the query up to wait + wait/16; give the socket a little more.
      ...(q.waitMs === undefined ? {} : { timeout: q.waitMs + q.waitMs / 16 + 5000 }),
    };
    let res: unknown;
    try {
      res = await (this.client.health.service as (o: object) => Promise<unknown>).call(this.client.health, opts);
    } catch (err) {
      throw consulError(`health of '${name}'`, err);
    }
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
  return new DiscoveryError(status === 403 ? 'E_DISCOVERY_AUTH' : 'E_DISCOVERY_BACKEND', `consul: ${what} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`, { cause: err });
}
