/**
 * A node's long-term identity: an Ed25519 key pair (RFC 8032). Peers pin its public key with
 * `add_remote`; the handshake signs the transcript with the secret key.
 *
 * The secret key never leaves this object in readable form by accident: `toJSON`, `toString`
 * and Node's inspector show only the public key's fingerprint.
 */
import { bytes_hex } from './hex.js';
import { ED25519_SEED_BYTES, type CryptoSuite } from './suite.js';
import { random_bytes, type Random } from './random.js';

/** A node's long-term Ed25519 identity: its public key (what peers pin) and secret key. */
export class Identity {
  readonly public_key: Uint8Array;
  /** @internal The 64-byte Ed25519 secret key (seed and public key). */
  readonly secret_key: Uint8Array;

  private constructor(public_key: Uint8Array, secret_key: Uint8Array) {
    this.public_key = public_key;
    this.secret_key = secret_key;
  }

  /** The identity of a 32-byte seed (keep the seed as secret as the key). */
  static from_seed(suite: CryptoSuite, seed: Uint8Array): Identity {
    const pair = suite.sign_keypair(seed);
    return new Identity(pair.public_key, pair.secret_key);
  }

  /** A new identity from `random`. */
  static generate(suite: CryptoSuite, random: Random): Identity {
    const seed = random_bytes(random, ED25519_SEED_BYTES);
    const identity = Identity.from_seed(suite, seed);
    suite.wipe(seed);
    return identity;
  }

  /** The first 8 bytes of the public key in hex: enough to tell identities apart in logs. */
  get fingerprint(): string {
    return fingerprint(this.public_key);
  }

  /** Only the public key (the secret never serialises). */
  toJSON(): { public_key: string } {
    return { public_key: bytes_hex(this.public_key) };
  }

  /** The public key's fingerprint, never the secret. */
  toString(): string {
    return `Identity(${this.fingerprint})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** The fingerprint of a public key (see `Identity.fingerprint`). */
export function fingerprint(public_key: Uint8Array): string {
  return bytes_hex(public_key.subarray(0, 8));
}
