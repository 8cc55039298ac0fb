/**
 * The simulator's scheduler: one virtual clock, one agenda, and the bookkeeping that lets async
 * process bodies run on it deterministically.
 *
 * Time is virtual microseconds; nothing here reads a wall clock. Simulated processes are async
 * functions (the same bodies a worker thread runs with `recv_async` and `call_async`): they run
 * until they park on a simulator primitive (a doorbell wait, a sleep, a yield), and the run loop
 * takes the next event only once every resumed process has parked again. So the interleaving is
 * decided by the agenda alone, and the agenda by the seed.
 */
import { assert } from '../kernel/assert.js';
import { EventQueue, type EventFn } from './event_queue.js';
import { SimViolation } from './violation.js';

/**
 * Most events one virtual instant may run. A process that waits for a span the clocks round to
 * nothing would run at one instant for ever; past this bound the run stops as a `livelock`.
 */
export const EVENTS_AT_INSTANT_MAX = 1_000_000;

/** A sleeping process: what wakes it, and whose incarnation it belongs to (see `Scheduler.sleep_as`). */
export interface Sleeper {
  readonly life: { readonly alive: boolean } | null;
  resolve: (() => void) | null;
}

export class Scheduler {
  /** Virtual time, microseconds. */
  now_us = 0;
  readonly queue = new EventQueue();
  /** Events run so far. */
  events_run = 0;
  /** Process continuations running (resumed and not yet parked). */
  private active = 0;
  private failure: unknown = null;
  private stop_requested = false;
  private events_at_instant = 0;
  /** Resolves the promise of the `run_until` in progress. */
  private run_done: (() => void) | null = null;
  private run_until_us = 0;
  /** The loop waits for the resumed processes to park (then `park` queues `step`). */
  private awaiting_park = false;
  private readonly step_bound = (): void => this.step();
  /** Settled once: `then` on it queues a microtask (Node's `queueMicrotask` builds an `AsyncResource` each call). */
  private readonly resolved = Promise.resolve();
  // The deferred callbacks, `soon_count` of them; the arrays keep their storage between instants
  // (truncating a JS array to zero frees it, and the next push allocated it again).
  private readonly soon_fns: (EventFn | undefined)[] = [];
  private readonly soon_args: unknown[] = [];
  private soon_count = 0;

  /** Schedules `fn` at `at_us` (not before now). Returns a handle for `cancel`. */
  at(at_us: number, fn: () => void): number {
    return this.queue.push(at_us < this.now_us ? this.now_us : at_us, fn);
  }

  /** Schedules `fn` after `delay_us`. */
  after(delay_us: number, fn: () => void): number {
    return this.queue.push(this.now_us + (delay_us > 0 ? delay_us : 0), fn);
  }

  /** Schedules `fn(arg)` after `delay_us`: one function for many events, no closure each. */
  after_with<T>(delay_us: number, fn: (arg: T) => void, arg: T): number {
    return this.queue.push(this.now_us + (delay_us > 0 ? delay_us : 0), fn as EventFn, arg);
  }

  /**
   * Runs `fn(arg)` at this instant once no event of it is left (`Timers.defer`, which hosts map
   * to `setImmediate`). Not an agenda entry: a received datagram's poll was one event in three.
   */
  defer_with<T>(fn: (arg: T) => void, arg: T): void {
    this.soon_fns[this.soon_count] = fn as EventFn;
    this.soon_args[this.soon_count] = arg;
    this.soon_count++;
  }

  /** Runs the deferred callbacks, and those they defer, in order. */
  private run_soon(): void {
    const fns = this.soon_fns;
    const args = this.soon_args;
    for (let i = 0; i < this.soon_count; i++) {
      if (i >= EVENTS_AT_INSTANT_MAX) {
        this.fail(new SimViolation('livelock', `more than ${EVENTS_AT_INSTANT_MAX} deferred callbacks at one instant`, this.now_us));
        break;
      }
      const fn = fns[i]!;
      const arg = args[i];
      fns[i] = undefined;
      args[i] = undefined;
      try {
        fn(arg);
      } catch (error) {
        this.fail(error);
      }
    }
    this.soon_count = 0;
  }

