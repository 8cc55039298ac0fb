/**
 * Process entry: the shared state of one pid, in the node's control region.
 *
 *   0               4               8               12              16
 *   +---------------+-----------------------------------------------+
 *   | notify_bits   | (line 0: notifiers' atomic OR only)           |  64
 *   +---------------+---------------+---------------+---------------+
 *   | flags         | call_seq      | reply_state   | reply_status  |  line 1: process state
 *   +---------------+---------------+---------------+---------------+
 *   | net_refused   |                                               |
 *   +---------------+-----------------------------------------------+  128
 *   | reply slot: one message slot (128 bytes, layout/slot_layout.ts)|  lines 2-3
 *   +---------------------------------------------------------------+  256
 *
 * - notify_bits: pending notifications (seL4 style): `notify` ORs the notifier's badge in, the
 *   receiver takes the whole word with one exchange. On a line of its own because any process
 *   may write it.
 * - flags: `ProcessFlags` (listening, exited).
 * - call_seq: number of the caller's current (or last) `call`; a reply capability names it, so
 *   a reply meant for an earlier call can never land in a later one.
 * - reply_state: `(call_seq << 2) | ReplyState`. The caller sets WAITING; the replier moves it
 *   WAITING → WRITING → READY by compare-and-swap and store; process exit moves it to DEAD.
 * - reply_status: the status the caller's `call` returns (OK, or DEAD_PEER).
 * - net_refused: messages of this process the network refused or failed to send after the
 *   kernel took them (a send handed to the network core, a write that failed later, a handshake
 *   that gave up): the network core adds to it, the process reads it (`Kernel.net_refused`).
 *   A send the network refuses at once returns its status instead and is not counted here.
 * - reply slot: the reply message, written by the replier, read by the caller.
 */
import { CACHE_LINE_BYTES, WORD_BYTES } from './cache_line.js';
import { SLOT_BYTES } from './slot_layout.js';

let offset = 0;
export const PROCESS_NOTIFY_BITS = offset;
offset = CACHE_LINE_BYTES;
export const PROCESS_FLAGS = offset;
offset += WORD_BYTES;
export const PROCESS_CALL_SEQ = offset;
offset += WORD_BYTES;
export const PROCESS_REPLY_STATE = offset;
offset += WORD_BYTES;
export const PROCESS_REPLY_STATUS = offset;
offset += WORD_BYTES;
export const PROCESS_NET_REFUSED = offset;
offset += WORD_BYTES;
offset = 2 * CACHE_LINE_BYTES;
/** Byte offset of the reply slot. */
export const PROCESS_REPLY_SLOT = offset;
offset += SLOT_BYTES;
/** Bytes of one process entry. */
export const PROCESS_BYTES = offset;

export const PROCESS_WORDS = PROCESS_BYTES / WORD_BYTES;
export const PROCESS_NOTIFY_BITS_WORD = PROCESS_NOTIFY_BITS / WORD_BYTES;
export const PROCESS_FLAGS_WORD = PROCESS_FLAGS / WORD_BYTES;
export const PROCESS_CALL_SEQ_WORD = PROCESS_CALL_SEQ / WORD_BYTES;
export const PROCESS_REPLY_STATE_WORD = PROCESS_REPLY_STATE / WORD_BYTES;
export const PROCESS_REPLY_STATUS_WORD = PROCESS_REPLY_STATUS / WORD_BYTES;
export const PROCESS_NET_REFUSED_WORD = PROCESS_NET_REFUSED / WORD_BYTES;
export const PROCESS_REPLY_SLOT_WORD = PROCESS_REPLY_SLOT / WORD_BYTES;

/** Bits of a process entry's `flags`. */
export const ProcessFlags = {
  /** `listen(pid)` was called: the pid may receive. */
  LISTENING: 1,
  /** The process exited; calls to it fail with DEAD_PEER. */
  EXITED: 2,
} as const;

/** Call numbers wrap at 29 bits (they share `reply_state` with the 2-bit state). */
export const CALL_SEQ_MASK = 0x1fff_ffff;

/** The `reply_state` word of call `call_seq` in `state`. */
export function reply_state(call_seq: number, state: number): number {
  return ((call_seq & CALL_SEQ_MASK) << 2) | state;
}

/** The `ReplyState` of a `reply_state` word. */
export function reply_state_kind(word: number): number {
  return word & 3;
}

/** The call number of a `reply_state` word. */
export function reply_state_call_seq(word: number): number {
  return word >>> 2;
}

/** The state half of `reply_state`. */
export const ReplyState = {
  IDLE: 0,
  WAITING: 1,
  /** A replier is writing the reply slot. */
  WRITING: 2,
  /** The reply (or a DEAD_PEER status) is ready for the caller. */
  READY: 3,
} as const;
