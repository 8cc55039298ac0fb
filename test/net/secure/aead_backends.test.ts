// Every AEAD backend behind the seam (net/secure/aead.ts) gives the same bytes: HChaCha20
// against draft-irtf-cfrg-xchacha-03 §2.2.1; each backend against the draft's AEAD vector
// (§A.3.1) and against libsodium-wrappers' own call on random inputs (so HChaCha20 on random
// keys and nonces too) and on large messages, across scratch growth; every changed byte
// refused; a suite loaded with the native backend seals what the default one opens.
import sodium from 'libsodium-wrappers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { node_aead_choice } from '../../../host/net/aead_choice.js';
import { node_aead } from '../../../host/net/aead_node.js';
import { sodium_native_aead } from '../../../host/net/aead_sodium_native.js';
import { type Aead, SizeSplitAead, XChaCha20Poly1305 } from '../../../net/secure/aead.js';
import { hchacha20 } from '../../../net/secure/hchacha20.js';
import { bytes_hex, hex_bytes } from '../../../net/secure/hex.js';
import { CryptoSuite } from '../../../net/secure/suite.js';

beforeAll(async () => {
  await sodium.ready;
});

/** Byte equality without the matcher's element-by-element walk (1 MiB messages). */
const same = (a: Uint8Array | null, b: Uint8Array) =>
  a !== null && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

const BACKENDS: [string, (bytes_max: number) => Aead][] = [
  ['libsodium-wasm', (n) => new XChaCha20Poly1305(n)],
  ['node-crypto', node_aead],
  ['sodium-native', (n) => sodium_native_aead()!(n)],
  // Split by size: each side, and the dispatch of the in-place calls (1024 B is the boundary).
  [
    'libsodium-wasm<1024<=sodium-native',
    (n) => new SizeSplitAead(new XChaCha20Poly1305(n), sodium_native_aead()!(n), 1024),
  ],
];

describe('HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2)', () => {
  it("gives the draft's subkey for its §2.2.1 key and nonce", () => {
    const key = hex_bytes('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = hex_bytes('000000090000004a0000000031415927');
    const out = new Uint8Array(32);
    hchacha20(key, nonce, 0, out);
    expect(bytes_hex(out)).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('reads its nonce and writes its subkey at the offsets given', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => 255 - i);
    const plain = new Uint8Array(32);
    hchacha20(key, nonce.subarray(8), 0, plain);
    const offset = new Uint8Array(40);
    hchacha20(key, nonce, 8, offset, 8);
    expect(offset.subarray(8)).toEqual(plain);
    expect(offset.subarray(0, 8)).toEqual(new Uint8Array(8));
  });
});

for (const [name, make] of BACKENDS) {
  describe(`XChaCha20-Poly1305 backend ${name}`, () => {
    it("seals the draft's §A.3.1 vector to its ciphertext and tag, and opens it", () => {
      const aead = make(1 << 20);
      expect(aead.name).toBe(name);
      const key = hex_bytes('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
      const nonce = hex_bytes('404142434445464748494a4b4c4d4e4f5051525354555657');
      const ad = hex_bytes('50515253c0c1c2c3c4c5c6c7');
      const plaintext = new TextEncoder().encode(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      );
      const sealed = aead.seal(plaintext, ad, nonce, key).slice();
      expect(bytes_hex(sealed)).toBe(
        'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
          'c0875924c1c7987947deafd8780acf49',
      );
      expect(aead.open(sealed, ad, nonce, key)).toEqual(plaintext);
      for (let i = 0; i < sealed.length; i++) {
        const bad = sealed.slice();
        bad[i]! ^= 0x80;
        expect(aead.open(bad, ad, nonce, key), `byte ${i}`).toBeNull();
      }
      const bad_ad = ad.slice();
      bad_ad[0]! ^= 1;
      expect(aead.open(sealed, bad_ad, nonce, key)).toBeNull();
      const bad_nonce = nonce.slice();
      bad_nonce[23]! ^= 1; // A byte of the part that is not hashed into the subkey.
      expect(aead.open(sealed, ad, bad_nonce, key)).toBeNull();
      expect(aead.open(sealed.subarray(0, 15), ad, nonce, key)).toBeNull();
      aead.close();
      aead.close(); // Idempotent.
    });

    it('gives libsodium-wrappers’ bytes for random lengths and contents, and for large messages', () => {
      const aead = make(1 << 20);
      const check = (plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array) => {
        const expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
        const sealed = aead.seal(plaintext, ad, nonce, key).slice();
        expect(same(sealed, expected), `sealed ${plaintext.length} bytes`).toBe(true);
        const opened = aead.open(sealed, ad, nonce, key);
        expect(same(opened, plaintext), `opened ${plaintext.length} bytes`).toBe(true);
        // The plaintext is the caller's: the next call must not write over it.
        aead.seal(new Uint8Array(plaintext.length).fill(0xee), ad, nonce, key);
        expect(same(opened, plaintext)).toBe(true);
        // In place: the same bytes in the caller's buffer, and the plaintext back in it.
        const buffer = new Uint8Array(plaintext.length + 16);
        buffer.set(plaintext);
        aead.seal_in_place(buffer, ad, nonce, key);
        expect(same(buffer, expected), `sealed in place ${plaintext.length} bytes`).toBe(true);
        const bad = buffer.slice();
        bad[bad.length - 1]! ^= 1;
        expect(aead.open_in_place(bad, ad, nonce, key)).toBeNull();
        const view = aead.open_in_place(buffer, ad, nonce, key);
        expect(same(view, plaintext), `opened in place ${plaintext.length} bytes`).toBe(true);
        expect(view!.buffer).toBe(buffer.buffer);
        expect(view!.byteOffset).toBe(buffer.byteOffset);
      };
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 3000 }),
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ minLength: 24, maxLength: 24 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          check,
        ),
        { numRuns: 150 },
      );
      // Past the first scratch (128 KiB), up to the limit: the scratch grows.
      for (const length of [65_536, 131_073, 400_000, 1 << 20]) {
        const plaintext = new Uint8Array(length);
        for (let i = 0; i < length; i++) plaintext[i] = (i * 131 + length) & 0xff;
        check(
          plaintext,
          new Uint8Array(36).fill(length & 0xff),
          new Uint8Array(24).fill(5),
          new Uint8Array(32).fill(6),
        );
      }
      aead.close();
    });
  });
}

