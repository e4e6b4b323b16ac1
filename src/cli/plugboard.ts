#!/usr/bin/env node
/**
 * The `plugboard` command line: `ls`, `watch` and `inspect`. Exit codes: 0 ok, 1 usage
 * (bad arguments or URL), 2 backend or app unreachable.
 * @module
 */
import { readFileSync } from 'node:fs';
import { PlugboardError } from '../container/errors.js';
import { createRegistry } from '../discovery/backends.js';
import '../discovery/index.js'; // the memory backend
import type { ServiceRegistry } from '../discovery/types.js';
import type { DebugSnapshot } from '../observability/debug-snapshot.js';
import { parseArgs, USAGE, UsageError, type CliArgs } from './args.js';
import { columns, snapshotText, watchLine } from './render.js';

/** Thrown when the backend or app cannot be reached: exit code 2. */
class UnreachableError extends Error {}

const OPTIONAL_BACKENDS: Record<string, string> = {
  etcd: '../discovery/etcd/index.js',
  etcds: '../discovery/etcd/index.js',
  zookeeper: '../discovery/zookeeper/index.js',
  consul: '../discovery/consul/index.js',
  consuls: '../discovery/consul/index.js',
};

async function open(url: string): Promise<ServiceRegistry> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const mod = scheme === undefined ? undefined : OPTIONAL_BACKENDS[scheme];
  if (mod !== undefined && scheme !== undefined) {
    try {
      await import(mod);
    } catch (err) {
      throw new UsageError(
        `the ${scheme} backend could not be loaded (is its client installed? npm i ${scheme.startsWith('etcd') ? 'etcd3' : scheme.startsWith('consul') ? 'consul' : 'zookeeper'}): ${(err as Error).message}`,
      );
    }
  }
  try {
    return await createRegistry(url, { logger: { warn: (m: string) => process.stderr.write(`warning: ${m}\n`) } });
  } catch (err) {
    if (err instanceof PlugboardError && err.code === 'E_DISCOVERY_URL') throw new UsageError(err.message);
    throw new UnreachableError((err as Error).message);
  }
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new UnreachableError(`${what}: no answer within ${ms} ms`)), ms))),
    ]);
  } catch (err) {
    if (err instanceof UnreachableError || err instanceof UsageError) throw err;
    throw new UnreachableError(`${what}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

async function ls(a: CliArgs): Promise<void> {
  const [url] = need(a, ['registry-url']);
  const r = await open(url);
  const rows = await within(
    a.timeoutMs,
    `listing ${url}`,
    (async () => {
      const names = await r.services();
      return Promise.all(names.map(async (n) => ({ service: n, instances: (await r.getService(n)).length })));
    })(),
  );
  await r.close().catch(() => undefined);
  if (a.json) console.log(JSON.stringify(rows));
  else if (rows.length === 0) console.log('no services');
  else console.log(columns([['SERVICE', 'INSTANCES'], ...rows.map((x) => [x.service, String(x.instances)])]));
}

async function watch(a: CliArgs): Promise<void> {
  const [url, service] = need(a, ['registry-url', 'service']);
  const r = await open(url);
  const w = await within(a.timeoutMs, `watching ${service} at ${url}`, r.watch(service));
  const stop = (): void => w.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const first = await within(a.timeoutMs, `watching ${service} at ${url}`, w.next());
  const print = (list: Awaited<ReturnType<typeof w.next>>): void => {
    if (a.json) console.log(JSON.stringify({ at: new Date().toISOString(), service, healthy: w.health.healthy, instances: list }));
    else console.log(watchLine(service, list, w.health.healthy));
  };
  print(first);
  for await (const list of w) print(list);
  await r.close().catch(() => undefined);
}

async function inspect(a: CliArgs): Promise<void> {
  const [raw] = need(a, ['url']);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`'${raw}' is not a URL (e.g. http://127.0.0.1:9464/debug/registry)`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/debug/registry.json';
  else if (!url.pathname.endsWith('.json')) url.pathname = `${url.pathname.replace(/\/+$/, '')}.json`;
  const res = await within(a.timeoutMs, `fetching ${url.href}`, fetch(url, { headers: { accept: 'application/json' } }));
  if (!res.ok) throw new UnreachableError(`fetching ${url.href}: HTTP ${res.status}`);
  const snap = (await within(a.timeoutMs, `reading ${url.href}`, res.json())) as DebugSnapshot;
  if (a.json) console.log(JSON.stringify(snap, null, 2));
  else console.log(snapshotText(snap));
}

/** The version in plugboard's own package.json, found upwards from this file (dist/esm/cli, or a test build). */
function ownVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'plugboard') return pkg.version ?? 'unknown';
    } catch {
      // not here
    }
  }
  return 'unknown';
}

function need<N extends string[]>(a: CliArgs, names: [...N]): { [K in keyof N]: string } {
  if (a.positional.length !== names.length) throw new UsageError(`${a.command} needs ${names.map((n) => `<${n}>`).join(' ')}`);
  return a.positional as { [K in keyof N]: string };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (a.version) {
      console.log(ownVersion());
      return 0;
    }
    if (a.help || a.command === undefined) {
      console.log(USAGE);
      return a.help ? 0 : 1;
    }
    const commands: Record<string, (a: CliArgs) => Promise<void>> = { ls, watch, inspect };
    const run = commands[a.command];
    if (run === undefined) throw new UsageError(`unknown command '${a.command}'`);
    await run(a);
    return 0;
  } catch (err) {
    const code = err instanceof UsageError ? 1 : 2;
    console.error(`plugboard: ${(err as Error).message}${code === 1 ? '\n(plugboard --help for usage)' : ''}`);
    // One line for the user; the stack trace (and causes) only when asked for.
    if (code === 2 && process.env['DEBUG']) console.error(err);
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
// Backend clients may hold sockets open after a failure; the answer is given.
if (process.exitCode !== 0) process.exit(process.exitCode);
