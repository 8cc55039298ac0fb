/**
 * The secure channel's cryptographic primitives, loaded once and then synchronous.
 *
 * - X25519 (RFC 7748) and Ed25519 (RFC 8032): libsodium (`libsodium-wrappers`).
 * - ML-KEM-768 (FIPS 203): `crystals-kyber-js`, deterministic from injected seeds
 *   (`deriveKeyPair(d || z)`, `encap(ek, m)`), so a simulator replays a handshake exactly.
 * - AEAD_XChaCha20_Poly1305 (draft-irtf-cfrg-xchacha-03): libsodium, called directly on a
 *   preallocated scratch region of its heap (aead.ts).
 * - SHA-256 (FIPS 180-4) and HKDF (RFC 5869): `@noble/hashes`.
 *
 * Every function takes its randomness as bytes from the caller (the channel draws them from
 * its injected `Random`); nothing here reads a system RNG. Test vectors for each primitive are in
 * test/net/secure/suite.test.ts.
 */
import sodium from 'libsodium-wrappers';
import { createMlKem768, type MlKemInterface } from 'crystals-kyber-js';
import { sha256 } from '@noble/hashes/sha2.js';
import { expand as hkdf_expand, extract as hkdf_extract } from '@noble/hashes/hkdf.js';
import { assert } from '../../kernel/assert.js';
import { type Aead, type AeadFactory, XChaCha20Poly1305 } from './aead.js';

export { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Aead, type AeadFactory } from './aead.js';

/** Byte sizes of the primitives' keys and outputs. */
export const X25519_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SECRET_BYTES = 64;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const MLKEM768_EK_BYTES = 1184;
export const MLKEM768_DK_BYTES = 2400;
export const MLKEM768_CT_BYTES = 1088;
export const MLKEM768_SEED_BYTES = 64;
export const MLKEM768_ENCAP_SEED_BYTES = 32;
export const SHARED_SECRET_BYTES = 32;
export const HASH_BYTES = 32;

/** Largest message `seal` and `open` take by default (64 MiB, above any frame's payload). */
export const AEAD_MESSAGE_BYTES_MAX = 64 << 20;

/**
 * The secure channel's primitives, loaded once: libsodium (X25519, Ed25519,
 * XChaCha20-Poly1305), ML-KEM-768, SHA-256 and HKDF.
 */
export class CryptoSuite {
  private readonly kem: MlKemInterface;
  private readonly aead: Aead;

  private constructor(kem: MlKemInterface, aead: Aead) {
    this.kem = kem;
    this.aead = aead;
  }

  /**
   * Loads libsodium's WebAssembly and the ML-KEM tables. Each suite owns its AEAD (grown up to
   * `aead_message_bytes_max`); any number of suites may live in one process. `aead` picks the
   * backend (default: libsodium's WebAssembly, which runs everywhere; in Node,
   * `host/net/aead_node.ts` offers a native one with the same bytes).
   */
  static async load(options: { aead_message_bytes_max?: number; aead?: AeadFactory } = {}): Promise<CryptoSuite> {
    await sodium.ready;
    const bytes_max = options.aead_message_bytes_max ?? AEAD_MESSAGE_BYTES_MAX;
    const aead = options.aead === undefined ? new XChaCha20Poly1305(bytes_max) : options.aead(bytes_max);
    return new CryptoSuite(await createMlKem768(), aead);
  }

  /** The AEAD backend's name (`libsodium-wasm`, `node-crypto`, …). */
  get aead_name(): string {
    return this.aead.name;
  }

  // X25519 ---------------------------------------------------------------------------------

  /** The public key of X25519 secret `secret` (32 random bytes). */
  x25519_public(secret: Uint8Array): Uint8Array {
    assert(secret.length === X25519_BYTES, `x25519 secret is ${secret.length} bytes`);
    return sodium.crypto_scalarmult_base(secret);
  }

  /** The X25519 shared secret, or null when the peer's key is weak (an all-zero result). */
  x25519(secret: Uint8Array, peer_public: Uint8Array): Uint8Array | null {
    if (peer_public.length !== X25519_BYTES) return null;
    try {
      return sodium.crypto_scalarmult(secret, peer_public);
    } catch {
      return null; // libsodium refuses low-order points: "weak public key".
    }
  }

