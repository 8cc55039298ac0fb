/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03, section 2) on `sodium-native`: the same
 * libsodium as the portable default, compiled to native code (a prebuilt binary inside the npm
 * package, an optional dependency). Same bytes by construction (the same C function); checked
 * against the draft's vector and the default on random inputs (test/net/secure/aead_backends.test.ts).
 *
 * It seals straight into one scratch buffer (grown, never shrunk, up to `message_bytes_max`)
 * and returns a view of it valid until the next call, as the seam says; it opens into a buffer
 * the caller keeps (small ones carved from a `ByteArena` chunk). In place, it runs libsodium on
 * the caller's buffer itself (libsodium allows the output to be the input): nothing is copied.
 *
 * Node-only, and optional: `sodium_native_aead()` is null where the package is not installed
 * (or its binary does not load), and hosts fall back to another backend.
 */
import { createRequire } from 'node:module';
import { type AeadFactory, plaintext_part, ScratchAead } from '../../net/secure/aead.js';

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

/** XChaCha20-Poly1305 through native libsodium. */
export class SodiumNativeXChaCha20Poly1305 extends ScratchAead {
  readonly name = 'sodium-native';
  private readonly lib: SodiumNative;

  constructor(lib: SodiumNative, message_bytes_max: number) {
    super(message_bytes_max);
    this.lib = lib;
  }

  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const out = this.sealing(plaintext, ad, nonce, key);
    this.lib.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
    return out;
  }

  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const length = this.opening(sealed, ad, nonce, key);
    if (length < 0) return null;
    const out = this.arena.alloc(length);
    try {
      this.lib.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, sealed, ad, nonce, key);
    } catch {
      return null; // The tag did not verify: the binding's only way of saying so. Nothing was written.
    }
    return out;
  }

  override seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    const plaintext = plaintext_part(data);
    this.check_seal(plaintext.length, ad, nonce, key);
    this.lib.crypto_aead_xchacha20poly1305_ietf_encrypt(data, plaintext, ad, null, nonce, key);
  }

  override open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const length = this.opening(sealed, ad, nonce, key);
    if (length < 0) return null;
    const plaintext = sealed.subarray(0, length);
    try {
      this.lib.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, sealed, ad, nonce, key);
    } catch {
      return null; // The tag did not verify (libsodium zeroed the bytes it would have written).
    }
    return plaintext;
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
