/**
 * One secure session between two nodes: its direction keys, the per-channel keys derived from
 * them, the send sequence number and the receive replay window.
 *
 * Each sealed packet is a record (record.ts): the messages of one pair of pids, their count in
 * the authenticated header. Sealing (XChaCha20-Poly1305, draft-irtf-cfrg-xchacha-03):
 * - the key is the channel's, derived from the sending direction's key and (src node, src pid,
 *   dst node, dst pid), the pids given by the sender (`seal`'s arguments, which travel in the
 *   sealed header); a packet between no pair of pids (a keepalive, or pids outside [0, 65535])
 *   uses the pids NO_CHANNEL_PID;
 * - the nonce is `seq u64 | receiver index u32 | 0 (12 bytes)`: `seq` counts every record of
 *   the direction from 0 and never repeats under a session, and every session has fresh keys, so
 *   no (key, nonce) pair is ever used twice;
 * - the associated data is the frame header followed by the sealed header (secure_layout.ts).
 *
 * Opening checks the tag first and the replay window second, so a forged packet never moves the
 * window. Nothing here allocates per packet except the ciphertext or plaintext itself.
 */
import { assert } from '../../kernel/assert.js';
import { write_header } from '../frame.js';
import { FRAME_HEADER_BYTES, FrameType } from '../wire_layout.js';
import { channel_key, type DirectionKeys } from './key_schedule.js';
import { ReplayVerdict, ReplayWindow } from './replay_window.js';
import {
  NO_CHANNEL_PID,
  SEALED_DST_PID,
  SEALED_HEADER_BYTES,
  SEALED_MESSAGES,
  SEALED_RESERVED,
  SEALED_RECEIVER,
  SEALED_SEQ,
  SEALED_SRC_PID,
  SEQ_LIMIT,
  RECORD_LENGTH_BYTES,
  get_u16,
  get_u32,
  get_u64,
  put_u16,
  put_u32,
  put_u64,
} from './secure_layout.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type CryptoSuite } from './suite.js';

/** Why a sealed packet was refused by its session. */
export type OpenFault = 'malformed' | 'auth_failed' | 'replay' | 'stale';

/** Largest pid a channel key is derived for; larger values (not kernel pids) count as NO_CHANNEL. */
const CHANNEL_PID_MAX = 0xffff;
/** The map key of the NO_CHANNEL pair. */
const NO_CHANNEL_CODE = 2 ** 32;

/** Whether `pid` names a kernel pid a channel key is derived for (else the pair seals as NO_CHANNEL). */
export function channel_pid(pid: number): boolean {
  return pid >= 0 && pid <= CHANNEL_PID_MAX && (pid | 0) === pid;
}

export interface SessionParams {
  readonly local_node: number;
  readonly peer_node: number;
  readonly local_index: number;
  readonly remote_index: number;
  readonly initiator: boolean;
  readonly keys: DirectionKeys;
  readonly created_ms: number;
  /** Channel keys cached per direction before the cache is cleared. */
  readonly channel_keys_max: number;
}

export class Session {
  readonly local_node: number;
  readonly peer_node: number;
  /** The index the peer puts in packets to us. */
  readonly local_index: number;
  /** The index we put in packets to the peer. */
  readonly remote_index: number;
  readonly initiator: boolean;
  readonly created_ms: number;
  /** Packets sealed so far (the next sequence number). */
  send_seq = 0;
  /** Whether the peer has proved it holds the keys (always, for the initiator's sessions). */
  confirmed: boolean;
  private readonly suite: CryptoSuite;
  private readonly send_key: Uint8Array;
  private readonly recv_key: Uint8Array;
  private readonly send_channels = new Map<number, Uint8Array>();
  private readonly recv_channels = new Map<number, Uint8Array>();
  private readonly channel_keys_max: number;
  private readonly window = new ReplayWindow();
  private readonly ad = new Uint8Array(FRAME_HEADER_BYTES + SEALED_HEADER_BYTES);
  private readonly nonce = new Uint8Array(AEAD_NONCE_BYTES);
  /** The sealed header of the last `seal`: valid until the next one. */
  readonly head = new Uint8Array(SEALED_HEADER_BYTES);
  /** The key of the record `start_record` numbered, until it is sealed. */
  private record_key: Uint8Array | null = null;
  /** Channel-key caches cleared because they were full. */
  channel_key_flushes = 0;
  private alive = true;

  constructor(suite: CryptoSuite, params: SessionParams) {
    this.suite = suite;
    this.local_node = params.local_node;
    this.peer_node = params.peer_node;
    this.local_index = params.local_index;
    this.remote_index = params.remote_index;
    this.initiator = params.initiator;
    this.created_ms = params.created_ms;
    this.channel_keys_max = params.channel_keys_max;
    this.send_key = params.initiator ? params.keys.i2r : params.keys.r2i;
    this.recv_key = params.initiator ? params.keys.r2i : params.keys.i2r;
    this.confirmed = params.initiator;
  }

  /**
   * Seals `data`, a record of `messages` messages (record.ts; 0 and no bytes for a keepalive),
   * as the next packet from `src_pid` to `dst_pid` (their channel's key). Returns the
   * ciphertext; the sealed header to send before it is in `head` until the next call.
   */
  seal(src_pid: number, dst_pid: number, data: Uint8Array, messages: number): Uint8Array {
    this.start_record(src_pid, dst_pid, data.length, messages);
    const key = this.record_key!;
    this.record_key = null;
    return this.suite.seal(data, this.ad, this.nonce, key);
  }

