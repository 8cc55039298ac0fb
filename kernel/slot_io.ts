/**
 * Copies between a `Message` and a 128-byte slot image in shared memory (a ring slot, a
 * mailbox slot or a spilled block's data), and from one slot image to another.
 *
 * Only the payload words in use are copied (`ceil(length / 4)` of 16), and nothing allocates.
 * Layout of a slot: layout/slot_layout.ts.
 */
import {
  SLOT_AUX0_WORD,
  SLOT_AUX1_WORD,
  SLOT_AUX2_WORD,
  SLOT_BADGE_WORD,
  SLOT_BLOCK_GEN_WORD,
  SLOT_BLOCK_OFFSET_WORD,
  SLOT_CAP_WORD,
  SLOT_SEQ_WORD,
  SLOT_CHANNEL_WORD,
  SLOT_DST_PID_WORD,
  SLOT_FLAGS_WORD,
  SLOT_LENGTH_WORD,
  SLOT_M_TYPE_WORD,
  SLOT_PAYLOAD_WORD,
  SLOT_PUBLISH_SEQ_WORD,
  SLOT_SRC_NODE_WORD,
  SLOT_SRC_PID_WORD,
  SLOT_WORDS,
  SlotFlags,
} from './layout/slot_layout.js';
import type { Message } from './message.js';

/** Flags under which a slot's `cap` word is meaningful. */
const CAP_FLAGS = SlotFlags.GRANT | SlotFlags.CALL | SlotFlags.EGRESS;
/** Flags under which a slot's `src_node` word is meaningful. */
const NODE_FLAGS = SlotFlags.REMOTE | SlotFlags.EGRESS;
/** Flags under which a slot carries any of its optional words. */
const OPTIONAL_FLAGS = SlotFlags.DESCRIPTOR | NODE_FLAGS | CAP_FLAGS;

/** Payload words a slot of `length` bytes uses (descriptors carry none inline). */
function payload_words_of(flags: number, length: number): number {
  if ((flags & SlotFlags.DESCRIPTOR) !== 0) return 0;
  return (length + 3) >>> 2;
}

/** Writes `m` into the slot image at word `w`, as channel `channel` with sequence `seq`. */
export function write_slot(
  i32: Int32Array,
  w: number,
  m: Message,
  flags: number,
  channel: number,
  seq: number,
  src_node: number,
): void {
  // The payload line first, the header line last: the consumer polls the header line's
  // publish_seq, so it should be the line written last (ring.ts).
  const words = payload_words_of(flags, m.length);
  const source = m.payload_words;
  const p = w + SLOT_PAYLOAD_WORD;
  for (let k = 0; k < words; k++) i32[p + k] = source[k]!;
  i32[w + SLOT_CHANNEL_WORD] = channel;
  i32[w + SLOT_SRC_PID_WORD] = m.src_pid;
  i32[w + SLOT_DST_PID_WORD] = m.dst_pid;
  i32[w + SLOT_M_TYPE_WORD] = m.m_type;
  i32[w + SLOT_FLAGS_WORD] = flags;
  i32[w + SLOT_SEQ_WORD] = seq;
  i32[w + SLOT_LENGTH_WORD] = m.length;
  i32[w + SLOT_BADGE_WORD] = m.badge;
  i32[w + SLOT_AUX0_WORD] = m.aux0;
  i32[w + SLOT_AUX1_WORD] = m.aux1;
  i32[w + SLOT_AUX2_WORD] = m.aux2;
  if ((flags & OPTIONAL_FLAGS) !== 0) write_optional(i32, w, m, flags, src_node);
}

/**
 * The fields only some messages carry, written only then; readers look at them only under the
 * same flags (read_slot), so a reused slot's stale words are never seen. (Out of `write_slot`,
 * so the common slot write stays small enough for the compiler to inline into the send.)
 */
function write_optional(i32: Int32Array, w: number, m: Message, flags: number, src_node: number): void {
  if ((flags & SlotFlags.DESCRIPTOR) !== 0) {
    i32[w + SLOT_BLOCK_OFFSET_WORD] = m.block_offset;
    i32[w + SLOT_BLOCK_GEN_WORD] = m.block_gen;
  }
  if ((flags & SlotFlags.REMOTE) !== 0) i32[w + SLOT_SRC_NODE_WORD] = src_node;
  else if ((flags & SlotFlags.EGRESS) !== 0) i32[w + SLOT_SRC_NODE_WORD] = m.src_node; // egress.ts
  if ((flags & CAP_FLAGS) !== 0) i32[w + SLOT_CAP_WORD] = m.cap;
}

/** Reads the slot image at word `w` into `m`; `tier` records where it travelled. */
export function read_slot(i32: Int32Array, w: number, m: Message, tier: number): void {
  m.src_pid = i32[w + SLOT_SRC_PID_WORD]!;
  m.dst_pid = i32[w + SLOT_DST_PID_WORD]!;
  m.m_type = i32[w + SLOT_M_TYPE_WORD]!;
  const flags = i32[w + SLOT_FLAGS_WORD]!;
  m.flags = flags;
  m.seq = i32[w + SLOT_SEQ_WORD]!;
  const length = i32[w + SLOT_LENGTH_WORD]!;
  m.length = length;
  const descriptor = (flags & SlotFlags.DESCRIPTOR) !== 0;
  m.block_offset = descriptor ? i32[w + SLOT_BLOCK_OFFSET_WORD]! : 0;
  m.block_gen = descriptor ? i32[w + SLOT_BLOCK_GEN_WORD]! : 0;
  m.badge = i32[w + SLOT_BADGE_WORD]!;
  m.src_node = (flags & NODE_FLAGS) !== 0 ? i32[w + SLOT_SRC_NODE_WORD]! : 0;
  m.cap = (flags & CAP_FLAGS) !== 0 ? i32[w + SLOT_CAP_WORD]! : 0;
  m.aux0 = i32[w + SLOT_AUX0_WORD]!;
  m.aux1 = i32[w + SLOT_AUX1_WORD]!;
  m.aux2 = i32[w + SLOT_AUX2_WORD]!;
  m.tier = tier;
  const words = payload_words_of(flags, length);
  const target = m.payload_words;
  const p = w + SLOT_PAYLOAD_WORD;
  for (let k = 0; k < words; k++) target[k] = i32[p + k]!;
}

/**
 * Copies a slot image (header and the payload words in use) from one place to another, and
 * stores `tier` in the target's publication word (mailbox slots do not need it otherwise).
 */
export function copy_slot(source: Int32Array, s: number, target: Int32Array, t: number, tier: number): void {
  const words = SLOT_PAYLOAD_WORD + payload_words_of(source[s + SLOT_FLAGS_WORD]!, source[s + SLOT_LENGTH_WORD]!);
  for (let k = 1; k < words; k++) target[t + k] = source[s + k]!;
  target[t + SLOT_PUBLISH_SEQ_WORD] = tier;
}

/** Word count of one slot (re-exported for callers that step through slot arrays). */
export const SLOT_WORD_COUNT = SLOT_WORDS;
