/**
 * The payload every simulated workload message carries, so the receiver can tell exactly which
 * message it got and whether any byte changed on the way:
 *
 *   0        4          8        12                        length
 *   +--------+----------+--------+-------------------------+
 *   | msg_id | chan_seq | check  | body: byte i = f(msg_id, i) |
 *   +--------+----------+--------+-------------------------+
 *
 * u32 little-endian. `msg_id` is the run's ledger index (from 1), `chan_seq` the sender's count
 * on its channel (FIFO checks), `check` FNV-1a of bytes 0..8 and the body. The body is a
 * function of the id, so a flipped bit anywhere is seen even when the check happens to match.
 */

/** Bytes before the body; the smallest payload. */
export const PAYLOAD_HEADER_BYTES = 12;

function body_byte(msg_id: number, i: number): number {
  return (Math.imul(msg_id, 0x9e3779b1) >>> (i & 15)) ^ (i * 0x3b);
}

function check_of(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 8; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = PAYLOAD_HEADER_BYTES; i < length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function put_u32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

export function get_u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Writes the payload of message `msg_id` (`length` ≥ 12 bytes) into `bytes`. */
export function write_payload(bytes: Uint8Array, length: number, msg_id: number, chan_seq: number): void {
  put_u32(bytes, 0, msg_id);
  put_u32(bytes, 4, chan_seq);
  for (let i = PAYLOAD_HEADER_BYTES; i < length; i++) bytes[i] = body_byte(msg_id, i);
  put_u32(bytes, 8, check_of(bytes, length));
}

/** Whether `bytes[0..length)` is exactly what `write_payload` wrote for the id it names. */
export function payload_intact(bytes: Uint8Array, length: number): boolean {
  if (length < PAYLOAD_HEADER_BYTES || length > bytes.length) return false;
  if (get_u32(bytes, 8) !== check_of(bytes, length)) return false;
  const msg_id = get_u32(bytes, 0);
  for (let i = PAYLOAD_HEADER_BYTES; i < length; i++) if (bytes[i] !== (body_byte(msg_id, i) & 0xff)) return false;
  return true;
}
