/**
 * The node's control lock: a futex-style mutex on one shared word (Ulrich Drepper, "Futexes
 * Are Tricky", mutex 2). It guards control-plane changes only (channel inserts, graph edits);
 * the send and receive paths never take it.
 *
 * Word: 0 free, 1 held, 2 held with (possible) sleepers.
 */
import { AssertionError } from './assert.js';
import type { Clock, Waiter } from './env.js';

/** Longest a thread waits for the lock before declaring its holder dead (a crashed worker). */
export const LOCK_WAIT_MS_MAX = 10_000;
const LOCK_SPINS = 100;

/** Takes the lock. */
export function lock(i32: Int32Array, word: number, waiter: Waiter, clock: Clock): void {
  for (let i = 0; i < LOCK_SPINS; i++) {
    if (Atomics.compareExchange(i32, word, 0, 1) === 0) return;
  }
  const deadline = clock.now_ms() + LOCK_WAIT_MS_MAX;
  let state = Atomics.exchange(i32, word, 2);
  while (state !== 0) {
    const remaining = deadline - clock.now_ms();
    if (remaining <= 0) throw new AssertionError(`control lock: held for over ${LOCK_WAIT_MS_MAX} ms`);
    waiter.wait(i32, word, 2, remaining);
    state = Atomics.exchange(i32, word, 2);
  }
}

/** Releases the lock, waking one sleeper if there may be one. */
export function unlock(i32: Int32Array, word: number, waiter: Waiter): void {
  const previous = Atomics.sub(i32, word, 1);
  if (previous === 1) return;
  if (previous !== 2) throw new AssertionError(`control lock: released while free (state ${previous})`);
  Atomics.store(i32, word, 0);
  waiter.notify(i32, word, 1);
}
