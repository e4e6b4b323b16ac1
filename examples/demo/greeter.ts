/** One instance of the "greeter" HTTP service: `GET /hello?name=Ada&lang=es`. */
import { createServer, type Server } from 'node:http';
import type { ImplementationRegistry } from '../../src/container/index.js';
import { App, type Registrar } from '../../src/discovery/index.js';

export interface Greeter {
  id: string;
  url: string;
  app: App;
  server: Server;
}

export async function startGreeter(id: string, greetings: ImplementationRegistry<(name: string) => string>, registrar: Registrar): Promise<Greeter> {
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const greet = greetings.get(q.get('lang') ?? 'en') ?? greetings.mustGet('en');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ from: id, text: greet(q.get('name') ?? 'world') }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // The demo handles Ctrl-C itself, once for all three instances.
  const app = new App({
    id,
    name: 'greeter',
    version: 'v1',
    endpoints: [url],
    registrar,
    handleSignals: false,
    onStop: [() => new Promise((r) => server.close(r))],
  });
  await app.start();
  return { id, url, app, server };
}