  /**
   * Numbers the next record, of `plaintext_bytes` holding `messages` messages from `src_pid` to
   * `dst_pid`: its sealed header is in `head` from now on (until the next record), and
   * `seal_in_place` seals it.
   */
  start_record(src_pid: number, dst_pid: number, plaintext_bytes: number, messages: number): void {
    assert(this.alive, 'seal on a wiped session');
    assert(
      Number.isInteger(messages) &&
        messages >= 0 &&
        messages * RECORD_LENGTH_BYTES <= plaintext_bytes &&
        messages <= 0xffff,
      `seal: ${messages} messages in ${plaintext_bytes} bytes`,
    );
    if (!(channel_pid(src_pid) && channel_pid(dst_pid))) {
      src_pid = NO_CHANNEL_PID;
      dst_pid = NO_CHANNEL_PID;
    }
    const seq = this.send_seq++;
    const head = this.head;
    put_u32(head, SEALED_RECEIVER, this.remote_index);
    put_u64(head, SEALED_SEQ, seq);
    put_u32(head, SEALED_SRC_PID, src_pid);
    put_u32(head, SEALED_DST_PID, dst_pid);
    put_u16(head, SEALED_MESSAGES, messages);
    put_u16(head, SEALED_RESERVED, 0);
    write_header(this.ad, 0, FrameType.SEALED, this.local_node, SEALED_HEADER_BYTES + plaintext_bytes + AEAD_TAG_BYTES);
    this.ad.set(head, FRAME_HEADER_BYTES);
    this.fill_nonce(seq, this.remote_index);
    this.record_key = this.key_of(this.send_channels, this.send_key, this.local_node, src_pid, this.peer_node, dst_pid);
  }

  /**
   * Seals the record `start_record` numbered, in place: `data` holds its plaintext in all but
   * its last 16 bytes, and the ciphertext and tag on return.
   */
  seal_in_place(data: Uint8Array): void {
    const key = this.record_key;
    assert(key !== null && this.alive, 'seal_in_place: no record started');
    this.record_key = null;
    this.suite.seal_in_place(data, this.ad, this.nonce, key);
  }

  /**
   * Opens a SEALED frame's payload addressed to this session, in place, or says why not: the
   * record's plaintext, a view of `payload` (which the caller owns: it is changed, and on a
   * failed tag may be zeroed past the header). The message count is in the header, `SEALED_MESSAGES`.
   */
  open(payload: Uint8Array): Uint8Array | OpenFault {
    assert(this.alive, 'open on a wiped session');
    if (payload.length < SEALED_HEADER_BYTES + AEAD_TAG_BYTES) return 'malformed';
    const seq = get_u64(payload, SEALED_SEQ);
    if (seq >= SEQ_LIMIT) return 'malformed';
    const src_pid = get_u32(payload, SEALED_SRC_PID);
    const dst_pid = get_u32(payload, SEALED_DST_PID);
    const no_channel = src_pid === NO_CHANNEL_PID && dst_pid === NO_CHANNEL_PID;
    if (!no_channel && (src_pid > CHANNEL_PID_MAX || dst_pid > CHANNEL_PID_MAX)) return 'malformed';
    if (get_u16(payload, SEALED_RESERVED) !== 0) return 'malformed';
    // Each message costs its length at least: a count the bytes cannot hold is refused unopened.
    const plaintext_bytes = payload.length - SEALED_HEADER_BYTES - AEAD_TAG_BYTES;
    if (get_u16(payload, SEALED_MESSAGES) * RECORD_LENGTH_BYTES > plaintext_bytes) return 'malformed';
    // The frame header as received: one that passed `read_header` (flags 0, the check matching)
    // is exactly what `write_header` writes for its type, source and length, and the channel
    // opens only a SEALED frame from this session's peer.
    write_header(this.ad, 0, FrameType.SEALED, this.peer_node, payload.length);
    this.ad.set(payload.subarray(0, SEALED_HEADER_BYTES), FRAME_HEADER_BYTES);
    this.fill_nonce(seq, this.local_index);
    const key = this.key_of(this.recv_channels, this.recv_key, this.peer_node, src_pid, this.local_node, dst_pid);
    const plaintext = this.suite.open_in_place(payload.subarray(SEALED_HEADER_BYTES), this.ad, this.nonce, key);
    if (plaintext === null) return 'auth_failed';
    const verdict = this.window.check_and_update(seq);
    if (verdict === ReplayVerdict.DUPLICATE) return 'replay';
    if (verdict === ReplayVerdict.STALE) return 'stale';
    this.confirmed = true;
    return plaintext;
  }

  private fill_nonce(seq: number, receiver_index: number): void {
    this.nonce.fill(0);
    put_u64(this.nonce, 0, seq);
    put_u32(this.nonce, 8, receiver_index);
  }

  private key_of(
    cache: Map<number, Uint8Array>,
    direction_key: Uint8Array,
    src_node: number,
    src_pid: number,
    dst_node: number,
    dst_pid: number,
  ): Uint8Array {
    const code = src_pid === NO_CHANNEL_PID ? NO_CHANNEL_CODE : src_pid * 0x1_0000 + dst_pid;
    let key = cache.get(code);
    if (key === undefined) {
      if (cache.size >= this.channel_keys_max) {
        for (const old of cache.values()) this.suite.wipe(old);
        cache.clear();
        this.channel_key_flushes++;
      }
      key = channel_key(this.suite, direction_key, src_node, src_pid, dst_node, dst_pid);
      cache.set(code, key);
    }
    return key;
  }

  /** Zeroes every key of the session; it can seal and open nothing after. */
  wipe(): void {
    this.alive = false;
    for (const cache of [this.send_channels, this.recv_channels]) {
      for (const key of cache.values()) this.suite.wipe(key);
      cache.clear();
    }
    this.suite.wipe(this.send_key);
    this.suite.wipe(this.recv_key);
  }
}
