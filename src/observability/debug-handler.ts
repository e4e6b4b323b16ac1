import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { defaultScope } from '../container/default-scope.js';
import { PlugboardError } from '../container/errors.js';
import type { Scope } from '../container/scope.js';
import { DEBUG_PAGE } from './debug-page.js';
import { debugSnapshot, type DebugSources } from './debug-snapshot.js';

/** Options of {@link debugHandler}. */
export interface DebugHandlerOptions extends Partial<DebugSources> {
  /** Where it answers (default `/debug/registry`): the page there, JSON at `.json`, events at `/events`. */
  basePath?: string;
}

/** A `node:http` handler; with `next` (express, connect), other paths are passed on. */
export type DebugHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * The `/debug/registry` endpoint: an HTML page, live through Server-Sent Events, and the same
 * data as JSON. Read-only (anything but GET/HEAD is 405), and it reveals internals: keep it on
 * loopback ({@link serveDebug} refuses other addresses unless told). Mount it with
 * `http.createServer(debugHandler())`, `app.use(debugHandler())` in express, or
 * `fastify.get('/debug/registry*', (req, reply) => { reply.hijack(); handler(req.raw, reply.raw); })`.
 */
export function debugHandler(opts: DebugHandlerOptions = {}): DebugHandler {
  const base = (opts.basePath ?? '/debug/registry').replace(/\/+$/, '');
  const sources = (): DebugSources => ({
    scope: opts.scope ?? defaultScope(),
    ...(opts.plugins === undefined ? {} : { plugins: opts.plugins }),
    ...(opts.services === undefined ? {} : { services: opts.services }),
  });
  return (req, res, next) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    const route = path === base ? 'page' : path === `${base}.json` ? 'json' : path === `${base}/events` ? 'events' : undefined;
    if (route === undefined) {
      if (next !== undefined) return next();
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found; try ${base}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('read-only');
      return;
    }
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (route === 'page') {
      res.writeHead(200, {
        ...headers,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      res.end(DEBUG_PAGE.replace('__EVENTS__', `${base}/events`).replace('__JSON__', `${base}.json`));
      return;
    }
    if (route === 'json') {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(debugSnapshot(sources()), null, 2));
      return;
    }
    streamEvents(sources(), res, headers);
  };
}

/** Sends a snapshot at once, then again after every change (registries at once, plugins and health within a second). */
function streamEvents(src: DebugSources, res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
  let last = '';
  let pending: NodeJS.Timeout | undefined;
  const send = (): void => {
    pending = undefined;
    const snap = debugSnapshot(src);
    const { generatedAt: _, ...comparable } = snap; // the time alone is not a change
    const key = JSON.stringify(comparable);
    if (key === last) return;
    last = key;
    res.write(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
  };
  const soon = (): void => {
    pending ??= setTimeout(send, 25);
  };
  const undo: Array<() => void> = [];
  const walk = (s: Scope): void => {
    for (const r of s.registries()) undo.push(r.onChange(soon));
    undo.push(s.onRegistryCreated((r) => undo.push(r.onChange(soon))));
    for (const c of s.children()) walk(c);
  };
  walk(src.scope);
  for (const t of src.services ?? []) undo.push(t.onChange(soon));
  const poll = setInterval(soon, 1000); // plugin reports and scope changes without events
  send();
  res.on('close', () => {
    clearInterval(poll);
    clearTimeout(pending);
    for (const fn of undo) fn();
  });
}

/** A running debug server. */
export interface DebugServer {
  /** The page's URL, e.g. `http://127.0.0.1:43123/debug/registry`. */
  url: string;
  port: number;
  /** Stops the server and closes open event streams. */
  close(): Promise<void>;
}

/** Options of {@link serveDebug}. */
export interface ServeDebugOptions extends DebugHandlerOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** Needed to bind anything but loopback: the page reveals internals. */
  allowRemote?: boolean;
}

/** Serves {@link debugHandler} on its own `node:http` server (loopback by default). */
export async function serveDebug(opts: ServeDebugOptions = {}): Promise<DebugServer> {
  const host = opts.host ?? '127.0.0.1';
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback && opts.allowRemote !== true) {
    throw new PlugboardError(
      'E_INVALID_OPTION',
      `serveDebug: refusing to bind '${host}': /debug/registry reveals internals; bind loopback, or pass allowRemote: true`,
      { key: 'host' },
    );
  }
  const server = createServer(debugHandler(opts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}${(opts.basePath ?? '/debug/registry').replace(/\/+$/, '')}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
