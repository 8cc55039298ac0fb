/**
 * The system CSPRNG as a `Random` (Web Crypto's `getRandomValues`, which Node and browsers
 * provide as a global). `getRandomValues` fills at most 65,536 bytes per call.
 */
import type { Random } from '../../net/secure/random.js';

const CHUNK_BYTES_MAX = 65_536;

/** The system CSPRNG (`crypto.getRandomValues`) as the secure channel's `Random`. */
export function system_random(): Random {
  return {
    fill(bytes) {
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES_MAX) {
        globalThis.crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES_MAX)));
      }
    },
  };
}
