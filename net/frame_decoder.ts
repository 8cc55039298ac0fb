/**
 * Reassembles frames from a TCP byte stream: reads may split a frame anywhere or carry several.
 *
 * A frame wholly inside one read is handed out as a view of that read's bytes. One that spans
 * reads is gathered, from its header on, once its header has been checked (so into at most
 * `frame_bytes_max`): a DATA or SEALED frame into a buffer of its own, which the caller may keep
 * (a sealed record is opened in place and its messages handed up as views of it); any other
 * frame (handshakes, consumed on the spot) into one buffer the decoder reuses. The sink learns
 * which (`owned`).
 *
 * Memory follows the bytes that arrived, never the length a header claims: a gathering buffer
 * starts at `ASSEMBLY_START_BYTES` (or the frame's size, if smaller) and doubles as bytes come,
 * up to the frame's size, so a connection holds at most about twice what it sent (a header that
 * claims 1 MiB followed by one byte costs 1 KiB, not 1 MiB).
 *
 * The first bad header ends the stream's usefulness: `push` returns the status and the decoder
 * stays failed, so the caller closes the connection and counts it (a desynchronised stream is
 * never read on silently).
 */
import { FrameHeader, FrameStatus, read_header } from './frame.js';
import { FRAME_HEADER_BYTES, FrameType } from './wire_layout.js';

/**
 * Called with each whole frame: its header (reused: valid only during the call) and its payload.
 * `owned`: the payload is a view of a pushed chunk or of a buffer given away (keep it at will);
 * otherwise it lives in the decoder's reused buffer and is valid only during the call.
 */
export type FrameSink = (header: FrameHeader, payload: Uint8Array, owned: boolean) => void;

/** The first size of a buffer gathering a split frame; it doubles as the frame's bytes arrive. */
export const ASSEMBLY_START_BYTES = 1024;

export class FrameDecoder {
  private readonly frame_bytes_max: number;
  private readonly sink: FrameSink;
  private readonly header = new FrameHeader();
  /** The first bytes of a header split across reads. */
  private readonly header_bytes = new Uint8Array(FRAME_HEADER_BYTES);
  private header_have = 0;
  /** A frame (header included) split across reads: its buffer (grown as bytes come), how much of it is here, and its whole size. */
  private frame: Uint8Array | null = null;
  private frame_have = 0;
  private frame_size = 0;
  private frame_owned = false;
  /** The reused buffer of frames other than DATA (grown as needed, up to `frame_bytes_max`). */
  private scratch = new Uint8Array(0);
  /** Frames handed out so far. */
  frames = 0;
  /** Set once a bad frame is seen; the decoder then refuses everything. */
  failed: FrameStatus = FrameStatus.OK;

  constructor(frame_bytes_max: number, sink: FrameSink) {
    this.frame_bytes_max = frame_bytes_max;
    this.sink = sink;
  }

  /** Bytes held of a partial frame. */
  get buffered(): number {
    return this.header_have + this.frame_have;
  }

  /** Bytes allocated to gather the partial frame now (0 when none is split), at most about twice `buffered`. */
  get gathering_bytes(): number {
    return this.frame === null ? 0 : this.frame.length;
  }

  /**
   * Consumes `chunk`, calling the sink for each whole frame. Returns OK, or the reason the stream
   * is bad (the decoder then stays failed).
   */
  push(chunk: Uint8Array): FrameStatus {
    if (this.failed !== FrameStatus.OK) return this.failed;
    let at = 0;
    if (this.header_have > 0) {
      at = this.complete_header(chunk);
      if (at < 0) return this.failed;
    }
    if (this.frame !== null) {
      at = this.complete_frame(chunk, at);
      if (this.frame !== null) return FrameStatus.OK; // The chunk did not finish the frame.
    }
    const end = chunk.length;
    while (at < end) {
      const status = read_header(chunk, at, end, this.frame_bytes_max, this.header);
      if (status === FrameStatus.SHORT) {
        this.header_bytes.set(chunk.subarray(at, end));
        this.header_have = end - at;
        return FrameStatus.OK;
      }
      if (status !== FrameStatus.OK) return this.fail(status);
      const frame_end = at + FRAME_HEADER_BYTES + this.header.length;
      if (frame_end > end) {
        this.start_frame(chunk.subarray(at, end));
        return FrameStatus.OK;
      }
      this.frames++;
      this.sink(this.header, chunk.subarray(at + FRAME_HEADER_BYTES, frame_end), true);
      at = frame_end;
    }
    return FrameStatus.OK;
  }

  private fail(status: FrameStatus): FrameStatus {
    this.failed = status;
    this.header_have = 0;
    this.frame = null;
    this.frame_have = 0;
    return status;
  }

  /** Opens the buffer of a frame whose checked header (in `this.header`) starts `bytes`. */
  private start_frame(bytes: Uint8Array): void {
    const size = FRAME_HEADER_BYTES + this.header.length;
    this.frame_size = size;
    this.frame_owned = this.header.type === FrameType.DATA || this.header.type === FrameType.SEALED;
    // Twice what came with the header: a frame most of whose bytes came at once is gathered without a copy more.
    const first = Math.min(size, Math.max(ASSEMBLY_START_BYTES, 2 * bytes.length));
    if (this.frame_owned) {
      this.frame = new Uint8Array(first);
    } else {
      if (this.scratch.length < first) this.scratch = new Uint8Array(first);
      this.frame = this.scratch;
    }
    this.frame.set(bytes);
    this.frame_have = bytes.length;
  }

  /** Makes room for `needed` bytes of the split frame: at least doubling, at most its size. */
  private grow(needed: number): Uint8Array {
    const old = this.frame!;
    const next = new Uint8Array(Math.min(this.frame_size, Math.max(needed, old.length * 2)));
    next.set(old.subarray(0, this.frame_have));
    if (!this.frame_owned) this.scratch = next;
    this.frame = next;
    return next;
  }

  /**
   * Adds from `chunk` to a split header; once it is whole and checked, opens the frame's buffer.
   * Returns how many bytes of `chunk` it used, or -1 if the header is bad.
   */
  private complete_header(chunk: Uint8Array): number {
    const used = Math.min(chunk.length, FRAME_HEADER_BYTES - this.header_have);
    this.header_bytes.set(chunk.subarray(0, used), this.header_have);
    this.header_have += used;
    if (this.header_have < FRAME_HEADER_BYTES) return used;
    this.header_have = 0;
    const status = read_header(this.header_bytes, 0, FRAME_HEADER_BYTES, this.frame_bytes_max, this.header);
    if (status !== FrameStatus.OK) {
      this.fail(status);
      return -1;
    }
    this.start_frame(this.header_bytes);
    return used;
  }

  /** Adds from `chunk[at..]` to the split frame, handing it out when whole; returns the new `at`. */
  private complete_frame(chunk: Uint8Array, at: number): number {
    const size = this.frame_size;
    const take = Math.min(chunk.length - at, size - this.frame_have);
    let frame = this.frame!;
    if (this.frame_have + take > frame.length) frame = this.grow(this.frame_have + take);
    frame.set(chunk.subarray(at, at + take), this.frame_have);
    this.frame_have += take;
    if (this.frame_have === size) {
      this.frame = null;
      this.frame_have = 0;
      this.frames++;
      this.sink(this.header, frame.subarray(FRAME_HEADER_BYTES, size), this.frame_owned);
    }
    return at + take;
  }

  /** Forgets any partial frame and clears a failure (a new connection). */
  reset(): void {
    this.header_have = 0;
    this.frame = null;
    this.frame_have = 0;
    this.failed = FrameStatus.OK;
  }
}
