/**
 * Following one subject (a service name, or a driver's whole prefix) is one state machine,
 * shared by every watcher of that subject (anchor: Envoy's xDS client, one subscription state
 * machine per resource):
 *
 *   idle ──acquire──▶ starting ──first list──▶ following
 *                       │  ▲                      │
 *                 fails ▼  │ backoff        fails │
 *                     retrying ◀──────────────────┘
 *   any ──release──▶ stopping ──run ended──▶ idle (or starting again, if acquired meanwhile)
 *
 * At most one backend subscription runs per subject, whatever the order of acquire, release
 * and failures. A driver's subscription is a function that runs until its signal fires
 * (resolve) or it fails (reject); it reports lists through a {@link FollowSink}.
 */
import type { ServiceInstance } from '../instance.js';
import { DiscoveryError } from '../errors.js';
import { sleep } from './abort.js';
import { backoff, type RetryPolicy } from './backoff.js';
import type { InstanceKey } from './reconciler.js';

/** The state of a {@link Follow}. */
export type FollowState = 'idle' | 'starting' | 'following' | 'retrying' | 'stopping';

/** Where a subscription reports what it sees. Calls from a subscription that was stopped are ignored. */
export interface FollowSink {
  /** The complete current list of `name` (drivers that follow one name per subscription). */
  list(name: string, instances: Iterable<ServiceInstance>): void;
  /** The complete state under the prefix: names absent from it have no instances (drivers that follow a prefix). */
  snapshot(instances: Iterable<ServiceInstance>): void;
  /** One instance written under the prefix. */
  put(instance: ServiceInstance): void;
  /** One instance removed from the prefix. */
  remove(key: InstanceKey): void;
  /** Trouble the driver rides out by itself: watchers keep their lists and show degraded health. */
  degraded(err: Error): void;
  /** The driver recovered by itself from what it reported as degraded. */
  recovered(): void;
  /**
   * The backend answered something that is no list or event (a progress notification, a
   * keepalive answer, a blocking query that returned unchanged): the stream is alive. Every
   * other call above counts as well.
   */
  alive(): void;
}

/** A driver's subscription to `subject`: runs until `signal` fires (then resolves) or until it fails (rejects). */
export type Subscribe = (subject: string, sink: FollowSink, signal: AbortSignal) => Promise<void>;

/** What a {@link Follow} tells its owner (the hub). */
export interface FollowEvents {
  /** A sink call of the current run. */
  sink(follow: Follow): Omit<FollowSink, 'degraded' | 'recovered' | 'alive'>;
  /** The state or the health changed. */
  changed(follow: Follow): void;
}

/** One subject's subscription state machine. See the module comment. */
export class Follow {
  #state: FollowState = 'idle';
  #wanted = false;
  #run: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #looping = false;
  #failures = 0;
  #error: Error | undefined;
  #since = Date.now();
  /** Backend subscriptions started so far (for tests: never two at once). */
  runs = 0;

  constructor(
    readonly subject: string,
    private readonly subscribe: Subscribe,
    private readonly events: FollowEvents,
    private readonly retry: RetryPolicy,
    private readonly closed: AbortSignal,
    /** With a value, a run that reports nothing for this long is ended as partitioned (see {@link FollowSink.alive}). */
    private readonly livenessMs?: number,
  ) {}

  get state(): FollowState {
    return this.#state;
  }

