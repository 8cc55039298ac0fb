/**
 * A kernel message as it crosses the network: the payload of a DATA frame, or the plaintext of
 * a SEALED one (the spec's `[ src_pid | dst_pid | payload_bytes... ]`, with the message's other
 * fields between). Little-endian; docs/WIRE.md has the tables and golden bytes.
 *
 *   0        4        8        12       16       20       24       28       32       36
 *   +--------+--------+--------+--------+--------+--------+--------+--------+--------+---------
 *   | src_pid| dst_pid| m_type | flags  | badge  | aux0   | aux1   | aux2   | length | payload
 *   +--------+--------+--------+--------+--------+--------+--------+--------+--------+---------
 *
 * `flags` carries the user's 16 bits, and above them the message's kind (revision 2):
 *
 *   bits 0–15   the user's flags, untouched
 *   bits 16–19  kind: 0 DATA (revision 1's only kind), 1 CALL, 2 REPLY, 3 NOTIFY
 *   bits 20–31  zero (a reader ignores them, as revision 1 did)
 *
 * A CALL, REPLY or NOTIFY has 8 more header bytes before its payload:
 *
 *   36       40       44
 *   +--------+--------+---------
 *   |call_seq| status | payload
 *   +--------+--------+---------
 *
 * - CALL: a request; `call_seq` is the caller's call number, which its reply names.
 * - REPLY: the answer to call `call_seq` of `dst_pid`; `status` is 0 (OK: the message is the
 *   reply) or the failing `Status` the caller's `call` returns (DEAD_PEER, NOT_LISTENING, …).
 * - NOTIFY: `badge` holds the bits to OR into `dst_pid`'s notification word; no payload.
 *
 * A revision-1 reader finds the 8 extra bytes in a CALL, REPLY or NOTIFY where it expects the
 * payload, so their `length` disagrees with the frame and it drops them as malformed, counted:
 * never a wrong delivery. `length` is the payload bytes that follow; over 64 they came from (and
 * arrive into) a slab block.
 */
import { assert, assert_range } from '../kernel/assert.js';
import { SlotFlags } from '../kernel/layout/slot_layout.js';
import type { Message } from '../kernel/message.js';

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
/** Bytes before the payload of a DATA message. */
export const RM_HEADER_BYTES = offset;
export const RM_CALL_SEQ = offset;
offset += 4;
export const RM_STATUS = offset;
offset += 4;
/** Bytes before the payload of a CALL, REPLY or NOTIFY. */
export const RM_CALL_HEADER_BYTES = offset;

/** What a remote message is (bits 16–19 of its flags word). */
export const RemoteKind = {
  DATA: 0,
  CALL: 1,
  REPLY: 2,
  NOTIFY: 3,
} as const;
export type RemoteKind = (typeof RemoteKind)[keyof typeof RemoteKind];

const KIND_SHIFT = 16;
const KIND_MASK = 0xf;

/** Bytes before the payload of a message of `kind`. */
export function rm_header_bytes(kind: number): number {
  return kind === RemoteKind.DATA ? RM_HEADER_BYTES : RM_CALL_HEADER_BYTES;
}

/** Largest pid either end may name (pids travel as u32; kernels use 15 bits). */
const PID_MAX = 0x7fff_ffff;

/** Encodes `m` (from `src_pid` to `dst_pid`) as DATA with `payload` as its bytes. */
export function encode_remote(src_pid: number, dst_pid: number, m: Message, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(RM_HEADER_BYTES + payload.length);
  encode_remote_into(bytes, src_pid, dst_pid, m, payload);
  return bytes;
}

/**
 * Encodes DATA into `target` (at least `RM_HEADER_BYTES + length` bytes) without allocating;
 * returns the encoded length. The payload is `payload[0, length)` (`length` defaults to all of
 * it), so an inline payload is encoded straight from its message without a view. The network
 * server encodes into one scratch buffer this way, since every port copies (or seals) what it
 * sends before `send_packet` returns.
 */
export function encode_remote_into(
  target: Uint8Array,
  src_pid: number,
  dst_pid: number,
  m: Message,
  payload: Uint8Array,
  length: number = payload.length,
): number {
  return encode_kind_into(target, RemoteKind.DATA, src_pid, dst_pid, m, payload, length, 0, 0);
}

/**
 * Encodes a message of any kind into `target` (at least `rm_header_bytes(kind) + length` bytes);
 * returns the encoded length. `call_seq` and `status` are written for the kinds that carry them.
 */
