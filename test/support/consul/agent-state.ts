/**
 * The state of the Consul test server: one agent on one node, its services and checks, and
 * the Raft-like index that blocking queries follow. Kept apart from the backend on purpose:
 * it is written from Consul's documentation, not from our client's needs.
 *
 * Semantics followed (Consul docs, https://developer.hashicorp.com/consul/api-docs and
 * /consul/docs/services/usage/checks):
 * - a check starts `critical` unless its definition gives `Status`;
 * - a TTL check goes `critical` with output "TTL expired" when no update came within its TTL;
 *   `/agent/check/pass|warn|fail` set the status and restart the TTL;
 * - an update that changes neither status nor output is not synced to the catalog, so it
 *   does not move the index (heartbeats do not wake blocking queries);
 * - `DeregisterCriticalServiceAfter`: "If a check is in the critical state for more than this
 *   configured value, then its associated service (and all of its associated checks) will
 *   automatically be deregistered. The minimum timeout is 1 minute, and the process that
 *   reaps critical services runs every 30 seconds";
 * - `health/service` reports the index of that service, or of the services table when the
 *   service has no instance; indexes are at least 1.
 */
import { parseGoDuration } from './go-duration.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckDef {
  CheckID?: string;
  Name?: string;
  TTL?: string;
  HTTP?: string;
  TCP?: string;
  GRPC?: string;
  Interval?: string;
  Timeout?: string;
  Status?: CheckStatus;
  Notes?: string;
  DeregisterCriticalServiceAfter?: string;
}

export interface ServiceDef {
  ID?: string;
  Name?: string;
  Tags?: string[];
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  /** Go clients send `null` for an unset `Check` or `Checks` (no `omitempty` on them). */
  Check?: CheckDef | null;
  Checks?: CheckDef[] | null;
}

export interface Check {
  readonly id: string;
  readonly name: string;
  readonly serviceId: string;
  readonly serviceName: string;
  readonly def: CheckDef;
  readonly type: 'ttl' | 'http' | 'tcp' | 'grpc';
  status: CheckStatus;
  output: string;
  criticalSince: number | undefined;
  createIndex: number;
  modifyIndex: number;
  timer: NodeJS.Timeout | undefined;
}

export interface Service {
  readonly def: Required<Pick<ServiceDef, 'ID' | 'Name'>> & ServiceDef;
  createIndex: number;
  modifyIndex: number;
}

/** A 4xx/5xx answer, with Consul's status code and plain-text message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AgentTiming {
  /** How often critical services are reaped (Consul: 30 s). */
  reapIntervalMs: number;
  /** Smallest `DeregisterCriticalServiceAfter` honoured (Consul: 1 min). */
  minDeregisterAfterMs: number;
}

const META_KEY = /^[A-Za-z0-9_-]+$/;

export class AgentState {
  readonly services = new Map<string, Service>();
  readonly checks = new Map<string, Check>();
  /** Every change moves the index; blocking queries wake on it. */
  index: number;
  #servicesIndex: number;
  readonly #nameIndex = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  readonly #reaper: NodeJS.Timeout;
  /** Runs HTTP/TCP checks (set by the server, which owns the sockets). */
  probe: ((check: Check) => Promise<CheckStatus>) | undefined;

  constructor(
    readonly timing: AgentTiming,
    startIndex = 1,
  ) {
    this.index = startIndex;
    this.#servicesIndex = startIndex;
    this.#reaper = setInterval(() => this.reap(), timing.reapIntervalMs);
    this.#reaper.unref();
  }

