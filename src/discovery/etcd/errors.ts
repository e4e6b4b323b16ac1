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
