// The primitives against their standards' test vectors: XChaCha20-Poly1305 (draft-irtf-cfrg-
// xchacha-03 §A.3.1), HKDF-SHA-256 (RFC 5869 A.1, A.2), X25519 (RFC 7748 §6.1), Ed25519
// (RFC 8032 §7.1 tests 1 and 2), and ML-KEM-768 (FIPS 203) against C2SP's accumulated
// pq-crystals vectors (10,000 key generations, encapsulations and decapsulations hashed with
// SHAKE-128), cross-checked byte for byte with @noble/post-quantum as an independent
// implementation.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { shake128 } from '@noble/hashes/sha3.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytes_hex, hex_bytes } from '../../../net/secure/hex.js';
import { CryptoSuite } from '../../../net/secure/suite.js';

let suite: CryptoSuite;
beforeAll(async () => {
  suite = await CryptoSuite.load();
});

describe('XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03, A.3.1)', () => {
  const key = hex_bytes('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = hex_bytes('404142434445464748494a4b4c4d4e4f5051525354555657');
  const ad = hex_bytes('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const ciphertext =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e';
  const tag = 'c0875924c1c7987947deafd8780acf49';

  it("seals to the draft's ciphertext and tag, and opens it", () => {
    const sealed = suite.seal(plaintext, ad, nonce, key);
    expect(bytes_hex(sealed)).toBe(ciphertext + tag);
    expect(suite.open(sealed, ad, nonce, key)).toEqual(plaintext);
  });

  it('refuses any changed byte of ciphertext, tag, associated data, nonce or key', () => {
    const sealed = hex_bytes(ciphertext + tag);
    for (const [name, value] of [
      ['sealed', sealed],
      ['ad', ad],
      ['nonce', nonce],
      ['key', key],
    ] as const) {
      for (let i = 0; i < value.length; i++) {
        const bad = value.slice();
        bad[i]! ^= 0x01;
        const args = { sealed, ad, nonce, key, [name]: bad };
        expect(suite.open(args.sealed, args.ad, args.nonce, args.key), `${name}[${i}]`).toBeNull();
      }
    }
    expect(suite.open(sealed.subarray(0, 15), ad, nonce, key)).toBeNull();
  });
});

describe('HKDF-SHA-256 (RFC 5869)', () => {
  it('A.1: basic', () => {
    const prk = suite.hkdf_extract(hex_bytes('000102030405060708090a0b0c'), hex_bytes('0b'.repeat(22)));
    expect(bytes_hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(bytes_hex(suite.hkdf_expand(prk, hex_bytes('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('A.2: longer inputs and outputs', () => {
    const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const prk = suite.hkdf_extract(range(0x60, 0xaf), range(0x00, 0x4f));
    expect(bytes_hex(prk)).toBe('06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244');
    expect(bytes_hex(suite.hkdf_expand(prk, range(0xb0, 0xff), 82))).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });
});

describe('X25519 (RFC 7748, 6.1)', () => {
  const alice = hex_bytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bob = hex_bytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');

  it('derives both public keys and the same shared secret', () => {
    const alice_public = suite.x25519_public(alice);
    const bob_public = suite.x25519_public(bob);
    expect(bytes_hex(alice_public)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bytes_hex(bob_public)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(bytes_hex(suite.x25519(alice, bob_public)!)).toBe(shared);
    expect(bytes_hex(suite.x25519(bob, alice_public)!)).toBe(shared);
  });

  it('refuses a low-order point (an all-zero shared secret) and a wrong length', () => {
    expect(suite.x25519(alice, new Uint8Array(32))).toBeNull();
    expect(suite.x25519(alice, new Uint8Array(31))).toBeNull();
  });
});

describe('Ed25519 (RFC 8032, 7.1)', () => {
  for (const [name, seed, public_key, message, signature] of [
    [
      'test 1',
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    ],
    [
      'test 2',
      '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    ],
  ] as const) {
    it(`${name}: key pair, signature, verification`, () => {
      const pair = suite.sign_keypair(hex_bytes(seed));
      expect(bytes_hex(pair.public_key)).toBe(public_key);
      const sig = suite.sign(hex_bytes(message), pair.secret_key);
      expect(bytes_hex(sig)).toBe(signature);
      expect(suite.verify(sig, hex_bytes(message), pair.public_key)).toBe(true);
      const bad = sig.slice();
      bad[10]! ^= 4;
      expect(suite.verify(bad, hex_bytes(message), pair.public_key)).toBe(false);
      expect(suite.verify(sig, Uint8Array.of(1), pair.public_key)).toBe(false);
    });
  }
});

describe('ML-KEM-768 (FIPS 203)', () => {
  /** C2SP/CCTV's accumulated test: inputs from SHAKE-128(""), outputs into a running SHAKE-128. */
  function accumulate(
    count: number,
    keygen: (seed: Uint8Array) => { ek: Uint8Array; dk: Uint8Array },
    encap: (ek: Uint8Array, m: Uint8Array) => { ct: Uint8Array; shared: Uint8Array },
    decap: (ct: Uint8Array, dk: Uint8Array) => Uint8Array,
  ): string {
    const rng = shake128.create({});
    const out = shake128.create({});
    for (let i = 0; i < count; i++) {
      const seed = rng.xof(64); // d, then z
      const m = rng.xof(32);
      const wrong_ct = rng.xof(1088);
      const { ek, dk } = keygen(seed);
      const { ct, shared } = encap(ek, m);
      expect(bytes_hex(decap(ct, dk))).toBe(bytes_hex(shared));
      out.update(ek).update(dk).update(ct).update(shared).update(decap(wrong_ct, dk));
    }
    return bytes_hex(out.xof(32));
  }

  it('matches the 10,000 accumulated pq-crystals vectors (C2SP CCTV)', () => {
    const hash = accumulate(
      10_000,
      (seed) => suite.mlkem_keypair(seed),
      (ek, m) => suite.mlkem_encap(ek, m)!,
      (ct, dk) => suite.mlkem_decap(ct, dk)!,
    );
    expect(hash).toBe('f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1');
  }, 180_000);

  it('agrees byte for byte with @noble/post-quantum, an independent implementation', () => {
    const noble = accumulate(
      100,
      (seed) => {
        const pair = ml_kem768.keygen(seed);
        return { ek: pair.publicKey, dk: pair.secretKey };
      },
      (ek, m) => {
        const r = ml_kem768.encapsulate(ek, m);
        return { ct: r.cipherText, shared: r.sharedSecret };
      },
      (ct, dk) => ml_kem768.decapsulate(ct, dk),
    );
    const ours = accumulate(
      100,
      (seed) => suite.mlkem_keypair(seed),
      (ek, m) => suite.mlkem_encap(ek, m)!,
      (ct, dk) => suite.mlkem_decap(ct, dk)!,
    );
    expect(ours).toBe(noble);
  }, 60_000);

  it('refuses an encapsulation key that fails the modulus check, and wrong sizes', () => {
    const { ek } = suite.mlkem_keypair(new Uint8Array(64).fill(3));
    const bad = ek.slice();
    bad[0] = 0xff; // The first coefficient becomes 0xfff > q.
    bad[1]! |= 0x0f;
    expect(suite.mlkem_encap(bad, new Uint8Array(32))).toBeNull();
    expect(suite.mlkem_encap(ek.subarray(1), new Uint8Array(32))).toBeNull();
    expect(suite.mlkem_decap(new Uint8Array(10), new Uint8Array(2400))).toBeNull();
  });
});
