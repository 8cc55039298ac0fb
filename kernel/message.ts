/**
 * `Message`: the reusable record a process fills to send and receives into, in the MINIX 3
 * manner (`message m; m.m_type = 42; send(dst, &m)`).
 *
 * A process keeps one or a few `Message`s and reuses them, so sending and receiving allocate
 * nothing. The inline payload is a 64-byte buffer owned by the message; larger payloads travel
 * in a slab block named by `block_offset` (see `CoreKernel.alloc_block`).
 */
import { assert_range } from './assert.js';
import { SLOT_PAYLOAD_BYTES_MAX, SLOT_PAYLOAD_WORDS } from './layout/slot_layout.js';

export class Message {
  /** Sending pid (filled by the kernel on receive). */
  src_pid = 0;
  /** Receiving pid (filled by the kernel on receive). */
  dst_pid = 0;
  /** Message type, the MINIX `m_type`: free for the application. */
  m_type = 0;
  /** User flags (low 16 bits) and, on receive, the kernel's `SlotFlags`. */
  flags = 0;
  /** Per-channel sequence number (filled by the kernel on receive). */
  seq = 0;
  /** Inline payload bytes (0..64), or the payload bytes in the block. */
  length = 0;
  /** Byte offset of the payload block in the spill region; 0 for an inline payload. */
  block_offset = 0;
  /** Generation of the payload block (filled by the kernel). */
  block_gen = 0;
  /** Badge of the capability the message was sent with (seL4 style), or 0. */
  badge = 0;
  /** Node the message came from (0 = this node). */
  src_node = 0;
  /** A capability carried by the message, or 0. */
  cap = 0;
  /** Words for upper layers (call ids, notification bits). */
  aux0 = 0;
  aux1 = 0;
  aux2 = 0;
  /** Where the message travelled: `Tier.L1`, `L2`, `L3` or `SPILL` (filled on receive). */
  tier = 0;
  /** Inline payload: 64 bytes owned by this message. */
  readonly payload: Uint8Array;
  /** The same 64 bytes as 16 Int32 words (the kernel copies whole words). */
  readonly payload_words: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer(SLOT_PAYLOAD_BYTES_MAX);
    this.payload = new Uint8Array(buffer);
    this.payload_words = new Int32Array(buffer);
    if (this.payload_words.length !== SLOT_PAYLOAD_WORDS) throw new Error('payload words');
  }

  /** Copies `bytes` (at most 64) into the inline payload and sets `length`. Clears any block. */
  set_payload(bytes: Uint8Array): this {
    assert_range(bytes.length, 0, SLOT_PAYLOAD_BYTES_MAX, 'inline payload bytes');
    this.payload.set(bytes);
    this.length = bytes.length;
    this.block_offset = 0;
    this.block_gen = 0;
    return this;
  }

  /** A copy of the inline payload's `length` bytes (allocates; for tests and tools). */
  payload_bytes(): Uint8Array {
    return this.payload.slice(0, Math.min(this.length, SLOT_PAYLOAD_BYTES_MAX));
  }

  /** Resets every field to zero so a reused message carries nothing from its last use. */
  clear(): this {
    this.src_pid = 0;
    this.dst_pid = 0;
    this.m_type = 0;
    this.flags = 0;
    this.seq = 0;
    this.length = 0;
    this.block_offset = 0;
    this.block_gen = 0;
    this.badge = 0;
    this.src_node = 0;
    this.cap = 0;
    this.aux0 = 0;
    this.aux1 = 0;
    this.aux2 = 0;
    this.tier = 0;
    this.payload_words.fill(0);
    return this;
  }

  /** Copies every field and the payload of `other` into this message. */
  copy_from(other: Message): this {
    this.src_pid = other.src_pid;
    this.dst_pid = other.dst_pid;
    this.m_type = other.m_type;
    this.flags = other.flags;
    this.seq = other.seq;
    this.length = other.length;
    this.block_offset = other.block_offset;
    this.block_gen = other.block_gen;
    this.badge = other.badge;
    this.src_node = other.src_node;
    this.cap = other.cap;
    this.aux0 = other.aux0;
    this.aux1 = other.aux1;
    this.aux2 = other.aux2;
    this.tier = other.tier;
    this.payload_words.set(other.payload_words);
    return this;
  }
}
