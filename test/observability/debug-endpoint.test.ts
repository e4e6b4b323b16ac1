import { expect } from 'chai';
import express from 'express';
import Fastify from 'fastify';
import { request } from 'node:http';
import { PlugboardError } from '../../src/container/index.js';
import { debugHandler, serveDebug, type DebugSnapshot } from '../../src/observability/index.js';
import { expectRejection } from '../support/expect-error.js';
import { startDashboardApp, type DashboardApp } from './fixtures/dashboard-app.js';

/** Reads Server-Sent Events until `until` accepts one; returns the snapshots seen. */
function readEvents(url: string, until: (s: DebugSnapshot) => boolean, ms = 5000): Promise<DebugSnapshot[]> {
  return new Promise((resolve, reject) => {
    const seen: DebugSnapshot[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no matching event within ${ms} ms (${seen.length} seen)`));
    }, ms);
    const req = request(url, (res) => {
      expect(res.headers['content-type']).to.equal('text/event-stream');
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data === undefined) continue;
          const snap = JSON.parse(data.slice(6)) as DebugSnapshot;
          seen.push(snap);
          if (until(snap)) {
            clearTimeout(timer);
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
  });
}

describe('observability: /debug/registry', () => {
  let app: DashboardApp;
  beforeEach(async () => {
    app = await startDashboardApp();
  });
  afterEach(() => app.close());

  it('JSON lists scopes, registries with kind/state/version and entries with sites and owners, plugins and services', async () => {
    const snap = (await (await fetch(`${app.url}.json`)).json()) as DebugSnapshot;
    expect(snap.scope.name).to.equal('app');
    const storage = snap.scope.registries.find((r) => r.id === 'storage')!;
    expect(storage).to.include({ kind: 'factory', state: 'populated', size: 2 });
    expect(storage.entries.find((e) => e.key === 's3')).to.include({ owner: 'storage-s3' });
    expect(storage.entries.find((e) => e.key === 'memory')!.site).to.match(/dashboard-app\.ts:\d+/);
    expect(snap.plugins!.plugins[0]).to.include({ name: 'storage-s3', state: 'started' });
    expect(snap.services[0]).to.include({ service: 'greeter', backend: 'memory', healthy: true });
    expect(snap.services[0]!.instances.map((i) => i.id)).to.deep.equal(['greeter-1', 'greeter-2', 'greeter-3']);
  });

  it('streams a new snapshot over SSE when a registry or a service changes', async () => {
    const first = readEvents(`${app.url}/events`, (s) => s.scope.registries.find((r) => r.id === 'codecs')!.entries.some((e) => e.key === 'yaml'));
    setTimeout(() => app.codecs.register('yaml', 'text/yaml'), 100);
    const seen = await first;
    expect(seen.length).to.be.at.least(2, 'an initial snapshot, then the change');
    const gone = readEvents(`${app.url}/events`, (s) => s.services[0]!.instances.length === 2);
    setTimeout(() => void app.discovery.deregister({ id: 'greeter-2', name: 'greeter', endpoints: ['http://127.0.0.1:8002'] }), 100);
    expect((await gone).at(-1)!.services[0]!.instances.map((i) => i.id)).to.deep.equal(['greeter-1', 'greeter-3']);
  });

  it('serves one self-contained page: no external assets, read-only', async () => {
    const res = await fetch(app.url);
    expect(res.headers.get('content-type')).to.include('text/html');
    expect(res.headers.get('content-security-policy')).to.include("default-src 'none'");
    const html = await res.text();
    expect(html).to.not.match(/(src|href)=["']?(https?:)?\/\//);
    expect(html).to.include('/debug/registry/events');
    expect((await fetch(app.url, { method: 'POST' })).status).to.equal(405);
    expect((await fetch(`${app.url}.json`, { method: 'DELETE' })).status).to.equal(405);
  });

  it('mounts in real express (app.use) and fastify (raw request and reply), SSE included', async () => {
    const handler = debugHandler({ scope: app.scope, plugins: app.plugins, services: [app.tracker] });
    const ex = express();
    ex.use(handler);
    ex.get('/api/ping', (_req, res) => void res.send('pong'));
    const exServer = await new Promise<import('node:http').Server>((r) => {
      const s = ex.listen(0, '127.0.0.1', () => r(s));
    });
    const fa = Fastify();
    fa.get('/debug/registry*', (req, reply) => {
      reply.hijack(); // the handler writes the raw response (and keeps event streams open)
      handler(req.raw, reply.raw);
    });
    await fa.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const base of [
        `http://127.0.0.1:${(exServer.address() as { port: number }).port}`,
        `http://127.0.0.1:${(fa.server.address() as { port: number }).port}`,
      ]) {
        const snap = (await (await fetch(`${base}/debug/registry.json`)).json()) as DebugSnapshot;
        expect(snap.services[0]!.service).to.equal('greeter');
        expect(await (await fetch(`${base}/debug/registry`)).text()).to.include('<title>plugboard');
        const events = await readEvents(`${base}/debug/registry/events`, (s) => s.scope.name === 'app');
        expect(events).to.have.length(1);
      }
      expect(await (await fetch(`http://127.0.0.1:${(exServer.address() as { port: number }).port}/api/ping`)).text()).to.equal('pong');
    } finally {
      exServer.closeAllConnections();
      exServer.close();
      await fa.close();
    }
  });

  it('refuses to bind anything but loopback unless asked', async () => {
    await expectRejection(serveDebug({ scope: app.scope, host: '0.0.0.0' }), PlugboardError, 'E_INVALID_OPTION', 'reveals internals', 'allowRemote');
    const s = await serveDebug({ scope: app.scope, host: '0.0.0.0', allowRemote: true });
    expect((await fetch(`http://127.0.0.1:${s.port}/debug/registry.json`)).status).to.equal(200);
    await s.close();
  });
});
