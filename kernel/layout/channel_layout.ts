/**
 * Channel table entry: the shared state of one (source node, src pid, dst pid) channel.
 *
 * Entries are inserted under the node's control lock (a rare, slow-path event) and looked up
 * without any lock: the inserter writes every field and publishes the entry by storing `key`
 * last, so a reader that sees the key sees the fields. The sender side and the receiver side
 * of an entry are written by different cores, so each has a line of its own.
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | key           | src_node      | src_pid       | dst_pid       |  sender line
 *   +---------------+---------------+---------------+---------------+
 *   | send_seq      | reserved ...                                  |
 *   +---------------------------------------------------------------+  64
 *   | recv_seq      | reserved ...                                  |  receiver line
 *   +---------------------------------------------------------------+  128
 *
 * - key: 0 while the entry is free; else `((src_pid + 1) << 16) | (dst_pid + 1)`, which with
 *   `src_node` identifies the channel. Keys are never reused for another channel.
 * - send_seq: the sequence number the next message will carry (sender's core only).
 * - recv_seq: the sequence number the receiver delivers next (receiver's core only).
 */
import { CACHE_LINE_BYTES, WORD_BYTES } from './cache_line.js';

let offset = 0;
export const CHANNEL_KEY = offset; offset += WORD_BYTES;
export const CHANNEL_SRC_NODE = offset; offset += WORD_BYTES;
export const CHANNEL_SRC_PID = offset; offset += WORD_BYTES;
export const CHANNEL_DST_PID = offset; offset += WORD_BYTES;
export const CHANNEL_SEND_SEQ = offset; offset += WORD_BYTES;
offset = CACHE_LINE_BYTES;
export const CHANNEL_RECV_SEQ = offset; offset += WORD_BYTES;
offset = 2 * CACHE_LINE_BYTES;
/** Bytes of one channel entry. */
export const CHANNEL_BYTES = offset;

export const CHANNEL_WORDS = CHANNEL_BYTES / WORD_BYTES;
export const CHANNEL_KEY_WORD = CHANNEL_KEY / WORD_BYTES;
export const CHANNEL_SRC_NODE_WORD = CHANNEL_SRC_NODE / WORD_BYTES;
export const CHANNEL_SRC_PID_WORD = CHANNEL_SRC_PID / WORD_BYTES;
export const CHANNEL_DST_PID_WORD = CHANNEL_DST_PID / WORD_BYTES;
export const CHANNEL_SEND_SEQ_WORD = CHANNEL_SEND_SEQ / WORD_BYTES;
export const CHANNEL_RECV_SEQ_WORD = CHANNEL_RECV_SEQ / WORD_BYTES;

/** The key of the channel from `src_pid` to `dst_pid`; never 0. */
export function channel_key(src_pid: number, dst_pid: number): number {
  return ((src_pid + 1) << 16) | (dst_pid + 1);
}