  cancel(handle: number): void {
    this.queue.cancel(handle);
  }

  /** A process starts or is resumed: the run loop waits for it to park. */
  resume(): void {
    this.active++;
  }

  /** A process parks (or ends): when none is running, the run loop goes on. */
  park(): void {
    this.active--;
    assert(this.active >= 0, 'Scheduler.park: a process parks only after it was resumed');
    if (this.active === 0 && this.awaiting_park) {
      this.awaiting_park = false;
      void this.resolved.then(this.step_bound);
    }
  }

  /** Records a failure (a process threw, an invariant broke): the run stops after this event. */
  fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
    this.stop_requested = true;
  }

  /** Asks the run loop to stop after the current event. */
  stop(): void {
    this.stop_requested = true;
  }

  get failed(): unknown {
    return this.failure;
  }

  /** Parks the calling process for `delay_us` of virtual time; a process of a node no longer `alive` never resumes. */
  sleep(delay_us: number, life: { readonly alive: boolean } | null = null): Promise<void> {
    return this.sleep_as(delay_us, { life, resolve: null });
  }

  /**
   * `sleep` with a record the caller keeps (a process sleeps once at a time, so one record per
   * process saves a closure per sleep). A record already asleep is not reused.
   */
  sleep_as(delay_us: number, sleeper: Sleeper): Promise<void> {
    if (sleeper.resolve !== null) return this.sleep(delay_us, sleeper.life);
    this.park();
    return new Promise((resolve) => {
      sleeper.resolve = resolve;
      this.after_with(delay_us, this.wake_sleeper, sleeper);
    });
  }

  private readonly wake_sleeper = (sleeper: Sleeper): void => {
    const resolve = sleeper.resolve!;
    sleeper.resolve = null;
    if (sleeper.life !== null && !sleeper.life.alive) return;
    this.resume();
    resolve();
  };

  /**
   * Runs events until the agenda is empty, virtual time would pass `until_us`, or a stop.
   * Resolves once every process resumed by the last event has parked.
   *
   * An event that resumes a process ends the synchronous loop; the last process to park queues
   * the loop again as a microtask (`park`), so the next event runs only after every resumed
   * continuation has run to its next park. One promise per call, none per event.
   */
  run_until(until_us: number): Promise<void> {
    assert(this.run_done === null, 'Scheduler.run_until: one run at a time');
    this.stop_requested = this.failure !== null;
    this.run_until_us = until_us;
    return new Promise((resolve) => {
      this.run_done = resolve;
      this.step();
    });
  }

  private step(): void {
    const queue = this.queue;
    const until_us = this.run_until_us;
    while (!this.stop_requested) {
      const t = queue.peek_time();
      // Deferred callbacks run once this instant has no event left (as setImmediate runs after
      // the socket callbacks of one loop turn), so a burst of datagrams is polled once.
      if (this.soon_count > 0 && t > this.now_us) {
        this.run_soon();
        if (this.active > 0) {
          this.awaiting_park = true;
          return;
        }
        continue;
      }
      if (t > until_us) break;
      if (t === this.now_us) {
        if (++this.events_at_instant > EVENTS_AT_INSTANT_MAX) {
          this.fail(new SimViolation('livelock', `more than ${EVENTS_AT_INSTANT_MAX} events at one instant: virtual time stopped advancing`, t));
          break;
        }
      } else {
        this.events_at_instant = 0;
      }
      this.now_us = t;
      const fn = queue.pop()!;
      const arg = queue.popped_arg;
      this.events_run++;
      try {
        fn(arg);
      } catch (error) {
        this.fail(error);
      }
      if (this.active > 0) {
        this.awaiting_park = true;
        return;
      }
    }
    if (!this.stop_requested && until_us !== Infinity && this.now_us < until_us) this.now_us = until_us;
    const done = this.run_done!;
    this.run_done = null;
    done();
  }
}
