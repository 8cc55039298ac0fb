/**
 * Randomness for the secure channel, injected: ephemeral keys, ML-KEM encapsulation messages and
 * session indices all come from a `Random`, never from a system call inside the channel.
 *
 * - Production passes the system CSPRNG (`system_random()` in host/net/system_random.ts).
 * - The simulator and tests pass `seeded_random(seed)`: the SHAKE-128 (FIPS 202) output stream of
 *   the seed, so a run replays byte for byte from its seed. It is a deterministic generator and
 *   only as secret as its seed: never use it for real keys.
 */
import { shake128 } from '@noble/hashes/sha3.js';

/** A source of random bytes. */
export interface Random {
  /** Fills `bytes` with random bytes. */
  fill(bytes: Uint8Array): void;
}

/** `n` random bytes from `random`. */
export function random_bytes(random: Random, n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  random.fill(bytes);
  return bytes;
}

/** A random unsigned 32-bit integer that is not 0. */
export function random_u32_nonzero(random: Random): number {
  const word = new Uint8Array(4);
  for (;;) {
    random.fill(word);
    const value = (word[0]! | (word[1]! << 8) | (word[2]! << 16) | (word[3]! << 24)) >>> 0;
    if (value !== 0) return value;
  }
}

/** The deterministic stream of SHAKE-128(`seed`). */
export function seeded_random(seed: Uint8Array | string): Random {
  const xof = shake128.create({});
  xof.update(typeof seed === 'string' ? new TextEncoder().encode(seed) : seed);
  return {
    fill(bytes) {
      bytes.set(xof.xof(bytes.length));
    },
  };
}
