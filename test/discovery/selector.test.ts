import { expect } from 'chai';
import {
  DiscoveryError,
  MemoryRegistry,
  MemoryStore,
  metadataFilter,
  Selector,
  versionFilter,
  type Discovery,
  type ServiceInstance,
  type Watcher,
} from '../../src/discovery/index.js';
import { instance, uniqueName } from './contract.js';

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Selector', () => {
  it('follows the watcher through filters, and applies a real empty list', async () => {
    const r = new MemoryRegistry({ store: new MemoryStore() });
    const name = uniqueName();
    await r.register(instance(name, 'a', { version: 'v1', metadata: { zone: 'eu' } }));
    await r.register(instance(name, 'b', { version: 'v2', metadata: { zone: 'eu' } }));
    await r.register(instance(name, 'c', { version: 'v2', metadata: { zone: 'us' } }));
    const sel = new Selector({ discovery: r, name, filters: [versionFilter('v2'), metadataFilter({ zone: 'eu' })] });
    await sel.start();
    expect(sel.pick().instance.id).to.equal('b');
    await r.deregister(instance(name, 'b'));
    await eventually(() => sel.nodes().length === 0);
    let err: unknown;
    try {
      sel.pick();
    } catch (e) {
      err = e;
    }
    expect((err as DiscoveryError).code).to.equal('E_DISCOVERY_NO_NODES');
    expect((err as Error).message).to.include(`service '${name}'`).and.include('version=v2').and.include('metadata zone=eu');
    await sel.close();
    await r.close();
  });

  it('keeps the last good list when the watcher fails transiently, then re-watches', async () => {
    const list: ServiceInstance[] = [instance('flaky', 'a')];
    let watches = 0;
    const discovery: Discovery = {
      getService: async () => list,
      watch: async () => {
        watches++;
        let calls = 0;
        let wake: ((e: unknown) => void) | undefined;
        const w: Watcher = {
          health: { healthy: true, since: 0 },
          stopped: false,
          next: async () => {
            calls++;
            if (watches === 1 && calls === 2) throw new DiscoveryError('E_DISCOVERY_BACKEND', 'connection reset');
            if (calls === 1) return list;
            return new Promise((_, reject) => (wake = reject));
          },
          stop: () => wake?.(new DiscoveryError('E_DISCOVERY_STOPPED', 'stopped')),
          [Symbol.asyncIterator]: () => {
            throw new Error('unused');
          },
        };
        return w;
      },
    };
    const sel = new Selector({ discovery, name: 'flaky', retryMs: 10 });
    await sel.start();
    await eventually(() => watches === 2);
    expect(sel.pick().instance.id).to.equal('a', 'the last good list is kept across the failure');
    await sel.close();
  });

  it('says when pick() is called before start()', () => {
    const sel = new Selector({ discovery: new MemoryRegistry({ store: new MemoryStore() }), name: 'x' });
    expect(() => sel.pick()).to.throw(DiscoveryError, 'not started');
  });
});
