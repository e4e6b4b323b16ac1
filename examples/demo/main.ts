/**
 * The plugboard demo (`npm start`): every part in one short run.
 *   1. storage drivers that registered themselves by decorator, built through a validated factory;
 *   2. a plugin loaded from ./plugins, its registration attributed to it;
 *   3. an inversify container that injects Discovery into a client;
 *   4. three HTTP "greeter" instances registered in the discovery backend;
 *   5. the client calling discovery:///greeter through a round-robin balancer;
 *   6. one instance stopped, and the watcher reacting;
 *   then the /debug/registry dashboard, served until Ctrl-C.
 * Backend: the embedded memory one, or `--registry etcd://127.0.0.1:2379` (or PLUGBOARD_REGISTRY).
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FactoryRegistry, ImplementationRegistry, Scope, setDefaultScope } from '../../src/container/index.js';
import { plugboardModule } from '../../src/container/di/inversify.js';
import { createRegistry, type ServiceRegistry } from '../../src/discovery/index.js';
import { serveDebug, ServiceTracker, silentLogger } from '../../src/observability/index.js';
import { findPlugins, PluginHost } from '../../src/plugins/index.js';
import { GreeterClient } from './client.js';
import { describeFailure } from './failure.js';
import { startGreeter, type Greeter } from './greeter.js';

// A backend that cannot be reached (or any other failure) ends the demo with one clear line and
// exit code 2; the stack trace only with DEBUG set.
process.on('uncaughtException', (err) => {
  console.error(`demo: ${describeFailure(err)}`);
  if (process.env['DEBUG']) console.error(err);
  process.exit(2);
});

const here = dirname(fileURLToPath(import.meta.url));
const registryUrl = flag('--registry') ?? process.env['PLUGBOARD_REGISTRY'] ?? 'memory://demo';
const say = (line: string): void => console.log(line);

// One scope for the app: set it as the default before the drivers are imported, so their
// decorators register here.
const scope = new Scope('demo');
setDefaultScope(scope);
await import('./drivers/storage.js');

say(`plugboard demo · discovery ${registryUrl}`);

// 1. Storage: drivers registered themselves; `new` validates the config.
const storage = scope.registry('storage', FactoryRegistry<{ driver: string; put(k: string, v: string): void; get(k: string): string | undefined }>);
const store = await storage.new('memory', { capacity: 10 });
store.put('greeting', 'hello');
say(`[1/6] storage drivers (by decorator): ${storage.names().join(', ')}; memory store read back '${store.get('greeting')}'`);

// 2. Plugins: the host extends `greetings`; a plugin from ./plugins adds Spanish.
const greetings = scope.registry('greetings', ImplementationRegistry<(name: string) => string>);
greetings.register('en', (name) => `Hello, ${name}!`);
const plugins = new PluginHost({ scope, root: here, logger: silentLogger });
const report = await plugins.load(findPlugins({ root: here, packageJson: false, directories: ['plugins'] }));
plugins.assertHealthy();
await plugins.start();
for (const p of report.plugins)
  say(
    `[2/6] plugin ${p.name} ${p.version} loaded from plugins/ (${Object.entries(p.registrations)
      .map(([r, k]) => `${r}: ${k.join(', ')}`)
      .join('; ')})`,
  );

// 3. Discovery, injected by inversify.
await importBackend(registryUrl);
const discovery: ServiceRegistry = await createRegistry(registryUrl);
const container = new Container();
container.load(plugboardModule(scope, { discovery }));
container.bind(GreeterClient).toSelf().inSingletonScope();
const client = container.get(GreeterClient);
say(`[3/6] inversify injected Discovery (${discovery.backend}) into GreeterClient`);

// 4. Three greeter instances register themselves.
const greeters: Greeter[] = [];
for (const n of [1, 2, 3]) greeters.push(await startGreeter(`greeter-${n}`, greetings, discovery));
say(`[4/6] 3 greeter instances registered: ${greeters.map((g) => `${g.id} ${g.url}`).join(', ')}`);

// A watcher, as any consumer would follow the service; the dashboard shows it too.
const tracker = new ServiceTracker(discovery);
await tracker.track('greeter');
const watcher = await discovery.watch('greeter');
await watcher.next();

// 5. The client calls the service by name; the balancer spreads the calls.
say('[5/6] client → discovery:///greeter (round-robin):');
for (let i = 1; i <= 6; i++) {
  const r = await client.hello('Ada', i % 3 === 0 ? 'es' : 'en');
  say(`      call ${i}: "${r.text}" from ${r.from}`);
}

// 6. Stop one instance: it deregisters, and the watcher sees the new list.
const leaving = greeters[1]!;
await leaving.app.stop();
let list = await watcher.next();
while (list.some((i) => i.id === leaving.id)) list = await watcher.next();
say(`[6/6] stopped ${leaving.id}; the watcher now sees ${list.length}: ${list.map((i) => i.id).join(', ')}`);
for (let i = 1; i <= 2; i++) {
  const r = await client.hello('Grace');
  say(`      call ${i}: "${r.text}" from ${r.from}`);
}

const dashboard = await serveDebug({ scope, plugins, services: [tracker] });
// The CLI compiled next to the demo: `npx plugboard` where plugboard is installed.
const cli = relative(process.cwd(), fileURLToPath(new URL('../../src/cli/plugboard.js', import.meta.url)));
say(`dashboard: ${dashboard.url}  (JSON: ${dashboard.url}.json; CLI: node ${cli} inspect ${dashboard.url})`);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  watcher.stop();
  tracker.stop();
  await client.close();
  await Promise.all(greeters.map((g) => g.app.stop()));
  await plugins.stop();
  await dashboard.close();
  await discovery.close();
  say('stopped');
};
// `on`, not `once`: under `npm start`, Ctrl-C reaches the demo twice (from the terminal and forwarded).
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
// Only now: whoever reads "ready" may send Ctrl-C at once.
say('ready — Ctrl-C to stop');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  return process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** Backends other than memory register when their module is imported. */
async function importBackend(url: string): Promise<void> {
  const scheme = url.slice(0, url.indexOf(':'));
  if (scheme === 'etcd' || scheme === 'etcds') await import('../../src/discovery/etcd/index.js');
  else if (scheme === 'zookeeper') await import('../../src/discovery/zookeeper/index.js');
  else if (scheme === 'consul') await import('../../src/discovery/consul/index.js');
}
