/**
 * The messages of the injector's errors: each names the scope, the token, the class that
 * needed it and the path that led there, so a log line is enough to find the culprit.
 */
import { closestName } from '../names.js';
import type { Frame } from './context.js';
import { DiError } from './errors.js';
import { shortName, tokenName, TOKENS } from './tokens.js';

/** The labels of `frame` and the frames that asked for it, outermost first. */
export function framePath(frame: Frame | undefined): string[] {
  const labels: string[] = [];
  for (let f = frame; f !== undefined; f = f.parent) labels.unshift(f.label);
  return labels;
}

/**
 * `E_DI_CYCLE`: `label` is asked for while it is being built. The cycle runs from the frame
 * for which `isStart` holds down to the current frame, then back to `label`.
 */
export function cycleError(scope: string, label: string, frame: Frame | undefined, isStart: (f: Frame) => boolean): DiError {
  const labels: string[] = [];
  for (let f = frame; f !== undefined; f = f.parent) {
    labels.unshift(f.label);
    if (isStart(f)) break;
  }
  return cycle(scope, [...labels, label]);
}

/** `E_DI_CYCLE` from an explicit path (async factories awaiting each other). */
export function cycle(scope: string, path: readonly string[]): DiError {
  return new DiError('E_DI_CYCLE', `scope '${scope}': dependency cycle: ${path.join(' → ')}`, { scope, token: path[path.length - 1]!, path });
}

/** `E_DI_MISSING`: nothing provides `token`; `known` are the tokens the scope and its parents provide. */
export function missingError(scope: string, token: unknown, frame: Frame | undefined, known: readonly unknown[], hasParents: boolean): DiError {
  const name = tokenName(token);
  const shorts = known.map(shortName);
  const near = closestName(shortName(token), shorts);
  const suggestion = near === undefined ? undefined : tokenName(known[shorts.indexOf(near)]);
  const who = frame === undefined ? `${name} was requested` : `${frame.label} needs ${name}`;
  const path = [...framePath(frame), name];
  const parts = [`scope '${scope}': ${who}, but nothing provides it in scope '${scope}'${hasParents ? ' or its parents' : ''}`];
  if (suggestion !== undefined) parts[0] += ` (did you mean ${suggestion}?)`;
  if (path.length > 2) parts.push(`path: ${path.join(' → ')}`);
  parts.push(known.length === 0 ? 'nothing is provided' : `provided: ${list(known.map(tokenName))}`);
  const hint = hintFor(token);
  if (hint !== undefined) parts.push(hint);
  return new DiError('E_DI_MISSING', parts.join('; '), { scope, token: name, path, ...(suggestion === undefined ? {} : { suggestion }) });
}

function hintFor(token: unknown): string | undefined {
  if (token === TOKENS.Config) return 'TOKENS.Config exists only while registry.new(name, cfg) builds a factory product';
  if (token === TOKENS.Discovery || token === TOKENS.Registrar) {
    return `provide the backend, e.g. scope.provide(${tokenName(token)}, { useFactory: () => createRegistry('memory://') })`;
  }
  return undefined;
}

/** `E_DI_ASYNC`: a synchronous lookup met `label`'s async provider before it settled. */
export function asyncError(scope: string, label: string, frame: Frame | undefined): DiError {
  const path = [...framePath(frame), label];
  const via = path.length > 1 ? ` (needed by ${path.slice(0, -1).join(' → ')})` : '';
  return new DiError(
    'E_DI_ASYNC',
    `scope '${scope}': ${label} has an async provider that has not settled yet${via}; build it with \`await scope.resolve(…)\`, which waits for async providers (scope.get() and inject() cannot wait)`,
    { scope, token: label, path },
  );
}

/** `E_DI_DISPOSED`: the scope was disposed. */
export function disposedError(scope: string): DiError {
  return new DiError('E_DI_DISPOSED', `scope '${scope}' was disposed; it provides and builds nothing more`, { scope });
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 20);
  if (names.length > 20) shown.push(`… ${names.length - 20} more`);
  return shown.join(', ');
}
