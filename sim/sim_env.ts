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

/**
 * The `Waiter` of one node incarnation. `wait` (blocking) is a programmer error here: simulated
 * processes receive with `recv_async` / `call_async`, as a browser page or a shared core would.
 */
export class SimWaiter implements Waiter {
  private readonly lane: Lane;
  private readonly clock: NodeClock;
  private readonly prng: Prng;
  private readonly latency: WakeLatency;
  private readonly life: Incarnation;
  private readonly sleepers = new Map<number, Sleeper[]>();
  /** Doorbells rung that woke someone, and waits that ended by timeout. */
  wakes = 0;
  timeouts = 0;

  constructor(lane: Lane, clock: NodeClock, prng: Prng, latency: WakeLatency, life: Incarnation) {
    this.lane = lane;
    this.clock = clock;
    this.prng = prng;
    this.latency = latency;
    this.life = life;
  }

  wait(): WaitResult {
    throw new AssertionError('a blocking wait inside the simulator: simulated processes use recv_async / call_async');
  }

  wait_async(i32: Int32Array, index: number, value: number, timeout_ms: number): Promise<WaitResult> {
    return this.wait_async_on(-1, i32, index, value, timeout_ms);
  }

  /** The waiter a core's attachment uses: its waits and its wakes know their core. */
  for_core(core: number): Waiter {
    return new CoreWaiter(this, core);
  }

  /** @internal `CoreWaiter.wait_async`. */
  wait_async_on(core: number, i32: Int32Array, index: number, value: number, timeout_ms: number): Promise<WaitResult> {
    if (Atomics.load(i32, index) !== value) return Promise.resolve('not-equal');
    this.lane.park();
    return new Promise((resolve) => {
      let list = this.sleepers.get(index);
      if (list === undefined) this.sleepers.set(index, (list = []));
      const sleeper: Sleeper = { list, core, resolve, timer: -1 };
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
    this.timeouts++;
    this.fire(sleeper, 'timed-out');
  };

  private readonly wake_up = (sleeper: Sleeper): void => {
    this.fire(sleeper, 'ok');
  };

  notify(i32: Int32Array, index: number, count: number): number {
    return this.notify_from(-1, i32, index, count);
  }

  /** @internal `CoreWaiter.notify`. */
  notify_from(core: number, _i32: Int32Array, index: number, count: number): number {
    const list = this.sleepers.get(index);
    if (list === undefined || list.length === 0) return 0;
    const woken = Math.min(count, list.length);
    if (this.latency.drop_wake > 0 && this.prng.chance(this.latency.drop_wake)) return 0; // Sabotage.
    for (let i = 0; i < woken; i++) {
      const sleeper = list[i]!;
      this.lane.cancel(sleeper.timer);
      const delay_us =
        core >= 0 && sleeper.core === core
          ? this.latency.wake_local_us
          : this.latency.wake_us_min + this.prng.float() * (this.latency.wake_us_max - this.latency.wake_us_min);
      this.wakes++;
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
    for (const list of this.sleepers.values()) for (const s of list) this.lane.cancel(s.timer);
    this.sleepers.clear();
  }
}

/** One core's view of its node's `SimWaiter` (a class, so the doorbell's calls stay monomorphic). */
class CoreWaiter implements Waiter {
  private readonly owner: SimWaiter;
  private readonly core: number;

  constructor(owner: SimWaiter, core: number) {
    this.owner = owner;
    this.core = core;
  }

  wait(): WaitResult {
    return this.owner.wait();
  }

  wait_async(i32: Int32Array, index: number, value: number, timeout_ms: number): Promise<WaitResult> {
    return this.owner.wait_async_on(this.core, i32, index, value, timeout_ms);
  }

  notify(i32: Int32Array, index: number, count: number): number {
    return this.owner.notify_from(this.core, i32, index, count);
  }
}

/** The kernel environment of a simulated node: virtual clock, parking waiter, no spinning. */
export function sim_kernel_env(clock: NodeClock, waiter: Waiter, debug: boolean): KernelEnv {
  return { clock, waiter, spin_polls: 0, debug };
}
