/**
 * A kernel message as it crosses the network: the payload of a DATA frame (the spec's
 * `[ src_pid | dst_pid | payload_bytes... ]`, with the message's other fields between).
 * Little-endian; docs/WIRE.md has the table.
 *
 *   0        4        8        12       16       20       24       28       32       36
 *   +--------+--------+--------+--------+--------+--------+--------+--------+--------+---------
 *   | src_pid| dst_pid| m_type | flags  | badge  | aux0   | aux1   | aux2   | length | payload
 *   +--------+--------+--------+--------+--------+--------+--------+--------+--------+---------
 *
 * `flags` carries the user's 16 bits only. `length` is the payload bytes that follow; over 64
 * they came from (and arrive into) a slab block.
 */
import { assert } from '../kernel/assert.js';
import type { Message } from '../kernel/message.js';
import { SlotFlags } from '../kernel/layout/slot_layout.js';

let offset = 0;
export const RM_SRC_PID = offset;
offset += 4;
export const RM_DST_PID = offset;
offset += 4;
export const RM_M_TYPE = offset;
offset += 4;
export const RM_FLAGS = offset;
offset += 4;
export const RM_BADGE = offset;
offset += 4;
export const RM_AUX0 = offset;
offset += 4;
export const RM_AUX1 = offset;
offset += 4;
export const RM_AUX2 = offset;
offset += 4;
export const RM_LENGTH = offset;
offset += 4;
/** Bytes before the payload. */
export const RM_HEADER_BYTES = offset;

/** Encodes `m` (from `src_pid` to `dst_pid`) with `payload` as its bytes. */
export function encode_remote(src_pid: number, dst_pid: number, m: Message, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(RM_HEADER_BYTES + payload.length);
  encode_remote_into(bytes, src_pid, dst_pid, m, payload);
  return bytes;
}

/**
 * Encodes into `target` (at least `RM_HEADER_BYTES + length` bytes) without allocating; returns
 * the encoded length. The payload is `payload[0, length)` (`length` defaults to all of it), so an
 * inline payload is encoded straight from its message without a view. The network server encodes
 * into one scratch buffer this way, since the driver copies what it sends before `send_frame`
 * returns.
 */
export function encode_remote_into(
  target: Uint8Array,
  src_pid: number,
  dst_pid: number,
  m: Message,
  payload: Uint8Array,
  length: number = payload.length,
): number {
  assert(length >= 0 && length <= payload.length, 'encode_remote_into: length within the payload');
  put_u32(target, RM_SRC_PID, src_pid);
  put_u32(target, RM_DST_PID, dst_pid);
  put_u32(target, RM_M_TYPE, m.m_type);
  put_u32(target, RM_FLAGS, m.flags & SlotFlags.USER_MASK);
  put_u32(target, RM_BADGE, m.badge);
  put_u32(target, RM_AUX0, m.aux0);
  put_u32(target, RM_AUX1, m.aux1);
  put_u32(target, RM_AUX2, m.aux2);
  put_u32(target, RM_LENGTH, length);
  if (length === payload.length) target.set(payload, RM_HEADER_BYTES);
  else for (let i = 0; i < length; i++) target[RM_HEADER_BYTES + i] = payload[i]!;
  return RM_HEADER_BYTES + length;
}

function put_u32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

function get_u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export interface RemoteHeader {
  src_pid: number;
  dst_pid: number;
  m_type: number;
  flags: number;
  badge: number;
  aux0: number;
  aux1: number;
  aux2: number;
  length: number;
}

/** Decodes the header of `bytes`, or null if it is too short or its length does not match. */
export function decode_remote(bytes: Uint8Array): RemoteHeader | null {
  const header: RemoteHeader = {
    src_pid: 0,
    dst_pid: 0,
    m_type: 0,
    flags: 0,
    badge: 0,
    aux0: 0,
    aux1: 0,
    aux2: 0,
    length: 0,
  };
  return decode_remote_into(bytes, header) ? header : null;
}

/** Decodes into `out` (reused: no allocation per message); false, leaving `out` unspecified, if malformed. */
export function decode_remote_into(bytes: Uint8Array, out: RemoteHeader): boolean {
  if (bytes.length < RM_HEADER_BYTES) return false;
  const length = get_u32(bytes, RM_LENGTH);
  if (RM_HEADER_BYTES + length !== bytes.length) return false;
  out.src_pid = get_u32(bytes, RM_SRC_PID);
  out.dst_pid = get_u32(bytes, RM_DST_PID);
  out.m_type = get_u32(bytes, RM_M_TYPE) | 0;
  out.flags = get_u32(bytes, RM_FLAGS) & SlotFlags.USER_MASK;
  out.badge = get_u32(bytes, RM_BADGE) | 0;
  out.aux0 = get_u32(bytes, RM_AUX0) | 0;
  out.aux1 = get_u32(bytes, RM_AUX1) | 0;
  out.aux2 = get_u32(bytes, RM_AUX2) | 0;
  out.length = length;
  return true;
}
