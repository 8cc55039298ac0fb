/**
 * The handshake's two messages, as pure functions: no I/O, no clock, randomness passed in.
 * (docs/SECURITY.md, "Handshake", has the protocol and the reasoning.)
 *
 *   initiator                                                    responder
 *   create_init: e_i, (ek_i, dk_i), sign th1       ── INIT ──>   respond: check suite, node, signature
 *                                                                  (pinned key), encapsulate to ek_i,
 *                                                                  e_r, X25519, sign th2, derive keys
 *   finish: check index, signature (pinned key),   <── RESPONSE ──
 *     decapsulate, X25519, derive keys
 *   first sealed packet (key confirmation)          ── SEALED ──>  the session is confirmed
 *
 * Every check returns a named fault instead of throwing; nothing here allocates more than the
 * fixed-size messages.
 */
import { assert } from '../../kernel/assert.js';
import {
  SIGN_INIT_LABEL,
  SIGN_RESP_LABEL,
  session_keys,
  signed_message,
  transcript_init,
  transcript_response,
  type DirectionKeys,
} from './key_schedule.js';
import type { Identity } from './identity.js';
import { random_bytes, type Random } from './random.js';
import {
  INIT_BYTES,
  INIT_EK,
  INIT_EPHEMERAL,
  INIT_INDEX,
  INIT_RESPONDER_NODE,
  INIT_SIGNATURE,
  INIT_RESERVED,
  INIT_SUITE,
  INIT_VERSION,
  INIT_TIMESTAMP,
  RESP_BYTES,
  RESP_CT,
  RESP_EPHEMERAL,
  RESP_INDEX,
  RESP_INITIATOR_INDEX,
  RESP_SIGNATURE,
  RESP_RESERVED,
  RESP_SUITE,
  RESP_VERSION,
  PROTOCOL_VERSION,
  SUITE_V1,
  get_u16,
  get_u32,
  get_u64,
  put_u32,
  put_u64,
} from './secure_layout.js';
import {
  MLKEM768_ENCAP_SEED_BYTES,
  MLKEM768_EK_BYTES,
  MLKEM768_SEED_BYTES,
  X25519_BYTES,
  type CryptoSuite,
} from './suite.js';

/** Why a handshake message was refused. */
export type HandshakeFault =
  /** Not the size of its kind. */
  | 'malformed'
  /** A suite other than version 1's (a downgrade or a newer peer). */
  | 'downgrade'
  /** A protocol version other than `PROTOCOL_VERSION` (a peer from before records, or after), or reserved bytes set. */
  | 'old_version'
  /** An INIT meant for another node. */
  | 'wrong_node'
  /** The signature does not verify with the pinned key: a wrong identity. */
  | 'bad_signature'
  /** A weak X25519 key or an ML-KEM key that fails FIPS 203's check. */
  | 'bad_key'
  /** A RESPONSE to no INIT of ours. */
  | 'unexpected_response';

/**
 * The suite and protocol version of a handshake message: another suite is a downgrade; another
 * version (a peer that seals one message per packet wrote 0 there) is refused as `old_version`.
 */
function check_version(
  message: Uint8Array,
  suite_at: number,
  version_at: number,
  reserved_at: number,
): HandshakeFault | null {
  if (message[suite_at] !== SUITE_V1) return 'downgrade';
  if (message[version_at] !== PROTOCOL_VERSION || get_u16(message, reserved_at) !== 0) return 'old_version';
  return null;
}

/** What an initiator keeps between its INIT and the RESPONSE. */
export interface InitiatorState {
  readonly index: number;
  readonly responder_node: number;
  readonly e_secret: Uint8Array;
  readonly dk: Uint8Array;
  readonly th1: Uint8Array;
  readonly sig_i: Uint8Array;
}

