/**
 * Bounded multi-producer single-consumer ring of message slots (Dmitry Vyukov's bounded
 * queue, specialised to one consumer), on an `Int32Array` over shared memory.
 *
 * Producer: read `tail`; the slot for position p is free when its `publish_seq == p`; claim it
 * (or n consecutive positions) by compare-and-swap of `tail` from p to p + n; write the slots;
 * publish by storing `p + 1` into `publish_seq`. Consumer: the head slot is ready when its
 * `publish_seq == head + 1`; after reading it, free it by storing `head + capacity`.
 *
 * Memory order: the JS memory model makes every `Atomics` operation sequentially consistent,
 * so the plain writes of a slot's body happen-before the `Atomics.store` that publishes it,
 * and a consumer that sees the publication with `Atomics.load` sees the body. A batch stores
 * the later slots' `publish_seq` with plain writes and the first slot's with `Atomics.store`
 * last: the consumer reaches slot p + k only after it has seen slot p published.
 *
 * A claim gives up after `CLAIM_ATTEMPTS_MAX` lost compare-and-swaps and reports the ring
 * full; the caller then cascades outward, which is always allowed (see fastpath.ts), so no
 * producer ever spins without bound.
 *
 * Layout: layout/ring_layout.ts and layout/slot_layout.ts.
 */
import { assert, assert_power_of_two } from './assert.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { RING_HEAD_WORD, RING_SLOTS, RING_TAIL_WORD } from './layout/ring_layout.js';
import { SLOT_PUBLISH_SEQ_WORD, SLOT_WORDS } from './layout/slot_layout.js';

/** Lost compare-and-swaps after which a claim reports the ring full. */
export const CLAIM_ATTEMPTS_MAX = 64;

/**
 * Formats an empty ring whose positions start at `start` (0 in production; tests start near
 * the Int32 wrap): the slot of position p is free when its `publish_seq` is p.
 */
export function ring_format(i32: Int32Array, ring_offset: number, capacity: number, start = 0): void {
  assert_power_of_two(capacity, 'ring capacity');
  const base = ring_offset / WORD_BYTES;
  i32[base + RING_TAIL_WORD] = start | 0;
  i32[base + RING_HEAD_WORD] = start | 0;
  const slots = base + RING_SLOTS / WORD_BYTES;
  for (let k = 0; k < capacity; k++) {
    const position = (start + k) | 0;
    const w = slots + (position & (capacity - 1)) * SLOT_WORDS;
    i32.fill(0, w, w + SLOT_WORDS);
    i32[w + SLOT_PUBLISH_SEQ_WORD] = position;
  }
}

/**
 * One thread's view of one ring. Producers and the consumer each build their own view; a view
 * holds the thread's private state (the claimed position, the consumer's cached head).
 */
export class Ring {
  readonly i32: Int32Array;
  readonly capacity: number;
  private readonly mask: number;
  private readonly tail_word: number;
  private readonly head_word: number;
  private readonly slots_word: number;
  /** Position of the first slot of the last successful claim. */
  claimed = 0;
  /** The consumer's next position (valid in the consumer's view only). */
  private head: number;

  constructor(i32: Int32Array, ring_offset: number, capacity: number) {
    assert_power_of_two(capacity, 'ring capacity');
    assert(ring_offset % WORD_BYTES === 0, 'ring offset is word aligned');
    this.i32 = i32;
    this.capacity = capacity;
    this.mask = capacity - 1;
    const base = ring_offset / WORD_BYTES;
    this.tail_word = base + RING_TAIL_WORD;
    this.head_word = base + RING_HEAD_WORD;
    this.slots_word = base + RING_SLOTS / WORD_BYTES;
    this.head = Atomics.load(i32, this.head_word);
  }

  /** Word index of the slot that holds `position`. */
  slot_word(position: number): number {
    return this.slots_word + (position & this.mask) * SLOT_WORDS;
  }

  /**
   * Claims `count` consecutive positions (1 ≤ count ≤ capacity). On success the first is in
   * `claimed` and the caller must write and `publish` them. Returns false when the ring has no
   * room for all of them (or stayed contended for `CLAIM_ATTEMPTS_MAX` tries).
   */
  claim(count: number): boolean {
    const i32 = this.i32;
    let position = Atomics.load(i32, this.tail_word);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS_MAX; attempt++) {
      const last = (position + count - 1) | 0;
      const seq = Atomics.load(i32, this.slot_word(last) + SLOT_PUBLISH_SEQ_WORD);
      const lag = (seq - last) | 0;
      if (lag === 0) {
        const seen = Atomics.compareExchange(i32, this.tail_word, position, (position + count) | 0);
        if (seen === position) {
          this.claimed = position;
          return true;
        }
        position = seen;
      } else if (lag < 0) {
        return false; // The slot still holds the message of a previous lap: full.
      } else {
        position = Atomics.load(i32, this.tail_word); // Another producer claimed it first.
      }
    }
    return false;
  }

  /** Publishes `count` slots claimed at `position`, the first one last. */
  publish(position: number, count: number): void {
    const i32 = this.i32;
    for (let k = 1; k < count; k++) {
      const p = (position + k) | 0;
      i32[this.slot_word(p) + SLOT_PUBLISH_SEQ_WORD] = (p + 1) | 0;
    }
    Atomics.store(i32, this.slot_word(position) + SLOT_PUBLISH_SEQ_WORD, (position + 1) | 0);
  }

  /** Consumer: word index of the head slot if it is published, else -1. */
  peek(): number {
    const w = this.slot_word(this.head);
    const seq = Atomics.load(this.i32, w + SLOT_PUBLISH_SEQ_WORD);
    return seq === ((this.head + 1) | 0) ? w : -1;
  }

  /** Consumer: frees the head slot (after `peek` returned it and it was read). */
  release(): void {
    const w = this.slot_word(this.head);
    Atomics.store(this.i32, w + SLOT_PUBLISH_SEQ_WORD, (this.head + this.capacity) | 0);
    this.head = (this.head + 1) | 0;
    this.i32[this.head_word] = this.head;
  }

  /** Messages claimed but not yet consumed (racy; for statistics). */
  occupancy(): number {
    const tail = Atomics.load(this.i32, this.tail_word);
    const head = Atomics.load(this.i32, this.head_word);
    return (tail - head) | 0;
  }
}
