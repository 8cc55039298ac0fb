/**
 * Encoding and checking frame headers (layout: wire_layout.ts, docs/WIRE.md).
 *
 * Decoding never throws: it returns a `FrameStatus`, and the caller drops and counts what is
 * not OK. All reads are bounds-checked against the bytes actually present.
 */
import { assert_range } from '../kernel/assert.js';
import {
  FRAME_CHECK_OFFSET,
  FRAME_FLAGS_OFFSET,
  FRAME_HEADER_BYTES,
  FRAME_LENGTH_OFFSET,
  FRAME_MAGIC,
  FRAME_MAGIC_OFFSET,
  FRAME_SRC_NODE_OFFSET,
  FRAME_TYPE_MAX,
  FRAME_TYPE_OFFSET,
  FRAME_VERSION,
  FRAME_VERSION_OFFSET,
} from './wire_layout.js';

/** Outcome of checking a frame header. */
export const FrameStatus = {
  OK: 0,
  /** Fewer bytes than a header (or than the frame's length) are present yet. */
  SHORT: 1,
  BAD_MAGIC: 2,
  BAD_VERSION: 3,
  BAD_CHECK: 4,
  BAD_TYPE: 5,
  /** The length is over the largest frame allowed. */
  OVERSIZED: 6,
  /** A datagram whose bytes do not match its frame's length. */
  BAD_LENGTH: 7,
  /** The source node is 0 or over 2^31 - 1. */
  BAD_NODE: 8,
  /** The reserved flags (bytes 4–5) are not 0. */
  BAD_FLAGS: 9,
} as const;
export type FrameStatus = (typeof FrameStatus)[keyof typeof FrameStatus];

/** Names of the statuses, for counters and errors. */
export const FRAME_STATUS_NAMES = [
  'ok',
  'short',
  'bad_magic',
  'bad_version',
  'bad_check',
  'bad_type',
  'oversized',
  'bad_length',
  'bad_node',
  'bad_flags',
] as const;

/**
 * The header check: FNV-1a (32-bit; Fowler, Noll and Vo, draft-eastlake-fnv) over the header's
 * bytes 0–5 and 8–15 (all but the check itself), folded to 16 bits by xoring its halves.
 * Two loops rather than one with a skip: three times faster in V8 (measured: 58 → 18 ns).
 */
export function header_check(bytes: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = at; i < at + FRAME_CHECK_OFFSET; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = at + FRAME_CHECK_OFFSET + 2; i < at + FRAME_HEADER_BYTES; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return ((h >>> 16) ^ h) & 0xffff;
}

/** Writes a frame header at `at` for a payload of `length` bytes (no allocation). */
export function write_header(bytes: Uint8Array, at: number, type: number, src_node: number, length: number): void {
  assert_range(type, 1, FRAME_TYPE_MAX, 'frame type');
  assert_range(src_node, 1, 0x7fff_ffff, 'frame src_node');
  assert_range(length, 0, 0x7fff_ffff, 'frame length');
  put16(bytes, at + FRAME_MAGIC_OFFSET, FRAME_MAGIC);
  bytes[at + FRAME_VERSION_OFFSET] = FRAME_VERSION;
  bytes[at + FRAME_TYPE_OFFSET] = type;
  put16(bytes, at + FRAME_FLAGS_OFFSET, 0);
  put32(bytes, at + FRAME_SRC_NODE_OFFSET, src_node);
  put32(bytes, at + FRAME_LENGTH_OFFSET, length);
  put16(bytes, at + FRAME_CHECK_OFFSET, header_check(bytes, at));
}

function put16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
}

function put32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/**
 * Writes a whole frame at `at`: the header, then `head` (if any), then `payload`, the two making
 * the frame's payload. Returns the offset after it.
 */
export function write_frame(
  bytes: Uint8Array,
  at: number,
  type: number,
  src_node: number,
  payload: Uint8Array,
  head: Uint8Array | null = null,
): number {
  const head_bytes = head === null ? 0 : head.length;
  write_header(bytes, at, type, src_node, head_bytes + payload.length);
  if (head !== null) bytes.set(head, at + FRAME_HEADER_BYTES);
  bytes.set(payload, at + FRAME_HEADER_BYTES + head_bytes);
  return at + FRAME_HEADER_BYTES + head_bytes + payload.length;
}

