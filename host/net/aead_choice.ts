/**
 * Which AEAD backend a Node host runs (the choice is by measurement: docs/PERFORMANCE.md,
 * "AEAD backends"). All give the same bytes; the portable default (libsodium's WebAssembly)
 * stays what the browser and the simulator run.
 *
 * - `sodium-native` installed (an optional dependency): libsodium's WebAssembly under 256 B (its
 *   calls cost less than a native binding's), sodium-native from 256 B on. Node's OpenSSL
 *   (`node-crypto`) is as fast at 64 KiB but cannot seal or open in place (its output is always
 *   a new buffer), and records are sealed and opened in place, so it is not used with it.
 * - Without it: libsodium's WebAssembly under 4 KiB, `node-crypto` from 4 KiB on.
 *
 * `LATTICE_AEAD` in the environment picks one backend alone for comparisons: `wasm`, `node`,
 * `native` (an unknown name, or `native` where it does not load, is an error).
 */
import { ConfigError } from '../../kernel/errors.js';
import { ErrorCode } from '../../kernel/error_codes.js';
import { type AeadFactory, SizeSplitAead, XChaCha20Poly1305 } from '../../net/secure/aead.js';
import { NodeXChaCha20Poly1305 } from './aead_node.js';
import { sodium_native_aead } from './aead_sodium_native.js';

/** Without sodium-native: from this size on, OpenSSL's ChaCha20 beats libsodium's WebAssembly. */
export const WASM_LARGE_BYTES_MIN = 4 << 10;
/** Under this size, libsodium's WebAssembly beats the native binding (the call costs more than the cipher). */
export const NATIVE_SMALL_BYTES_MIN = 256;

/** The backend names `LATTICE_AEAD` takes. */
export const AEAD_BACKENDS = ['wasm', 'node', 'native'] as const;

/** The factory for `CryptoSuite.load({ aead })` on this host; `only` forces one backend. */
export function node_aead_choice(only: string | undefined = process.env.LATTICE_AEAD): AeadFactory {
  const native = sodium_native_aead();
  if (only !== undefined && only !== '') {
    if (only === 'wasm') return (n) => new XChaCha20Poly1305(n);
    if (only === 'node') return (n) => new NodeXChaCha20Poly1305(n);
    if (only === 'native' && native !== null) return native;
    throw new ConfigError(
      ErrorCode.BAD_OPTION,
      `LATTICE_AEAD must be one of ${AEAD_BACKENDS.join(', ')}${native === null ? ' (sodium-native does not load here)' : ''}, got '${only}'`,
    );
  }
  if (native !== null) return (n) => new SizeSplitAead(new XChaCha20Poly1305(n), native(n), NATIVE_SMALL_BYTES_MIN);
  return (n) => new SizeSplitAead(new XChaCha20Poly1305(n), new NodeXChaCha20Poly1305(n), WASM_LARGE_BYTES_MIN);
}
