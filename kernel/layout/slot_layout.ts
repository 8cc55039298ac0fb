/**
 * Message slot: the fixed-size unit that every ring, mailbox and spill block carries.
 *
 * In the MINIX 3 spirit a message is a small fixed record: who sent it, to whom, what kind it
 * is, and a short inline payload. Larger payloads travel by descriptor: `block_offset` names a
 * block of the spill region's payload slab, and the receiver reads the bytes in place.
 *
 * One slot is 128 bytes, two cache lines: the header line and the payload line. Offsets below
 * are byte offsets from the start of the slot; every field is one little-endian Int32 word, so
 * the `_WORD` constants index an `Int32Array` over the same memory.
 *
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | publish_seq   | channel       | src_pid       | dst_pid       |  header line
 *   +---------------+---------------+---------------+---------------+
 *   | m_type        | flags         | seq           | length        |
 *   +---------------+---------------+---------------+---------------+
 *   | block_offset  | block_gen     | badge         | src_node      |
 *   +---------------+---------------+---------------+---------------+
 *   | cap           | aux0          | aux1          | aux2          |
 *   +---------------+---------------+---------------+---------------+  64
 *   | inline payload, 64 bytes                                      |  payload line
 *   |                                                               |
 *   +---------------------------------------------------------------+  128
 *
 * - publish_seq: a ring producer publishes the slot by storing `position + 1` here, so a slot
 *   that is claimed but not yet written is never mistaken for a message (ring.ts). Mailbox
 *   slots keep the tier the message travelled through here; spilled slots leave it zero.
 * - channel: index of the (src, dst) channel in the node's channel table.
 * - seq: the channel's sequence number, which lets the receiver restore per-channel
 *   FIFO order across tiers and the spill region (ARCHITECTURE.md, "Order").
 * - length: inline payload bytes (0..64), or the payload bytes of the block for a descriptor.
 * - block_offset / block_gen: the payload block (byte offset in the spill region, 0 = none)
 *   and its generation when sent, so a stale or double release is detected.
 * - badge, src_node, cap, aux0..2: filled by the channel graph and the network layer. `src_node`
 *   is meaningful with REMOTE (the node it came from) and EGRESS (egress.ts); `cap` with GRANT,
 *   CALL and EGRESS; a reader looks at them only under those flags.
 */
import { CACHE_LINE_BYTES, WORD_BYTES } from './cache_line.js';

let offset = 0;
/** Byte offset of the ring publication sequence. */
export const SLOT_PUBLISH_SEQ = offset;
offset += WORD_BYTES;
/** Byte offset of the channel index. */
export const SLOT_CHANNEL = offset;
offset += WORD_BYTES;
/** Byte offset of the sending pid. */
export const SLOT_SRC_PID = offset;
offset += WORD_BYTES;
/** Byte offset of the receiving pid. */
export const SLOT_DST_PID = offset;
offset += WORD_BYTES;
/** Byte offset of the message type (MINIX `m_type`). */
export const SLOT_M_TYPE = offset;
offset += WORD_BYTES;
/** Byte offset of the flags word (`SlotFlags`). */
export const SLOT_FLAGS = offset;
offset += WORD_BYTES;
/** Byte offset of the per-channel sequence number. */
export const SLOT_SEQ = offset;
offset += WORD_BYTES;
/** Byte offset of the payload length in bytes. */
export const SLOT_LENGTH = offset;
offset += WORD_BYTES;
/** Byte offset of the payload block's offset in the spill region (0 = inline payload). */
export const SLOT_BLOCK_OFFSET = offset;
offset += WORD_BYTES;
/** Byte offset of the payload block's generation at send time. */
export const SLOT_BLOCK_GEN = offset;
offset += WORD_BYTES;
/** Byte offset of the capability badge the receiver sees. */
export const SLOT_BADGE = offset;
offset += WORD_BYTES;
/** Byte offset of the source node id (remote messages). */
export const SLOT_SRC_NODE = offset;
offset += WORD_BYTES;
/** Byte offset of a capability carried by the message (grant or reply). */
export const SLOT_CAP = offset;
offset += WORD_BYTES;
/** Byte offset of the first of three auxiliary words used by upper layers. */
export const SLOT_AUX0 = offset;
offset += WORD_BYTES;
/** Byte offset of the second auxiliary word. */
export const SLOT_AUX1 = offset;
offset += WORD_BYTES;
/** Byte offset of the third auxiliary word. */
export const SLOT_AUX2 = offset;
offset += WORD_BYTES;
/** Bytes of header actually used. */
export const SLOT_HEADER_USED_BYTES = offset;
offset = CACHE_LINE_BYTES;
/** Byte offset of the inline payload: the second cache line. */
export const SLOT_PAYLOAD = offset;
/** Largest inline payload in bytes. Larger payloads travel by descriptor. */
export const SLOT_PAYLOAD_BYTES_MAX = CACHE_LINE_BYTES;
offset += SLOT_PAYLOAD_BYTES_MAX;
/** Total bytes of one slot. */
export const SLOT_BYTES = offset;

