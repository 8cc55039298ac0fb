/**
 * The kernel's and the network's seams, implemented on the simulator's virtual clock: a skewed
 * per-node `Clock`, `Timers` on the agenda, and a `Waiter` whose waits park the process until a
 * doorbell rings (the kernel's real doorbell protocol: `Atomics.notify` becomes a scheduled wake)
 * or its timeout passes in virtual time.
 */
import { AssertionError } from '../kernel/assert.js';
import type { Clock, KernelEnv, WaitResult, Waiter } from '../kernel/env.js';
import type { Timers } from '../net/transport.js';
import type { Prng } from './prng.js';
import type { Lane } from './scheduler.js';

/** The shortest timed wait, virtual µs (1 ns): far above the clocks' rounding at any run length. */
export const WAIT_US_MIN = 0.001;

/** A node's life: everything scheduled for it checks `alive`, so a crash silences it at once. */
export interface Incarnation {
  alive: boolean;
  readonly epoch: number;
}

/** A node's view of time: `offset_ms + virtual × (1 + drift_ppm / 10^6)`. */
export class NodeClock implements Clock {
  private readonly lane: Lane;
  readonly offset_ms: number;
  readonly drift_ppm: number;
  private readonly rate: number;

  constructor(lane: Lane, offset_ms = 0, drift_ppm = 0) {
    this.lane = lane;
    this.offset_ms = offset_ms;
    this.drift_ppm = drift_ppm;
    this.rate = 1 + drift_ppm / 1e6;
  }

  now_ms(): number {
    return this.offset_ms + (this.lane.now_us * this.rate) / 1000;
  }

  /** Virtual microseconds that pass while this node's clock advances `ms`. */
  virtual_us(ms: number): number {
    return (ms * 1000) / this.rate;
  }
}

/** `Timers` for one node incarnation, on its node's lane. */
export function sim_timers(lane: Lane, clock: NodeClock, life: Incarnation): Timers {
  const if_alive = (callback: () => void): void => {
    if (life.alive) callback();
  };
  return {
    set(delay_ms, callback) {
      return lane.after_with(clock.virtual_us(delay_ms), if_alive, callback);
    },
    clear(handle) {
      lane.cancel(handle);
    },
    defer(callback) {
      lane.defer_with(if_alive, callback);
    },
  };
}

interface Sleeper {
  /** The sleepers of its doorbell, which it is on until woken or timed out. */
  readonly list: Sleeper[];
  /** The core whose thread waits (a wake from the same core costs `wake_local_us`). */
  readonly core: number;
  resolve: ((result: WaitResult) => void) | null;
  timer: number;
}

/**
 * Wake-up latency of a doorbell, microseconds: from another core, drawn between the bounds (a
 * futex wake of another thread on real hardware); from the sleeper's own core, `wake_local_us`
 * (its thread settles an `Atomics.waitAsync` it notified itself). Defaults: costs.ts.
 */
export interface WakeLatency {
  readonly wake_us_min: number;
  readonly wake_us_max: number;
  readonly wake_local_us: number;
  /** Sabotage (tests only): the chance that a wake-up is dropped (`faults.sabotage.drop_wake`). */
  readonly drop_wake: number;
}

/** What the waiters of one node incarnation's cores share: who sleeps on which doorbell, and the counts. */
class WaitState {
  readonly sleepers = new Map<number, Sleeper[]>();
  /** Doorbells rung that woke someone, and waits that ended by timeout. */
  wakes = 0;
  timeouts = 0;
}

/**
 * The `Waiter` of one core of a node incarnation (`for_core`), or of the node as a whole (the
 * one the node makes: its core is -1, so its wakes all count as from another core). All of a
 * node's waiters share one `WaitState`. `wait` (blocking) is a programmer error here: simulated
 * processes receive with `recv_async` / `call_async`, as a browser page or a shared core would.
 * Each core gets an instance of this one class, not a wrapper, so the doorbell's calls stay
 * monomorphic and one level deep (a wrapper cost the 64-node bench 5 %: V8's inlining budget).
 */
