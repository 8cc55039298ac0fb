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
 * on its channel (FIFO checks), `check` a 32-bit mix of `msg_id` and `chan_seq`. The body is a
 * function of the id, compared byte for byte, so a flipped bit anywhere is seen: in the body by
 * the comparison, in the first eight bytes by the check (or by the body, which then belongs to
 * another id), in the check by the check.
 */

/** Bytes before the body; the smallest payload. */
export const PAYLOAD_HEADER_BYTES = 12;

/** The body's key for `msg_id`: byte i of the body is `body_byte(key, i)`. */
function body_key(msg_id: number): number {
  return Math.imul(msg_id, 0x9e3779b1);
}

function body_byte(key: number, i: number): number {
  return ((key >>> (i & 15)) ^ (i * 0x3b)) & 0xff;
}

/** The check word: murmur3's finaliser over the two header words. */
function check_of(msg_id: number, chan_seq: number): number {
  let h = Math.imul(msg_id ^ 0x811c9dc5, 0xcc9e2d51) ^ chan_seq;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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
  put_u32(bytes, 8, check_of(msg_id, chan_seq));
  const key = body_key(msg_id);
  for (let i = PAYLOAD_HEADER_BYTES; i < length; i++) bytes[i] = body_byte(key, i);
}

/** Whether `bytes[0..length)` is exactly what `write_payload` wrote for the id it names. */
export function payload_intact(bytes: Uint8Array, length: number): boolean {
  if (length < PAYLOAD_HEADER_BYTES || length > bytes.length) return false;
  const msg_id = get_u32(bytes, 0);
  if (get_u32(bytes, 8) !== check_of(msg_id, get_u32(bytes, 4))) return false;
  const key = body_key(msg_id);
  for (let i = PAYLOAD_HEADER_BYTES; i < length; i++) if (bytes[i] !== body_byte(key, i)) return false;
  return true;
}
