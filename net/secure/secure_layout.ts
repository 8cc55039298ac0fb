/**
 * Byte layouts of the secure channel's messages (docs/SECURITY.md walks through them). All
 * integers are little-endian; every offset is computed here once.
 *
 * HANDSHAKE frames carry one fragment of an INIT or a RESPONSE:
 *
 *   0      1      2      3      4              8              10             12
 *   +------+------+------+------+--------------+--------------+--------------+----------
 *   | kind |index |count | rsvd | handshake_id | total u16    | offset u16   | bytes ...
 *   +------+------+------+------+--------------+--------------+--------------+----------
 *
 * INIT (initiator → responder), 1300 bytes:
 *
 *   0 suite | 1 version | 2 reserved u16 | 4 initiator index | 8 responder node | 12 timestamp_ms u64 |
 *   20 X25519 ephemeral (32) | 52 ML-KEM-768 encapsulation key (1184) | 1236 Ed25519 signature (64)
 *
 * RESPONSE (responder → initiator), 1196 bytes:
 *
 *   0 suite | 1 version | 2 reserved u16 | 4 responder index | 8 initiator index |
 *   12 X25519 ephemeral (32) | 44 ML-KEM-768 ciphertext (1088) | 1132 Ed25519 signature (64)
 *
 * SEALED frames carry one record: the messages of one pair of pids, sealed together.
 *
 *   0                4                      12             16             20       22       24
 *   +----------------+----------------------+--------------+--------------+--------+--------+----------------
 *   | receiver index | seq u64              | src_pid      | dst_pid      | msgs   | rsvd   | ciphertext + tag
 *   +----------------+----------------------+--------------+--------------+--------+--------+----------------
 *
 * `msgs` (u16) counts the messages in the record (0 for a keepalive, which carries nothing);
 * `rsvd` is 0. The nonce of a record is `seq (8) | receiver index (4) | 0 (12)`; its associated
 * data is the frame header (16 bytes) followed by these 24 bytes. The plaintext is the messages
 * back to back, each as its length (u32) then its bytes (record.ts):
 *
 *   +------------+-----------------+------------+-----------------+-----
 *   | length u32 | message ...     | length u32 | message ...     | ...
 *   +------------+-----------------+------------+-----------------+-----
 */
import { ED25519_SIGNATURE_BYTES, MLKEM768_CT_BYTES, MLKEM768_EK_BYTES, X25519_BYTES } from './suite.js';

/** The one cipher suite of version 1: X25519 + ML-KEM-768, Ed25519, HKDF-SHA-256, XChaCha20-Poly1305. */
export const SUITE_V1 = 1;
/**
 * The protocol version in byte 1 of an INIT and a RESPONSE (signed with the rest): 2 seals
 * records of messages (the layout above). Version 1 sealed one message per packet and wrote 0
 * there, so each side refuses the other's handshake (`old_version` here, `downgrade` there).
 */
export const PROTOCOL_VERSION = 2;

/** What a handshake fragment carries. */
export const HandshakeKind = {
  INIT: 1,
  RESPONSE: 2,
  /** An INIT followed by its 16-byte `mac2` under a cookie the responder handed out (cookie.ts). */
  INIT_COOKIE: 3,
} as const;
export type HandshakeKind = (typeof HandshakeKind)[keyof typeof HandshakeKind];

let at = 0;
export const FRAG_KIND = at;
at += 1;
export const FRAG_INDEX = at;
at += 1;
export const FRAG_COUNT = at;
at += 1;
export const FRAG_RESERVED = at;
at += 1;
export const FRAG_HANDSHAKE_ID = at;
at += 4;
export const FRAG_TOTAL = at;
at += 2;
export const FRAG_OFFSET = at;
at += 2;
/** Bytes of a fragment header. */
export const FRAG_HEADER_BYTES = at;
/** Most fragments one handshake message may be split into. */
export const FRAG_COUNT_MAX = 16;

