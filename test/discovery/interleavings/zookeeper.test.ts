import ZooKeeper from 'zookeeper';
import type { ServiceInstance } from '../../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../../src/discovery/zookeeper/index.js';
import { discoveryInterleavings, TcpProxy } from '../../../src/testing/index.js';
import { closeZk, expireSession, ZooKeeperServer } from '../../support/zookeeper-server.js';

interface RawZk {
  init(c: object): void;
  once(e: string, f: () => void): void;
  get_children(p: string, w: boolean): Promise<string[]>;
  get(p: string, w: boolean): Promise<[unknown, Buffer]>;
  close(): void;
}

describe('interleavings: zookeeper (real ZooKeeper)', function () {
  this.timeout(60_000);
  let server: ZooKeeperServer;
  let proxy: TcpProxy;
  let raw: RawZk;
  const root = '/interleave';

  before(async () => {
    server = await ZooKeeperServer.start();
    proxy = await TcpProxy.start(server.port);
    raw = new (ZooKeeper as unknown as new (c: object) => RawZk)({ connect: server.connect, timeout: 20_000, debug_level: (ZooKeeper as unknown as { constants: Record<string, number> }).constants['ZOO_LOG_LEVEL_ERROR'] });
    await new Promise<void>((r) => {
      raw.once('connect', () => r());
      raw.init({});
    });
  });
  after(async () => {
    if (raw !== undefined) await closeZk(raw);
    await proxy?.close();
    await server?.destroy();
  });

  discoveryInterleavings('zookeeper', {
    client: async (kit) => new ZooKeeperRegistry({ connect: proxy.address, root, sessionTimeout: 2000, ...kit }),
    observe: async (name) => {
      const children = await raw.get_children(`${root}/${name}`, false).catch((err: Error) => (/^-101/.test(err.message) ? [] : Promise.reject(err)));
      const out: ServiceInstance[] = [];
      for (const id of children) {
        const got = await raw.get(`${root}/${name}/${id}`, false).catch(() => undefined);
        if (got !== undefined) out.push(JSON.parse(got[1].toString()) as ServiceInstance);
      }
      return out;
    },
    faults: {
      // The server ends a client's session (what an expiry looks like to its owner).
      expire: async ({ clients }) => {
        for (const c of clients) {
          const session = (c as ZooKeeperRegistry).session();
          if (session !== undefined) await expireSession(server.connect, session);
        }
      },
      // The clients lose their connection for a moment (shorter than the session timeout).
      cut: async () => {
        await proxy.cut();
        await new Promise((r) => setTimeout(r, 100));
        await proxy.restore();
      },
    },
  }, { ...(process.env['PLUGBOARD_IL_SEED'] === undefined ? {} : { seed: Number(process.env['PLUGBOARD_IL_SEED']), path: process.env['PLUGBOARD_IL_PATH'] }) });
});