/** The INIT from `initiator_node` (us) to `responder_node`, and what to keep for the RESPONSE. */
export function create_init(
  suite: CryptoSuite,
  random: Random,
  identity: Identity,
  initiator_node: number,
  responder_node: number,
  index: number,
  timestamp_ms: number,
): { message: Uint8Array; state: InitiatorState } {
  assert(Number.isSafeInteger(timestamp_ms) && timestamp_ms >= 0, `timestamp ${timestamp_ms}`);
  const e_secret = random_bytes(random, X25519_BYTES);
  const kem_seed = random_bytes(random, MLKEM768_SEED_BYTES);
  const { ek, dk } = suite.mlkem_keypair(kem_seed);
  suite.wipe(kem_seed);
  const message = new Uint8Array(INIT_BYTES);
  message[INIT_SUITE] = SUITE_V1;
  message[INIT_VERSION] = PROTOCOL_VERSION;
  put_u32(message, INIT_INDEX, index);
  put_u32(message, INIT_RESPONDER_NODE, responder_node);
  put_u64(message, INIT_TIMESTAMP, timestamp_ms);
  message.set(suite.x25519_public(e_secret), INIT_EPHEMERAL);
  message.set(ek, INIT_EK);
  const th1 = transcript_init(suite, initiator_node, message.subarray(0, INIT_SIGNATURE));
  const sig_i = suite.sign(signed_message(SIGN_INIT_LABEL, th1), identity.secret_key);
  message.set(sig_i, INIT_SIGNATURE);
  return { message, state: { index, responder_node, e_secret, dk, th1, sig_i } };
}

/** The fields of an INIT a responder looks at before doing any expensive work. */
export interface InitSummary {
  readonly initiator_index: number;
  readonly responder_node: number;
  readonly timestamp_ms: number;
}

/** Checks an INIT's size and suite and reads its cheap fields. */
export function read_init(message: Uint8Array): InitSummary | HandshakeFault {
  if (message.length !== INIT_BYTES) return 'malformed';
  const fault = check_version(message, INIT_SUITE, INIT_VERSION, INIT_RESERVED);
  if (fault !== null) return fault;
  return {
    initiator_index: get_u32(message, INIT_INDEX),
    responder_node: get_u32(message, INIT_RESPONDER_NODE),
    timestamp_ms: get_u64(message, INIT_TIMESTAMP),
  };
}

/**
 * Checks that `init` names us (`local_node`) and is signed by `initiator_node`'s pinned key:
 * the responder's work before it spends anything on the claimed peer (one Ed25519 verification
 * and one hash; no ML-KEM, no X25519, no signing). Returns the INIT's transcript hash, for
 * `respond`, or the fault.
 */
export function verify_init(
  suite: CryptoSuite,
  init: Uint8Array,
  initiator_node: number,
  local_node: number,
  initiator_key: Uint8Array,
): Uint8Array | HandshakeFault {
  const summary = read_init(init);
  if (typeof summary === 'string') return summary;
  if (summary.responder_node !== local_node) return 'wrong_node';
  const th1 = transcript_init(suite, initiator_node, init.subarray(0, INIT_SIGNATURE));
  const sig_i = init.subarray(INIT_SIGNATURE, INIT_BYTES);
  if (!suite.verify(sig_i, signed_message(SIGN_INIT_LABEL, th1), initiator_key)) return 'bad_signature';
  return th1;
}

/** A responder's result: the RESPONSE to send and the session's keys. */
export interface Responded {
  readonly message: Uint8Array;
  readonly keys: DirectionKeys;
  readonly initiator_index: number;
}

/**
 * Answers `init` from `initiator_node`, whose pinned key is `initiator_key`. `local_node` is us
 * (the INIT must name it); `index` is the session index we chose. `verified`: the transcript
 * hash `verify_init` returned for this INIT, if it was checked already (not checked again).
 */
