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
const HELPER_FN = /^\s*at (?:Object\.|Function\.)?(?:__decorate|__esDecorate|__runInitializers|__decorateClass|DecorateConstructor|decorate|Reflect\.decorate)\b/;
const HELPER_FILE = /[/\\]node_modules[/\\](?:reflect-metadata|tslib)[/\\]/;

const cwd = typeof process !== 'undefined' ? process.cwd() : '';

function shorten(file: string): string {
  return cwd !== '' && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/**
 * The first stack frame outside plugboard's own files and node's internals, as `file:line`
 * (relative to the working directory when it lies inside it), or `undefined`.
 */
export function captureSite(): string | undefined {
  const root = libraryRoot();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const f = frameFile(line);
    if (f === undefined || HELPER_FN.test(line) || HELPER_FILE.test(f.file)) continue;
    if (f.file.startsWith(root) || f.file.startsWith('node:')) continue;
    return `${shorten(f.file)}:${f.line}`;
  }
  return undefined;
}
