/**
 * URL and option helpers for drivers: parsing a registry URL, reading durations with bounds,
 * and refusing options nobody reads (a typo such as `?tll=5` must not pass silently).
 */
import { InvalidOptionError } from '../../container/errors.js';
import { closestName } from '../../container/names.js';
import { DiscoveryError } from '../errors.js';
import type { BackendConfig } from '../backend-config.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import { showValue } from '../../container/show-value.js';
import { formatMs, MAX_TIMER_MS, toMilliseconds } from '../../container/duration.js';

/** The longest delay a Node timer can hold (about 24.8 days); longer ones fire at once. */
export { MAX_TIMER_MS };

/**
 * Parses a registry URL, with `E_DISCOVERY_URL` naming what is wrong. The authority may list
 * several hosts (`etcd://u:p@h1:2379,h2:2379/microservices?ttl=15`); `url` carries the first.
 */
export function parseRegistryUrl(url: string | URL): { url: URL; hosts: string[] } {
  if (url instanceof URL) return { url, hosts: url.host === '' ? [] : [url.host] };
  if (typeof url !== 'string' || url.trim() === '')
    throw new DiscoveryError('E_DISCOVERY_URL', `registry URL must be a non-empty string, got ${url === '' ? "''" : typeof url}`);
  // A fragment means nothing to a registry: a '#' is a password or a source URL not
  // percent-encoded, cut short there. Nothing of the URL is printed: the cut may be inside a password.
  const hash = url.indexOf('#');
  if (hash >= 0) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
    throw new DiscoveryError(
      'E_DISCOVERY_URL',
      `registry URL${scheme === undefined ? '' : ` (${scheme}://…)`} has a '#' at character ${hash + 1}, which would end it there; percent-encode it as %23 (in a password, or in a source URL of multi://)`,
      { key: 'url' },
    );
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s.exec(url);
  if (m === null) throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${redact(url)}': missing scheme (expected e.g. memory://, etcd://host:2379)`);
  const [, scheme, userinfo, authority, rest] = m as unknown as [string, string, string | undefined, string, string];
  const hosts = authority === '' ? [] : authority.split(',');
  hosts.forEach((h, i) => {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(h)) {
      const shown = plainHost(h, rest) ? h : redactHost(h);
      const colon = h.startsWith('[') ? h.indexOf(']:') + 1 : h.indexOf(':');
      const port = colon > 0 ? h.slice(colon + 1) : '';
      const hint =
        shown !== h
          ? " (a password holding '/', '?' or '#' must be percent-encoded)"
          : colon > 0 && !/^\d{1,5}$/.test(port)
            ? ` (the port '${port}' is not a number)`
            : '';
      throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${redact(url)}': host ${i + 1} '${shown}' is not host[:port]${hint}`, { key: 'host' });
    }
  });
  try {
    const first = `${scheme}://${userinfo === undefined ? '' : `${userinfo}@`}${hosts[0] ?? ''}${rest}`;
    return { url: new URL(first), hosts };
  } catch (err) {
    throw new DiscoveryError('E_DISCOVERY_URL', `registry URL '${redact(url)}': not a valid URL after the scheme '${scheme}://'`, { cause: err });
  }
}

/**
 * The URL with any password replaced, for messages. A password holding '/', '?' or '#' ends the
 * authority early, with no '@' in it: a host shaped like `user:pass` is then hidden as well.
 */
export function redact(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^/?#]*)(.*)$/s.exec(url);
  if (m === null) return url;
  const [, head = '', authority, rest] = m as unknown as [string, string | undefined, string, string];
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const user = authority.slice(0, at);
    const colon = user.indexOf(':');
    return `${head}${colon < 0 ? user : `${user.slice(0, colon + 1)}***`}@${authority.slice(at + 1)}${rest}`;
  }
  const hosts = authority.split(',');
  const shown = hosts.map((h) => (plainHost(h, rest) ? h : redactHost(h)));
  if (shown.every((h, i) => h === hosts[i])) return url;
  // The password went on past the cut: hide the rest of it, up to its '@'.
  const restAt = passwordCut(rest);
  return `${head}${shown.join(',')}${restAt < 0 ? rest : rest.slice(restAt)}`;
}

/** Where, in what follows the authority, the '@' of a password that cut it short is (before the query), or -1. */
function passwordCut(rest: string): number {
  return rest.lastIndexOf('@', rest.search(/\?|$/));
}

