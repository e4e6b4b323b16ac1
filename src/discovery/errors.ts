import { PlugboardError, type ErrorDetails } from '../container/errors.js';

/**
 * Codes of discovery errors:
 * - `E_DISCOVERY_INSTANCE`: an instance failed validation (the message names the field);
 * - `E_DISCOVERY_URL`: a registry URL or a `discovery://` target is malformed or unknown;
 * - `E_DISCOVERY_STOPPED`: `next()` on a stopped watcher;
 * - `E_DISCOVERY_NO_NODES`: `pick()` with no node left after filters;
 * - `E_DISCOVERY_TIMEOUT`: a registration did not finish in time;
 * - `E_DISCOVERY_CLOSED`: a call on a closed registry;
 * - `E_DISCOVERY_ABORTED`: the caller's `AbortSignal` fired;
 * - `E_DISCOVERY_BACKEND`: the backend failed (see `cause`);
 * - `E_DISCOVERY_AUTH`: the backend refused our credentials;
 * - `E_DISCOVERY_MISUSE`: the API was used in a way it does not allow (a second pending `next()`, `App.start()` twice).
 */
export type DiscoveryCode =
  | 'E_DISCOVERY_INSTANCE'
  | 'E_DISCOVERY_URL'
  | 'E_DISCOVERY_STOPPED'
  | 'E_DISCOVERY_NO_NODES'
  | 'E_DISCOVERY_TIMEOUT'
  | 'E_DISCOVERY_CLOSED'
  | 'E_DISCOVERY_ABORTED'
  | 'E_DISCOVERY_BACKEND'
  | 'E_DISCOVERY_AUTH'
  | 'E_DISCOVERY_MISUSE';

/** An error of the discovery layer, with one of the {@link DiscoveryCode}s. */
export class DiscoveryError extends PlugboardError {
  declare readonly code: DiscoveryCode;
  constructor(code: DiscoveryCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