export class SimWaiter implements Waiter {
  private readonly lane: Lane;
  private readonly clock: NodeClock;
  private readonly prng: Prng;
  private readonly latency: WakeLatency;
  private readonly life: Incarnation;
  /** The core whose attachment waits and wakes through this waiter; -1 for the node's. */
  private readonly core: number;
  private readonly state: WaitState;
  /** When a wait on this waiter last ended by its timer, virtual µs (-1: never). */
  last_timeout_us = -1;

  constructor(
    lane: Lane,
    clock: NodeClock,
    prng: Prng,
    latency: WakeLatency,
    life: Incarnation,
    core = -1,
    state: WaitState = new WaitState(),
  ) {
    this.lane = lane;
    this.clock = clock;
    this.prng = prng;
    this.latency = latency;
    this.life = life;
    this.core = core;
    this.state = state;
  }

  /** Doorbells rung that woke someone, over the node's cores. */
  get wakes(): number {
    return this.state.wakes;
  }

  /** Waits that ended by timeout, over the node's cores. */
  get timeouts(): number {
    return this.state.timeouts;
  }

  /** The waiter of `core`'s attachment: its waits and its wakes know their core. */
  for_core(core: number): SimWaiter {
    return new SimWaiter(this.lane, this.clock, this.prng, this.latency, this.life, core, this.state);
  }

  wait(): WaitResult {
    throw new AssertionError('a blocking wait inside the simulator: simulated processes use recv_async / call_async');
  }

  wait_async(i32: Int32Array, index: number, value: number, timeout_ms: number): Promise<WaitResult> {
    if (Atomics.load(i32, index) !== value) return Promise.resolve('not-equal');
    this.lane.park();
    return new Promise((resolve) => {
      const sleepers = this.state.sleepers;
      let list = sleepers.get(index);
      if (list === undefined) sleepers.set(index, (list = []));
      const sleeper: Sleeper = { list, core: this.core, resolve, timer: -1 };
      list.push(sleeper);
      // At least a nanosecond, so a timed-out wait always finds the clock moved on (a rounding
      // remainder of a timeout would otherwise fire at the same instant, again and again).
      sleeper.timer = this.lane.after_with(
        Math.max(WAIT_US_MIN, this.clock.virtual_us(timeout_ms)),
        this.time_out,
        sleeper,
      );
    });
  }

  private readonly time_out = (sleeper: Sleeper): void => {
    const at = sleeper.list.indexOf(sleeper);
    if (at >= 0) sleeper.list.splice(at, 1);
    this.state.timeouts++;
    this.last_timeout_us = this.lane.now_us;
    this.fire(sleeper, 'timed-out');
  };

  private readonly wake_up = (sleeper: Sleeper): void => {
    this.fire(sleeper, 'ok');
  };

  notify(_i32: Int32Array, index: number, count: number): number {
    const list = this.state.sleepers.get(index);
    if (list === undefined || list.length === 0) return 0;
    const woken = Math.min(count, list.length);
    if (this.latency.drop_wake > 0 && this.prng.chance(this.latency.drop_wake)) return 0; // Sabotage.
    const core = this.core;
    for (let i = 0; i < woken; i++) {
      const sleeper = list[i]!;
      this.lane.cancel(sleeper.timer);
      const delay_us =
        core >= 0 && sleeper.core === core
          ? this.latency.wake_local_us
          : this.latency.wake_us_min + this.prng.float() * (this.latency.wake_us_max - this.latency.wake_us_min);
      this.state.wakes++;
      this.lane.after_with(delay_us, this.wake_up, sleeper);
    }
    // Drop the woken from the front without the array `splice` would return.
    list.copyWithin(0, woken);
    list.length -= woken;
    return woken;
  }

  private fire(sleeper: Sleeper, result: WaitResult): void {
    const resolve = sleeper.resolve;
    if (resolve === null || !this.life.alive) return; // A crashed node's processes never resume.
    sleeper.resolve = null;
    this.lane.resume();
    resolve(result);
  }

  /** Forgets every sleeper (the node crashed): their processes never resume. */
  abandon(): void {
    for (const list of this.state.sleepers.values()) for (const s of list) this.lane.cancel(s.timer);
    this.state.sleepers.clear();
  }
}

/** The kernel environment of a simulated node: virtual clock, parking waiter, no spinning. */
export function sim_kernel_env(clock: NodeClock, waiter: Waiter, debug: boolean): KernelEnv {
  return { clock, waiter, spin_polls: 0, debug };
}
