/**
 * AEAD_XChaCha20_Poly1305 (draft-irtf-cfrg-xchacha-03, section 2) on libsodium's WebAssembly,
 * called without the wrapper's per-call allocations.
 *
 * `libsodium-wrappers` mallocs a WebAssembly buffer for every argument and for the result, copies
 * each in, and copies the result out into a fresh `Uint8Array`: for a 64 KiB packet that is two
 * 64 KiB mallocs, three copies and a 64 KiB JavaScript allocation, and it throws on a bad tag.
 * Here one scratch region of the WebAssembly heap is allocated up front (grown, never shrunk,
 * when a larger message comes, up to `message_bytes_max`), arguments are copied into it, and
 * libsodium's `crypto_aead_xchacha20poly1305_ietf_encrypt` / `_decrypt` run on it directly:
 *
 *   scratch: | key 32 | nonce 24 | ad (ad_bytes_max) | input (capacity + 16) | output (capacity + 16) |
 *
 * - `seal` returns a view of the output area: valid until the next call on this instance (or any
 *   libsodium call that grows its heap), so callers copy it at once (the driver does).
 * - `open` returns a buffer of its own holding the plaintext (the receiver keeps it), or null;
 *   small ones are views carved from a `ByteArena` chunk (never reused), which is cheaper.
 * The key slot is zeroed after every call. Measured on this machine: 64 KiB seals at about
 * 520 MB/s this way against 350 MB/s through the wrapper (docs/PERFORMANCE.md).
 */
import sodium from 'libsodium-wrappers';
import { assert } from '../../kernel/assert.js';
import { ByteArena } from '../byte_arena.js';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;

/** The parts of libsodium's Emscripten module used here. */
interface SodiumModule {
  readonly HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(address: number): void;
  _crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: number,
    clen_p: null,
    m: number,
    mlen: number,
    mlen_high: number,
    ad: number,
    adlen: number,
    adlen_high: number,
    nsec: null,
    npub: number,
    k: number,
  ): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: number,
    mlen_p: null,
    nsec: null,
    c: number,
    clen: number,
    clen_high: number,
    ad: number,
    adlen: number,
    adlen_high: number,
    npub: number,
    k: number,
  ): number;
}

/**
 * The AEAD seam: XChaCha20-Poly1305 seal and open, whichever code runs them. Every backend
 * produces the same bytes (test/net/secure/aead_backends.test.ts checks the draft's vector and
 * random cross-checks); the suite takes one at load (`CryptoSuite.load({ aead })`).
 */
export interface Aead {
  /** The backend's name, for benches and stats (`libsodium-wasm`, `node-crypto`, …). */
  readonly name: string;
  /** Seals `plaintext`: ciphertext and 16-byte tag, as a view valid until the next call on this instance. */
  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Opens ciphertext and tag: the plaintext in a buffer of its own (the caller keeps it), or null when the tag fails. */
  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /**
   * Seals in place: `data` holds the plaintext in all but its last 16 bytes, and on return the
   * ciphertext and the tag (the same bytes `seal` gives).
   */
  seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
  /**
   * Opens in place: on success the plaintext is in `sealed`'s first bytes and the view of them is
   * returned; null when the tag fails (then `sealed` may have been overwritten: libsodium zeroes
   * what it would have written).
   */
  open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /** Zeroes and frees what the backend holds; unusable after. Idempotent. */
  close(): void;
}

/** Makes a backend for messages of at most `message_bytes_max` bytes (after `sodium.ready`). */
export type AeadFactory = (message_bytes_max: number) => Aead;

/**
 * The checks every backend makes on its arguments (programmer errors: assertion failures):
 * a live backend, a message within `message_bytes_max`, associated data within
 * `AEAD_AD_BYTES_MAX`, a 24-byte nonce and a 32-byte key.
 */
export function check_aead_arguments(
  live: boolean,
  message_bytes_max: number,
  message_bytes: number,
  ad: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): void {
  assert(live, 'AEAD used after close()');
  assert(message_bytes <= message_bytes_max, `a message of ${message_bytes} bytes, over ${message_bytes_max}`);
  assert(ad.length <= AEAD_AD_BYTES_MAX, `associated data of ${ad.length} bytes`);
  assert(nonce.length === AEAD_NONCE_BYTES, `nonce of ${nonce.length} bytes`);
  assert(key.length === AEAD_KEY_BYTES, `key of ${key.length} bytes`);
}

/** The plaintext of a buffer to seal in place: all but its last 16 bytes (the tag's room). */
export function plaintext_part(data: Uint8Array): Uint8Array {
  assert(data.length >= AEAD_TAG_BYTES, `seal_in_place: ${data.length} bytes`);
  return data.subarray(0, data.length - AEAD_TAG_BYTES);
}

/** Copies an opened `plaintext` back over the ciphertext it came from; the view of it there, or null. */
function put_back(sealed: Uint8Array, plaintext: Uint8Array | null): Uint8Array | null {
  if (plaintext === null) return null;
  sealed.set(plaintext);
  return sealed.subarray(0, plaintext.length);
}

