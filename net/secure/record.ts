/**
 * A record: the messages of one pair of pids, sealed together into one SEALED packet (the
 * layout is in secure_layout.ts; docs/WIRE.md "Records" explains it). The plaintext holds each
 * message as its length (u32, little-endian) and then its bytes; the sealed header says how many
 * there are, so a record lost or refused is counted message by message.
 *
 * `RecordWriter` builds one record at a time in a buffer it keeps, with room for the tag after
 * the plaintext, so the record is sealed where it was built (`sealable`: no allocation and no
 * copy but the messages' own). A buffer grown past `keep_bytes` for one large message is let go
 * once that record is sealed. `record_valid` checks an opened record's framing before any
 * message of it is handed up.
 */
import { assert } from '../../kernel/assert.js';
import { AEAD_TAG_BYTES } from './aead.js';
import { RECORD_LENGTH_BYTES, RECORD_MESSAGES_MAX, get_u32, put_u32 } from './secure_layout.js';

/** The most a record's buffer is made at first, in bytes of plaintext (more only as messages need). */
const FIRST_BYTES_MAX = 64 << 10;

export class RecordWriter {
  /** The pids of the record's messages (valid while `messages` > 0). */
  src_pid = 0;
  dst_pid = 0;
  /** Messages in the record so far. */
  messages = 0;
  private used = 0;
  private buffer: Uint8Array | null = null;
  /** The buffer kept between records, in bytes (a larger one, grown for one message, is let go). */
  private readonly keep_bytes: number;

  /** `keep_bytes`: the plaintext a record usually holds at most (`record_bytes_max`). */
  constructor(keep_bytes: number) {
    assert(Number.isSafeInteger(keep_bytes) && keep_bytes > 0, `record keep_bytes ${keep_bytes}`);
    this.keep_bytes = keep_bytes;
  }

  /** Plaintext bytes so far. */
  get bytes(): number {
    return this.used;
  }

  /** The plaintext bytes with one more message of `length` bytes. */
  bytes_with(length: number): number {
    return this.used + RECORD_LENGTH_BYTES + length;
  }

  /** Starts an empty record for the messages from `src_pid` to `dst_pid`. */
  begin(src_pid: number, dst_pid: number): void {
    assert(this.messages === 0, 'RecordWriter.begin: the record before was not sealed');
    this.src_pid = src_pid;
    this.dst_pid = dst_pid;
  }

  /** Appends `message` (copied). */
  append(message: Uint8Array): void {
    assert(this.messages < RECORD_MESSAGES_MAX, 'RecordWriter.append: record full');
    const end = this.bytes_with(message.length);
    let buffer = this.buffer;
    if (buffer === null || end + AEAD_TAG_BYTES > buffer.length) {
      // Doubling, but not past what is kept (a buffer over it would be let go at every reset).
      const kept = this.keep_bytes + RECORD_LENGTH_BYTES + AEAD_TAG_BYTES;
      const first = Math.min(this.keep_bytes, FIRST_BYTES_MAX) + RECORD_LENGTH_BYTES + AEAD_TAG_BYTES;
      const doubled = buffer === null ? 0 : Math.min(2 * buffer.length, kept);
      const grown = new Uint8Array(Math.max(end + AEAD_TAG_BYTES, first, doubled));
      if (buffer !== null) grown.set(buffer.subarray(0, this.used));
      this.buffer = buffer = grown;
    }
    put_u32(buffer, this.used, message.length);
    buffer.set(message, this.used + RECORD_LENGTH_BYTES);
    this.used = end;
    this.messages++;
  }

  /** The record's plaintext: valid until `reset`. */
  plaintext(): Uint8Array {
    return this.buffer === null ? EMPTY : this.buffer.subarray(0, this.used);
  }

  /**
   * The plaintext and 16 bytes after it, to seal in place (`Session.seal_in_place`): the record
   * is ciphertext and tag from then on, and only `reset` is left to call.
   */
  sealable(): Uint8Array {
    assert(this.buffer !== null, 'RecordWriter.sealable: an empty record');
    return this.buffer.subarray(0, this.used + AEAD_TAG_BYTES);
  }

  /** Calls `fn` with each message of the record (views, valid until `reset`). */
  for_each(fn: (message: Uint8Array) => void): void {
    const plaintext = this.plaintext();
    for (let at = 0; at < this.used; ) {
      const length = get_u32(plaintext, at);
      at += RECORD_LENGTH_BYTES;
      fn(plaintext.subarray(at, at + length));
      at += length;
    }
  }

  /** Empties the record (after it was sealed, or its messages were lost). */
  reset(): void {
    this.messages = 0;
    this.used = 0;
    if (this.buffer !== null && this.buffer.length > this.keep_bytes + RECORD_LENGTH_BYTES + AEAD_TAG_BYTES)
      this.buffer = null;
  }
}

const EMPTY = new Uint8Array(0);

/** Whether `plaintext` is exactly `messages` length-prefixed messages. */
export function record_valid(plaintext: Uint8Array, messages: number): boolean {
  let at = 0;
  for (let i = 0; i < messages; i++) {
    if (plaintext.length - at < RECORD_LENGTH_BYTES) return false;
    const length = get_u32(plaintext, at);
    at += RECORD_LENGTH_BYTES;
    if (length > plaintext.length - at) return false;
    at += length;
  }
  return at === plaintext.length;
}
