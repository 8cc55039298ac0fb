/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03, section 2) on `sodium-native`: the same
 * libsodium as the portable default, compiled to native code (a prebuilt binary inside the npm
 * package, an optional dependency). Same bytes by construction (the same C function); checked
 * against the draft's vector and the default on random inputs (test/net/secure/aead_backends.test.ts).
 *
 * It seals straight into one scratch buffer (grown, never shrunk, up to `message_bytes_max`)
 * and returns a view of it valid until the next call, as the seam says; it opens into a buffer
 * the caller keeps (small ones carved from a `ByteArena` chunk).
 *
 * Node-only, and optional: `sodium_native_aead()` is null where the package is not installed
 * (or its binary does not load), and hosts fall back to another backend.
 */
import { createRequire } from 'node:module';
import { assert } from '../../kernel/assert.js';
import { ByteArena } from '../../net/byte_arena.js';
import {
  AEAD_TAG_BYTES,
  type Aead,
  type AeadFactory,
  check_aead_arguments,
  sealing_scratch,
} from '../../net/secure/aead.js';

/** The two calls used here, as `sodium-native` 5 exports them. */
interface SodiumNative {
  crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

/** Scratch capacity reserved at construction. */
const CAPACITY_INITIAL_BYTES = 128 << 10;

/** XChaCha20-Poly1305 through native libsodium. */
export class SodiumNativeXChaCha20Poly1305 implements Aead {
  readonly name = 'sodium-native';
  private readonly lib: SodiumNative;
  private readonly message_bytes_max: number;
  private out: Uint8Array;
  private readonly arena = new ByteArena();
  private closed = false;

  constructor(lib: SodiumNative, message_bytes_max: number) {
    assert(Number.isSafeInteger(message_bytes_max) && message_bytes_max > 0, `message_bytes_max ${message_bytes_max}`);
    this.lib = lib;
    this.message_bytes_max = message_bytes_max;
    this.out = new Uint8Array(Math.min(CAPACITY_INITIAL_BYTES, message_bytes_max) + AEAD_TAG_BYTES);
  }

  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    this.check(plaintext.length, ad, nonce, key);
    const bytes = plaintext.length + AEAD_TAG_BYTES;
    this.out = sealing_scratch(this.out, bytes, this.message_bytes_max);
    const out = this.out.subarray(0, bytes);
    this.lib.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
    return out;
  }

  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    if (sealed.length < AEAD_TAG_BYTES || sealed.length - AEAD_TAG_BYTES > this.message_bytes_max) return null;
    const length = sealed.length - AEAD_TAG_BYTES;
    this.check(length, ad, nonce, key);
    const out = this.arena.alloc(length);
    try {
      this.lib.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, sealed, ad, nonce, key);
    } catch {
      return null; // The tag did not verify: the binding's only way of saying so. Nothing was written.
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.fill(0);
    this.out = new Uint8Array(0);
  }

  private check(message_bytes: number, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    check_aead_arguments(!this.closed, this.message_bytes_max, message_bytes, ad, nonce, key);
  }
}

/** The factory for `CryptoSuite.load({ aead })`, or null where `sodium-native` does not load. */
export function sodium_native_aead(): AeadFactory | null {
  let lib: SodiumNative;
  try {
    lib = createRequire(import.meta.url)('sodium-native') as SodiumNative;
  } catch {
    return null;
  }
  if (typeof lib.crypto_aead_xchacha20poly1305_ietf_encrypt !== 'function') return null;
  return (message_bytes_max) => new SodiumNativeXChaCha20Poly1305(lib, message_bytes_max);
}
