/**
 * The kernel's seams to its host: a clock, a way to wait, and how long to spin.
 *
 * The kernel never reads a clock, a random source or a socket by itself. Real hosts (worker
 * threads, a browser page) pass the `Atomics`-based waiter and `performance.now()`; the
 * deterministic simulator passes a virtual clock and a waiter that never blocks. The same ring,
 * slab and fastpath code then runs in both.
 */

/** A monotonic clock in milliseconds. */
export interface Clock {
  /** Milliseconds since an arbitrary origin, never decreasing. */
  now_ms(): number;
}

/** Outcome of a wait, as `Atomics.wait` reports it. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** How a thread sleeps on a shared word and wakes others. */
export interface Waiter {
  /** Sleeps while `i32[index] === value`, at most `timeout_ms`. May not be allowed on a page's main thread. */
  wait(i32: Int32Array, index: number, value: number, timeout_ms: number): WaitResult;
  /** Like `wait`, without blocking the thread. */
  wait_async(i32: Int32Array, index: number, value: number, timeout_ms: number): Promise<WaitResult>;
  /** Wakes up to `count` sleepers on `i32[index]`. */
  notify(i32: Int32Array, index: number, count: number): number;
}

/** Everything a kernel attachment takes from its host. */
export interface KernelEnv {
  readonly clock: Clock;
  readonly waiter: Waiter;
  /**
   * Polls of the rings before a blocking receive goes to sleep. A round trip that sleeps pays
   * a futex wake (~50 µs on this class of VM); one that catches the reply while polling pays
   * ~0.3 µs. Spinning only helps while the sender runs on another hardware thread, so keep it
   * short where simulated cores outnumber hardware threads.
   */
  readonly spin_polls: number;
  /**
   * Whether the hot path checks its invariants (TigerBeetle style): a slot's channel index in
   * range and its receiver bound to the consuming core, an inline length within the cap, ring
   * claim counts in range, descriptors inside the slab, and each boundary's writer and reader
   * agreeing. On in tests and in the simulator; off in the benchmarks and by default, where a
   * failed check would be a bug that tests exist to catch.
   */
  readonly debug: boolean;
}

/**
 * `Atomics.waitAsync` (ES2024; in Node since 16 and in every current browser), typed here rather
 * than through TypeScript's `ES2024.SharedMemory` lib, so that neither this package's
 * declarations nor a consumer's build need that lib.
 */
interface AtomicsWaitAsync {
  waitAsync(
    i32: Int32Array,
    index: number,
    value: number,
    timeout_ms: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

/** The waiter over `Atomics.wait` / `Atomics.waitAsync` / `Atomics.notify`. */
export function atomics_waiter(): Waiter {
  const atomics = Atomics as unknown as AtomicsWaitAsync;
  return {
    wait(i32, index, value, timeout_ms) {
      return Atomics.wait(i32, index, value, timeout_ms);
    },
    async wait_async(i32, index, value, timeout_ms) {
      const result = atomics.waitAsync(i32, index, value, timeout_ms);
      return result.async ? await result.value : result.value;
    },
    notify(i32, index, count) {
      return Atomics.notify(i32, index, count);
    },
  };
}

/** A clock over `performance.now()`, present in Node and in browsers. */
export function performance_clock(): Clock {
  return { now_ms: () => performance.now() };
}

/** Polls before sleeping, by default. See `KernelEnv.spin_polls`. */
export const SPIN_POLLS_DEFAULT = 2000;

/**
 * The environment of a real thread: `Atomics` waits, `performance.now()`, a short spin, and the
 * hot-path assertions off unless `debug`.
 */
export function real_env(spin_polls = SPIN_POLLS_DEFAULT, debug = false): KernelEnv {
  return { clock: performance_clock(), waiter: atomics_waiter(), spin_polls, debug };
}