/** Largest associated data accepted (the secure channel's is 40 bytes). */
export const AEAD_AD_BYTES_MAX = 256;
/** Scratch capacity reserved at construction. */
const CAPACITY_INITIAL_BYTES = 128 << 10;

/** XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) seal and open, in a fixed scratch region. */
export class XChaCha20Poly1305 implements Aead {
  readonly name = 'libsodium-wasm';
  private readonly lib: SodiumModule;
  private readonly message_bytes_max: number;
  private base = 0;
  private capacity = 0;
  private key_at = 0;
  private nonce_at = 0;
  private ad_at = 0;
  private in_at = 0;
  private out_at = 0;
  /** Small plaintexts are carved from here (net/byte_arena.ts); large ones get a buffer each. */
  private readonly arena = new ByteArena();

  /** Needs `await sodium.ready` first (CryptoSuite.load does it). */
  constructor(message_bytes_max: number) {
    assert(Number.isSafeInteger(message_bytes_max) && message_bytes_max > 0, `message_bytes_max ${message_bytes_max}`);
    const lib = (sodium as unknown as { libsodium?: SodiumModule }).libsodium;
    assert(
      lib !== undefined && typeof lib._crypto_aead_xchacha20poly1305_ietf_encrypt === 'function',
      'libsodium is not loaded',
    );
    this.lib = lib;
    this.message_bytes_max = message_bytes_max;
    this.reserve(Math.min(CAPACITY_INITIAL_BYTES, message_bytes_max));
  }

  /** Seals `plaintext`: ciphertext and tag, as a view valid until the next call. */
  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    this.check(plaintext.length, ad, nonce, key);
    const heap = this.load(plaintext, ad, nonce, key);
    this.lib._crypto_aead_xchacha20poly1305_ietf_encrypt(
      this.out_at,
      null,
      this.in_at,
      plaintext.length,
      0,
      this.ad_at,
      ad.length,
      0,
      null,
      this.nonce_at,
      this.key_at,
    );
    heap.fill(0, this.key_at, this.key_at + AEAD_KEY_BYTES);
    return heap.subarray(this.out_at, this.out_at + plaintext.length + AEAD_TAG_BYTES);
  }

  /** Opens ciphertext and tag: the plaintext in a buffer of its own, or null when the tag fails. */
  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const plaintext = this.open_scratch(sealed, ad, nonce, key);
    return plaintext === null ? null : this.arena.copy(plaintext);
  }

  /** `Aead.seal_in_place`: sealed in the scratch region, copied back (WebAssembly sees only its own heap). */
  seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    data.set(this.seal(plaintext_part(data), ad, nonce, key));
  }

  /** `Aead.open_in_place`: opened in the scratch region, the plaintext copied back over the ciphertext. */
  open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    return put_back(sealed, this.open_scratch(sealed, ad, nonce, key));
  }

  /** Opens into the scratch region: a view of the plaintext there (valid until the next call), or null. */
  private open_scratch(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    if (sealed.length < AEAD_TAG_BYTES || sealed.length - AEAD_TAG_BYTES > this.message_bytes_max) return null;
    this.check(sealed.length - AEAD_TAG_BYTES, ad, nonce, key);
    const heap = this.load(sealed, ad, nonce, key);
    const result = this.lib._crypto_aead_xchacha20poly1305_ietf_decrypt(
      this.out_at,
      null,
      null,
      this.in_at,
      sealed.length,
      0,
      this.ad_at,
      ad.length,
      0,
      this.nonce_at,
      this.key_at,
    );
    heap.fill(0, this.key_at, this.key_at + AEAD_KEY_BYTES);
    if (result !== 0) return null;
    return heap.subarray(this.out_at, this.out_at + sealed.length - AEAD_TAG_BYTES);
  }

  private check(message_bytes: number, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    check_aead_arguments(this.base !== 0, this.message_bytes_max, message_bytes, ad, nonce, key);
    if (message_bytes > this.capacity)
      this.reserve(Math.min(this.message_bytes_max, Math.max(message_bytes, this.capacity * 2)));
  }

  /** Copies the arguments into the scratch region; returns the heap view to use. */
  private load(input: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const heap = this.lib.HEAPU8; // Read every call: growing the heap replaces it.
    heap.set(key, this.key_at);
    heap.set(nonce, this.nonce_at);
    heap.set(ad, this.ad_at);
    heap.set(input, this.in_at);
    return heap;
  }

  private reserve(capacity: number): void {
    if (this.base !== 0) {
      this.lib.HEAPU8.fill(0, this.base, this.out_at + this.capacity + AEAD_TAG_BYTES);
      this.lib._free(this.base);
    }
    const bytes = AEAD_KEY_BYTES + AEAD_NONCE_BYTES + AEAD_AD_BYTES_MAX + 2 * (capacity + AEAD_TAG_BYTES);
    const base = this.lib._malloc(bytes);
    assert(base !== 0, `libsodium could not allocate ${bytes} bytes`);
    this.base = base;
    this.capacity = capacity;
    this.key_at = base;
    this.nonce_at = this.key_at + AEAD_KEY_BYTES;
    this.ad_at = this.nonce_at + AEAD_NONCE_BYTES;
    this.in_at = this.ad_at + AEAD_AD_BYTES_MAX;
    this.out_at = this.in_at + capacity + AEAD_TAG_BYTES;
  }

  /** Zeroes and frees the scratch region; the instance is unusable after. Idempotent. */
  close(): void {
    if (this.base === 0) return;
    this.lib.HEAPU8.fill(0, this.base, this.out_at + this.capacity + AEAD_TAG_BYTES);
    this.lib._free(this.base);
    this.base = 0;
    this.capacity = 0;
  }
}

