/**
 * The logger seam (`Logger`, `defaultLogger`, `silentLogger`, `childLogger`). It lives in the
 * registry core (src/container/logger.ts), below every layer that logs; this module keeps
 * its `plugboard/observability` address.
 */
export { childLogger, defaultLogger, silentLogger, type Logger } from '../container/logger.js';