  /** Calls `fn` after every index change. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The index `health/service/{name}` reports. */
  indexFor(name: string): number {
    const has = [...this.services.values()].some((s) => s.def.Name === name);
    return Math.max(1, has ? (this.#nameIndex.get(name) ?? this.#servicesIndex) : this.#servicesIndex);
  }

  /** `PUT /agent/service/register`: validates, then replaces any service with the same ID. */
  register(def: ServiceDef): void {
    if (typeof def.Name !== 'string' || def.Name === '') throw new HttpError(400, 'Missing service name');
    validateMeta(def.Meta ?? {});
    const id = def.ID ?? def.Name;
    const single = def.Check ?? undefined;
    const defs = def.Checks ?? (single === undefined ? [] : [single]);
    const checks = defs.map((c, i) => this.makeCheck(id, def.Name!, c, defs.length === 1 && single !== undefined ? undefined : i + 1));
    this.removeService(id, false);
    const index = this.bump(def.Name);
    this.#servicesIndex = index;
    this.services.set(id, { def: { ...def, ID: id, Name: def.Name }, createIndex: index, modifyIndex: index });
    for (const c of checks) {
      c.createIndex = c.modifyIndex = index;
      this.checks.set(c.id, c);
      this.arm(c);
    }
    this.emit();
  }

  /** `PUT /agent/service/deregister/{id}`. */
  deregister(id: string): void {
    if (!this.services.has(id)) throw new HttpError(404, `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
    this.removeService(id, true);
  }

  /** `PUT /agent/check/{pass,warn,fail}/{id}?note=`. */
  updateTtl(id: string, status: CheckStatus, note: string): void {
    const c = this.checks.get(id);
    if (c === undefined) throw new HttpError(404, `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
    if (c.type !== 'ttl') throw new HttpError(500, `CheckID "${id}" does not have associated TTL`);
    this.setStatus(c, status, note);
    this.arm(c);
  }

  /** Wipes everything, as an agent whose state was lost does. */
  wipe(): void {
    for (const c of this.checks.values()) clearTimeout(c.timer);
    this.checks.clear();
    this.services.clear();
    this.#nameIndex.clear();
  }

  close(): void {
    clearInterval(this.#reaper);
    this.wipe();
    this.#listeners.clear();
  }

  setStatus(c: Check, status: CheckStatus, output: string): void {
    if (c.status === status && c.output === output) return; // not synced: the index stays
    c.status = status;
    c.output = output;
    c.criticalSince = status === 'critical' ? (c.criticalSince ?? Date.now()) : undefined;
    c.modifyIndex = this.bump(c.serviceName);
    this.emit();
  }

  private makeCheck(serviceId: string, serviceName: string, d: CheckDef, n: number | undefined): Check {
    const type = d.TTL !== undefined ? 'ttl' : d.HTTP !== undefined ? 'http' : d.TCP !== undefined ? 'tcp' : d.GRPC !== undefined ? 'grpc' : undefined;
    if (type === undefined) throw new HttpError(400, 'Invalid check: TTL must be > 0 for TTL checks, or Interval must be > 0 for HTTP, TCP or gRPC checks');
    if (type === 'ttl' && !(parseGoDuration(d.TTL!) > 0)) throw new HttpError(400, `Invalid check: TTL '${d.TTL}' must be > 0`);
    if (type !== 'ttl' && !(parseGoDuration(d.Interval ?? '') > 0))
      throw new HttpError(400, 'Invalid check: Interval must be > 0 for HTTP, TCP or gRPC checks');
    if (d.DeregisterCriticalServiceAfter !== undefined) parseGoDuration(d.DeregisterCriticalServiceAfter); // 400 when malformed
    if (d.Status !== undefined && !['passing', 'warning', 'critical'].includes(d.Status)) throw new HttpError(400, `Invalid check status: "${d.Status}"`);
    // Consul names a service's checks service:<id>, or service:<id>:<n> when there are several.
    const id = d.CheckID ?? (n === undefined ? `service:${serviceId}` : `service:${serviceId}:${n}`);
    const status = d.Status ?? 'critical';
    return {
      id,
      name: d.Name ?? `Service '${serviceName}' check`,
      serviceId,
      serviceName,
      def: d,
      type,
      status,
      output: '',
      criticalSince: status === 'critical' ? Date.now() : undefined,
      createIndex: 0,
      modifyIndex: 0,
      timer: undefined,
    };
  }

  /** (Re)starts the TTL timer, or the probe interval of an HTTP/TCP check. */
  private arm(c: Check): void {
    clearTimeout(c.timer);
    if (c.type === 'ttl') {
      c.timer = setTimeout(() => this.setStatus(c, 'critical', 'TTL expired'), parseGoDuration(c.def.TTL!));
    } else if (c.type !== 'grpc' && this.probe !== undefined) {
      c.timer = setTimeout(() => {
        void this.probe!(c).then((s) => {
          if (this.checks.get(c.id) !== c) return;
          this.setStatus(c, s, `${c.type.toUpperCase()} check ${s}`);
          this.arm(c);
        });
      }, parseGoDuration(c.def.Interval!));
    }
    c.timer?.unref();
  }

  private reap(): void {
    const now = Date.now();
    for (const c of [...this.checks.values()]) {
      const after = c.def.DeregisterCriticalServiceAfter;
      if (after === undefined || c.criticalSince === undefined || !this.services.has(c.serviceId)) continue;
      const timeout = Math.max(parseGoDuration(after), this.timing.minDeregisterAfterMs);
      if (now - c.criticalSince > timeout) this.removeService(c.serviceId, true);
    }
  }

  private removeService(id: string, emit: boolean): void {
    const s = this.services.get(id);
    if (s === undefined) return;
    this.services.delete(id);
    for (const [cid, c] of this.checks) {
      if (c.serviceId !== id) continue;
      clearTimeout(c.timer);
      this.checks.delete(cid);
    }
    if (!emit) return;
    this.#servicesIndex = this.bump(s.def.Name);
    this.emit();
  }

  private bump(name: string): number {
    this.index++;
    this.#nameIndex.set(name, this.index);
    return this.index;
  }

  private emit(): void {
    for (const fn of this.#listeners) fn();
  }
}

/** Consul's rules for service metadata (structs.ValidateServiceMetadata). */
function validateMeta(meta: Record<string, string>): void {
  const keys = Object.keys(meta);
  if (keys.length > 64) throw new HttpError(400, `Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs`);
  for (const k of keys) {
    const v = meta[k];
    const bad =
      k === ''
        ? 'Key cannot be blank'
        : k.length > 128
          ? 'Key is too long (limit: 128 characters)'
          : !META_KEY.test(k)
            ? 'Key contains invalid characters'
            : k.startsWith('consul-')
              ? "Key prefix 'consul-' is reserved for internal use"
              : typeof v !== 'string'
                ? 'Value must be a string'
                : v.length > 512
                  ? 'Value is too long (limit: 512 characters)'
                  : undefined;
    if (bad !== undefined) throw new HttpError(400, `Invalid Service Meta: Couldn't load metadata pair ('${k}', '${String(v)}'): ${bad}`);
  }
}
