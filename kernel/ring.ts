/**
 * Bounded multi-producer single-consumer ring of message slots, on an `Int32Array` over shared
 * memory.
 *
 * Producers claim positions by compare-and-swap on `tail`, after checking free space against
 * the consumer's `head` (cached; re-read only when the ring looks full). They write the slot,
 * payload line first and header line last, and publish it by storing `position + 1` into its
 * `publish_seq` (in the header line), so a slot that is claimed but not yet written is never
 * mistaken for a message. The consumer polls the head slot's `publish_seq`, reads the slot, and
 * frees it by advancing `head`.
 *
 * Why this shape, measured on this project's 2-core VM (docs/PERFORMANCE.md):
 * - The consumer never writes a slot (unlike Vyukov's queue, whose consumer stores a "free"
 *   sequence into every slot), so a slot's lines move from producer to consumer and back only
 *   once per lap.
 * - The consumer never reads `tail`, so the producers' compare-and-swap stays in their cache.
 *   Polling `tail` instead of the slot cost two more transfers per message and let the
 *   consumer see claims before the slot was written, then poll the line being written.
 * - The header line, which holds `publish_seq`, is written last, so a polling consumer does
 *   not steal the payload line while it is being filled.
 * Together these took one-at-a-time throughput from 0.30x to about 0.9x a bare SPSC ring.
 *
 * Memory order: every `Atomics` operation is sequentially consistent in the JS memory model.
 * The plain writes of a slot's body happen-before the `Atomics.store` that publishes it, and a
 * consumer that sees the publication with `Atomics.load` sees the body. The consumer's reads of
 * a slot happen-before its `Atomics.store` of `head`, which a producer reads with
 * `Atomics.load` before reusing the slot. A batch stores the later slots' `publish_seq` with
 * plain writes and the first slot's with `Atomics.store` last: the consumer reaches slot p + k
 * only after it has seen slot p published.
 *
 * A claim gives up after `CLAIM_ATTEMPTS_MAX` lost compare-and-swaps and reports the ring
 * full; the caller then cascades outward, which is always allowed (see fastpath.ts), so no
 * producer spins without bound.
 *
 * Layout: layout/ring_layout.ts and layout/slot_layout.ts.
 */
import { assert, assert_power_of_two, assert_range } from './assert.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { RING_HEAD_WORD, RING_SLOTS, RING_TAIL_WORD } from './layout/ring_layout.js';
import { SLOT_PUBLISH_SEQ_WORD, SLOT_WORDS } from './layout/slot_layout.js';

/** Lost compare-and-swaps after which a claim reports the ring full. */
export const CLAIM_ATTEMPTS_MAX = 64;

/**
 * Formats an empty ring whose positions start at `start` (0 in production; tests start near
 * the Int32 wrap). Each slot's `publish_seq` is set to what it would hold one lap earlier,
 * which is never the `position + 1` that publishes it. `zeroed` says the memory is known to be
 * all zero (a new buffer): at start 0 that already is an empty ring, since no slot of the first
 * lap holds `position + 1` (which is 1 … capacity), so nothing is written and no page touched.
 */
export function ring_format(i32: Int32Array, ring_offset: number, capacity: number, start = 0, zeroed = false): void {
  assert_power_of_two(capacity, 'ring capacity');
  if (zeroed && start === 0) return;
  const base = ring_offset / WORD_BYTES;
  i32[base + RING_TAIL_WORD] = start | 0;
  i32[base + RING_HEAD_WORD] = start | 0;
  const slots = base + RING_SLOTS / WORD_BYTES;
  for (let k = 0; k < capacity; k++) {
    const position = (start + k) | 0;
    const w = slots + (position & (capacity - 1)) * SLOT_WORDS;
    i32.fill(0, w, w + SLOT_WORDS);
    i32[w + SLOT_PUBLISH_SEQ_WORD] = (position + 1 - capacity) | 0;
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
  /** Producer: the last `head` seen (free space is at least `capacity - (tail - head_cache)`). */
  private head_cache: number;
  /** Consumer: the next position to consume (valid in the consumer's view only). */
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
    this.head_cache = this.head;
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
      if (((position + count - this.head_cache) | 0) > this.capacity) {
        this.head_cache = Atomics.load(i32, this.head_word);
        if (((position + count - this.head_cache) | 0) > this.capacity) return false;
      }
      const seen = Atomics.compareExchange(i32, this.tail_word, position, (position + count) | 0);
      if (seen === position) {
        this.claimed = position;
        return true;
      }
      position = seen;
    }
    return false;
  }

  /**
   * The claimer's assertions (debug; called by the writer between `claim` and `publish`, so the
   * two hot methods stay small enough to be inlined into the send): `count` is in range and the
   * slots from `position` are claimed.
   */
  check_claim(position: number, count: number): void {
    assert_range(count, 1, this.capacity, 'ring claim count');
    assert(((Atomics.load(this.i32, this.tail_word) - position) | 0) >= count, 'ring: the slots were claimed');
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
    const head = this.head;
    const w = this.slot_word(head);
    return Atomics.load(this.i32, w + SLOT_PUBLISH_SEQ_WORD) === ((head + 1) | 0) ? w : -1;
  }

  /** Consumer: frees the head slot (after `peek` returned it and it was read). */
  release(): void {
    this.head = (this.head + 1) | 0;
    Atomics.store(this.i32, this.head_word, this.head);
  }

  /** Messages claimed but not yet consumed (racy; for statistics). */
  occupancy(): number {
    const tail = Atomics.load(this.i32, this.tail_word);
    const head = Atomics.load(this.i32, this.head_word);
    return (tail - head) | 0;
  }
}
