/**
 * Reassembles frames from a TCP byte stream: reads may split a frame anywhere or carry several.
 *
 * The decoder keeps at most one partial frame (bounded by `frame_bytes_max`); whole frames are
 * handed out as views where possible and copied only when a frame spans reads. The first bad
 * header ends the stream's usefulness: `push` returns the status and the decoder stays failed,
 * so the caller closes the connection and counts it (a desynchronised stream is never read on
 * silently).
 */
import { assert } from '../kernel/assert.js';
import { FrameHeader, FrameStatus, read_header } from './frame.js';
import { FRAME_HEADER_BYTES } from './wire_layout.js';

/** Called with each whole frame: its header and payload (valid only during the call). */
export type FrameSink = (header: FrameHeader, payload: Uint8Array) => void;

export class FrameDecoder {
  private readonly frame_bytes_max: number;
  private readonly header = new FrameHeader();
  /** Bytes of a partial frame carried over between reads. */
  private pending: Uint8Array;
  private pending_bytes = 0;
  /** Set once a bad frame is seen; the decoder then refuses everything. */
  failed: FrameStatus = FrameStatus.OK;

  constructor(frame_bytes_max: number) {
    this.frame_bytes_max = frame_bytes_max;
    this.pending = new Uint8Array(Math.min(frame_bytes_max, 64 * 1024));
  }

  /** Bytes held of a partial frame. */
  get buffered(): number {
    return this.pending_bytes;
  }

  /**
   * Consumes `chunk`, calling `sink` for each whole frame. Returns OK, or the reason the stream
   * is bad (the decoder then stays failed).
   */
  push(chunk: Uint8Array, sink: FrameSink): FrameStatus {
    if (this.failed !== FrameStatus.OK) return this.failed;
    let at = 0;
    if (this.pending_bytes > 0) {
      at = this.complete_pending(chunk, sink);
      if (at < 0) return this.failed;
      if (this.pending_bytes > 0) return FrameStatus.OK; // The chunk did not finish the frame.
    }
    while (at < chunk.length) {
      const status = read_header(chunk, at, chunk.length, this.frame_bytes_max, this.header);
      if (status === FrameStatus.SHORT) break;
      if (status !== FrameStatus.OK) return this.fail(status);
      const end = at + FRAME_HEADER_BYTES + this.header.length;
      if (end > chunk.length) break;
      sink(this.header, chunk.subarray(at + FRAME_HEADER_BYTES, end));
      at = end;
    }
    if (at < chunk.length) this.keep(chunk.subarray(at));
    return FrameStatus.OK;
  }

  private fail(status: FrameStatus): FrameStatus {
    this.failed = status;
    this.pending_bytes = 0;
    return status;
  }

  /** Appends `bytes` to the partial frame, growing the buffer up to `frame_bytes_max`. */
  private keep(bytes: Uint8Array): void {
    const need = this.pending_bytes + bytes.length;
    assert(need <= this.frame_bytes_max, 'a partial frame fits frame_bytes_max');
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.min(this.frame_bytes_max, Math.max(need, this.pending.length * 2)));
      grown.set(this.pending.subarray(0, this.pending_bytes));
      this.pending = grown;
    }
    this.pending.set(bytes, this.pending_bytes);
    this.pending_bytes = need;
  }

  /**
   * Adds from `chunk` to the partial frame until it is whole (then hands it out). Returns how
   * many bytes of `chunk` it used, or -1 if the frame is bad.
   */
  private complete_pending(chunk: Uint8Array, sink: FrameSink): number {
    let used = 0;
    if (this.pending_bytes < FRAME_HEADER_BYTES) {
      used = Math.min(chunk.length, FRAME_HEADER_BYTES - this.pending_bytes);
      this.keep(chunk.subarray(0, used));
      if (this.pending_bytes < FRAME_HEADER_BYTES) return used;
    }
    const status = read_header(this.pending, 0, this.pending_bytes, this.frame_bytes_max, this.header);
    if (status !== FrameStatus.OK) {
      this.fail(status);
      return -1;
    }
    const total = FRAME_HEADER_BYTES + this.header.length;
    const take = Math.min(chunk.length - used, total - this.pending_bytes);
    this.keep(chunk.subarray(used, used + take));
    used += take;
    if (this.pending_bytes === total) {
      sink(this.header, this.pending.subarray(FRAME_HEADER_BYTES, total));
      this.pending_bytes = 0;
    }
    return used;
  }

  /** Forgets any partial frame and clears a failure (a new connection). */
  reset(): void {
    this.pending_bytes = 0;
    this.failed = FrameStatus.OK;
  }
}
