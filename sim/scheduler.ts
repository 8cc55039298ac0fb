/**
 * The simulator's scheduler: one virtual clock, an agenda in lanes, and the bookkeeping that lets
 * async process bodies run on it deterministically.
 *
 * Time is virtual microseconds; nothing here reads a wall clock. Simulated processes are async
 * functions (the same bodies a worker thread runs with `recv_async` and `call_async`): they run
 * until they park on a simulator primitive (a doorbell wait, a sleep, a yield), and the run loop
 * takes the next event only once every resumed process has parked again. So the interleaving is
 * decided by the agenda alone, and the agenda by the seed.
 *
 * Lanes (conservative parallel discrete-event simulation, with lookahead): lane 0 holds the run's
 * global events (boot, scheduled faults, the drain); every other lane holds the events of one
 * node. Nodes share no memory: one reaches another only through the simulated network, whose
 * packets take at least `lookahead_us` to arrive. So the loop can run one node alone for a
 * window of up to `lookahead_us` of virtual time, then the next node over the same window, and so
 * on: nothing a node does inside a window can reach another node before the window ends, and
 * every node sees exactly what the one time-ordered agenda would have shown it. A node's memory
 * stays in the CPU's caches for its whole window instead of being evicted between every event by
 * 63 other nodes. Global events are barriers: a window never spans one. With `lookahead_us` 0
 * (no lower bound on delays, or TCP, whose model shares connection state between its two ends)
 * every node uses lane 0 and the loop is one time-ordered agenda.
 *
 * `Lane.push` checks the rule that makes this sound: an event posted from one lane into another
 * during a window is due at or after the window's end (else the run stops with an
 * `AssertionError`). test/sim/lanes.test.ts shows a run with lanes and the same run on one
 * agenda see the same events at the same instants.
 */
import { AssertionError, assert } from '../kernel/assert.js';
import { EventQueue, type EventFn } from './event_queue.js';
import { grown } from './grow.js';
import { SimViolation } from './violation.js';

/**
 * Most events one virtual instant may run. A process that waits for a span the clocks round to
 * nothing would run at one instant for ever; past this bound the run stops as a `livelock`.
 */
export const EVENTS_AT_INSTANT_MAX = 1_000_000;
/** Lanes a scheduler holds at most (the global lane and one per node). */
export const LANES_MAX = 1 << 16;

/** A sleeping process: what wakes it, and whose incarnation it belongs to (see `Lane.sleep_as`). */
export interface Sleeper {
  readonly life: { readonly alive: boolean } | null;
  resolve: (() => void) | null;
}

/**
 * One lane of the agenda: the events of one node, or the run's global events (lane 0). A node's
 * code schedules only on its own lane; the network posts a packet's arrival on its receiver's.
 */
export class Lane {
  readonly index: number;
  readonly queue = new EventQueue();
  private readonly scheduler: Scheduler;

  /** @internal Lanes are made by `Scheduler.add_lane`. */
  constructor(scheduler: Scheduler, index: number) {
    this.scheduler = scheduler;
    this.index = index;
  }

  /** Virtual time of the event running now, µs. */
  get now_us(): number {
    return this.scheduler.now_us;
  }

  /** Schedules `fn` at `at_us` (not before now). Returns a handle for `cancel`. */
  at(at_us: number, fn: () => void): number {
    return this.push(at_us, fn, undefined);
  }

  /** Schedules `fn(arg)` at `at_us` (not before now): one function for many events, no closure each. */
  at_with<T>(at_us: number, fn: (arg: T) => void, arg: T): number {
    return this.push(at_us, fn as EventFn, arg);
  }

  /** Schedules `fn` after `delay_us`. */
  after(delay_us: number, fn: () => void): number {
    return this.push(this.scheduler.now_us + (delay_us > 0 ? delay_us : 0), fn, undefined);
  }

  /** Schedules `fn(arg)` after `delay_us`. */
  after_with<T>(delay_us: number, fn: (arg: T) => void, arg: T): number {
    return this.push(this.scheduler.now_us + (delay_us > 0 ? delay_us : 0), fn as EventFn, arg);
  }

