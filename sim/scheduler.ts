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
import { EventQueue } from './event_queue.js';
import { SimViolation } from './violation.js';

/**
 * Most events one virtual instant may run. A process that waits for a span the clocks round to
 * nothing would run at one instant for ever; past this bound the run stops as a `livelock`.
 */
export const EVENTS_AT_INSTANT_MAX = 1_000_000;

export class Scheduler {
  /** Virtual time, microseconds. */
  now_us = 0;
  readonly queue = new EventQueue();
  /** Events run so far. */
  events_run = 0;
  /** Process continuations running (resumed and not yet parked). */
  private active = 0;
  private settled: (() => void) | null = null;
  private failure: unknown = null;
  private stop_requested = false;
  private events_at_instant = 0;

  /** Schedules `fn` at `at_us` (not before now). Returns a handle for `cancel`. */
  at(at_us: number, fn: () => void): number {
    return this.queue.push(at_us < this.now_us ? this.now_us : at_us, fn);
  }

  /** Schedules `fn` after `delay_us`. */
  after(delay_us: number, fn: () => void): number {
    return this.queue.push(this.now_us + (delay_us > 0 ? delay_us : 0), fn);
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
    if (this.active === 0 && this.settled !== null) {
      const settled = this.settled;
      this.settled = null;
      settled();
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
    this.park();
    return new Promise((resolve) => {
      this.after(delay_us, () => {
        if (life !== null && !life.alive) return;
        this.resume();
        resolve();
      });
    });
  }

  /**
   * Runs events until the agenda is empty, virtual time would pass `until_us`, or a stop.
   * Resolves once every process resumed by the last event has parked.
   */
  async run_until(until_us: number): Promise<void> {
    this.stop_requested = this.failure !== null;
    const queue = this.queue;
    while (!this.stop_requested) {
      const t = queue.peek_time();
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
      this.events_run++;
      try {
        fn();
      } catch (error) {
        this.fail(error);
      }
      if (this.active > 0) await new Promise<void>((resolve) => (this.settled = resolve));
    }
    if (!this.stop_requested && until_us !== Infinity && this.now_us < until_us) this.now_us = until_us;
  }
}
