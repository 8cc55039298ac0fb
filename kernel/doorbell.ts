/**
 * Doorbells: the one way anything in a node wakes a sleeping thread.
 *
 * Each core has a doorbell word and a count of its sleepers (layout/node_layout.ts, core
 * control). A receiver that finds nothing to do registers as a sleeper, samples the doorbell,
 * polls once more, and sleeps while the doorbell still holds the sampled value (fastpath.ts,
 * `arm`). Whoever makes work for the core (a sender, a replier, a notifier, a process exit, the
 * node closing) publishes it first and then rings: if the core has a sleeper, it bumps the
 * doorbell and wakes every sleeper through the injected `Waiter`. Because the sleeper registers
 * before its last poll and the ringer publishes before it reads the count, one of the two always
 * sees the other: no wake-up is lost.
 *
 * The wake goes through the `Waiter` and nothing else: `Atomics.notify` on real threads, a
 * scheduled resumption in the simulator. Code that wakes a core takes a `Doorbells` (every
 * attachment has one); none calls `Atomics.notify` itself.
 */
import type { Waiter } from './env.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { CORE_DOORBELL, CORE_WAITERS } from './layout/node_layout.js';
import type { NodeMemory } from './node_memory.js';

export class Doorbells {
  private readonly i32: Int32Array;
  private readonly waiter: Waiter;
  /** Word index of each core's doorbell, and of its sleeper count. */
  private readonly bell_words: Int32Array;
  private readonly sleeper_words: Int32Array;
  /** Cores of the node. */
  readonly cores: number;

  constructor(memory: NodeMemory, waiter: Waiter) {
    this.i32 = memory.i32;
    this.waiter = waiter;
    this.cores = memory.cores;
    this.bell_words = new Int32Array(this.cores);
    this.sleeper_words = new Int32Array(this.cores);
    for (let core = 0; core < this.cores; core++) {
      const control = memory.core_control_word(core);
      this.bell_words[core] = control + CORE_DOORBELL / WORD_BYTES;
      this.sleeper_words[core] = control + CORE_WAITERS / WORD_BYTES;
    }
  }

  /** Whether a thread sleeps (or is about to sleep) on `core`'s doorbell. */
  has_sleeper(core: number): boolean {
    return Atomics.load(this.i32, this.sleeper_words[core]!) !== 0;
  }

  /**
   * Rings `core`'s doorbell if a thread sleeps on it. Call it after publishing the work the
   * sleeper will find. Returns whether it rang.
   */
  ring(core: number): boolean {
    if (Atomics.load(this.i32, this.sleeper_words[core]!) === 0) return false;
    this.ring_now(core);
    return true;
  }

  /** Bumps `core`'s doorbell and wakes its sleepers (the cold half of `ring`). */
  ring_now(core: number): void {
    const bell = this.bell_words[core]!;
    Atomics.add(this.i32, bell, 1);
    this.waiter.notify(this.i32, bell, Infinity);
  }

  /** Rings every core that has a sleeper (the node is closing). */
  ring_all(): void {
    for (let core = 0; core < this.cores; core++) this.ring(core);
  }

  // The sleeper's side (fastpath.ts): register, sample, sleep, unregister.

  /** Registers a sleeper on `core` and returns the doorbell's value to sleep on. */
  arm(core: number): number {
    Atomics.add(this.i32, this.sleeper_words[core]!, 1);
    return Atomics.load(this.i32, this.bell_words[core]!);
  }

  /** Unregisters a sleeper of `core`. */
  disarm(core: number): void {
    Atomics.sub(this.i32, this.sleeper_words[core]!, 1);
  }

  /** Sleeps on `core`'s doorbell while it holds `bell`, at most `timeout_ms` (blocks the thread). */
  sleep(core: number, bell: number, timeout_ms: number): void {
    this.waiter.wait(this.i32, this.bell_words[core]!, bell, timeout_ms);
  }

  /** Like `sleep`, without blocking the thread. */
  sleep_async(core: number, bell: number, timeout_ms: number): Promise<unknown> {
    return this.waiter.wait_async(this.i32, this.bell_words[core]!, bell, timeout_ms);
  }
}