export function respond(
  suite: CryptoSuite,
  random: Random,
  identity: Identity,
  init: Uint8Array,
  initiator_node: number,
  local_node: number,
  initiator_key: Uint8Array,
  psk: Uint8Array | null,
  index: number,
  verified: Uint8Array | null = null,
): Responded | HandshakeFault {
  const summary = read_init(init);
  if (typeof summary === 'string') return summary;
  const th1 = verified ?? verify_init(suite, init, initiator_node, local_node, initiator_key);
  if (typeof th1 === 'string') return th1;
  const sig_i = init.slice(INIT_SIGNATURE, INIT_BYTES);
  const kem_message = random_bytes(random, MLKEM768_ENCAP_SEED_BYTES);
  const encapsulated = suite.mlkem_encap(init.subarray(INIT_EK, INIT_EK + MLKEM768_EK_BYTES), kem_message);
  suite.wipe(kem_message);
  if (encapsulated === null) return 'bad_key';
  const e_secret = random_bytes(random, X25519_BYTES);
  const ss_x25519 = suite.x25519(e_secret, init.subarray(INIT_EPHEMERAL, INIT_EPHEMERAL + X25519_BYTES));
  if (ss_x25519 === null) {
    suite.wipe(e_secret);
    suite.wipe(encapsulated.shared);
    return 'bad_key';
  }
  const message = new Uint8Array(RESP_BYTES);
  message[RESP_SUITE] = SUITE_V1;
  message[RESP_VERSION] = PROTOCOL_VERSION;
  put_u32(message, RESP_INDEX, index);
  put_u32(message, RESP_INITIATOR_INDEX, summary.initiator_index);
  message.set(suite.x25519_public(e_secret), RESP_EPHEMERAL);
  message.set(encapsulated.ct, RESP_CT);
  suite.wipe(e_secret);
  const th2 = transcript_response(suite, th1, sig_i, message.subarray(0, RESP_SIGNATURE));
  const sig_r = suite.sign(signed_message(SIGN_RESP_LABEL, th2), identity.secret_key);
  message.set(sig_r, RESP_SIGNATURE);
  const keys = session_keys(suite, th2, sig_r, encapsulated.shared, ss_x25519, psk);
  suite.wipe(encapsulated.shared);
  suite.wipe(ss_x25519);
  return { message, keys, initiator_index: summary.initiator_index };
}

/** The RESPONSE's initiator index (to find our state), or null if it is not a RESPONSE. */
export function response_initiator_index(message: Uint8Array): number | null {
  if (message.length !== RESP_BYTES) return null;
  return get_u32(message, RESP_INITIATOR_INDEX);
}

/** An initiator's result: the session's keys and the responder's index. */
export interface Finished {
  readonly keys: DirectionKeys;
  readonly responder_index: number;
}

/** Completes our handshake `state` with `response`, signed by the pinned `responder_key`. */
export function finish(
  suite: CryptoSuite,
  state: InitiatorState,
  response: Uint8Array,
  responder_key: Uint8Array,
  psk: Uint8Array | null,
): Finished | HandshakeFault {
  if (response.length !== RESP_BYTES) return 'malformed';
  const fault = check_version(response, RESP_SUITE, RESP_VERSION, RESP_RESERVED);
  if (fault !== null) return fault;
  if (get_u32(response, RESP_INITIATOR_INDEX) !== state.index) return 'unexpected_response';
  const th2 = transcript_response(suite, state.th1, state.sig_i, response.subarray(0, RESP_SIGNATURE));
  const sig_r = response.slice(RESP_SIGNATURE, RESP_BYTES);
  if (!suite.verify(sig_r, signed_message(SIGN_RESP_LABEL, th2), responder_key)) return 'bad_signature';
  const ss_mlkem = suite.mlkem_decap(response.subarray(RESP_CT, RESP_SIGNATURE), state.dk);
  const ss_x25519 = suite.x25519(state.e_secret, response.subarray(RESP_EPHEMERAL, RESP_EPHEMERAL + X25519_BYTES));
  if (ss_mlkem === null || ss_x25519 === null) return 'bad_key';
  const keys = session_keys(suite, th2, sig_r, ss_mlkem, ss_x25519, psk);
  suite.wipe(ss_mlkem);
  suite.wipe(ss_x25519);
  return { keys, responder_index: get_u32(response, RESP_INDEX) };
}

/** Wipes what an initiator kept (after `finish`, or when the handshake is abandoned). */
export function forget_initiator(suite: CryptoSuite, state: InitiatorState): void {
  suite.wipe(state.e_secret);
  suite.wipe(state.dk);
}