  private push(at_us: number, fn: EventFn, arg: unknown): number {
    const s = this.scheduler;
    if (at_us < s.now_us) at_us = s.now_us;
    if (s.window_lane !== 0 && s.window_lane !== this.index && !(at_us >= s.window_end_us)) {
      // A programmer error (a delay below the lookahead), reported as the run's failure rather
      // than thrown: the caller may be between a park and its promise, and the run must stop, not hang.
      s.fail(
        new AssertionError(
          `Lane.push: lane ${s.window_lane} posted an event at ${at_us} µs into lane ${this.index}, before its window ends at ${s.window_end_us} µs (a delay below the lookahead)`,
        ),
      );
    }
    if (at_us < s.lane_next_us[this.index]!) s.lane_next_us[this.index] = at_us;
    return this.queue.push(at_us, fn, arg);
  }

  /** Cancels an event of this lane; a handle already run or cancelled is ignored. */
  cancel(handle: number): void {
    this.queue.cancel(handle);
  }

  /** `Scheduler.defer_with`. */
  defer_with<T>(fn: (arg: T) => void, arg: T): void {
    this.scheduler.defer_with(fn, arg);
  }

  /** `Scheduler.resume`. */
  resume(): void {
    this.scheduler.resume();
  }

  /** `Scheduler.park`. */
  park(): void {
    this.scheduler.park();
  }

  /** `Scheduler.fail`. */
  fail(error: unknown): void {
    this.scheduler.fail(error);
  }

  /**
   * Parks the calling process for `delay_us` of virtual time; a process of a node no longer
   * `alive` (`sleeper.life`) never resumes. The caller keeps the record (a process sleeps once at
   * a time, so one record per process saves a closure per sleep); one already asleep is not reused.
   */
  sleep_as(delay_us: number, sleeper: Sleeper): Promise<void> {
    if (sleeper.resolve !== null) return this.sleep_as(delay_us, { life: sleeper.life, resolve: null });
    this.scheduler.park();
    return new Promise((resolve) => {
      sleeper.resolve = resolve;
      this.after_with(delay_us, this.wake_sleeper, sleeper);
    });
  }

  private readonly wake_sleeper = (sleeper: Sleeper): void => {
    const resolve = sleeper.resolve!;
    sleeper.resolve = null;
    if (sleeper.life !== null && !sleeper.life.alive) return;
    this.scheduler.resume();
    resolve();
  };
}

export class Scheduler {
  /** Virtual time of the event running now (of the lane running now, inside a window), µs. */
  now_us = 0;
  /** Events run so far. */
  events_run = 0;
  /** Windows run so far (0 when every node is on the global lane). */
  windows_run = 0;
  /** Shortest delay from one lane to another, µs: the longest a window may last (0: one lane). */
  readonly lookahead_us: number;
  /** Lane 0: the run's global events, and every node's when `lookahead_us` is 0. */
  readonly global: Lane;
  private readonly lanes: Lane[] = [];
  /**
   * @internal A lower bound of each lane's next event time, µs (exact once the lane has run in a
   * window; lowered by every push): the loop finds the next window without opening 64 agendas.
   */
  lane_next_us = new Float64Array(16).fill(Infinity);
  /** @internal The node lane running its window now, or 0 between windows. */
  window_lane = 0;
  /** @internal The end of the window in progress, µs (exclusive). */
  window_end_us = 0;
  /** Process continuations running (resumed and not yet parked). */
  private active = 0;
  private failure: unknown = null;
  private stop_requested = false;
  private events_at_instant = 0;
  /** The lane of the last event run (the livelock count is per lane and instant). */
  private last_lane = -1;
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

  /** `lookahead_us`: see the header; 0 keeps every node on the global lane. */
  constructor(options: { readonly lookahead_us?: number } = {}) {
    const lookahead_us = options.lookahead_us ?? 0;
    assert(lookahead_us >= 0 && Number.isFinite(lookahead_us), 'Scheduler: lookahead_us is finite and not negative');
    this.lookahead_us = lookahead_us;
    this.global = this.add_lane_internal();
  }

