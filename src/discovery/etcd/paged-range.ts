import type { Etcd3, IKeyValue } from 'etcd3';
import { abortable } from '../driver/abort.js';
import { rpcOptions } from './errors.js';

/**
 * Keys of the first page of a list. No single response is ever bigger than a page: a store of
 * any size is read in pages, never in one message that could pass the receive limit.
 */
export const FIRST_PAGE_KEYS = 500;

/** The most keys a page asks for (etcd counts the rest of the range on every page: few, big pages are cheaper). */
export const MAX_PAGE_KEYS = 10_000;

/** The size a page aims at: later pages ask for as many keys as fit, at the sizes seen so far. */
export const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * The client's receive limit (`grpc.max_receive_message_length`), set on purpose rather than
 * left at gRPC's 4 MiB: a page that still does not fit (values near etcd's 1.5 MiB request
 * limit) is asked again with half as many keys, down to one key, which always fits.
 */
export const MAX_RECEIVE_BYTES = 16 * 1024 * 1024;

/** What {@link pagedRange} read: every key/value of the range at one revision. */
export interface PagedRange {
  kvs: IKeyValue[];
  /** The revision every page was read at. */
  revision: string;
}

/**
 * Reads `[key, rangeEnd)` in pages of about {@link PAGE_BYTES} (by the sizes seen so far; at
 * most {@link MAX_PAGE_KEYS} keys), every page at the
 * revision of the first (so the pages form one consistent snapshot), each next page starting
 * just after the last key of the one before. `onPage` runs after each page (progress for the
 * liveness deadline). A compaction past that revision mid-list fails the read (the caller lists
 * again).
 */
export async function pagedRange(
  client: Etcd3,
  key: Buffer,
  rangeEnd: Buffer,
  signal: AbortSignal,
  what: string,
  opts: { keysOnly?: boolean; onPage?: () => void } = {},
): Promise<PagedRange> {
  const kvs: IKeyValue[] = [];
  let start = key;
  let revision: string | undefined;
  let limit = FIRST_PAGE_KEYS;
  let bytes = 0;
  for (;;) {
    let res;
    try {
      res = await abortable(
        client.kv.range(
          {
            key: start,
            range_end: rangeEnd,
            limit,
            ...(revision === undefined ? {} : { revision }),
            ...(opts.keysOnly === true ? { keys_only: true } : {}),
          },
          rpcOptions(),
        ),
        signal,
        what,
      );
    } catch (err) {
      if (limit > 1 && isTooLarge(err)) {
        limit = Math.max(1, Math.floor(limit / 2));
        continue;
      }
      throw err;
    }
    revision ??= String(res.header.revision);
    for (const kv of res.kvs) {
      kvs.push(kv);
      bytes += kv.key.length + (kv.value?.length ?? 0) + 32;
    }
    opts.onPage?.();
    if (kvs.length > 0) limit = Math.max(1, Math.min(MAX_PAGE_KEYS, Math.floor(PAGE_BYTES / (bytes / kvs.length))));
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || last === undefined) return { kvs, revision };
    start = Buffer.concat([last.key, Buffer.from([0])]); // the smallest key after the last one
  }
}

/** Whether gRPC refused a response as larger than the receive limit. */
export function isTooLarge(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  return e?.code === 8 || e?.name === 'GRPCResourceExhastedError' || /RESOURCE_EXHAUSTED|larger than max/i.test(String(e?.message ?? err));
}

/** The range end that covers every key starting with `prefix` (etcd's convention: the prefix with its last byte plus one). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = b[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