  // Ed25519 --------------------------------------------------------------------------------

  /** An Ed25519 key pair from a 32-byte seed. */
  sign_keypair(seed: Uint8Array): { public_key: Uint8Array; secret_key: Uint8Array } {
    assert(seed.length === ED25519_SEED_BYTES, `ed25519 seed is ${seed.length} bytes`);
    const pair = sodium.crypto_sign_seed_keypair(seed);
    return { public_key: pair.publicKey, secret_key: pair.privateKey };
  }

  /** Ed25519 signature of `message` (RFC 8032). */
  sign(message: Uint8Array, secret_key: Uint8Array): Uint8Array {
    return sodium.crypto_sign_detached(message, secret_key);
  }

  /** Whether `signature` is `public_key`'s Ed25519 signature of `message`. */
  verify(signature: Uint8Array, message: Uint8Array, public_key: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES || public_key.length !== ED25519_PUBLIC_BYTES) return false;
    try {
      return sodium.crypto_sign_verify_detached(signature, message, public_key);
    } catch {
      return false;
    }
  }

  // ML-KEM-768 -----------------------------------------------------------------------------

  /** An ML-KEM-768 key pair from `d || z` (64 bytes): [encapsulation key, decapsulation key]. */
  mlkem_keypair(seed: Uint8Array): { ek: Uint8Array; dk: Uint8Array } {
    assert(seed.length === MLKEM768_SEED_BYTES, `ml-kem seed is ${seed.length} bytes`);
    const [ek, dk] = this.kem.deriveKeyPair(seed);
    return { ek, dk };
  }

  /** Encapsulates to `ek` with message `m` (32 bytes); null if `ek` fails FIPS 203's checks. */
  mlkem_encap(ek: Uint8Array, m: Uint8Array): { ct: Uint8Array; shared: Uint8Array } | null {
    assert(m.length === MLKEM768_ENCAP_SEED_BYTES, `ml-kem message is ${m.length} bytes`);
    if (ek.length !== MLKEM768_EK_BYTES) return null;
    try {
      const [ct, shared] = this.kem.encap(ek, m);
      return { ct, shared };
    } catch {
      return null; // The modulus check of FIPS 203 §7.2 failed.
    }
  }

  /** Decapsulates; a wrong ciphertext yields FIPS 203's implicit-rejection secret, not an error. */
  mlkem_decap(ct: Uint8Array, dk: Uint8Array): Uint8Array | null {
    if (ct.length !== MLKEM768_CT_BYTES) return null;
    try {
      return this.kem.decap(ct, dk);
    } catch {
      return null;
    }
  }

  // XChaCha20-Poly1305 ---------------------------------------------------------------------

  /**
   * Seals `plaintext`: ciphertext followed by the 16-byte tag, as a view that is valid only until
   * the next `seal` or `open` on this suite (copy it at once).
   */
  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    return this.aead.seal(plaintext, ad, nonce, key);
  }

  /** Opens a sealed message into a buffer of its own, or null if the tag does not verify. */
  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    return this.aead.open(sealed, ad, nonce, key);
  }

  /** Seals `data` in place: its plaintext (all but the last 16 bytes) becomes ciphertext and tag (`Aead.seal_in_place`). */
  seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    this.aead.seal_in_place(data, ad, nonce, key);
  }

  /** Opens `sealed` in place: a view of its plaintext, or null if the tag does not verify (`Aead.open_in_place`). */
  open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    return this.aead.open_in_place(sealed, ad, nonce, key);
  }

  // SHA-256 and HKDF -----------------------------------------------------------------------

  /** SHA-256 of the concatenated `parts` (FIPS 180-4). */
  sha256(...parts: Uint8Array[]): Uint8Array {
    const h = sha256.create();
    for (const part of parts) h.update(part);
    return h.digest();
  }

  /** HKDF-Extract with SHA-256 (RFC 5869). */
  hkdf_extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return hkdf_extract(sha256, ikm, salt);
  }

  /** HKDF-Expand with SHA-256 (RFC 5869): `length` bytes. */
  hkdf_expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    return hkdf_expand(sha256, prk, info, length);
  }

  /** Overwrites `bytes` with zeros (keys being dropped). */
  wipe(bytes: Uint8Array): void {
    sodium.memzero(bytes);
  }
}