export function encode_kind_into(
  target: Uint8Array,
  kind: RemoteKind,
  src_pid: number,
  dst_pid: number,
  m: Message,
  payload: Uint8Array,
  length: number,
  call_seq: number,
  status: number,
): number {
  assert(length >= 0 && length <= payload.length, 'encode_remote: length within the payload');
  assert_range(src_pid, 0, PID_MAX, 'encode_remote: src_pid');
  assert_range(dst_pid, 0, PID_MAX, 'encode_remote: dst_pid');
  const header = rm_header_bytes(kind);
  assert(target.length >= header + length, 'encode_remote: the target holds the message');
  put_u32(target, RM_SRC_PID, src_pid);
  put_u32(target, RM_DST_PID, dst_pid);
  put_u32(target, RM_M_TYPE, m.m_type);
  put_u32(target, RM_FLAGS, (m.flags & SlotFlags.USER_MASK) | (kind << KIND_SHIFT));
  put_u32(target, RM_BADGE, m.badge);
  put_u32(target, RM_AUX0, m.aux0);
  put_u32(target, RM_AUX1, m.aux1);
  put_u32(target, RM_AUX2, m.aux2);
  put_u32(target, RM_LENGTH, length);
  if (kind !== RemoteKind.DATA) {
    put_u32(target, RM_CALL_SEQ, call_seq);
    put_u32(target, RM_STATUS, status);
  }
  if (length === payload.length) target.set(payload, header);
  else for (let i = 0; i < length; i++) target[header + i] = payload[i]!;
  return header + length;
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

/** The decoded header of a remote message (docs/WIRE.md). */
export interface RemoteHeader {
  kind: number;
  src_pid: number;
  dst_pid: number;
  m_type: number;
  flags: number;
  badge: number;
  aux0: number;
  aux1: number;
  aux2: number;
  length: number;
  /** CALL and REPLY: the call number; 0 otherwise. */
  call_seq: number;
  /** REPLY: 0, or the failing status the call returns; 0 otherwise. */
  status: number;
}

/** A header to decode into (one per decoder: `decode_remote_into` allocates nothing). */
export function remote_header(): RemoteHeader {
  return {
    kind: 0,
    src_pid: 0,
    dst_pid: 0,
    m_type: 0,
    flags: 0,
    badge: 0,
    aux0: 0,
    aux1: 0,
    aux2: 0,
    length: 0,
    call_seq: 0,
    status: 0,
  };
}

/** Decodes the header of `bytes`, or null if it is malformed. */
export function decode_remote(bytes: Uint8Array): RemoteHeader | null {
  const header = remote_header();
  return decode_remote_into(bytes, header) ? header : null;
}

/**
 * Decodes into `out` (reused: no allocation per message); false, leaving `out` unspecified, if
 * the bytes are not a remote message: too short for their kind's header, an unknown kind, a
 * `length` that disagrees with the bytes, or a NOTIFY with a payload. Bytes come from the
 * network: nothing here asserts on them.
 */
export function decode_remote_into(bytes: Uint8Array, out: RemoteHeader): boolean {
  if (bytes.length < RM_HEADER_BYTES) return false;
  const flags = get_u32(bytes, RM_FLAGS);
  const kind = (flags >>> KIND_SHIFT) & KIND_MASK;
  if (kind > RemoteKind.NOTIFY) return false;
  const header = rm_header_bytes(kind);
  if (bytes.length < header) return false;
  const length = get_u32(bytes, RM_LENGTH);
  if (header + length !== bytes.length) return false;
  if (kind === RemoteKind.NOTIFY && length !== 0) return false;
  out.kind = kind;
  out.src_pid = get_u32(bytes, RM_SRC_PID);
  out.dst_pid = get_u32(bytes, RM_DST_PID);
  out.m_type = get_u32(bytes, RM_M_TYPE) | 0;
  out.flags = flags & SlotFlags.USER_MASK;
  out.badge = get_u32(bytes, RM_BADGE) | 0;
  out.aux0 = get_u32(bytes, RM_AUX0) | 0;
  out.aux1 = get_u32(bytes, RM_AUX1) | 0;
  out.aux2 = get_u32(bytes, RM_AUX2) | 0;
  out.length = length;
  out.call_seq = kind === RemoteKind.DATA ? 0 : get_u32(bytes, RM_CALL_SEQ);
  out.status = kind === RemoteKind.DATA ? 0 : get_u32(bytes, RM_STATUS) | 0;
  return true;
}

/** The payload of a decoded message, as a view of `bytes`. */
export function remote_payload(bytes: Uint8Array, header: RemoteHeader): Uint8Array {
  return bytes.subarray(rm_header_bytes(header.kind));
}

/**
 * Where the payload of the remote message in `bytes[at, at + length)` begins (an index into
 * `bytes`), or -1 when it carries no payload a reader could name: too short or an unknown kind,
 * a NOTIFY, or a REPLY whose status refuses the call. Reads three words and allocates nothing
 * (the simulator's ledger finds each message's id with it).
 */
export function remote_payload_at(bytes: Uint8Array, at: number, length: number): number {
  if (length < RM_HEADER_BYTES) return -1;
  const kind = (get_u32(bytes, at + RM_FLAGS) >>> KIND_SHIFT) & KIND_MASK;
  if (kind === RemoteKind.DATA) return at + RM_HEADER_BYTES;
  if (kind !== RemoteKind.CALL && kind !== RemoteKind.REPLY) return -1;
  if (length < RM_CALL_HEADER_BYTES) return -1;
  if (kind === RemoteKind.REPLY && get_u32(bytes, at + RM_STATUS) !== 0) return -1;
  return at + RM_CALL_HEADER_BYTES;
}

/** The sending pid a remote message names, or -1 if `bytes` is too short to be one (ports' receive hooks). */
export function remote_src_pid(bytes: Uint8Array): number {
  return bytes.length < RM_HEADER_BYTES ? -1 : get_u32(bytes, RM_SRC_PID);
}

/** The receiving pid a remote message names, or -1 if `bytes` is too short to be one. */
export function remote_dst_pid(bytes: Uint8Array): number {
  return bytes.length < RM_HEADER_BYTES ? -1 : get_u32(bytes, RM_DST_PID);
}
