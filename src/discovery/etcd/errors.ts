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

/** Whether etcd says the lease is gone (revoked, or expired): the session is dead. */
export function isLeaseGone(err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  return name === 'EtcdLeaseInvalidError' || /requested lease not found|lease not found/i.test(message);
}

/** The deadline of one etcd RPC: a call never waits on gRPC longer than this, whatever the caller's budget. */
export const RPC_DEADLINE_MS = 5000;

/** gRPC call options with the RPC deadline. */
export const rpcOptions = (): { deadline: Date } => ({ deadline: new Date(Date.now() + RPC_DEADLINE_MS) });
