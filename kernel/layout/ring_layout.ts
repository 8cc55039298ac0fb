/**
 * Ring: a bounded multi-producer single-consumer queue of message slots.
 *
 * Each receiving core owns one ring per tier (L1, L2, L3). Producers claim positions by
 * compare-and-swap on `tail` and publish each slot through its `publish_seq`; the consumer
 * polls that word and frees slots by advancing `head`. Tail and head each get two cache lines,
 * so the producers' word and the consumer's word never share a line (ring.ts explains the
 * protocol and why).
 *
 *   0                                   128                                 256
 *   +-----------------------------------+-----------------------------------+------------------+
 *   | tail: next position to claim      | head: next position to consume    | slot[0]          |
 *   | (Int32, producers' CAS)           | (Int32, consumer's store)         | slot[1]  ...     |
 *   | padded to two lines               | padded to two lines               | slot[capacity-1] |
 *   +-----------------------------------+-----------------------------------+------------------+
 *                                                                            256 + capacity*128
 *
 * Positions are Int32 that wrap; capacity is a power of two no larger than 2^20, so
 * `(a - b) | 0` orders them correctly across the wrap.
 */
import { assert, assert_power_of_two } from '../assert.js';
import { CONTENDED_BYTES, WORD_BYTES } from './cache_line.js';
import { SLOT_BYTES } from './slot_layout.js';

let offset = 0;
/** Byte offset of the producers' tail position (Int32). */
export const RING_TAIL = offset;
offset += CONTENDED_BYTES;
/** Byte offset of the consumer's head position (Int32). */
export const RING_HEAD = offset;
offset += CONTENDED_BYTES;
/** Byte offset of the first slot. */
export const RING_SLOTS = offset;
/** Bytes of the ring header before the slots. */
export const RING_HEADER_BYTES = offset;

export const RING_TAIL_WORD = RING_TAIL / WORD_BYTES;
export const RING_HEAD_WORD = RING_HEAD / WORD_BYTES;

/** Smallest and largest ring capacity, in slots. */
export const RING_CAPACITY_MIN = 2;
export const RING_CAPACITY_MAX = 1 << 20;

/** Total bytes of a ring of `capacity` slots. */
export function ring_bytes(capacity: number): number {
  assert_power_of_two(capacity, 'ring capacity');
  assert(capacity >= RING_CAPACITY_MIN && capacity <= RING_CAPACITY_MAX, 'ring capacity in range');
  return RING_HEADER_BYTES + capacity * SLOT_BYTES;
}
