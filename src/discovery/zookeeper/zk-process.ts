/**
 * Each native ZooKeeper client runs in a process of its own.
 *
 * Why: the `zookeeper` binding tracks its socket with a libuv poll handle that can outlive the
 * socket. The C client closes its socket on its own (a failed send, a handshake timeout,
 * session expiry) while the binding still watches that descriptor number; when the binding
 * later closes the stale handle, libuv unregisters the number from its epoll set, although by
 * then it may belong to another socket of the same loop — another ZooKeeper client
 * reconnecting, or any socket of the application. That socket goes deaf, or libuv aborts the
 * process (`uv_poll_start: Assertion !uv__is_closing(handle)`, or an abort in
 * `uv__epoll_ctl_prep`). Known upstream: yfinkelstein/node-zookeeper #262 and #238, and #101
 * for the same fault with several clients. Our interleaving tests reproduced it within
 * seconds once several clients reconnected at once.
 *
 * libuv's watcher table and epoll set are per loop. A client alone on its loop has no other
 * socket to collide with, so the fault cannot reach other clients or the application. A
 * worker thread would have been cheaper, but the binding keeps static V8 handles and crashes
 * when a second thread loads it. The cost is a child process per session (spawned when the
 * session opens) and an IPC hop per call (see docs/benchmarks.md); the native close, which
 * blocks for up to 1.5 s waiting for the server, no longer blocks our event loop.
 *
 * Results, watches and events arrive as messages, so our code (and our users' code) never
 * runs inside a native callback either.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { resolvePeer } from '../peer.js';
import type { ZkAcl, ZkClient, ZkStat, ZkWatch } from './zk-client.js';

/** The child: one native client, driven by messages. Plain CommonJS, run with `node -e`. */
const CHILD = String.raw`
const { module: zkModule, config } = JSON.parse(process.argv[1]);
const ZooKeeper = require(zkModule);
const zk = new ZooKeeper(config);
const snap = () => ({ state: zk.state, client_id: zk.client_id, client_password: zk.client_password });
const post = (m) => { try { if (process.connected) process.send({ ...m, ...snap() }); } catch {} };
// Our parent died without closing us: leave at once, without closing the session, so that it
// expires after its timeout exactly as the parent's own would have (a crash is a crash). A
// close asked for just before the channel ended still runs.
let closing = false;
process.on('disconnect', () => { if (!closing) process.exit(0); });
const message = (e) => String((e && e.message) || e);
for (const name of ['connect', 'connecting', 'close']) zk.on(name, (_client, code) => post({ t: 'event', name, code }));
process.on('message', (m) => {
  if (m.op === 'init') return void setImmediate(() => zk.init({}));
  if (m.op === 'close') {
    closing = true;
    return void setImmediate(() => {
      try { zk.close(); } catch {}
      post({ t: 'closed' });
      process.exit(0);
    });
  }
  if (m.op === 'add_auth') return void zk.add_auth(m.scheme, m.auth, (rc, error) => post({ t: 'res', id: m.id, ok: true, value: [rc, String(error)] }));
  const args = m.args.slice();
  if (m.wid !== undefined) args[1] = (type, state, path) => post({ t: 'watch', wid: m.wid, type, state, path });
  let p;
  try { p = zk[m.method](...args); } catch (e) { return void post({ t: 'res', id: m.id, ok: false, error: message(e) }); }
  Promise.resolve(p).then((value) => post({ t: 'res', id: m.id, ok: true, value }), (e) => post({ t: 'res', id: m.id, ok: false, error: message(e) }));
});
`;

type Reply =
  | { t: 'res'; id: number; ok: boolean; value?: unknown; error?: string }
  | { t: 'watch'; wid: number; type: number; state: number; path: string }
  | { t: 'event'; name: 'connect' | 'connecting' | 'close'; code?: number }
  | { t: 'closed' };
type Snapshot = { state: number; client_id: string; client_password: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

let modulePath: string | undefined;

/** ZOO_SESSION_EVENT: a connection state change, delivered to watches without consuming them. */
const SESSION_EVENT = -1;
/**
 * A line of the native client's own log: the C client's (`…:ZOO_ERROR@check_events@…`, on
 * stderr) or the binding's (`yield:zookeeper_process returned an error: -4 - connection loss`,
 * `Session expired. Shutting down...`, on stdout). Expiry and auth failure reach us as events
 * and are handled (a new session, a typed error); the binding's other errors stay visible.
 */
const NATIVE_LOG = /ZOO_(?:ERROR|WARN|INFO|DEBUG)@|^yield:|^(?:Session expired|Authentication failure)\. Shutting down/;

/** Whether `line` of a client process's output is the native client's log (shown only with DEBUG). */
export function isNativeLog(line: string): boolean {
  return NATIVE_LOG.test(line);
}

/**
 * The child's output, less the native client's log unless DEBUG is set, to our stderr (the
 * child talks to us over IPC; its stdout is no place for the application's output). That log
 * reports each lost connection, several lines a second while a server is down, and the
 * registry already handles it and reports it through its health. Anything else the child
 * prints (a crash of node or of the binding) is passed on as it is.
 */
function forwardOutput(stream: NodeJS.ReadableStream | null): void {
  if (stream === null) return;
  const verbose = (process.env.DEBUG ?? '') !== '';
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (verbose || !isNativeLog(line)) process.stderr.write(`${line}\n`);
  });
}

/** ZOO_EXPIRED_SESSION_STATE, the code of a 'close' for a session that ended on the server's side. */
const EXPIRED_SESSION_STATE = -112;

