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
import type { Message } from '../kernel/message.js';
import { SlotFlags } from '../kernel/layout/slot_layout.js';

let offset = 0;
export const RM_SRC_PID = offset; offset += 4;
export const RM_DST_PID = offset; offset += 4;
export const RM_M_TYPE = offset; offset += 4;
export const RM_FLAGS = offset; offset += 4;
export const RM_BADGE = offset; offset += 4;
export const RM_AUX0 = offset; offset += 4;
export const RM_AUX1 = offset; offset += 4;
export const RM_AUX2 = offset; offset += 4;
export const RM_LENGTH = offset; offset += 4;
/** Bytes before the payload. */
export const RM_HEADER_BYTES = offset;

/** Encodes `m` (from `src_pid` to `dst_pid`) with `payload` as its bytes. */
export function encode_remote(src_pid: number, dst_pid: number, m: Message, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(RM_HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(RM_SRC_PID, src_pid, true);
  view.setUint32(RM_DST_PID, dst_pid, true);
  view.setInt32(RM_M_TYPE, m.m_type, true);
  view.setUint32(RM_FLAGS, m.flags & SlotFlags.USER_MASK, true);
  view.setInt32(RM_BADGE, m.badge, true);
  view.setInt32(RM_AUX0, m.aux0, true);
  view.setInt32(RM_AUX1, m.aux1, true);
  view.setInt32(RM_AUX2, m.aux2, true);
  view.setUint32(RM_LENGTH, payload.length, true);
  bytes.set(payload, RM_HEADER_BYTES);
  return bytes;
}

/** A decoded remote message's header (the payload stays in the packet). */
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
  if (bytes.length < RM_HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = view.getUint32(RM_LENGTH, true);
  if (RM_HEADER_BYTES + length !== bytes.length) return null;
  return {
    src_pid: view.getUint32(RM_SRC_PID, true),
    dst_pid: view.getUint32(RM_DST_PID, true),
    m_type: view.getInt32(RM_M_TYPE, true),
    flags: view.getUint32(RM_FLAGS, true) & SlotFlags.USER_MASK,
    badge: view.getInt32(RM_BADGE, true),
    aux0: view.getInt32(RM_AUX0, true),
    aux1: view.getInt32(RM_AUX1, true),
    aux2: view.getInt32(RM_AUX2, true),
    length,
  };
}
