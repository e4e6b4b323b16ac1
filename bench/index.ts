import { decoratorsBench } from './decorators.js';
import { diBench } from './di.js';
import { discoveryBench } from './discovery.js';
import { etcdBench } from './etcd.js';
import { pluginsBench } from './plugins.js';
import { registryBench } from './registry.js';
import { zookeeperBench } from './zookeeper.js';

const sections = process.argv.slice(2);
const all = sections.length === 0;
console.log(`plugboard benchmarks — node ${process.version}, ${process.platform}/${process.arch}\n`);
if (all || sections.includes('registry')) await registryBench();
if (all || sections.includes('decorators')) await decoratorsBench();
if (all || sections.includes('di')) await diBench();
if (all || sections.includes('plugins')) await pluginsBench();
if (all || sections.includes('discovery')) await discoveryBench();
if (all || sections.includes('etcd')) await etcdBench();
if (all || sections.includes('zookeeper')) await zookeeperBench();