/**
 * Whether `h`, a host with a bad port, is shown as it is: no '@' comes later (no password cut
 * the authority short) and what precedes the ':' is an address (`127.0.0.1`, `db.local`,
 * `localhost`), not a user name, so `etcd://127.0.0.1:notaport` shows its port.
 */
function plainHost(h: string, rest: string): boolean {
  if (passwordCut(rest) >= 0 || h.includes('@')) return false;
  const name = h.slice(0, Math.max(0, h.indexOf(':')));
  return name === 'localhost' || /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(name);
}

/** One host of a URL's authority, for messages: hidden after its ':' when that is no port (so may be a password). */
export function redactHost(h: string): string {
  const at = h.lastIndexOf('@');
  if (at >= 0) return `***${h.slice(at)}`;
  if (h.startsWith('[')) return h;
  const colon = h.indexOf(':');
  return colon < 0 || /^\d*$/.test(h.slice(colon + 1)) ? h : `${h.slice(0, colon + 1)}***`;
}

/** `decodeURIComponent` of a part of a registry URL; a '%' left unencoded is `E_DISCOVERY_URL` naming `key` (its value unprinted: it may be a password). */
export function decodeUrlPart(backend: string, key: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch (err) {
    throw new DiscoveryError('E_DISCOVERY_URL', `${backend} URL: the ${key} has a '%' not followed by two hex digits; percent-encode a '%' as %25`, {
      key,
      cause: err,
    });
  }
}

/** Bounds of a duration option. */
export interface DurationBounds {
  /** Unit of a bare number: `'s'` in URLs (`ttl=15`), `'ms'` in code. */
  bareUnit?: 'ms' | 's';
  min?: number;
  /** Default: the longest timer Node can hold. */
  max?: number;
}

/**
 * Reads a duration: a number, or a string like `15s`, `500ms`, `1m`, `2h`. Values outside
 * `[min, max]` are refused with `E_DISCOVERY_URL` (a `600h` TTL would overflow a timer and
 * fire at once, so it is an error rather than a surprise).
 */
export function parseDuration(what: string, value: unknown, bounds: DurationBounds | 'ms' | 's' = {}): number | undefined {
  const b = typeof bounds === 'string' ? { bareUnit: bounds } : bounds;
  if (value === undefined || value === null || value === '') return undefined;
  const ms = toMilliseconds(value, b.bareUnit ?? 'ms'); // the one parser (container/duration.ts)
  if (ms === undefined) {
    throw new DiscoveryError('E_DISCOVERY_URL', `option '${what}': '${showValue(value, 80)}' is not a duration (use e.g. 15s, 500ms, 1m)`, { key: what });
  }
  const max = Math.min(b.max ?? MAX_TIMER_MS, MAX_TIMER_MS);
  if (ms > max)
    throw new DiscoveryError('E_DISCOVERY_URL', `option '${what}': ${showValue(value)} is longer than the largest allowed, ${formatMs(max)}`, { key: what });
  if (b.min !== undefined && ms < b.min)
    throw new DiscoveryError('E_DISCOVERY_URL', `option '${what}': ${showValue(value)} is shorter than the smallest allowed, ${formatMs(b.min)}`, {
      key: what,
    });
  return ms;
}

/**
 * Refuses options nobody reads, naming the closest known one: `E_DISCOVERY_URL` for URL query
 * parameters, `E_INVALID_OPTION` for options given in code.
 */
export function rejectUnknownOptions(
  backend: string,
  config: BackendConfig | undefined,
  code: object,
  known: { url: readonly string[]; code: readonly string[] },
): void {
  for (const key of Object.keys(code)) {
    if (known.code.includes(key)) continue;
    const near = closestName(key, known.code);
    throw new InvalidOptionError(
      `discovery.${backend}`,
      key,
      `unknown option${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${[...known.code].sort().join(', ')}`,
    );
  }
  for (const key of config?.url.searchParams.keys() ?? []) {
    if (known.url.includes(key)) continue;
    const near = closestName(key, known.url);
    throw new DiscoveryError(
      'E_DISCOVERY_URL',
      `${backend} URL: unknown option '${key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; known: ${[...known.url].sort().join(', ') || '(none)'}`,
      { key },
    );
  }
}

