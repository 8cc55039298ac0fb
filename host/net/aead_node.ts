/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03, section 2) on Node's own OpenSSL: the
 * secure channel's AEAD in native code, with the same bytes as libsodium's.
 *
 * OpenSSL knows ChaCha20-Poly1305 with RFC 8439's 96-bit nonce, not XChaCha's 192-bit one. The
 * draft builds the one from the other: the subkey is HChaCha20(key, nonce[0..16])
 * (net/secure/hchacha20.ts), and the ChaCha20-Poly1305 nonce is four zero bytes then
 * nonce[16..24]. Seal and open then run as RFC 8439 says, on the subkey:
 *
 *   XChaCha20-Poly1305(key, nonce, ad, m) = ChaCha20-Poly1305(HChaCha20(key, nonce[0..16]),
 *                                                             0^4 | nonce[16..24], ad, m)
 *
 * The subkey and the 12-byte nonce live in fixed buffers (the subkey zeroed once OpenSSL holds it); the
 * sealed output is written into one scratch buffer (grown, never shrunk, up to
 * `message_bytes_max`) and returned as a view valid until the next call, as the seam says.
 * Node-only (`node:crypto`): hosts pass `node_aead` to `CryptoSuite.load`; the browser and the
 * simulator keep the portable WebAssembly default.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  type AeadFactory,
  ScratchAead,
} from '../../net/secure/aead.js';
import { HCHACHA_NONCE_BYTES, hchacha20 } from '../../net/secure/hchacha20.js';

const CHACHA_NONCE_BYTES = 12;

/** XChaCha20-Poly1305 through `node:crypto`'s `chacha20-poly1305` and a JavaScript HChaCha20. */
export class NodeXChaCha20Poly1305 extends ScratchAead {
  readonly name = 'node-crypto';
  private readonly subkey = new Uint8Array(AEAD_KEY_BYTES);
  private readonly iv = new Uint8Array(CHACHA_NONCE_BYTES);

  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const out = this.sealing(plaintext, ad, nonce, key);
    this.derive(nonce, key);
    const cipher = createCipheriv('chacha20-poly1305', this.subkey, this.iv, { authTagLength: AEAD_TAG_BYTES });
    this.forget();
    cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    out.set(body, 0);
    let at = body.length;
    const tail = cipher.final();
    if (tail.length > 0) out.set(tail, at);
    at += tail.length;
    out.set(cipher.getAuthTag(), at);
    return out;
  }

  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const length = this.opening(sealed, ad, nonce, key);
    if (length < 0) return null;
    this.derive(nonce, key);
    const decipher = createDecipheriv('chacha20-poly1305', this.subkey, this.iv, { authTagLength: AEAD_TAG_BYTES });
    this.forget();
    decipher.setAAD(ad, { plaintextLength: length });
    decipher.setAuthTag(sealed.subarray(length));
    const body = decipher.update(sealed.subarray(0, length));
    try {
      decipher.final(); // Throws when the tag does not verify: the only way OpenSSL says so here.
    } catch {
      body.fill(0);
      return null;
    }
    // A Buffer that shares its memory (Node's pool) is copied out; one with its own is kept.
    const own = body.byteOffset === 0 && body.buffer.byteLength === body.length;
    return own ? new Uint8Array(body.buffer, 0, body.length) : this.arena.copy(body);
  }

  /** The subkey and the ChaCha20-Poly1305 nonce of XChaCha's `nonce`. */
  private derive(nonce: Uint8Array, key: Uint8Array): void {
    hchacha20(key, nonce, 0, this.subkey, 0);
    this.iv.fill(0, 0, 4);
    this.iv.set(nonce.subarray(HCHACHA_NONCE_BYTES, AEAD_NONCE_BYTES), 4);
  }

  /** Zeroes the subkey once OpenSSL holds its copy. */
  private forget(): void {
    this.subkey.fill(0);
  }
}

/** The factory `CryptoSuite.load({ aead: node_aead })` takes. */
export const node_aead: AeadFactory = (message_bytes_max) => new NodeXChaCha20Poly1305(message_bytes_max);
