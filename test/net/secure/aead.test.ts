// The direct XChaCha20-Poly1305 (net/secure/aead.ts) against libsodium-wrappers' own calls:
// same bytes for random lengths (across scratch growth), the scratch's lifetime rules, limits.
import sodium from 'libsodium-wrappers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AssertionError } from '../../../kernel/assert.js';
import { XChaCha20Poly1305 } from '../../../net/secure/aead.js';

beforeAll(async () => {
  await sodium.ready;
});

const bytes = (n: number, fill: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + fill) & 0xff);

describe('XChaCha20Poly1305 on a preallocated scratch region', () => {
  it('seals and opens exactly as libsodium-wrappers does, for random lengths and contents', () => {
    const aead = new XChaCha20Poly1305(1 << 20);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (plaintext, ad, nonce, key) => {
          const expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
          const sealed = aead.seal(plaintext, ad, nonce, key).slice();
          expect(sealed).toEqual(expected);
          expect(aead.open(sealed, ad, nonce, key)).toEqual(plaintext);
        },
      ),
      { numRuns: 200 },
    );
    aead.close();
  });

  it('grows its scratch for larger messages (up to the limit) and stays correct', () => {
    const aead = new XChaCha20Poly1305(4 << 20);
    const ad = bytes(36, 1);
    const nonce = bytes(24, 2);
    const key = bytes(32, 3);
    for (const n of [0, 1, 64, 131_072, 131_073, 300_000, 1 << 20, 4 << 20]) {
      const plaintext = bytes(n, n);
      const expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
      const sealed = aead.seal(plaintext, ad, nonce, key).slice();
      expect(sealed.length, `${n}`).toBe(n + 16);
      expect(sodium.memcmp(sealed, expected), `${n}`).toBe(true);
      expect(sodium.memcmp(aead.open(sealed, ad, nonce, key)!, plaintext), `${n}`).toBe(true);
    }
    aead.close();
  });

  it('returns a seal view valid until the next call, and an open result of its own', () => {
    const aead = new XChaCha20Poly1305(1024);
    const ad = new Uint8Array(0);
    const nonce = bytes(24, 4);
    const key = bytes(32, 5);
    const first = aead.seal(bytes(10, 1), ad, nonce, key);
    const kept = first.slice();
    aead.seal(bytes(10, 2), ad, nonce, key);
    expect(first).not.toEqual(kept); // The view now shows the second packet.
    const opened = aead.open(kept, ad, nonce, key)!;
    aead.open(aead.seal(bytes(10, 3), ad, nonce, key).slice(), ad, nonce, key);
    expect(opened).toEqual(bytes(10, 1)); // Still the first packet's plaintext.
    aead.close();
  });

  it('refuses a tag that fails, a short input and one over the limit with null; misuse asserts', () => {
    const aead = new XChaCha20Poly1305(100);
    const ad = new Uint8Array(0);
    const nonce = bytes(24, 6);
    const key = bytes(32, 7);
    const sealed = aead.seal(bytes(100, 1), ad, nonce, key).slice();
    sealed[50]! ^= 1;
    expect(aead.open(sealed, ad, nonce, key)).toBeNull();
    expect(aead.open(new Uint8Array(15), ad, nonce, key)).toBeNull();
    expect(aead.open(new Uint8Array(101 + 16), ad, nonce, key)).toBeNull();
    expect(() => aead.seal(new Uint8Array(101), ad, nonce, key)).toThrow(AssertionError);
    expect(() => aead.seal(new Uint8Array(1), ad, nonce, new Uint8Array(31))).toThrow(/key of 31 bytes/);
    expect(() => aead.seal(new Uint8Array(1), ad, new Uint8Array(12), key)).toThrow(/nonce of 12 bytes/);
    aead.close();
    aead.close(); // Idempotent.
    expect(() => aead.seal(new Uint8Array(1), ad, nonce, key)).toThrow(/after close/);
  });
});
