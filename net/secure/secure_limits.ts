// The names of the secure channel's numeric limits, in a module of their own (no imports), so
// that configuration readers need not load the crypto suite.

/**
 * The numeric limits of a `SecureConfig` a configuration file may set (`lattice node` config,
 * scenario `network.secure`), by name.
 */
export const SECURE_LIMIT_NAMES = [
  'rekey_after_messages',
  'rekey_after_ms',
  'reject_after_messages',
  'reject_after_ms',
  'record_bytes_max',
  'previous_keep_ms',
  'handshake_retry_ms',
  'handshake_attempts_max',
  'cookie_free_inits_per_s',
  'cookie_secret_ms',
] as const;
