import type { Selection } from './selection.js';

/**
 * Calls counted from their pick until grpc-js starts them. grpc-js makes every pick of a burst
 * before it starts any of those calls (the call-credentials step comes between), so a load
 * counted only at `onCallStarted` would let the whole burst see load 0. A pick therefore counts
 * at once; if grpc-js has not started the call by the next turn of the event loop (it dropped
 * the pick: the call was cancelled, or the connection went away and it picks again), the count
 * is released without feedback, and a call started later counts from then.
 */
export class Reservations {
  #held: Array<{ selection: Selection; running: boolean }> = [];
  #scheduled = false;

  /** Counts `selection` now; the returned function marks the call as started by grpc-js. */
  hold(selection: Selection): () => void {
    const entry = { selection, running: false };
    selection.start();
    this.#held.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return () => {
      entry.running = true;
      selection.start(); // counts again if the reservation was already released
    };
  }

  private flush(): void {
    this.#scheduled = false;
    const held = this.#held;
    this.#held = [];
    for (const e of held) if (!e.running) e.selection.release();
  }
}