/**
 * Two backends split by message size: messages under `large_bytes_min` go to `small`, the rest
 * to `large` (each backend is fastest at one end: docs/PERFORMANCE.md has the table). Both give
 * the same bytes, so which one ran never shows on the wire. A view `seal` returned stays valid
 * until the next call on the backend that made it, so at least until the next call here.
 */
export class SizeSplitAead implements Aead {
  readonly name: string;
  private readonly small: Aead;
  private readonly large: Aead;
  private readonly large_bytes_min: number;

  constructor(small: Aead, large: Aead, large_bytes_min: number) {
    assert(Number.isSafeInteger(large_bytes_min) && large_bytes_min > 0, `large_bytes_min ${large_bytes_min}`);
    this.small = small;
    this.large = large;
    this.large_bytes_min = large_bytes_min;
    this.name = `${small.name}<${large_bytes_min}<=${large.name}`;
  }

  seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    return (plaintext.length < this.large_bytes_min ? this.small : this.large).seal(plaintext, ad, nonce, key);
  }

  open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const length = sealed.length - AEAD_TAG_BYTES;
    return (length < this.large_bytes_min ? this.small : this.large).open(sealed, ad, nonce, key);
  }

  seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    const length = data.length - AEAD_TAG_BYTES;
    (length < this.large_bytes_min ? this.small : this.large).seal_in_place(data, ad, nonce, key);
  }

  open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    const length = sealed.length - AEAD_TAG_BYTES;
    return (length < this.large_bytes_min ? this.small : this.large).open_in_place(sealed, ad, nonce, key);
  }

  close(): void {
    this.small.close();
    this.large.close();
  }
}

/**
 * What the backends outside this file share: the message limit, one sealing scratch (grown,
 * never shrunk, up to `message_bytes_max`) whose views `seal` returns, an arena that small
 * opened plaintexts are carved from, the argument checks, and `close`. A subclass seals into
 * `sealing(...)` and opens after `opening(...)`.
 */
export abstract class ScratchAead implements Aead {
  /** The backend's name (`Aead.name`). */
  abstract readonly name: string;
  protected readonly message_bytes_max: number;
  /** Small plaintexts are carved from here (net/byte_arena.ts); large ones get a buffer each. */
  protected readonly arena = new ByteArena();
  private out: Uint8Array;
  private closed = false;

  constructor(message_bytes_max: number) {
    assert(Number.isSafeInteger(message_bytes_max) && message_bytes_max > 0, `message_bytes_max ${message_bytes_max}`);
    this.message_bytes_max = message_bytes_max;
    this.out = new Uint8Array(Math.min(CAPACITY_INITIAL_BYTES, message_bytes_max) + AEAD_TAG_BYTES);
  }

  /** `Aead.seal`: into the view `sealing` returns. */
  abstract seal(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** `Aead.open`: after `opening`. */
  abstract open(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;

  /** `Aead.seal_in_place`: by default sealed into the scratch and copied back (a backend that can write in place overrides it). */
  seal_in_place(data: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    data.set(this.seal(plaintext_part(data), ad, nonce, key));
  }

  /** `Aead.open_in_place`: by default opened and copied back over the ciphertext (overridden where it can be done in place). */
  open_in_place(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
    return put_back(sealed, this.open(sealed, ad, nonce, key));
  }

  /** Checks the arguments of a seal of `plaintext_bytes` (in place, or before `sealing`). */
  protected check_seal(plaintext_bytes: number, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
    check_aead_arguments(!this.closed, this.message_bytes_max, plaintext_bytes, ad, nonce, key);
  }

  /** Checks a seal's arguments; the view of the scratch its ciphertext and tag go into. */
  protected sealing(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    this.check_seal(plaintext.length, ad, nonce, key);
    const bytes = plaintext.length + AEAD_TAG_BYTES;
    if (this.out.length < bytes)
      this.out = new Uint8Array(
        Math.min(this.message_bytes_max + AEAD_TAG_BYTES, Math.max(bytes, this.out.length * 2)),
      );
    return this.out.subarray(0, bytes);
  }

  /** The plaintext length of `sealed`, or -1 when it cannot be a sealed message here; checks the rest. */
  protected opening(sealed: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): number {
    const length = sealed.length - AEAD_TAG_BYTES;
    if (length < 0 || length > this.message_bytes_max) return -1;
    check_aead_arguments(!this.closed, this.message_bytes_max, length, ad, nonce, key);
    return length;
  }

  /** `Aead.close`: zeroes the scratch. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.fill(0);
    this.out = new Uint8Array(0);
  }
}
