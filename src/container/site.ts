/**
 * Registration sites: the `file:line` of the user code that registered an entry. A stack
 * trace is taken only when registering (never on lookups) and the first frame outside
 * plugboard's own files is kept.
 */

const FRAME = /\(?((?:file:\/\/)?(?:[A-Za-z]:)?[^():\s]+):(\d+):(\d+)\)?\s*$/;

function frameFile(line: string): { file: string; line: string } | undefined {
  const m = FRAME.exec(line);
  if (m === null) return undefined;
  return { file: m[1]!.replace(/^file:\/\//, ''), line: m[2]! };
}

/** Directory holding plugboard's own modules (`src/` or `dist/esm/`…), found from this file's own frame. */
let ownRoot: string | undefined;
function libraryRoot(): string {
  if (ownRoot === undefined) {
    const stack = new Error().stack?.split('\n') ?? [];
    const self = stack.map(frameFile).find((f) => f !== undefined);
    // This file lives in <root>/container/site.(ts|js); user code is anything outside <root>.
    ownRoot = self === undefined ? '\0' : self.file.replace(/[/\\]container[/\\][^/\\]*$/, '');
  }
  return ownRoot;
}

/**
 * Frames that belong to decorator plumbing rather than user code: TypeScript's and tslib's
 * decorator helpers (inlined at the top of each compiled file) and reflect-metadata's
 * `Reflect.decorate`. The registration site is the decorated class, past these.
 */
const HELPER_FN =
  /^\s*at (?:Object\.|Function\.)?(?:__decorate|__esDecorate|__runInitializers|__decorateClass|DecorateConstructor|decorate|Reflect\.decorate)\b/;
const HELPER_FILE = /[/\\]node_modules[/\\](?:reflect-metadata|tslib)[/\\]/;

const cwd = typeof process !== 'undefined' ? process.cwd() : '';

function shorten(file: string): string {
  return cwd !== '' && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/** Node's own frames: `at fn (node:internal/…)` or `at node:internal/…` (the path alone could pass for `e:internal/…`). */
const NODE_FRAME = /(?:^\s*at |\()node:/;

/** @internal The first user frame of a formatted stack, as `file:line`. */
export function pick(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  const root = libraryRoot();
  for (const line of stack.split('\n').slice(1)) {
    const f = frameFile(line);
    if (f === undefined || NODE_FRAME.test(line) || HELPER_FN.test(line) || HELPER_FILE.test(f.file)) continue;
    if (f.file.startsWith(root) || f.file.startsWith('node:')) continue;
    return `${shorten(f.file)}:${f.line}`;
  }
  return undefined;
}

/** A public function whose caller is the site (`registry.register`, a decorator). */
export type SiteEntry = (...args: never[]) => unknown;

/** What `Error.captureStackTrace` fills in: a `stack` that V8 formats on first read. */
export interface CapturedStack {
  stack?: string;
}

/**
 * Takes a stack trace of at most `frames` frames, skipping (in V8 itself, before the limit
 * applies) every frame from the top down to and including `entry`, the public function the
 * user called. Each frame taken costs about 0.3 µs, and so does each frame V8 walks past to
 * find `entry`: a registration takes one frame, its caller, captured in `register` itself.
 * Without `entry`, enough frames are taken to pass plugboard's own.
 */
function capture(entry: SiteEntry | undefined, frames: number): CapturedStack {
  const holder: CapturedStack = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  Error.captureStackTrace(holder, entry);
  Error.stackTraceLimit = limit;
  return holder;
}

/** Frames taken when the caller is found by walking past plugboard's own frames (error paths). */
const SEARCH_FRAMES = 16;

/**
 * A registration site captured now and formatted on first read. V8 formats a captured stack
 * lazily, and formatting is most of the cost, so registrations pay only for the capture.
 */
export class LazySite {
  #holder: CapturedStack | undefined;
  #value: string | undefined;

  /**
   * Captures the caller of `entry` (the public function the user called) from `frames`
   * frames (default 1 with an `entry`: its direct caller; add frames to step over helpers
   * such as decorator plumbing, which are skipped when formatting). Without `entry`, the
   * first frame outside plugboard.
   */
  constructor(entry?: SiteEntry, frames = entry === undefined ? SEARCH_FRAMES : 1) {
    libraryRoot(); // resolve our own location from a frame now, while it is cheap to get right
    this.#holder = capture(entry, frames);
  }

  /** The `file:line`, formatted on first call. */
  get value(): string | undefined {
    if (this.#holder !== undefined) {
      this.#value = pick(this.#holder.stack);
      this.#holder = undefined;
    }
    return this.#value;
  }

  toString(): string {
    return this.value ?? 'an unknown site';
  }
}

/**
 * A site as stored: a string, a lazily formatted capture (a {@link LazySite}, or the bare
 * {@link CapturedStack} that `register` keeps, one object less per entry), or nothing.
 */
export type SiteRef = string | LazySite | CapturedStack | undefined;

/** The `file:line` of a {@link SiteRef} (a bare capture is formatted on every call: callers cache it). */
export function resolveSite(site: SiteRef): string | undefined {
  if (typeof site !== 'object') return site;
  return site instanceof LazySite ? site.value : pick(site.stack);
}

/**
 * @internal The first stack frame outside plugboard's own files, decorator helpers and node's
 * internals, as `file:line` (relative to the working directory when inside it), or
 * `undefined`. Formats at once: for error paths (registries defer it on their hot path).
 */
export function captureSite(): string | undefined {
  return pick(capture(undefined, SEARCH_FRAMES).stack);
}
