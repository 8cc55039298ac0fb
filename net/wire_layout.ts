/**
 * Frame: the unit the network driver sends, one per UDP datagram and back to back on a TCP
 * stream. All integers are little-endian. docs/WIRE.md describes it byte by byte.
 *
 *   byte 0       2       3       4       6       8              12              16
 *        +-------+-------+-------+-------+-------+--------------+--------------+
 *        | magic |version| type  | flags | check | src_node u32 | length u32   |
 *        +-------+-------+-------+-------+-------+--------------+--------------+
 *        | payload: length bytes ...                                           |
 *        +---------------------------------------------------------------------+ 16 + length
 *
 * - magic: 0x544c, the bytes "LT".
 * - version: 1. A frame of another version is dropped and counted (on TCP, the connection is
 *   closed: the stream can no longer be trusted).
 * - type: `FrameType`.
 * - flags: reserved, 0.
 * - check: a 16-bit hash (FNV-1a, folded) of the other 14 header bytes. A corrupted length would
 *   otherwise make a TCP reader swallow the following frames silently; with the check it is
 *   detected on the spot.
 * - src_node: the sending node's id (never 0).
 * - length: payload bytes; at most the driver's `frame_bytes_max` minus the header.
 */

export const FRAME_MAGIC = 0x544c;
/** The frame format's version (docs/WIRE.md); a frame of another version is dropped, counted. */
export const FRAME_VERSION = 1;

let offset = 0;
export const FRAME_MAGIC_OFFSET = offset;
offset += 2;
export const FRAME_VERSION_OFFSET = offset;
offset += 1;
export const FRAME_TYPE_OFFSET = offset;
offset += 1;
export const FRAME_FLAGS_OFFSET = offset;
offset += 2;
export const FRAME_CHECK_OFFSET = offset;
offset += 2;
export const FRAME_SRC_NODE_OFFSET = offset;
offset += 4;
export const FRAME_LENGTH_OFFSET = offset;
offset += 4;
/** Bytes of the frame header. */
export const FRAME_HEADER_BYTES = offset;

/** What a frame carries. */
export const FrameType = {
  /** An application packet (for Lattice: an encoded message, net/remote_message.ts). */
  DATA: 1,
  /** Secure-channel handshake and sealed frames (net/secure). */
  HANDSHAKE: 2,
  SEALED: 3,
  COOKIE: 4,
} as const;
export const FRAME_TYPE_MAX = 4;

/** Largest frame the driver accepts at all: 16 MiB. */
export const FRAME_BYTES_LIMIT = 16 << 20;
/** The largest payload block a kernel message carries by default (the slab's 1 MiB class). */
export const BLOCK_BYTES_DEFAULT = 1 << 20;
/**
 * The most bytes the layers above the frame add around a message's payload: a call's
 * remote-message header (44, net/remote_message.ts `RM_CALL_HEADER_BYTES`) and sealing (a
 * 24-byte sealed header, the message's 4-byte length in its record and a 16-byte tag,
 * net/secure). test/net/block_limits.test.ts checks the sum.
 */
export const PACKET_OVERHEAD_BYTES_MAX = 44 + 24 + 4 + 16;
/**
 * Default largest frame: a message with a full 1 MiB block, sealed or clear, with every header
 * around it (1 MiB + 104 bytes).
 */
export const FRAME_BYTES_MAX_DEFAULT = BLOCK_BYTES_DEFAULT + PACKET_OVERHEAD_BYTES_MAX + FRAME_HEADER_BYTES;
/** Largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP): a frame in one datagram is at most this. */
export const UDP_DATAGRAM_BYTES_MAX = 65_507;
/** Default path MTU (`mtu_bytes`): Ethernet's 1500 bytes. */
export const MTU_BYTES_DEFAULT = 1500;
/** The smallest MTU a node may be configured with: IPv6's minimum link MTU. */
export const MTU_BYTES_MIN = 1280;
/** IP and UDP headers a datagram's payload shares the MTU with: IPv6 (40) + UDP (8), the larger family. */
export const IP_UDP_HEADER_BYTES = 48;

/** The largest UDP datagram payload (one frame) that fits a path MTU of `mtu_bytes` unfragmented by IP. */
export function datagram_bytes_max(mtu_bytes: number): number {
  return Math.min(UDP_DATAGRAM_BYTES_MAX, mtu_bytes - IP_UDP_HEADER_BYTES);
}
