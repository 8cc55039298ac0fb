/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03, section 2.2): the ChaCha20 block function's 20 rounds
 * on a 256-bit key and a 128-bit nonce, without the final addition, keeping the first and last
 * rows. It turns XChaCha20's 192-bit nonce into a subkey for ChaCha20 (RFC 8439) with the
 * nonce's last 64 bits: that is what lets an AEAD that only knows RFC 8439's ChaCha20-Poly1305
 * (OpenSSL's, in Node) produce XChaCha20-Poly1305's bytes (aead_node.ts in host/net).
 *
 *   state:  | "expa" "nd 3" "2-by" "te k" |   words 0-3: the constants
 *           | key words 0-3               |   words 4-7
 *           | key words 4-7               |   words 8-11
 *           | nonce words 0-3             |   words 12-15
 *   subkey: words 0-3 then 12-15 after the rounds, little-endian.
 *
 * Plain JavaScript, portable (no Node built-in); allocates nothing per call.
 */
import { assert } from '../../kernel/assert.js';

export const HCHACHA_KEY_BYTES = 32;
export const HCHACHA_NONCE_BYTES = 16;
export const HCHACHA_OUT_BYTES = 32;

const SIGMA0 = 0x61707865;
const SIGMA1 = 0x3320646e;
const SIGMA2 = 0x79622d32;
const SIGMA3 = 0x6b206574;

function u32le(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function put_u32le(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/** Writes HChaCha20(key, nonce[nonce_at .. nonce_at + 16]) into `out[out_at .. out_at + 32]`. */
export function hchacha20(key: Uint8Array, nonce: Uint8Array, nonce_at: number, out: Uint8Array, out_at = 0): void {
  assert(key.length === HCHACHA_KEY_BYTES, `hchacha20: a key of ${key.length} bytes`);
  assert(nonce_at >= 0 && nonce_at + HCHACHA_NONCE_BYTES <= nonce.length, 'hchacha20: 16 nonce bytes');
  assert(out_at >= 0 && out_at + HCHACHA_OUT_BYTES <= out.length, 'hchacha20: room for 32 bytes');
  let x0 = SIGMA0;
  let x1 = SIGMA1;
  let x2 = SIGMA2;
  let x3 = SIGMA3;
  let x4 = u32le(key, 0);
  let x5 = u32le(key, 4);
  let x6 = u32le(key, 8);
  let x7 = u32le(key, 12);
  let x8 = u32le(key, 16);
  let x9 = u32le(key, 20);
  let x10 = u32le(key, 24);
  let x11 = u32le(key, 28);
  let x12 = u32le(nonce, nonce_at);
  let x13 = u32le(nonce, nonce_at + 4);
  let x14 = u32le(nonce, nonce_at + 8);
  let x15 = u32le(nonce, nonce_at + 12);
  for (let round = 0; round < 20; round += 2) {
    // Column round: quarter rounds on (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15).
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);

    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);

    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);

    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);

    // Diagonal round: (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14).
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);

    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);

    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);

    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  put_u32le(out, out_at, x0);
  put_u32le(out, out_at + 4, x1);
  put_u32le(out, out_at + 8, x2);
  put_u32le(out, out_at + 12, x3);
  put_u32le(out, out_at + 16, x12);
  put_u32le(out, out_at + 20, x13);
  put_u32le(out, out_at + 24, x14);
  put_u32le(out, out_at + 28, x15);
}