at = 0;
export const INIT_SUITE = at;
at += 1;
export const INIT_VERSION = at;
at += 1;
export const INIT_RESERVED = at;
at += 2;
export const INIT_INDEX = at;
at += 4;
export const INIT_RESPONDER_NODE = at;
at += 4;
export const INIT_TIMESTAMP = at;
at += 8;
export const INIT_EPHEMERAL = at;
at += X25519_BYTES;
export const INIT_EK = at;
at += MLKEM768_EK_BYTES;
export const INIT_SIGNATURE = at;
at += ED25519_SIGNATURE_BYTES;
/** Bytes of an INIT. */
export const INIT_BYTES = at;

/** Bytes of a cookie, and of the `mac2` an INIT_COOKIE carries after its INIT. */
export const COOKIE_BYTES = 16;
/** Bytes of an INIT_COOKIE: the INIT, then its mac2. */
export const INIT_COOKIE_BYTES = INIT_BYTES + COOKIE_BYTES;

/*
 * The payload of a COOKIE frame (type 4), responder to initiator, 24 bytes:
 *
 *   0        4        8                        24
 *   +--------+--------+------------------------+
 *   | hs id  | 0      | cookie (16)            |
 *   +--------+--------+------------------------+
 *
 * `hs id` is the initiator index of the INIT it answers.
 */
at = 0;
export const COOKIE_HANDSHAKE_ID = at;
at += 4;
export const COOKIE_RESERVED = at;
at += 4;
export const COOKIE_VALUE = at;
at += COOKIE_BYTES;
/** Bytes of a COOKIE frame's payload. */
export const COOKIE_FRAME_BYTES = at;

at = 0;
export const RESP_SUITE = at;
at += 1;
export const RESP_VERSION = at;
at += 1;
export const RESP_RESERVED = at;
at += 2;
export const RESP_INDEX = at;
at += 4;
export const RESP_INITIATOR_INDEX = at;
at += 4;
export const RESP_EPHEMERAL = at;
at += X25519_BYTES;
export const RESP_CT = at;
at += MLKEM768_CT_BYTES;
export const RESP_SIGNATURE = at;
at += ED25519_SIGNATURE_BYTES;
/** Bytes of a RESPONSE. */
export const RESP_BYTES = at;

at = 0;
export const SEALED_RECEIVER = at;
at += 4;
export const SEALED_SEQ = at;
at += 8;
export const SEALED_SRC_PID = at;
at += 4;
export const SEALED_DST_PID = at;
at += 4;
export const SEALED_MESSAGES = at;
at += 2;
export const SEALED_RESERVED = at;
at += 2;
/** Bytes before the ciphertext of a sealed packet. */
export const SEALED_HEADER_BYTES = at;
/** Most messages one record carries (its `msgs` field is a u16). */
export const RECORD_MESSAGES_MAX = 0xffff;
/** Bytes of the length before each message in a record's plaintext. */
export const RECORD_LENGTH_BYTES = 4;

/** `src_pid`/`dst_pid` of a packet that is not a kernel message (shorter than 8 bytes, or a keepalive). */
export const NO_CHANNEL_PID = 0xffff_ffff;

/** Sequence numbers stay below 2^53 (exact in a JS number); the reject-after limit is far lower. */
export const SEQ_LIMIT = 2 ** 53;

/** The expected size of a handshake message of `kind`, or 0 for an unknown kind. */
export function handshake_bytes(kind: number): number {
  if (kind === HandshakeKind.INIT) return INIT_BYTES;
  if (kind === HandshakeKind.RESPONSE) return RESP_BYTES;
  if (kind === HandshakeKind.INIT_COOKIE) return INIT_COOKIE_BYTES;
  return 0;
}

// Little-endian helpers shared by the secure channel's codecs.

export function put_u32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

export function get_u32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function put_u16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}

export function get_u16(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

/** Writes `value` (an integer below 2^53) as a u64. */
export function put_u64(bytes: Uint8Array, offset: number, value: number): void {
  put_u32(bytes, offset, value >>> 0);
  put_u32(bytes, offset + 4, Math.floor(value / 0x1_0000_0000));
}

/** Reads a u64; values of 2^53 and over come back as `SEQ_LIMIT` (callers refuse them). */
export function get_u64(bytes: Uint8Array, offset: number): number {
  const high = get_u32(bytes, offset + 4);
  if (high >= 0x20_0000) return SEQ_LIMIT;
  return high * 0x1_0000_0000 + get_u32(bytes, offset);
}
