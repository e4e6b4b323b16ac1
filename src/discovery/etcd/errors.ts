import { DiscoveryError } from '../errors.js';

/** Maps an etcd3 / gRPC error to a `DiscoveryError`: credentials problems become `E_DISCOVERY_AUTH`. */
export function etcdError(what: string, err: unknown): DiscoveryError {
  if (err instanceof DiscoveryError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  const auth =
    /Authentication|PermissionDenied|InvalidAuth|UserNotFound/i.test(name) ||
    /authentication failed|permission denied|invalid auth|user name (?:not found|is empty)|auth token|certificate|handshake|SSL|TLS/i.test(message);
  return new DiscoveryError(auth ? 'E_DISCOVERY_AUTH' : 'E_DISCOVERY_BACKEND', `etcd: ${what} failed: ${message}`, { cause: err });
}

/** Capped, jittered exponential backoff: the n-th delay (n ≥ 0). */
export function backoff(n: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(n, 20));
  return base / 2 + Math.random() * (base / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
