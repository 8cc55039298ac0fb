/**
 * Channel table entry: the shared state of one channel, src pid on `src_node` → dst pid on
 * `dst_node` (node 0 is this node).
 *
 * Entries are inserted under the node's control lock and looked up without any lock: the
 * inserter writes every field and publishes the entry by storing `key` last, so a reader that
 * sees the key sees the fields. Keys are never removed (a closed channel keeps its entry and
 * reopens with a new generation), so every probe sequence stays intact. Each side of the entry
 * has a line of its own, because different threads write them.
 *
 * Every word a send reads is on the sender line: the tag (checked against the capability) and
 * the staging count are written only by a close or a stage, rarely and under the control lock,
 * so sharing the line costs a sender one miss then, and saves it a line on every send (with 64
 * simulated nodes, one line fewer per peer per scheduling step).
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | key           | src_node      | dst_node      | src_pid       |  sender line
 *   +---------------+---------------+---------------+---------------+  (sender's core; tag
 *   | dst_pid       | send_seq      | tag           | staging       |   and staging under the
 *   +---------------+---------------+---------------+---------------+   control lock)
 *   | reserved ...                                                  |
 *   +---------------------------------------------------------------+  64
 *   | recv_seq      | reserved ...                                  |  receiver line
 *   +---------------------------------------------------------------+  128 (receiver's core)
 *   | owner_cap     | reserved ...                                  |  control line
 *   +---------------------------------------------------------------+  192 (control lock)
 *   | staged_head   | staged_tail   | staged_total  | released_total|  staging line
 *   +---------------+---------------+---------------+---------------+  (control lock only)
 *   | submit_target | reserved ...                                  |
 *   +---------------------------------------------------------------+  256
 *
 * - key: 0 while the entry is free; else `((src_pid + 1) << 16) | (dst_pid + 1)`. With
 *   `src_node` and `dst_node` it identifies the channel. The hash uses the key and `src_node`
 *   (not `dst_node`), so a lookup with `ANY_NODE` finds every destination node's channel
 *   between the two pids on one probe sequence.
 * - send_seq: the sequence number the next message will carry (sender's core only).
 * - recv_seq: the sequence number the receiver delivers next (receiver's core only).
 * - tag: `(generation << 2) | ChannelState`. Closing bumps the generation, which makes every
 *   capability and channel handle of the old incarnation stale.
 * - owner_cap: global index of the capability `connect` made for the sender, or -1.
 * - staging: messages staged and not yet released. While it is nonzero every send on the
 *   channel is staged too, so no message overtakes a staged one (staging.ts).
 * - staged_head / staged_tail: the channel's list of staged messages (slab blocks, linked
 *   through their `next`), 0 when empty.
 * - staged_total / released_total: messages ever staged / released; submit_target: the
 *   staged total the pending batch ends at (equal to released_total when none is pending).
 *
 * The graph's per-channel fields (level, edge lists) are not here but in dense arrays of their
 * own (layout/node_layout.ts, "graph arrays"): the cycle check walks many channels, and sixteen
 * of them per cache line instead of one keeps it out of memory stalls.
 */
import { CACHE_LINE_BYTES, WORD_BYTES } from './cache_line.js';

let offset = 0;
export const CHANNEL_KEY = offset;
offset += WORD_BYTES;
export const CHANNEL_SRC_NODE = offset;
offset += WORD_BYTES;
export const CHANNEL_DST_NODE = offset;
offset += WORD_BYTES;
export const CHANNEL_SRC_PID = offset;
offset += WORD_BYTES;
export const CHANNEL_DST_PID = offset;
offset += WORD_BYTES;
export const CHANNEL_SEND_SEQ = offset;
offset += WORD_BYTES;
export const CHANNEL_TAG = offset;
offset += WORD_BYTES;
export const CHANNEL_STAGING = offset;
offset += WORD_BYTES;
offset = CACHE_LINE_BYTES;
export const CHANNEL_RECV_SEQ = offset;
offset += WORD_BYTES;
offset = 2 * CACHE_LINE_BYTES;
export const CHANNEL_OWNER_CAP = offset;
offset += WORD_BYTES;
offset = 3 * CACHE_LINE_BYTES;
export const CHANNEL_STAGED_HEAD = offset;
offset += WORD_BYTES;
export const CHANNEL_STAGED_TAIL = offset;
offset += WORD_BYTES;
export const CHANNEL_STAGED_TOTAL = offset;
offset += WORD_BYTES;
export const CHANNEL_RELEASED_TOTAL = offset;
offset += WORD_BYTES;
export const CHANNEL_SUBMIT_TARGET = offset;
offset += WORD_BYTES;
offset = 4 * CACHE_LINE_BYTES;
/** Bytes of one channel entry. */
export const CHANNEL_BYTES = offset;