  /** Healthy unless the last run failed or the driver reported trouble; `error` says what. */
  get healthy(): boolean {
    return this.#error === undefined;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /** When the health last changed (epoch ms). */
  get since(): number {
    return this.#since;
  }

  /** Whether a subscription is running or about to (not idle, not stopping). */
  get active(): boolean {
    return this.#wanted;
  }

  /** Someone watches the subject: start following it unless already. */
  acquire(): void {
    if (this.closed.aborted) return;
    this.#wanted = true;
    if (this.#state === 'stopping') return; // the loop starts again once the stopped run has returned
    if (this.#looping) return;
    this.#looping = true;
    this.#loop = this.loop();
  }

  /** Nobody watches any more: stop the subscription (in the background). */
  release(): void {
    this.#wanted = false;
    if (!this.#looping) return;
    this.setState('stopping');
    this.#run?.abort();
  }

  /** Resolves when the machine is idle (after release() or close). */
  async idle(): Promise<void> {
    await this.#loop;
  }

  private async loop(): Promise<void> {
    try {
      while (this.#wanted && !this.closed.aborted) {
        const run = new AbortController(); // release() and close()
        const sub = new AbortController(); // the subscription: the run, or the liveness deadline
        const onClose = (): void => run.abort();
        const onRun = (): void => sub.abort();
        this.closed.addEventListener('abort', onClose, { once: true });
        run.signal.addEventListener('abort', onRun, { once: true });
        this.#run = run;
        // A fresh start knows nothing yet: the watchers must not read "healthy" until the backend answers.
        if (this.#failures === 0) this.setHealth(awaitingFirstAnswer(this.subject));
        this.setState(this.#failures === 0 ? 'starting' : 'retrying');
        this.runs++;
        const liveness = this.liveness(sub);
        try {
          await this.subscribe(this.subject, this.sinkFor(sub.signal, liveness.arm), sub.signal);
          if (!run.signal.aborted)
            throw liveness.silent() ?? new DiscoveryError('E_DISCOVERY_BACKEND', `follow '${this.subject || '*'}': the subscription ended by itself`);
        } catch (err) {
          if (!run.signal.aborted) {
            this.#failures++;
            this.setHealth(liveness.silent() ?? (err instanceof Error ? err : new Error(String(err))));
            this.setState('retrying');
            // Ref'd: watchers are held open on purpose, and keep the process alive like a socket would.
            await sleep(backoff(this.#failures - 1, this.retry), run.signal, true);
          }
        } finally {
          liveness.dispose();
          this.closed.removeEventListener('abort', onClose);
          run.signal.removeEventListener('abort', onRun);
          sub.abort(); // whatever ended the run, its subscription's late reports are ignored
          this.#run = undefined;
        }
      }
    } finally {
      this.#looping = false; // synchronously: an acquire() from here on starts a new loop
      this.setState('idle');
    }
  }

  /**
   * The liveness deadline of one run: re-armed by every report of the subscription; when it
   * passes, the subscription is ended (as a partition: a silent stream is no healthy one) and
   * the loop retries, which lists again. Unref'd: the run's own sockets keep the process alive.
   */
  private liveness(sub: AbortController): { arm: () => void; silent: () => DiscoveryError | undefined; dispose: () => void } {
    const ms = this.livenessMs;
    let timer: NodeJS.Timeout | undefined;
    let silent: DiscoveryError | undefined;
    const arm = (): void => {
      if (ms === undefined || silent !== undefined) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = new DiscoveryError(
          'E_DISCOVERY_UNREACHABLE',
          `follow '${this.subject || '*'}': the backend sent nothing (no event, no progress, no keepalive answer) for ${ms} ms; reconnecting`,
        );
        sub.abort(silent);
      }, ms);
      timer.unref();
    };
    arm();
    return { arm, silent: () => silent, dispose: () => clearTimeout(timer) };
  }

  private sinkFor(signal: AbortSignal, alive: () => void): FollowSink {
    const target = this.events.sink(this);
    const live = (): boolean => {
      if (signal.aborted) return false;
      alive();
      return true;
    };
    const listed = (): void => {
      this.#failures = 0;
      // State first: the hub resets a mirror on every change seen while 'starting'.
      this.setState('following');
      this.setHealth(undefined);
    };
    return {
      list: (name, instances) => {
        if (!live()) return;
        target.list(name, instances);
        listed();
      },
      snapshot: (instances) => {
        if (!live()) return;
        target.snapshot(instances);
        listed();
      },
      put: (instance) => {
        if (live()) target.put(instance);
      },
      remove: (key) => {
        if (live()) target.remove(key);
      },
      degraded: (err) => {
        if (live()) this.setHealth(err);
      },
      recovered: () => {
        if (live()) this.setHealth(undefined);
      },
      alive: () => void live(),
    };
  }

  private setState(state: FollowState): void {
    if (state === this.#state) return;
    if (this.#state === 'stopping' && state !== 'idle' && !this.#wanted) return; // a late report of a stopped run
    this.#state = state;
    this.events.changed(this);
  }

  private setHealth(error: Error | undefined): void {
    if (error === this.#error) return;
    this.#error = error;
    this.#since = Date.now();
    this.events.changed(this);
  }
}

/** Errors standing for "no answer yet" (a new follow before its first list), told apart from failures by {@link isAwaitingFirstAnswer}. */
const firstAnswer = new WeakSet<Error>();

function awaitingFirstAnswer(subject: string): DiscoveryError {
  const err = new DiscoveryError('E_DISCOVERY_UNREACHABLE', `follow '${subject || '*'}': waiting for the backend's first answer`);
  firstAnswer.add(err);
  return err;
}

/** Whether `err` is the health error of a watch that has simply not heard from its backend yet (no failure seen). */
export function isAwaitingFirstAnswer(err: Error | undefined): boolean {
  return err !== undefined && firstAnswer.has(err);
}