/** Options every backend takes, handled by the kit. */
export interface KitOptions {
  /** Backoff of every retry loop (writes, subscriptions, sessions); they never give up. */
  retry?: { minMs?: number; maxMs?: number };
  /** How long `register` and `deregister` wait for the store by default: ms or `'30s'` (default 30 s). A call's own signal may end it sooner. */
  timeout?: number | string;
  /** How long `close()` may take before it drops connections without waiting: ms or `'5s'` (default 5 s). */
  closeTimeout?: number | string;
  /**
   * How long a watch stream may deliver nothing at all (no event, no progress notification, no
   * keepalive answer) before it counts as partitioned: ms or `'10s'` (default 10 s, from 500 ms to
   * 5 m). Its watchers then show `E_DISCOVERY_UNREACHABLE`, `getService` reads the store, and
   * the kit reconnects and lists again. Backends that ask for progress do so well within it.
   */
  livenessTimeout?: number | string;
  /** Where warnings go (bad data under our prefix, failing writes). Default: `process.emitWarning`. */
  logger?: {
    /** One line of warning. */
    warn(msg: string): void;
  };
  /**
   * For `plugboard/testing`'s interleaving checker, not for production: every call the kit
   * makes to the driver (`apply`, `remove`, `beat`, `read`, `services`) goes through it, so a
   * scheduler can choose the order in which their results arrive.
   */
  interpose?: Interposer;
}

/** Wraps one driver call: `run()` starts it; the returned promise delivers its outcome. */
export type Interposer = <T>(what: string, run: () => Promise<T>) => Promise<T>;

/** The kit options' names, in code and in URLs (`?timeout=10s&closeTimeout=2s`). */
export const KIT_OPTIONS = ['retry', 'timeout', 'closeTimeout', 'livenessTimeout', 'logger', 'interpose'] as const;
/** The kit options a URL may carry. */
export const KIT_URL_OPTIONS = ['timeout', 'closeTimeout', 'livenessTimeout'] as const;

/** The default {@link KitOptions.livenessTimeout}: 10 s. */
export const DEFAULT_LIVENESS_MS = 10_000;

/** {@link KitOptions}, resolved. */
export interface ResolvedKitOptions {
  retry: RetryPolicy;
  timeoutMs: number;
  closeTimeoutMs: number;
  /** See {@link KitOptions.livenessTimeout}. */
  livenessMs: number;
  /** Where warnings go (a function, not a method: the kit passes it around). */
  warn: (msg: string) => void;
  interpose: Interposer;
}

const direct: Interposer = (_what, run) => run();

/** Resolves the kit's options from code (which wins) and the URL. */
export function resolveKitOptions(backend: string, config: BackendConfig | undefined, code: KitOptions): ResolvedKitOptions {
  const q = config?.url.searchParams;
  const fromCode = (v: unknown): boolean => v !== undefined;
  const timeoutMs =
    parseDuration('timeout', code.timeout ?? q?.get('timeout') ?? undefined, { bareUnit: fromCode(code.timeout) ? 'ms' : 's', min: 1 }) ?? 30_000;
  const closeTimeoutMs =
    parseDuration('closeTimeout', code.closeTimeout ?? q?.get('closeTimeout') ?? undefined, { bareUnit: fromCode(code.closeTimeout) ? 'ms' : 's', min: 0 }) ??
    5000;
  const livenessMs =
    parseDuration('livenessTimeout', code.livenessTimeout ?? q?.get('livenessTimeout') ?? undefined, {
      bareUnit: fromCode(code.livenessTimeout) ? 'ms' : 's',
      min: 500,
      max: 300_000,
    }) ?? DEFAULT_LIVENESS_MS;
  const minMs = code.retry?.minMs ?? DEFAULT_RETRY.minMs;
  const maxMs = code.retry?.maxMs ?? Math.max(DEFAULT_RETRY.maxMs, minMs);
  if (!(minMs > 0 && maxMs >= minMs && maxMs <= MAX_TIMER_MS)) {
    throw new InvalidOptionError(`discovery.${backend}`, 'retry', `needs 0 < minMs ≤ maxMs ≤ ${MAX_TIMER_MS} (got minMs ${minMs}, maxMs ${maxMs})`);
  }
  if (code.logger !== undefined && typeof code.logger?.warn !== 'function')
    throw new InvalidOptionError(`discovery.${backend}`, 'logger', 'must have a warn(msg) method');
  const logger = code.logger;
  if (code.interpose !== undefined && typeof code.interpose !== 'function')
    throw new InvalidOptionError(`discovery.${backend}`, 'interpose', 'must be a function');
  return {
    interpose: code.interpose ?? direct,
    retry: { minMs, maxMs },
    timeoutMs,
    closeTimeoutMs,
    livenessMs,
    warn: logger !== undefined ? (msg) => logger.warn(msg) : (msg) => process.emitWarning(msg, { code: `PLUGBOARD_${backend.toUpperCase()}` }),
  };
}
