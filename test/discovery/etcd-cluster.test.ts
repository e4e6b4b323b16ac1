import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { EtcdRegistry } from '../../src/discovery/etcd/index.js';
import type { ServiceInstance, Watcher } from '../../src/discovery/index.js';
import { EtcdCluster, type EtcdMember } from '../support/servers/etcd.js';
import { nextWithin, uniqueName } from './contract.js';

/** The member that is the raft leader now, asked of each running member. */
async function leader(cluster: EtcdCluster): Promise<EtcdMember | undefined> {
  for (const m of cluster.members.filter((x) => x.running)) {
    const c = new Etcd3({ hosts: [m.clientUrl], dialTimeout: 1000 });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return m;
    } catch {
      /* this member is not answering; ask the next */
    } finally {
      c.close();
    }
  }
  return undefined;
}

describe('etcd 3-node cluster: leader killed 5 times during churn (real etcd)', function () {
  this.timeout(240_000);
  let cluster: EtcdCluster;
  const children: ChildProcess[] = [];

  before(async () => {
    cluster = await EtcdCluster.start(3);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await cluster?.destroy();
  });

  it('every watcher ends with exactly the ground truth: 0 lost, 0 ghost instances', async () => {
    const name = uniqueName('churn');
    const prefix = '/chaos';
    const watchers: Array<{ r: EtcdRegistry; w: Watcher; view: ServiceInstance[] }> = [];
    for (let i = 0; i < 2; i++) {
      const r = new EtcdRegistry({ hosts: cluster.endpoints }, { prefix, ttl: '5s', logger: { warn: () => undefined } });
      const w = await r.watch(name);
      watchers.push({ r, w, view: await nextWithin(w, 10_000) });
    }
    const following = watchers.map(async (x) => {
      for await (const list of x.w) x.view = list;
    });

    const finals: Array<Promise<string[]>> = ['p0', 'p1'].map((tag) => {
      const child = spawn(process.execPath, ['.build/legacy/test/discovery/fixtures/etcd-churn.js', cluster.endpoints.join(','), prefix, name, tag, '500'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /done (\[.*\])/.exec(out);
          if (m !== null) resolve(JSON.parse(m[1]!) as string[]);
        });
        child.once('exit', (code) => reject(new Error(`churn child ${tag} exited (${code}) before finishing`)));
      });
    });

    let kills = 0;
    while (kills < 5) {
      await new Promise((r) => setTimeout(r, 600));
      const l = await leader(cluster);
      if (l === undefined) continue;
      await l.kill();
      kills++;
      await new Promise((r) => setTimeout(r, 800));
      l.start();
      await cluster.waitHealthy(60_000);
    }
    const truth = (await Promise.all(finals)).flat().sort();
    const started = Date.now();
    const deadline = started + 60_000;
    const converged = (): boolean =>
      watchers.every(
        (x) =>
          x.view
            .map((i) => i.id)
            .sort()
            .join() === truth.join(),
      );
    while (!converged() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const took = Date.now() - started;
    for (const x of watchers) {
      const seen = new Set(x.view.map((i) => i.id));
      const lost = truth.filter((id) => !seen.has(id));
      const ghost = [...seen].filter((id) => !truth.includes(id));
      expect({ lost: lost.length, ghost: ghost.length }).to.deep.equal({ lost: 0, ghost: 0 });
    }
    console.log(`      (ground truth ${truth.length} instances after 5 leader kills; watchers converged ${took} ms after the churn ended)`);
    for (const x of watchers) x.w.stop();
    await Promise.all(following);
    await Promise.all(watchers.map((x) => x.r.close()));
  });
});