/** A whole frame (header, `head`, payload) as a new buffer. */
export function encode_frame(
  type: number,
  src_node: number,
  payload: Uint8Array,
  head: Uint8Array | null = null,
): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + (head === null ? 0 : head.length) + payload.length);
  write_frame(frame, 0, type, src_node, payload, head);
  return frame;
}

/** The fields of a checked header (one reused object per reader: no allocation per frame). */
export class FrameHeader {
  type = 0;
  src_node = 0;
  length = 0;
}

/**
 * Checks the header at `at` in `bytes[at .. end)` and fills `out`. Returns OK, SHORT when the
 * header is not all there yet, or the reason it is bad. `frame_bytes_max` bounds header plus
 * payload.
 */
export function read_header(
  bytes: Uint8Array,
  at: number,
  end: number,
  frame_bytes_max: number,
  out: FrameHeader,
): FrameStatus {
  if (end - at < FRAME_HEADER_BYTES) return FrameStatus.SHORT;
  if ((bytes[at + FRAME_MAGIC_OFFSET]! | (bytes[at + FRAME_MAGIC_OFFSET + 1]! << 8)) !== FRAME_MAGIC)
    return FrameStatus.BAD_MAGIC;
  if (bytes[at + FRAME_VERSION_OFFSET] !== FRAME_VERSION) return FrameStatus.BAD_VERSION;
  const check = bytes[at + FRAME_CHECK_OFFSET]! | (bytes[at + FRAME_CHECK_OFFSET + 1]! << 8);
  if (check !== header_check(bytes, at)) return FrameStatus.BAD_CHECK;
  const type = bytes[at + FRAME_TYPE_OFFSET]!;
  if (type < 1 || type > FRAME_TYPE_MAX) return FrameStatus.BAD_TYPE;
  // Reserved: a header that passes holds exactly what `write_header` writes for its type, node
  // and length, so a receiver may rebuild it (the secure channel's associated data) byte for byte.
  if ((bytes[at + FRAME_FLAGS_OFFSET]! | bytes[at + FRAME_FLAGS_OFFSET + 1]!) !== 0) return FrameStatus.BAD_FLAGS;
  const src_node = u32(bytes, at + FRAME_SRC_NODE_OFFSET);
  const length = u32(bytes, at + FRAME_LENGTH_OFFSET);
  if (src_node === 0 || src_node > 0x7fff_ffff) return FrameStatus.BAD_NODE;
  if (length > frame_bytes_max - FRAME_HEADER_BYTES) return FrameStatus.OVERSIZED;
  out.type = type;
  out.src_node = src_node;
  out.length = length;
  return FrameStatus.OK;
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Checks a datagram: exactly one whole frame. On OK, `out` describes it and its payload is
 * `bytes.subarray(16, 16 + out.length)`.
 */
export function read_datagram(bytes: Uint8Array, frame_bytes_max: number, out: FrameHeader): FrameStatus {
  const status = read_header(bytes, 0, bytes.length, frame_bytes_max, out);
  if (status === FrameStatus.SHORT) return FrameStatus.BAD_LENGTH;
  if (status !== FrameStatus.OK) return status;
  if (FRAME_HEADER_BYTES + out.length !== bytes.length) return FrameStatus.BAD_LENGTH;
  return FrameStatus.OK;
}

/**
 * Calls `fn` with the type, payload offset and payload length of each frame in `bytes`, whole
 * frames back to back as a TCP write holds them (headers not checked: bytes this node framed);
 * a last frame cut short is given with the bytes that are there.
 */
export function for_each_frame(bytes: Uint8Array, fn: (type: number, at: number, length: number) => void): void {
  for (let at = 0; at + FRAME_HEADER_BYTES <= bytes.length; ) {
    const length = u32(bytes, at + FRAME_LENGTH_OFFSET);
    const payload = at + FRAME_HEADER_BYTES;
    fn(bytes[at + FRAME_TYPE_OFFSET]!, payload, Math.min(length, bytes.length - payload));
    at = payload + length;
  }
}
