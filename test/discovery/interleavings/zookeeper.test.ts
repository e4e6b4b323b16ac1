import ZooKeeper from 'zookeeper';
import type { ServiceInstance } from '../../../src/discovery/index.js';
import { ZooKeeperRegistry } from '../../../src/discovery/zookeeper/index.js';
import { isolatedClient } from '../../../src/discovery/zookeeper/zk-process.js';
import { discoveryInterleavings, TcpProxy } from '../../../src/testing/index.js';
import { closeZk, expireSession, ZooKeeperServer } from '../../support/servers/zookeeper.js';

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
    // The observer reads the store without plugboard's kit, but through the same process
    // isolation as the driver (src/discovery/zookeeper/zk-process.ts): a native client in this
    // process would share its event loop with the sockets and pipes of everything else here,
    // which is the binding fault the isolation exists for. response_counter_limit: see
    // NO_RESPONSE_LIMIT in src/discovery/zookeeper/zk-client.ts (this client lives across restarts).
    raw = isolatedClient({
      connect: server.connect,
      timeout: 20_000,
      debug_level: (ZooKeeper as unknown as { constants: Record<string, number> }).constants['ZOO_LOG_LEVEL_ERROR'],
      response_counter_limit: 2 ** 31 - 1,
    }) as unknown as RawZk;
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

  const observe = async (name: string): Promise<ServiceInstance[]> => {
    const children = await raw.get_children(`${root}/${name}`, false).catch((err: Error) => (/^-101/.test(err.message) ? [] : Promise.reject(err)));
    const out: ServiceInstance[] = [];
    for (const id of children) {
      const got = await raw.get(`${root}/${name}/${id}`, false).catch(() => undefined);
      if (got !== undefined) out.push(JSON.parse(got[1].toString()) as ServiceInstance);
    }
    return out;
  };
  // The server ends a client's session (what an expiry looks like to its owner).
  const expire = async ({ clients }: { clients: readonly unknown[] }): Promise<void> => {
    for (const c of clients) {
      const session = (c as ZooKeeperRegistry).session();
      if (session !== undefined) await expireSession(server.connect, session);
    }
  };
  const replay =
    process.env['PLUGBOARD_IL_SEED'] === undefined ? {} : { seed: Number(process.env['PLUGBOARD_IL_SEED']), path: process.env['PLUGBOARD_IL_PATH'] };

  // Through the proxy, to cut the clients' connections. A ZooKeeper restart is not among these
  // faults: before the native clients ran in processes of their own, clients reaching a
  // restarting ZooKeeper through the proxy were seen never to get a session again (their
  // handshakes timed out, while direct clients recovered). The binding's socket-tracking fault
  // (src/discovery/zookeeper/zk-process.ts) is the likely cause, but that is not verified, so
  // restarts still run below with direct connections.
  discoveryInterleavings(
    'zookeeper through a proxy',
    {
      client: async (kit) => new ZooKeeperRegistry({ connect: proxy.address, root, sessionTimeout: 2000, ...kit }),
      observe,
      faults: {
        expire,
        // The clients lose their connection for a moment (shorter than the session timeout).
        cut: async () => {
          await proxy.cut();
          await new Promise((r) => setTimeout(r, 100));
          await proxy.restore();
        },
      },
    },
    replay,
  );

  discoveryInterleavings(
    'zookeeper, restarted',
    {
      client: async (kit) => new ZooKeeperRegistry({ connect: server.connect, root, sessionTimeout: 2000, ...kit }),
      observe,
      faults: {
        expire,
        // ZooKeeper itself stops and starts again.
        restart: {
          weight: 0.25, // a JVM start (2–3 s): a quarter as often as an expiry (CI's time budget)
          run: async () => {
            await server.stopProcess();
            await server.startProcess();
          },
        },
      },
    },
    { runs: Number(process.env['PLUGBOARD_INTERLEAVING_RUNS']) || 100, ...replay },
  );
});
