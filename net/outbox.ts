/**
 * The outbox of one persistent TCP peer: frames waiting to be written, encoded straight into a
 * byte buffer, and taken out as batches, one write each.
 *
 * A frame is written once, header and payload, into the current buffer (no per-frame
 * allocation). `take()` hands the whole buffer out as a `Batch` and starts a new one from the
 * spare; `recycle()` returns a written batch's buffer as the spare. With one write in flight per
 * connection (the driver's rule) two buffers per peer serve any load in the steady state.
 *
 * A batch whose write failed with a reconnect error comes back through `retry()`, marked
 * `retried`, and `take()` hands it out again before anything newer, on its own: the frames of a
 * batch share one fate, so "retry once" is exact per frame.
 *
 * Bounds: `pending_bytes` (current buffer plus batches to retry) never exceeds `bytes_max`; an
 * append that would is refused, and the caller reports `would_block`.
 */
import { assert } from '../kernel/assert.js';
import type { NetSystemError } from './driver.js';
import { write_frame } from './frame.js';
import { FRAME_HEADER_BYTES, FrameType } from './wire_layout.js';

/** Told how a frame's write ended. */
export type SendDone = (error: NetSystemError | null) => void;

/** Frames taken out together for one write. */
export interface Batch {
  /** The frames' bytes, back to back. */
  readonly bytes: Uint8Array;
  readonly frames: number;
  /** The data messages its frames carry (one per DATA frame, a record's count per SEALED): what a loss would lose. */
  readonly data_messages: number;
  /** Callbacks of the frames whose sender asked to be told (`send`), in order; null if none. */
  readonly waiters: SendDone[] | null;
  /** Whether this batch is already the retry of a failed write. */
  retried: boolean;
  /** The buffer `bytes` is a view of (returned by `recycle`). */
  readonly buffer: Uint8Array;
}

/** Size of a peer's first buffer. */
export const OUTBOX_BYTES_INITIAL = 64 * 1024;
/** A buffer grown past this is not kept as the spare once written (memory goes back). */
export const OUTBOX_BYTES_KEEP = 4 * 1024 * 1024;

export class Outbox {
  private readonly bytes_max: number;
  private buffer: Uint8Array | null = null;
  private spare: Uint8Array | null = null;
  private used = 0;
  private frames = 0;
  private data_messages = 0;
  private waiters: SendDone[] | null = null;
  private readonly retries: Batch[] = [];
  private retry_bytes = 0;
  private retry_data_messages = 0;

  constructor(bytes_max: number) {
    assert(Number.isInteger(bytes_max) && bytes_max > FRAME_HEADER_BYTES, `outbox bytes_max ${bytes_max}`);
    this.bytes_max = bytes_max;
  }

  /** Bytes waiting (not yet handed to a write). */
  get pending_bytes(): number {
    return this.used + this.retry_bytes;
  }

  /** Data messages waiting (in DATA and SEALED frames), including batches to retry: messages not yet on the wire. */
  get pending_data_messages(): number {
    return this.data_messages + this.retry_data_messages;
  }

  /** Bytes of frames `append` takes now before it refuses. */
  get room_bytes(): number {
    return this.bytes_max - this.pending_bytes;
  }

  get empty(): boolean {
    return this.used === 0 && this.retries.length === 0;
  }

  /**
   * Encodes a frame (`head`, if any, then `payload`) carrying `messages` data messages at the
   * end of the current buffer. Returns false, changing nothing, if it would take
   * `pending_bytes` over `bytes_max`.
   */
  append(
    type: number,
    src_node: number,
    payload: Uint8Array,
    done: SendDone | null,
    head: Uint8Array | null = null,
    messages = type === FrameType.DATA || type === FrameType.SEALED ? 1 : 0,
  ): boolean {
    const frame_bytes = FRAME_HEADER_BYTES + (head === null ? 0 : head.length) + payload.length;
    if (this.pending_bytes + frame_bytes > this.bytes_max) return false;
    const buffer = this.room(frame_bytes);
    this.used = write_frame(buffer, this.used, type, src_node, payload, head);
    this.frames++;
    this.data_messages += messages;
    if (done !== null) (this.waiters ??= []).push(done);
    return true;
  }

  /** The current buffer, grown (doubling, at most to `bytes_max`) to fit `bytes` more. */
  private room(bytes: number): Uint8Array {
    let buffer = this.buffer;
    if (buffer === null) {
      buffer = this.spare ?? new Uint8Array(Math.min(this.bytes_max, OUTBOX_BYTES_INITIAL));
      this.spare = null;
      this.buffer = buffer;
    }
    const need = this.used + bytes;
    if (need <= buffer.length) return buffer;
    const grown = new Uint8Array(Math.min(this.bytes_max, Math.max(need, buffer.length * 2)));
    grown.set(buffer.subarray(0, this.used));
    this.buffer = grown;
    return grown;
  }

  /** The next batch to write: a batch to retry first, else everything appended; null if none. */
  take(): Batch | null {
    const retry = this.retries.shift();
    if (retry !== undefined) {
      this.retry_bytes -= retry.bytes.length;
      this.retry_data_messages -= retry.data_messages;
      return retry;
    }
    if (this.used === 0) return null;
    const buffer = this.buffer!;
    const batch: Batch = {
      bytes: buffer.subarray(0, this.used),
      frames: this.frames,
      data_messages: this.data_messages,
      waiters: this.waiters,
      retried: false,
      buffer,
    };
    this.buffer = null;
    this.used = 0;
    this.frames = 0;
    this.data_messages = 0;
    this.waiters = null;
    return batch;
  }

  /** Keeps a written batch's buffer for reuse. */
  recycle(batch: Batch): void {
    if (this.spare === null && batch.buffer.length <= OUTBOX_BYTES_KEEP) this.spare = batch.buffer;
  }

  /** Puts a failed batch back, first in line, to be written once more. */
  retry(batch: Batch): void {
    assert(!batch.retried, 'a batch is retried at most once');
    batch.retried = true;
    this.retries.push(batch);
    this.retry_bytes += batch.bytes.length;
    this.retry_data_messages += batch.data_messages;
  }

  /** Takes every waiting batch out (to fail them): the outbox is empty after. */
  drain(): Batch[] {
    const out: Batch[] = [];
    for (let batch = this.take(); batch !== null; batch = this.take()) out.push(batch);
    return out;
  }
}