export const CHANNEL_WORDS = CHANNEL_BYTES / WORD_BYTES;
export const CHANNEL_KEY_WORD = CHANNEL_KEY / WORD_BYTES;
export const CHANNEL_SRC_NODE_WORD = CHANNEL_SRC_NODE / WORD_BYTES;
export const CHANNEL_DST_NODE_WORD = CHANNEL_DST_NODE / WORD_BYTES;
export const CHANNEL_SRC_PID_WORD = CHANNEL_SRC_PID / WORD_BYTES;
export const CHANNEL_DST_PID_WORD = CHANNEL_DST_PID / WORD_BYTES;
export const CHANNEL_SEND_SEQ_WORD = CHANNEL_SEND_SEQ / WORD_BYTES;
export const CHANNEL_RECV_SEQ_WORD = CHANNEL_RECV_SEQ / WORD_BYTES;
export const CHANNEL_TAG_WORD = CHANNEL_TAG / WORD_BYTES;
export const CHANNEL_OWNER_CAP_WORD = CHANNEL_OWNER_CAP / WORD_BYTES;
export const CHANNEL_STAGING_WORD = CHANNEL_STAGING / WORD_BYTES;
export const CHANNEL_STAGED_HEAD_WORD = CHANNEL_STAGED_HEAD / WORD_BYTES;
export const CHANNEL_STAGED_TAIL_WORD = CHANNEL_STAGED_TAIL / WORD_BYTES;
export const CHANNEL_STAGED_TOTAL_WORD = CHANNEL_STAGED_TOTAL / WORD_BYTES;
export const CHANNEL_RELEASED_TOTAL_WORD = CHANNEL_RELEASED_TOTAL / WORD_BYTES;
export const CHANNEL_SUBMIT_TARGET_WORD = CHANNEL_SUBMIT_TARGET / WORD_BYTES;

/** The state half of a channel's tag. */
export const ChannelState = { FREE: 0, OPEN: 1, CLOSED: 2 } as const;
/** Channel generations wrap at 30 bits in the tag; handles carry the low `CHANNEL_HANDLE_GEN_BITS`. */
export const CHANNEL_GENERATION_MASK = 0x3fff_ffff;

/** Bits of a channel handle that hold the channel index: so `channels_max` is at most 2^20. */
export const CHANNEL_INDEX_BITS = 20;
export const CHANNEL_INDEX_MASK = (1 << CHANNEL_INDEX_BITS) - 1;
/** Bits of a channel handle that hold the channel's generation. */
export const CHANNEL_HANDLE_GEN_BITS = 31 - CHANNEL_INDEX_BITS;
export const CHANNEL_HANDLE_GEN_MASK = (1 << CHANNEL_HANDLE_GEN_BITS) - 1;

/** The key of the channel from `src_pid` to `dst_pid`; never 0. */
export function channel_key(src_pid: number, dst_pid: number): number {
  return ((src_pid + 1) << 16) | (dst_pid + 1);
}

/** Bits of a tag that hold the state; the generation is the rest. */
const CHANNEL_STATE_MASK = 3;

/** The tag of a channel in `state` at `generation`. */
export function channel_tag(generation: number, state: number): number {
  return ((generation & CHANNEL_GENERATION_MASK) << 2) | state;
}

/** The `ChannelState` of a tag. */
export function channel_tag_state(tag: number): number {
  return tag & CHANNEL_STATE_MASK;
}

/** The generation of a tag. */
export function channel_tag_generation(tag: number): number {
  return tag >>> 2;
}

/** The handle of channel `index` at `generation` (a positive Int32: the low generation bits, then the index). */
export function channel_handle(index: number, generation: number): number {
  return ((generation & CHANNEL_HANDLE_GEN_MASK) << CHANNEL_INDEX_BITS) | index;
}

/** The channel index a handle names. */
export function channel_handle_index(handle: number): number {
  return handle & CHANNEL_INDEX_MASK;
}

/** Whether `handle` was issued at `generation` (handles keep only the low generation bits). */
export function channel_handle_matches(handle: number, generation: number): boolean {
  return (generation & CHANNEL_HANDLE_GEN_MASK) === handle >>> CHANNEL_INDEX_BITS;
}
