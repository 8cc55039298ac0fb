/**
 * The handshake's transcript hash and key schedule (docs/SECURITY.md, "Key schedule").
 *
 *   th0 = SHA-256(PROTOCOL)
 *   th1 = SHA-256(th0 ‖ initiator node u32 ‖ INIT without its signature)
 *   sig_i = Ed25519(initiator, "LT1 init" ‖ th1)
 *   th2 = SHA-256(th1 ‖ sig_i ‖ RESPONSE without its signature)
 *   sig_r = Ed25519(responder, "LT1 resp" ‖ th2)
 *   th3 = SHA-256(th2 ‖ sig_r)
 *   prk = HKDF-Extract(salt = th3, ikm = ss_mlkem ‖ ss_x25519 ‖ psk)       (RFC 5869)
 *   k_i2r = HKDF-Expand(prk, "LT1 i2r", 32),  k_r2i = HKDF-Expand(prk, "LT1 r2i", 32)
 *   k_channel = HKDF-Expand(k_dir, "LT1 channel" ‖ src node ‖ src pid ‖ dst node ‖ dst pid, 32)
 *
 * Both shared secrets enter one extraction, so the keys stay secret while either X25519 or
 * ML-KEM-768 holds (the hybrid argument of X25519MLKEM768). The salt is the hash of every
 * handshake byte and both signatures, so the keys are bound to the whole transcript.
 */
import { put_u32 } from './secure_layout.js';
import { AEAD_KEY_BYTES, type CryptoSuite } from './suite.js';

const text = (s: string) => new TextEncoder().encode(s);

/** Names the protocol and its suite; hashed first into every transcript. */
export const PROTOCOL = text('Lattice secure channel v1: X25519+ML-KEM-768, Ed25519, HKDF-SHA-256, XChaCha20-Poly1305');
export const SIGN_INIT_LABEL = text('LT1 init');
export const SIGN_RESP_LABEL = text('LT1 resp');
const I2R_LABEL = text('LT1 i2r');
const R2I_LABEL = text('LT1 r2i');
const CHANNEL_LABEL = text('LT1 channel');
/** Bytes of the pre-shared key slot (zeros when none is configured). */
export const PSK_BYTES = 32;
const NO_PSK = new Uint8Array(PSK_BYTES);

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  put_u32(bytes, 0, value);
  return bytes;
}

export function transcript_init(suite: CryptoSuite, initiator_node: number, init_unsigned: Uint8Array): Uint8Array {
  return suite.sha256(suite.sha256(PROTOCOL), u32(initiator_node), init_unsigned);
}

export function transcript_response(
  suite: CryptoSuite,
  th1: Uint8Array,
  sig_i: Uint8Array,
  response_unsigned: Uint8Array,
): Uint8Array {
  return suite.sha256(th1, sig_i, response_unsigned);
}

export function signed_message(label: Uint8Array, transcript: Uint8Array): Uint8Array {
  const message = new Uint8Array(label.length + transcript.length);
  message.set(label);
  message.set(transcript, label.length);
  return message;
}

/** The two direction keys of a session. */
export interface DirectionKeys {
  readonly i2r: Uint8Array;
  readonly r2i: Uint8Array;
}

export function session_keys(
  suite: CryptoSuite,
  th2: Uint8Array,
  sig_r: Uint8Array,
  ss_mlkem: Uint8Array,
  ss_x25519: Uint8Array,
  psk: Uint8Array | null,
): DirectionKeys {
  const th3 = suite.sha256(th2, sig_r);
  const ikm = new Uint8Array(ss_mlkem.length + ss_x25519.length + PSK_BYTES);
  ikm.set(ss_mlkem);
  ikm.set(ss_x25519, ss_mlkem.length);
  ikm.set(psk ?? NO_PSK, ss_mlkem.length + ss_x25519.length);
  const prk = suite.hkdf_extract(th3, ikm);
  const keys = {
    i2r: suite.hkdf_expand(prk, I2R_LABEL, AEAD_KEY_BYTES),
    r2i: suite.hkdf_expand(prk, R2I_LABEL, AEAD_KEY_BYTES),
  };
  suite.wipe(ikm);
  suite.wipe(prk);
  return keys;
}

/** The key of channel (src node, src pid) → (dst node, dst pid) under direction key `direction_key`. */
export function channel_key(
  suite: CryptoSuite,
  direction_key: Uint8Array,
  src_node: number,
  src_pid: number,
  dst_node: number,
  dst_pid: number,
): Uint8Array {
  const info = new Uint8Array(CHANNEL_LABEL.length + 16);
  info.set(CHANNEL_LABEL);
  const o = CHANNEL_LABEL.length;
  put_u32(info, o, src_node);
  put_u32(info, o + 4, src_pid);
  put_u32(info, o + 8, dst_node);
  put_u32(info, o + 12, dst_pid);
  return suite.hkdf_expand(direction_key, info, AEAD_KEY_BYTES);
}
