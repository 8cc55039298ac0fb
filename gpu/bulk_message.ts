/**
 * A bulk message: a payload with the BLAKE3 digest of its bytes, so the receiver can verify that
 * what arrived is what was sent (over shared memory or the network).
 *
 *   0       2         3          4             8                    40
 *   +-------+---------+----------+-------------+--------------------+-----------
 *   | magic | version | reserved | length u32  | BLAKE3 digest (32) | payload ...
 *   +-------+---------+----------+-------------+--------------------+-----------
 *
 * magic is "LB" (0x4c 0x42), version 1, integers little-endian.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { BLAKE3_OUT_BYTES } from './blake3_wgsl.js';
import { BulkStatus, type BulkRing } from './bulk_ring.js';
import { BulkError } from './errors.js';

export const BULK_MAGIC_0 = 0x4c;
export const BULK_MAGIC_1 = 0x42;
export const BULK_VERSION = 1;
export const BULK_LENGTH_OFFSET = 4;
/** Where a bulk message's BLAKE3 digest starts. */
export const BULK_DIGEST_OFFSET = 8;
/** Bytes of a bulk message's header (magic, version, length, digest). */
export const BULK_HEADER_BYTES = BULK_DIGEST_OFFSET + BLAKE3_OUT_BYTES;

/** Frames `payload` with its digest (as `BulkRing` computed it), in a new buffer. */
export function encode_bulk(payload: Uint8Array, digest: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(BULK_HEADER_BYTES + payload.length);
  bytes.set(payload, BULK_HEADER_BYTES);
  write_bulk_header(bytes, digest);
  return bytes;
}

/**
 * Writes the header of the bulk message `bytes`, whose payload is already in place after
 * `BULK_HEADER_BYTES` (a slab block a sender filled, say: nothing is copied).
 */
export function write_bulk_header(bytes: Uint8Array, digest: Uint8Array): void {
  if (digest.length !== BLAKE3_OUT_BYTES)
    throw new BulkError(ErrorCode.BAD_BULK_MESSAGE, `a digest of ${digest.length} bytes`);
  if (bytes.length < BULK_HEADER_BYTES)
    throw new BulkError(ErrorCode.BAD_BULK_MESSAGE, `${bytes.length} bytes cannot hold a bulk header`);
  bytes[0] = BULK_MAGIC_0;
  bytes[1] = BULK_MAGIC_1;
  bytes[2] = BULK_VERSION;
  bytes[3] = 0;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(BULK_LENGTH_OFFSET, bytes.length - BULK_HEADER_BYTES, true);
  bytes.set(digest, BULK_DIGEST_OFFSET);
}

/** Hashes `payload` on `ring` and frames it. */
export async function seal_bulk(ring: BulkRing, payload: Uint8Array): Promise<Uint8Array> {
  const result = await run_until_slot(ring, payload);
  return encode_bulk(payload, result.digest);
}

/**
 * Seals the bulk message `bytes` in place: hashes the payload after `BULK_HEADER_BYTES` on
 * `ring` and writes the header in front of it (zero-copy: the bytes may be a slab block).
 */
export async function seal_bulk_in_place(ring: BulkRing, bytes: Uint8Array): Promise<void> {
  if (bytes.length < BULK_HEADER_BYTES)
    throw new BulkError(ErrorCode.BAD_BULK_MESSAGE, `${bytes.length} bytes cannot hold a bulk header`);
  const result = await run_until_slot(ring, bytes.subarray(BULK_HEADER_BYTES));
  write_bulk_header(bytes, result.digest);
}

/**
 * Checks a received bulk message: its header, then its payload's digest on `ring`. Resolves to
 * the payload (a view of `bytes`) or to a `BulkError`: `ERR_LATTICE_BAD_BULK_MESSAGE` or
 * `ERR_LATTICE_DIGEST_MISMATCH` (counted in the ring's `digest_mismatches`).
 */
export async function open_bulk(ring: BulkRing, bytes: Uint8Array): Promise<Uint8Array | BulkError> {
  if (
    bytes.length < BULK_HEADER_BYTES ||
    bytes[0] !== BULK_MAGIC_0 ||
    bytes[1] !== BULK_MAGIC_1 ||
    bytes[2] !== BULK_VERSION ||
    bytes[3] !== 0
  ) {
    return new BulkError(ErrorCode.BAD_BULK_MESSAGE, `a bulk message of ${bytes.length} bytes with a bad header`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(BULK_LENGTH_OFFSET, true);
  if (length !== bytes.length - BULK_HEADER_BYTES) {
    return new BulkError(
      ErrorCode.BAD_BULK_MESSAGE,
      `a bulk message declaring ${length} payload bytes carries ${bytes.length - BULK_HEADER_BYTES}`,
    );
  }
  const payload = bytes.subarray(BULK_HEADER_BYTES);
  const result = await run_until_slot(ring, payload);
  const expected = bytes.subarray(BULK_DIGEST_OFFSET, BULK_HEADER_BYTES);
  let differ = 0;
  for (let i = 0; i < BLAKE3_OUT_BYTES; i++) differ |= result.digest[i]! ^ expected[i]!;
  if (differ !== 0) {
    ring.count_mismatch();
    return new BulkError(ErrorCode.DIGEST_MISMATCH, `a bulk message of ${length} bytes whose digest does not match`);
  }
  return payload;
}

/** Runs `payload` on the ring, waiting for a slot when it is full. */
async function run_until_slot(ring: BulkRing, payload: Uint8Array) {
  for (;;) {
    const result = await ring.run(payload);
    if (typeof result !== 'number') return result;
    if (result !== BulkStatus.FULL)
      throw new BulkError(
        ErrorCode.BAD_BULK_MESSAGE,
        `the bulk ring refused a payload of ${payload.length} bytes (status ${result})`,
      );
    await ring.slot_freed();
  }
}
