/**
 * multi:// benchmark (issue #17): what one more layer costs on the memory backend, so the
 * figures are the layer's own work (a real backend's round trips dwarf them). A register +
 * deregister pair, and one change reaching a watcher, on one memory registry and on a multi
 * registry over two memory sources (which does the sources' work too: about 2× is the floor).
 */
import { MemoryRegistry, MemoryStore, MultiRegistry, type ServiceRegistry } from '../src/discovery/index.js';
import { measure, table } from './harness.js';

export async function multiBench(): Promise<string[]> {
  const single = new MemoryRegistry({ store: new MemoryStore() });
  const multi = new MultiRegistry([new MemoryRegistry({ store: new MemoryStore() }), new MemoryRegistry({ store: new MemoryStore() })]);
  const readers = new Map<ServiceRegistry, Awaited<ReturnType<ServiceRegistry['watch']>>>();
  for (const r of [single, multi]) {
    const w = await r.watch('bench-watched');
    await w.next();
    readers.set(r, w);
  }
  let n = 0;
  const pair = (r: ServiceRegistry) => async (): Promise<void> => {
    const i = { id: `i${++n}`, name: 'bench-pair', endpoints: ['http://h:1'] };
    await r.register(i);
    await r.deregister(i);
  };
  const seen = (r: ServiceRegistry) => async (): Promise<void> => {
    const w = readers.get(r)!;
    const i = { id: `w${++n}`, name: 'bench-watched', endpoints: ['http://h:1'] };
    await r.register(i);
    await w.next();
    await r.deregister(i);
    await w.next();
  };
  const writes = await measure('multi writes', [
    { name: 'memory: register + deregister', ops: 1, fn: pair(single) },
    { name: 'multi over 2 memory: register + deregister', ops: 1, fn: pair(multi) },
  ]);
  const watch = await measure('multi watch', [
    { name: 'memory: 2 changes seen by a watcher', ops: 1, fn: seen(single) },
    { name: 'multi over 2 memory: 2 changes seen by a watcher', ops: 1, fn: seen(multi) },
  ]);
  const out = [
    table('multi:// writes (register then deregister one instance)', writes, 'memory: register + deregister'),
    table('multi:// watch (register, watcher sees it, deregister, watcher sees it)', watch, 'memory: 2 changes seen by a watcher'),
  ];
  for (const w of readers.values()) w.stop();
  await Promise.all([single.close(), multi.close()]);
  return out;
}