describe('a suite on the native backend', () => {
  it('seals what a suite on the default backend opens, and the other way round', async () => {
    const native = await CryptoSuite.load({ aead: node_aead });
    const portable = await CryptoSuite.load();
    expect([native.aead_name, portable.aead_name]).toEqual(['node-crypto', 'libsodium-wasm']);
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const ad = new Uint8Array(36).fill(3);
    const message = new Uint8Array(1200).map((_, i) => i);
    expect(portable.open(native.seal(message, ad, nonce, key).slice(), ad, nonce, key)).toEqual(message);
    expect(native.open(portable.seal(message, ad, nonce, key).slice(), ad, nonce, key)).toEqual(message);
  });
});

describe("a Node host's choice of backend", () => {
  it('splits by size as measured (WebAssembly, native libsodium, OpenSSL), and LATTICE_AEAD forces one', () => {
    const native = sodium_native_aead();
    expect(native).not.toBeNull(); // An optional dependency, installed by `npm ci` here.
    expect(node_aead_choice(undefined)(1 << 20).name).toBe('libsodium-wasm<256<=sodium-native');
    expect(node_aead_choice('wasm')(1024).name).toBe('libsodium-wasm');
    expect(node_aead_choice('node')(1024).name).toBe('node-crypto');
    expect(node_aead_choice('native')(1024).name).toBe('sodium-native');
    expect(() => node_aead_choice('openssl')).toThrow(expect.objectContaining({ code: 'ERR_LATTICE_BAD_OPTION' }));
  });

  it('seals each size with the backend its range names: the same bytes either way', () => {
    const split = new SizeSplitAead(new XChaCha20Poly1305(1 << 20), node_aead(1 << 20), 256);
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(24).fill(2);
    for (const length of [0, 255, 256, 4096]) {
      const plaintext = new Uint8Array(length).fill(length & 0xff);
      const sealed = split.seal(plaintext, new Uint8Array(0), nonce, key).slice();
      expect(same(sealed, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, null, null, nonce, key))).toBe(
        true,
      );
      expect(same(split.open(sealed, new Uint8Array(0), nonce, key), plaintext)).toBe(true);
    }
    split.close();
  });
});