/** A native client in a process of its own, behind the {@link ZkClient} face. */
export function isolatedClient(config: object): ZkClient {
  modulePath ??= resolvePeer('zookeeper', 'zookeeper');
  const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify({ module: modulePath, config })], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  forwardOutput(child.stdout);
  forwardOutput(child.stderr);
  const send = (m: object): void => {
    if (child.connected) child.send(m);
  };
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const watches = new Map<number, ZkWatch>();
  const watchOnFailure = new Map<number, boolean>();
  const listeners: Array<{ event: string; fn: Listener; once: boolean }> = [];
  let snap: Snapshot = { state: 0, client_id: '', client_password: '' };
  let next = 1;
  let ended = false;

  let closing = false;
  const emit = (event: string, code?: number): void => {
    for (const l of [...listeners]) {
      if (l.event !== event) continue;
      if (l.once) listeners.splice(listeners.indexOf(l), 1);
      l.fn(client, code);
    }
  };
  const endAll = (why: string): void => {
    if (ended) return;
    ended = true;
    for (const p of pending.values()) p.reject(new Error(`-112 ${why}`));
    pending.clear();
    // The process died under a live session (the binding can still crash): for the session's
    // owner this is the end of the session, as an expiry is, or it would wait on it for ever.
    if (!closing && !closedEventSeen) emit('close', EXPIRED_SESSION_STATE);
  };
  let closedEventSeen = false;
  child.on('message', (m: Reply & Partial<Snapshot>) => {
    if (m.state !== undefined) snap = { state: m.state, client_id: m.client_id ?? snap.client_id, client_password: m.client_password ?? snap.client_password };
    if (m.t === 'res') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(buffers(m.value));
      else {
        // A watched read that failed armed no watch (w_exists arms one on a missing node).
        if (m.id !== undefined && watchOnFailure.get(m.id) === false) watches.delete(m.id);
        p?.reject(new Error(m.error));
      }
      watchOnFailure.delete(m.id);
    } else if (m.t === 'watch') {
      const cb = watches.get(m.wid);
      // A watch fires once for a real event; connection state changes (session events) reach
      // every armed watch without consuming it.
      if (m.type !== SESSION_EVENT) watches.delete(m.wid);
      cb?.(m.type, m.state, m.path);
    } else if (m.t === 'event') {
      if (m.name === 'close') closedEventSeen = true;
      emit(m.name, m.code);
    }
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  child.on('error', () => endAll('the client process failed'));
  // 'close', not 'exit': it comes after the last IPC message has been delivered.
  child.on('close', () => endAll('the client is closed'));

  const call = <T>(method: string, args: unknown[], watch?: ZkWatch): Promise<T> => {
    if (ended) return Promise.reject(new Error('-112 the client is closed'));
    const id = next++;
    let wid: number | undefined;
    if (watch !== undefined) {
      wid = id;
      watches.set(wid, watch);
      watchOnFailure.set(id, method === 'w_exists');
    }
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve, reject });
      send({ op: 'call', id, method, args: watch === undefined ? args : [args[0], null], wid });
    });
  };

  const client = {
    create: (path: string, data: string | Buffer, flags: number) => call<string>('create', [path, data, flags]),
    exists: (path: string, watch: boolean) => call<ZkStat | null>('exists', [path, watch]),
    w_exists: (path: string, cb: ZkWatch) => call<ZkStat | null>('w_exists', [path], cb),
    get: (path: string, watch: boolean) => call<[ZkStat, Buffer | string]>('get', [path, watch]),
    w_get: (path: string, cb: ZkWatch) => call<[ZkStat, Buffer | string]>('w_get', [path], cb),
    set: (path: string, data: string | Buffer, version: number) => call<ZkStat>('set', [path, data, version]),
    get_children: (path: string, watch: boolean) => call<string[]>('get_children', [path, watch]),
    w_get_children: (path: string, cb: ZkWatch) => call<string[]>('w_get_children', [path], cb),
    delete_: (path: string, version: number) => call<void>('delete_', [path, version]),
    set_acl: (path: string, version: number, acl: ZkAcl[]) => call<void>('set_acl', [path, version, acl]),
    get_acl: (path: string) => call<[ZkAcl[], ZkStat]>('get_acl', [path]),
    add_auth: (scheme: string, auth: string, cb: (rc: number, error: string) => void) => {
      if (ended) return void queueMicrotask(() => cb(-112, 'the client is closed'));
      const id = next++;
      pending.set(id, { resolve: (v) => cb(...(v as [number, string])), reject: (e) => cb(-112, e.message) });
      send({ op: 'add_auth', id, scheme, auth });
    },
    init: () => send({ op: 'init' }),
    close: () => {
      if (ended || closing) return;
      closing = true;
      send({ op: 'close' });
      // A close that never finishes (the native close waits for the server) must not keep the process alive.
      child.unref();
      (child.channel as { unref?(): void } | undefined)?.unref?.();
      (child.stdout as Socket | null)?.unref();
      (child.stderr as Socket | null)?.unref();
    },
    on: (event: string, fn: Listener) => void listeners.push({ event, fn, once: false }),
    once: (event: string, fn: Listener) => void listeners.push({ event, fn, once: true }),
    removeListener: (event: string, fn: Listener) => {
      const i = listeners.findIndex((l) => l.event === event && l.fn === fn);
      if (i >= 0) listeners.splice(i, 1);
    },
    exited,
    get state() {
      return snap.state;
    },
    get client_id() {
      return snap.client_id;
    },
    get client_password() {
      return snap.client_password;
    },
  };
  return client;
}

/** Data read back as Uint8Array (advanced serialization) becomes a Buffer again, as the package gives it. */
function buffers(v: unknown): unknown {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(buffers);
  return v;
}