/** Int32 word index of each field, for `Int32Array` access. */
export const SLOT_WORDS = SLOT_BYTES / WORD_BYTES;
export const SLOT_PUBLISH_SEQ_WORD = SLOT_PUBLISH_SEQ / WORD_BYTES;
export const SLOT_CHANNEL_WORD = SLOT_CHANNEL / WORD_BYTES;
export const SLOT_SRC_PID_WORD = SLOT_SRC_PID / WORD_BYTES;
export const SLOT_DST_PID_WORD = SLOT_DST_PID / WORD_BYTES;
export const SLOT_M_TYPE_WORD = SLOT_M_TYPE / WORD_BYTES;
export const SLOT_FLAGS_WORD = SLOT_FLAGS / WORD_BYTES;
export const SLOT_SEQ_WORD = SLOT_SEQ / WORD_BYTES;
export const SLOT_LENGTH_WORD = SLOT_LENGTH / WORD_BYTES;
export const SLOT_BLOCK_OFFSET_WORD = SLOT_BLOCK_OFFSET / WORD_BYTES;
export const SLOT_BLOCK_GEN_WORD = SLOT_BLOCK_GEN / WORD_BYTES;
export const SLOT_BADGE_WORD = SLOT_BADGE / WORD_BYTES;
export const SLOT_SRC_NODE_WORD = SLOT_SRC_NODE / WORD_BYTES;
export const SLOT_CAP_WORD = SLOT_CAP / WORD_BYTES;
export const SLOT_AUX0_WORD = SLOT_AUX0 / WORD_BYTES;
export const SLOT_AUX1_WORD = SLOT_AUX1 / WORD_BYTES;
export const SLOT_AUX2_WORD = SLOT_AUX2 / WORD_BYTES;
export const SLOT_PAYLOAD_WORD = SLOT_PAYLOAD / WORD_BYTES;
export const SLOT_PAYLOAD_WORDS = SLOT_PAYLOAD_BYTES_MAX / WORD_BYTES;

/** Bits of the slot's `flags` word. The low 16 bits belong to the user; the kernel owns the rest. */
export const SlotFlags = {
  /** Mask of the user's flag bits, carried untouched. */
  USER_MASK: 0xffff,
  /** The payload is in the block named by `block_offset`, not inline. */
  DESCRIPTOR: 1 << 16,
  /** A kernel notification (`notify`), not an ordinary message; `badge` holds the bits. */
  NOTIFY: 1 << 17,
  /** A reply to a `call`. */
  REPLY: 1 << 18,
  /** A `call`: `cap` holds the receiver's one-shot reply capability. */
  CALL: 1 << 21,
  /**
   * A tombstone: a staged message dropped by `close`. It still travels to the receiver, which
   * consumes it without delivering it, so the channel's sequence numbers have no gap.
   */
  DROPPED: 1 << 22,
  /**
   * A message to another node on its way to the node's network process (kernel/egress.ts has
   * the whole encoding): `cap` holds the remote channel it was sent on (or, with REPLY, the
   * network server's slot of the call it answers), `src_node` the call number (with CALL) or the
   * slot's generation (with REPLY).
   */
  EGRESS: 1 << 23,
  /** The message carries a capability grant: `cap` is a handle in the receiver's table. */
  GRANT: 1 << 19,
  /** The message arrived from another node. */
  REMOTE: 1 << 20,
} as const;
