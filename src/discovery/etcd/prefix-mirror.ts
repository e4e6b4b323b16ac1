import type { Etcd3, IKeyValue, Watcher as EtcdWatcher } from 'etcd3';
import { parseStoredInstance, type ServiceInstance } from '../instance.js';
import type { WatchHub } from '../watch-hub.js';
import { backoff, sleep } from '../backoff.js';
import { etcdError } from './errors.js';

/**
 * A mirror of every instance under the prefix, kept by **one** list and **one** watch for all
 * watched service names: list at revision R, then watch the whole prefix from R+1, so no event
 * falls between the two. On compaction or cancellation it lists again and resumes; during an
 * outage the hub is marked degraded (watchers keep their last list) and etcd3 resumes the
 * watch from the last revision it saw.
 */
export class PrefixMirror {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #hub: WatchHub;
  readonly #warn: (msg: string) => void;
  readonly #retry: { minMs: number; maxMs: number };
  #services = new Map<string, Map<string, ServiceInstance>>();
  #watcher: EtcdWatcher | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;
  readonly #badKeys = new Set<string>();
  /** Values under the prefix that were not valid instances, skipped (counted once per key and revision). */
  skipped = 0;
  /** Number of etcd watches this mirror has open (0 or 1). */
  get watchCount(): number {
    return this.#watcher === undefined ? 0 : 1;
  }
  /** The revision the mirror was last listed at. */
  listedAt = 0;

  constructor(client: Etcd3, prefix: string, hub: WatchHub, warn: (msg: string) => void, retry: { minMs: number; maxMs: number }) {
    this.#client = client;
    this.#prefix = prefix;
    this.#hub = hub;
    this.#warn = warn;
    this.#retry = retry;
  }

  /** Starts the list+watch if needed, then publishes `name`'s list. */
  async follow(name: string): Promise<void> {
    this.#stopped = false;
    await this.ensure();
    this.#hub.publish(name, this.list(name));
  }

  /** Called when no watcher is left: closes the watch. */
  async unfollow(): Promise<void> {
    if (this.#hub.names().length > 0) return;
    await this.stop();
  }

  /** The mirrored instances of `name`. */
  list(name: string): ServiceInstance[] {
    return [...(this.#services.get(name)?.values() ?? [])];
  }

  /** Closes the watch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const w = this.#watcher;
    this.#watcher = undefined;
    this.#starting = undefined;
    this.#services.clear();
    if (w !== undefined) await cancelQuietly(w);
  }

  /** Parses one key/value under the prefix; `undefined` (counted, warned once per key) if it is not ours. */
  parse(key: string, value: Buffer | string): ServiceInstance | undefined {
    const rest = key.slice(this.#prefix.length + 1).split('/');
    const inst = rest.length === 2 ? parseStoredInstance(value) : undefined;
    if (inst !== undefined && inst.name === rest[0] && inst.id === rest[1]) return inst;
    this.skipped++;
    if (!this.#badKeys.has(key)) {
      this.#badKeys.add(key);
      this.#warn(`etcd: skipping ${key}: not a valid service instance at {prefix}/{name}/{id} (written by someone else?)`);
    }
    return undefined;
  }

  private ensure(): Promise<void> {
    this.#starting ??= this.start().catch((err) => {
      this.#starting = undefined;
      throw etcdError(`watch ${this.#prefix}`, err);
    });
    return this.#starting;
  }

  private async start(): Promise<void> {
    const revision = await this.relist();
    const w = await this.#client
      .watch()
      .prefix(`${this.#prefix}/`)
      .startRevision(String(revision + 1))
      .create();
    if (this.#stopped) {
      await cancelQuietly(w);
      return;
    }
    this.#watcher = w;
    w.on('put', (kv) => this.onPut(kv));
    w.on('delete', (kv) => this.onDelete(kv));
    w.on('disconnected', (err) => this.#hub.setHealth(false, err));
    w.on('connected', () => this.#hub.setHealth(true));
    w.on('error', (err) => void this.restart(w, err));
  }

  /** Lists the whole prefix, replaces the mirror, publishes every watched name; returns the revision. */
  private async relist(): Promise<number> {
    const res = await this.#client.getAll().prefix(`${this.#prefix}/`).exec();
    const next = new Map<string, Map<string, ServiceInstance>>();
    for (const kv of res.kvs) {
      const inst = this.parse(kv.key.toString(), kv.value);
      if (inst === undefined) continue;
      let svc = next.get(inst.name);
      if (svc === undefined) next.set(inst.name, (svc = new Map()));
      svc.set(inst.id, inst);
    }
    this.#services = next;
    for (const name of this.#hub.names()) this.#hub.publish(name, this.list(name));
    this.listedAt = Number(res.header.revision);
    return this.listedAt;
  }

  /** The watch was cancelled (compaction) or failed: list again and watch from the new revision, forever. */
  private async restart(w: EtcdWatcher, err: Error): Promise<void> {
    if (this.#watcher !== w || this.#stopped) return;
    this.#watcher = undefined;
    this.#hub.setHealth(false, err);
    await cancelQuietly(w);
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await this.start();
        this.#hub.setHealth(true);
        return;
      } catch (e) {
        if (attempt === 0) this.#warn(`etcd: re-establishing the watch on ${this.#prefix} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
        await sleep(backoff(attempt, this.#retry.minMs, this.#retry.maxMs));
      }
    }
  }

  private onPut(kv: IKeyValue): void {
    const key = kv.key.toString();
    const inst = this.parse(key, kv.value);
    if (inst === undefined) return this.remove(key); // a valid value replaced by garbage is gone
    let svc = this.#services.get(inst.name);
    if (svc === undefined) this.#services.set(inst.name, (svc = new Map()));
    svc.set(inst.id, inst);
    this.changed(inst.name);
  }

  private onDelete(kv: IKeyValue): void {
    this.remove(kv.key.toString());
  }

  private remove(key: string): void {
    const [name, id] = key.slice(this.#prefix.length + 1).split('/');
    if (name === undefined || id === undefined) return;
    if (this.#services.get(name)?.delete(id) === true) this.changed(name);
  }

  private changed(name: string): void {
    if (this.#hub.watching(name)) this.#hub.publish(name, this.list(name));
  }
}

/**
 * Cancels an etcd3 watcher without hanging: a watcher that etcd already cancelled (compaction)
 * is no longer attached, and etcd3's `cancel()` would wait for an 'end' that never comes.
 */
async function cancelQuietly(w: EtcdWatcher): Promise<void> {
  w.removeAllListeners();
  w.on('error', () => undefined);
  await Promise.race([w.cancel().catch(() => undefined), sleep(1000)]);
}
