/**
 * Slab block: the unit the spill region's allocator hands out.
 *
 * A block is a one-line header followed by its data. A block serves one of two purposes:
 * - PAYLOAD: the data is a large payload, sent by descriptor; the receiver reads it in place
 *   and releases it.
 * - SPILLED: the data is a whole message slot (128 bytes) that found every ring on its path
 *   full; the block is linked into the receiving core's spill queue through `next`.
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | next          | class_index   | tag           | owner_core    |  header line
 *   +---------------+---------------+---------------+---------------+
 *   | length        | reserved ...                                  |
 *   +---------------+---------------+---------------+---------------+
 *   | reserved                                                      |
 *   +---------------------------------------------------------------+  64
 *   | data: class block_bytes                                       |
 *   +---------------------------------------------------------------+  64 + block_bytes
 *
 * - next: byte offset (in the region) of the next block in a spill queue, 0 at the end.
 * - tag: `(generation << 2) | state` in one word, so state and generation change together by
 *   one compare-and-swap. The generation (30 bits, wrapping) is bumped on every allocation; a
 *   descriptor carries it, so releasing a block that was freed and reallocated since is refused
 *   as stale instead of freeing someone else's block.
 * - owner_core: the core that allocated the block (for the leak report in stats).
 *
 * Block offsets are byte offsets from the start of the region and never 0 (the region header
 * is there), so 0 serves as "none".
 */
import { CACHE_LINE_BYTES, WORD_BYTES } from './cache_line.js';

let offset = 0;
/** Byte offset of the spill-queue link. */
export const BLOCK_NEXT = offset;
offset += WORD_BYTES;
/** Byte offset of the size class the block belongs to. */
export const BLOCK_CLASS = offset;
offset += WORD_BYTES;
/** Byte offset of the tag: `(generation << 2) | state`. */
export const BLOCK_TAG = offset;
offset += WORD_BYTES;
/** Byte offset of the allocating core. */
export const BLOCK_OWNER_CORE = offset;
offset += WORD_BYTES;
/** Byte offset of the payload length in bytes. */
export const BLOCK_LENGTH = offset;
offset += WORD_BYTES;
/** Bytes of header actually used. */
export const BLOCK_HEADER_USED_BYTES = offset;
/** Byte offset of the data: the header is one whole line so the data starts line-aligned. */
export const BLOCK_DATA = CACHE_LINE_BYTES;
/** Bytes of block header. */
export const BLOCK_HEADER_BYTES = CACHE_LINE_BYTES;

export const BLOCK_NEXT_WORD = BLOCK_NEXT / WORD_BYTES;
export const BLOCK_CLASS_WORD = BLOCK_CLASS / WORD_BYTES;
export const BLOCK_TAG_WORD = BLOCK_TAG / WORD_BYTES;
export const BLOCK_OWNER_CORE_WORD = BLOCK_OWNER_CORE / WORD_BYTES;
export const BLOCK_LENGTH_WORD = BLOCK_LENGTH / WORD_BYTES;

/** Bits of the tag that hold the state; the generation is the rest. */
export const BLOCK_STATE_MASK = 3;
/** Generations wrap at 30 bits. */
export const BLOCK_GENERATION_MASK = 0x3fff_ffff;

/** The tag of a block in `state` at `generation`. */
export function block_tag(generation: number, state: number): number {
  return ((generation & BLOCK_GENERATION_MASK) << 2) | state;
}

/** The `BlockState` of a tag. */
export function block_tag_state(tag: number): number {
  return tag & BLOCK_STATE_MASK;
}

/** The generation of a tag. */
export function block_tag_generation(tag: number): number {
  return tag >>> 2;
}

/** Lifecycle of a block. */
export const BlockState = {
  FREE: 0,
  /** Allocated by a sender for a payload; held until the receiver releases it. */
  PAYLOAD: 1,
  /** Holds a spilled message slot, queued for its receiving core. */
  SPILLED: 2,
  /** A per-core spill queue's stub node: never allocated, never freed. */
  STUB: 3,
} as const;
