/**
 * The logger seam, at the bottom of the layers so that every layer (plugins, discovery,
 * observability) takes it from here. Re-exported by `plugboard/observability`.
 */

/**
 * The logger plugboard writes to: any object with pino's `debug`/`info`/`warn`/`error`
 * (pino, bunyan-likes, or `console`). Calls follow pino's shape: `(fields, message)`.
 */
export interface Logger {
  /** Registrations and other routine events. */
  debug(fields: object, msg?: string): void;
  /** Noteworthy events (a plugin reloaded). */
  info(fields: object, msg?: string): void;
  /** Refused registrations, plugin failures, degraded backends. */
  warn(fields: object, msg?: string): void;
  /** Failures that lose something. */
  error(fields: object, msg?: string): void;
  /** pino's `child(bindings)`; when missing, bindings are merged into each call instead. */
  child?(bindings: Record<string, unknown>): Logger;
}

/** The default: silent except warnings and errors, which go to `process.emitWarning`. */
export const defaultLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, msg) => process.emitWarning(format(fields, msg), { code: 'PLUGBOARD' }),
  error: (fields, msg) => process.emitWarning(format(fields, msg), { code: 'PLUGBOARD' }),
};

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** `logger.child(bindings)`, or a wrapper that adds the bindings to every call. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (typeof logger.child === 'function') return logger.child(bindings);
  const wrap =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (fields: object, msg?: string): void =>
      logger[level]({ ...bindings, ...fields }, msg);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error'), child: (more) => childLogger(logger, { ...bindings, ...more }) };
}

function format(fields: object, msg: string | undefined): string {
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return [msg, rest].filter((s) => s !== undefined && s !== '').join(' ');
}
