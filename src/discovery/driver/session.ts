/**
 * A liveness session shared by a client's writes and watches: an etcd lease, a ZooKeeper
 * session. Modelled on etcd's `concurrency.Session`: one session at a time, opened on first
 * use (one opening in flight, whoever asks), and a `done` signal when it dies. When it dies
 * the kit is told (`onLost`), so the reconciler writes every desired instance again under
 * the next one.
 */
import { setMaxListeners } from 'node:events';
import { DiscoveryError } from '../errors.js';
import { abortable } from './abort.js';

/** A live session, as the driver built it, plus the signal that fires when it dies. */
export interface Live<S> {
  readonly value: S;
  /** Fires when the session is lost or closed: watches started on it must end. */
  readonly done: AbortSignal;
}

/** What a driver supplies to a {@link Session}. */
export interface SessionHooks<S> {
  /** Opens a session. `signal` fires on close(): the opening must then give up and release what it made. */
  open(signal: AbortSignal): Promise<S>;
  /** Releases a session that is no longer current (lost, or closing). Bounded by the caller. */
  release(session: S, why: 'lost' | 'close'): Promise<void> | void;
  /** A session died: the reconciler must write everything again. */
  onLost(err: Error): void;
}

/** Holds the client's current session. See the module comment. */
export class Session<S> {
  readonly #hooks: SessionHooks<S>;
  readonly #what: string;
  readonly #closer = new AbortController();
  #current: { value: S; ac: AbortController } | undefined;
  #opening: Promise<Live<S>> | undefined;
  /** Sessions opened so far (the first one included). */
  opened = 0;
  /** Sessions lost (expired, revoked) so far. */
  lost = 0;

  constructor(what: string, hooks: SessionHooks<S>) {
    setMaxListeners(0, this.#closer.signal);
    this.#what = what;
    this.#hooks = hooks;
  }

  /** The current session, opening one if there is none. `signal` only cuts this caller's wait short. */
  get(signal: AbortSignal | undefined): Promise<Live<S>> {
    if (this.#closer.signal.aborted) return Promise.reject(this.closedError());
    const cur = this.#current;
    if (cur !== undefined) return Promise.resolve({ value: cur.value, done: cur.ac.signal });
    this.#opening ??= this.open();
    return abortable(this.#opening, signal, `${this.#what}: opening a session`);
  }

  /** The current session if one is open (no opening). */
  peek(): Live<S> | undefined {
    const cur = this.#current;
    return cur === undefined ? undefined : { value: cur.value, done: cur.ac.signal };
  }

  /**
   * `session` is dead (expired, revoked, refused). If it is the current one, it is dropped and
   * released, its `done` fires and the kit is told; a late report about an older session is ignored.
   */
  fail(session: S, err: Error): void {
    const cur = this.#current;
    if (cur === undefined || cur.value !== session) return;
    this.#current = undefined;
    this.lost++;
    cur.ac.abort(err);
    void Promise.resolve()
      .then(() => this.#hooks.release(session, 'lost'))
      .catch(() => undefined);
    if (!this.#closer.signal.aborted) this.#hooks.onLost(err);
  }

  /** Closes the current session and any opening. Resolves once released (bounded by the caller). */
  async close(): Promise<void> {
    if (this.#closer.signal.aborted) return;
    this.#closer.abort(this.closedError());
    const opening = this.#opening;
    const cur = this.#current;
    this.#current = undefined;
    cur?.ac.abort(this.closedError());
    await opening?.catch(() => undefined);
    if (cur !== undefined) await this.#hooks.release(cur.value, 'close');
  }

  private async open(): Promise<Live<S>> {
    try {
      const value = await this.#hooks.open(this.#closer.signal);
      if (this.#closer.signal.aborted) {
        await this.#hooks.release(value, 'close');
        throw this.closedError();
      }
      const ac = new AbortController();
      setMaxListeners(0, ac.signal); // every subscription on this session listens to its end
      this.#current = { value, ac };
      this.opened++;
      return { value, done: ac.signal };
    } finally {
      this.#opening = undefined;
    }
  }

  private closedError(): DiscoveryError {
    return new DiscoveryError('E_DISCOVERY_CLOSED', `${this.#what}: the registry is closed`);
  }
}
