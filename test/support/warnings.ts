/**
 * Captures the process warnings a test triggers on purpose, so that they are asserted on and
 * `npm test` prints results only: `process.emitWarning` is replaced until `restore()`.
 */
type EmitWarning = typeof process.emitWarning;

export interface CapturedWarning {
  readonly message: string;
  readonly code: string | undefined;
}

export interface WarningCapture {
  readonly warnings: CapturedWarning[];
  /** Resolves with the first warning (already captured, or to come) whose code is `code`. */
  next(code: string): Promise<CapturedWarning>;
  restore(): void;
}

export function captureWarnings(): WarningCapture {
  const original: EmitWarning = process.emitWarning.bind(process);
  const warnings: CapturedWarning[] = [];
  const waiting: Array<{ code: string; resolve: (w: CapturedWarning) => void }> = [];
  const capture = (warning: string | Error, options?: unknown): void => {
    const message = typeof warning === 'string' ? warning : warning.message;
    const code =
      typeof options === 'object' && options !== null
        ? ((options as { code?: string }).code ?? undefined)
        : typeof warning === 'object'
          ? (warning as { code?: string }).code
          : undefined;
    const w = { message, code };
    warnings.push(w);
    for (const x of waiting.filter((x) => x.code === code)) {
      waiting.splice(waiting.indexOf(x), 1);
      x.resolve(w);
    }
  };
  process.emitWarning = capture;
  return {
    warnings,
    next: (code) => {
      const seen = warnings.find((w) => w.code === code);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ code, resolve }));
    },
    restore: () => {
      process.emitWarning = original;
    },
  };
}
