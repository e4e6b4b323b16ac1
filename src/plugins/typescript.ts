/**
 * Plugin files written in TypeScript (`.ts`, `.mts`, `.cts`) are found only when this process
 * can import them: under tsx, ts-node or another loader, or Node's own type stripping. Found
 * without one, importing them would fail; skipping them silently would find nothing and say
 * nothing. So they are skipped with one warning per directory.
 */
import Module from 'node:module';

/** A TypeScript module file, declaration files excluded. */
export function isTypeScriptModule(file: string): boolean {
  return /\.(m|c)?ts$/.test(file) && !/\.d\.(m|c)?ts$/.test(file);
}

/** Loaders seen in the process's flags (`--import tsx`, `--require ts-node/register`, …). */
const LOADER = /(^|[\\/\s=@])(tsx|ts-node|@swc-node[\\/]register|esbuild-register|jiti)([\\/\s.]|$)/;

/** Whether this process can import `.ts` files: Node's type stripping, a CJS hook for `.ts`, or a loader among its flags. */
export function canLoadTypeScript(): boolean {
  if ((process.features as { typescript?: unknown }).typescript) return true;
  const extensions = (Module as unknown as { _extensions?: Record<string, unknown> })._extensions;
  if (extensions?.['.ts'] !== undefined) return true;
  return [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => LOADER.test(a));
}

const warned = new Set<string>();

/** Warns once per directory that its TypeScript files were skipped. */
export function warnSkippedTypeScript(directory: string, label: string, files: readonly string[]): void {
  if (files.length === 0 || warned.has(directory)) return;
  warned.add(directory);
  const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? `, … ${files.length - 5} more` : '');
  process.emitWarning(
    `${label}: skipped ${files.length} TypeScript file${files.length === 1 ? '' : 's'} (${shown}): this process has no TypeScript loader; run it under tsx (or ts-node, or Node ≥ 23.6), build the plugins to .js, or pass typescript: true if a loader is registered in a way plugboard does not see`,
    { code: 'PLUGBOARD_PLUGIN_TS_SKIPPED' },
  );
}
