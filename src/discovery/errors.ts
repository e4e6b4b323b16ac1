import type { DiscoveryCode } from '../container/codes.js';
import { PlugboardError, type ErrorDetails } from '../container/errors.js';

/** The discovery layer's codes, from the one catalogue (src/container/codes.ts; docs/errors.md explains each). */
export type { DiscoveryCode } from '../container/codes.js';

/** An error of the discovery layer, with one of the {@link DiscoveryCode}s. */
export class DiscoveryError extends PlugboardError {
  declare readonly code: DiscoveryCode;
  constructor(code: DiscoveryCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
