/**
 * `lattice-ipc/secure`: the secure channel of the Lattice spec (first revision): a hybrid
 * ML-KEM-768 + X25519 handshake signed with Ed25519, then XChaCha20-Poly1305 records with a
 * replay window (docs/SECURITY.md). It is a packet port over the driver's frame port, so the
 * network server sees the same interface sealed or clear. Portable: randomness and the clock are
 * injected (`lattice-ipc/node` has `system_random`).
 */
export {
  SecureChannel,
  type PeerKeys,
  type SecureConfig,
  type SecureEvent,
  type SecureState,
  type SecureStats,
} from './secure_channel.js';
export { Identity, fingerprint } from './identity.js';
export { random_bytes, seeded_random, type Random } from './random.js';
export { bytes_hex, hex_bytes } from './hex.js';
export { CryptoSuite } from './suite.js';
export { type Aead, type AeadFactory, ScratchAead, SizeSplitAead, XChaCha20Poly1305 } from './aead.js';
export { hchacha20 } from './hchacha20.js';
export { REPLAY_WINDOW_SIZE, ReplayWindow, ReplayVerdict } from './replay_window.js';
export { SECURE_LIMIT_NAMES } from './secure_limits.js';
