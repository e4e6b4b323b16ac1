/**
 * Backend clients are optional peer dependencies (`etcd3`, `consul`, `zookeeper`): importing a
 * backend module must work without them, and the first use says which package is missing and
 * how to install it, as `E_DISCOVERY_BACKEND`, rather than Node's raw `ERR_MODULE_NOT_FOUND`.
 * They are loaded with `require`, synchronously (registries are built in constructors), from
 * where this module is, in the ESM build and the CJS build alike.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiscoveryError } from './errors.js';

/** This file's path, from a stack frame: `import.meta.url` does not exist in the CJS build, nor `__filename` in the ESM one. */
function here(): string | undefined {
  const frame = /(file:\/\/\/[^\s:)]+|\/[^\s:)]+\.[cm]?[jt]s)/.exec(new Error().stack?.split('\n')[1] ?? '')?.[1];
  if (frame === undefined) return undefined;
  return frame.startsWith('file:') ? fileURLToPath(frame) : frame;
}

/** Where peers are looked for: beside this module, then from the working directory. */
function bases(): string[] {
  const from = here();
  return [...(from === undefined ? [] : [from]), join(process.cwd(), 'index.js')];
}

/** `E_DISCOVERY_BACKEND`: `pkg`, which `backend` needs, is not installed. */
export function missingPeer(backend: string, pkg: string, cause?: unknown): DiscoveryError {
  return new DiscoveryError('E_DISCOVERY_BACKEND', `${backend}: the '${pkg}' package is not installed (npm install ${pkg})`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

function isNotFound(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && err instanceof Error && err.message.includes(`'${pkg}'`);
}

/** The path `pkg` resolves to, or `E_DISCOVERY_BACKEND` naming the install command. */
export function resolvePeer(backend: string, pkg: string): string {
  let last: unknown;
  for (const base of bases()) {
    try {
      return createRequire(base).resolve(pkg);
    } catch (err) {
      last = err;
    }
  }
  throw missingPeer(backend, pkg, last);
}

const loaded = new Map<string, unknown>();

/** The module `pkg` (loaded once), or `E_DISCOVERY_BACKEND` naming the install command. */
export function requirePeer<T>(backend: string, pkg: string): T {
  if (loaded.has(pkg)) return loaded.get(pkg) as T;
  let last: unknown;
  for (const base of bases()) {
    try {
      const m = createRequire(base)(pkg) as T;
      loaded.set(pkg, m);
      return m;
    } catch (err) {
      if (!isNotFound(err, pkg)) throw err; // installed but broken: its own error says more
      last = err;
    }
  }
  throw missingPeer(backend, pkg, last);
}