  /** The lane for a new node: a lane of its own, or the global lane when `lookahead_us` is 0. */
  add_lane(): Lane {
    return this.lookahead_us > 0 ? this.add_lane_internal() : this.global;
  }

  private add_lane_internal(): Lane {
    const index = this.lanes.length;
    assert(index < LANES_MAX, 'Scheduler.add_lane: fewer than LANES_MAX lanes');
    if (index >= this.lane_next_us.length) {
      const length = this.lane_next_us.length;
      this.lane_next_us = grown(this.lane_next_us).fill(Infinity, length);
    }
    const lane = new Lane(this, index);
    this.lanes.push(lane);
    return lane;
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
        this.fail(
          new SimViolation(
            'livelock',
            `more than ${EVENTS_AT_INSTANT_MAX} deferred callbacks at one instant`,
            this.now_us,
          ),
        );
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

  /**
   * Runs events until every lane is empty, virtual time would pass `until_us`, or a stop.
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
    const until_us = this.run_until_us;
    const next_us = this.lane_next_us;
    while (!this.stop_requested) {
      // Inside a window the lane running it, else the global lane (between windows).
      const lane = this.lanes[this.window_lane]!;
      const t = lane.queue.peek_time();
      // Deferred callbacks run once this lane's instant has no event left.
      if (this.soon_count > 0 && t > this.now_us) {
        this.run_soon();
        if (this.active > 0) {
          this.await_park();
          return;
        }
        continue;
      }
      if (this.window_lane !== 0) {
        // Inside a window: run this node's events due before it ends.
        if (t < this.window_end_us && t <= until_us) {
          if (this.run_event(lane, t)) {
            this.await_park();
            return;
          }
          continue;
        }
        next_us[this.window_lane] = t;
        this.window_lane = this.next_window_lane(this.window_lane + 1);
        continue;
      }
      // Between windows: the next global event (at t), or the next window (from tn on).
      let tn = Infinity;
      for (let i = 1; i < this.lanes.length; i++) if (next_us[i]! < tn) tn = next_us[i]!;
      if (t <= tn) {
        if (t > until_us) break;
        if (this.run_event(lane, t)) {
          this.await_park();
          return;
        }
        continue;
      }
      if (tn > until_us) break;
      const end_us = tn + this.lookahead_us;
      this.window_end_us = end_us < t ? end_us : t;
      this.windows_run++;
      this.window_lane = this.next_window_lane(1);
    }
    if (!this.stop_requested && until_us !== Infinity && this.now_us < until_us) this.now_us = until_us;
    const done = this.run_done!;
    this.run_done = null;
    done();
  }

  /** The first node lane from `from` on with an event before the window ends, or 0. */
  private next_window_lane(from: number): number {
    const next_us = this.lane_next_us;
    const end_us = this.window_end_us;
    for (let i = from; i < this.lanes.length; i++) if (next_us[i]! < end_us) return i;
    return 0;
  }

  /** Runs the next event of `lane`, due at `t`. Returns whether it resumed a process. */
  private run_event(lane: Lane, t: number): boolean {
    if (t === this.now_us && lane.index === this.last_lane) {
      if (++this.events_at_instant > EVENTS_AT_INSTANT_MAX) {
        this.fail(
          new SimViolation(
            'livelock',
            `more than ${EVENTS_AT_INSTANT_MAX} events at one instant: virtual time stopped advancing`,
            t,
          ),
        );
        return false;
      }
    } else {
      this.events_at_instant = 0;
      this.last_lane = lane.index;
    }
    this.now_us = t;
    const queue = lane.queue;
    const fn = queue.pop()!;
    const arg = queue.popped_arg;
    this.events_run++;
    try {
      fn(arg);
    } catch (error) {
      this.fail(error);
    }
    return this.active > 0;
  }

  private await_park(): void {
    this.awaiting_park = true;
  }
}
