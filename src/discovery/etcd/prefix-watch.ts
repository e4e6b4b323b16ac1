import type { Etcd3, IWatchResponse } from 'etcd3';
import { abortable } from '../driver/abort.js';
import type { FollowSink } from '../driver/follow.js';
import type { ServiceInstance } from '../instance.js';
import { DiscoveryError } from '../errors.js';
import { etcdError } from './errors.js';
import { pagedRange, prefixEnd } from './paged-range.js';

/** How the driver reads one key/value under the prefix: the instance, or the key it was at. */
export interface PrefixCodec {
  readonly prefix: string;
  /** The instance stored at `key`, or `undefined` (counted and warned once) when it is not one of ours. */
  parse(key: string, value: Buffer): ServiceInstance | undefined;
  /** `{name, id}` of a key under the prefix, or `undefined` for a key outside the layout. */
  keyOf(key: string): { name: string; id: string } | undefined;
}

/**
 * One subscription to everything under the prefix: a list at revision R, then a watch from
 * R+1, so no event falls between the two. It runs until `signal` fires; any trouble (the
 * stream breaks, etcd cancels the watch after a compaction) ends it with an error, and the
 * follow state machine starts a new one, which lists again.
 *
 * The watch is on etcd's raw Watch stream rather than etcd3's `Watcher`: etcd3's reconnect
 * timer is not ours to clear (it kept a closed client's process alive for up to 30 s), and the
 * follow state machine already owns retrying.
 */
export async function followPrefix(client: Etcd3, codec: PrefixCodec, sink: FollowSink, signal: AbortSignal, livenessMs: number): Promise<void> {
  const from = `${codec.prefix}/`;
  let revision: number;
  try {
    const res = await pagedRange(client, Buffer.from(from), prefixEnd(from), signal, `etcd: list ${from}`, { onPage: () => sink.alive() });
    const all: ServiceInstance[] = [];
    for (const kv of res.kvs) {
      const inst = codec.parse(kv.key.toString(), kv.value);
      if (inst !== undefined) all.push(inst);
    }
    sink.snapshot(all);
    revision = Number(res.revision);
  } catch (err) {
    if (signal.aborted) return;
    throw etcdError(`list ${from}`, err);
  }
  let stream;
  const opening = client.watchClient.watch();
  try {
    stream = await abortable(opening, signal, `etcd: watch ${from}`);
  } catch (err) {
    if (signal.aborted) {
      // A stream that opens after we stopped waiting must still be cancelled: left open, its
      // call keeps the socket (and the process) alive after the client is closed.
      opening.then(cancelQuietly, () => undefined);
      return;
    }
    throw etcdError(`watch ${from}`, err);
  }
  const s = stream;
  // Liveness: etcd answers a progress request at once with the current revision, so a healthy
  // stream is heard from every livenessMs/3 even when nothing changes (the kit ends it after
  // livenessMs of silence). Unref'd: the stream keeps the process alive, not this timer.
  const progress = setInterval(
    () => {
      try {
        s.write({ progress_request: {} });
      } catch {
        /* the stream is ending: its 'error' or 'end' says so */
      }
    },
    Math.max(100, Math.floor(livenessMs / 3)),
  );
  progress.unref();
  await new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearInterval(progress);
      signal.removeEventListener('abort', onAbort);
      cancelQuietly(s);
      if (err === undefined || signal.aborted) resolve();
      else reject(err);
    };
    const onAbort = (): void => finish();
    signal.addEventListener('abort', onAbort, { once: true });
    s.on('data', (res: IWatchResponse) => {
      sink.alive();
      if (res.canceled) {
        const compacted = res.compact_revision !== undefined && Number(res.compact_revision) > 0;
        return finish(
          new DiscoveryError(
            'E_DISCOVERY_BACKEND',
            `etcd: the watch on ${from} was cancelled${compacted ? ` (compacted past revision ${revision + 1})` : ''}: ${res.cancel_reason || 'no reason given'}; listing again`,
          ),
        );
      }
      for (const ev of res.events ?? []) {
        const key = ev.kv.key.toString();
        const inst = ev.type === 'Put' ? codec.parse(key, ev.kv.value) : undefined;
        if (inst !== undefined) sink.put(inst);
        else {
          const k = codec.keyOf(key); // deleted, or a valid value replaced by garbage: gone either way
          if (k !== undefined) sink.remove(k);
        }
      }
    });
    s.on('error', (err: Error) => finish(etcdError(`watch ${from}`, err)));
    s.on('end', () => finish(new DiscoveryError('E_DISCOVERY_BACKEND', `etcd: the watch stream on ${from} ended`)));
    // `fragment`: a revision with more events than fit in one message comes in several.
    s.write({ create_request: { key: Buffer.from(from), range_end: prefixEnd(from), start_revision: String(revision + 1), fragment: true } });
  });
}

/** Ends a watch stream, which may be closed already. */
function cancelQuietly(stream: { cancel(): void }): void {
  try {
    stream.cancel();
  } catch {
    /* already closed */
  }
}
