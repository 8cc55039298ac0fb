/**
 * The secure channel: an authenticated hybrid handshake (X25519 + ML-KEM-768, Ed25519) and
 * XChaCha20-Poly1305 on every packet, between a driver's frames and a network server's packets
 * (docs/SECURITY.md).
 *
 * It is a `PacketPort` over a `FramePort` (packet_port.ts): `send_packet(node, src_pid,
 * dst_pid, bytes)` seals the bytes under the channel key of those two pids (carried in the
 * sealed header, authenticated) and sends a SEALED frame; as the driver's frame receiver it
 * takes every frame (DATA too, to refuse clear data from peers that must be secure) and hands
 * each packet it opens to its packet receiver, with the header's pids. On its own (no receiver
 * set) it keeps packets in a bounded queue of its own, `recv()`.
 *
 * Per peer (pinned by `pin` with its Ed25519 public key, and maybe a pre-shared key; the driver
 * knows its address):
 * - `current`: the session packets are sealed with; `previous`: the one before a rekey, kept for
 *   opening only, for `previous_keep_ms`; `next`: a session this node answered an INIT for,
 *   unconfirmed until the initiator's first sealed packet opens under it; `initiating`: our INIT
 *   in flight, retried with a fresh INIT every `handshake_retry_ms`, `handshake_attempts_max`
 *   times.
 * - Packets sent while no session can seal wait in a bounded queue and leave once one can.
 * - Records: the packets sent to a peer in one turn, from one pid to one pid, are sealed
 *   together as one record (record.ts), up to `record_bytes_max` of plaintext (and what one
 *   frame to the peer carries: the MTU on UDP). A record is sealed when the next packet does not
 *   fit it or is for another pair of pids, when the driver's room for the peer would not take
 *   more, and at the end of the turn (`Timers.defer`): no timer, so a lone packet leaves at once.
 * - Rekey: after `rekey_after_messages` records or `rekey_after_ms`, the sender starts a new
 *   handshake and keeps sealing with the old session until the new one is in; a session past
 *   `reject_after_messages` or `reject_after_ms` seals and opens nothing (WireGuard's
 *   reject-after). After a TCP reconnect the session is re-established before data flows again.
 *
 * A peer's session is lost (its connection closed, a reconnect means a new session, or the
 * handshake gave up): the packet receiver hears `on_peer_lost`, so calls waiting on that node
 * fail at once instead of timing out.
 *
 * Everything from the network that is not right is dropped, counted by reason (in this
 * channel's counters only) and reported as a typed event; nothing here throws on input, and all
 * state is bounded (peers are pinned;
 * three sessions and one INIT per peer; a bounded reassembly table; a rate limit on INITs).
 * Clock, timers and randomness are injected: a simulator replays a run from its seed.
 */
import { ErrorCode } from '../../kernel/error_codes.js';
import type { Clock } from '../../kernel/env.js';
import { ConfigError } from '../../kernel/errors.js';
import { Lifecycle } from '../../kernel/lifecycle.js';
import type { MessageTap } from '../message_tap.js';
import { Overflow, PacketInbox, type Packet } from '../packet_inbox.js';
import type { FramePort, FrameReceiver, PacketPort, PacketReceiver, PeerState, SendResult } from '../packet_port.js';
import { remote_dst_pid, remote_src_pid } from '../remote_message.js';
import type { Address, Timers } from '../transport.js';
import { FRAME_BYTES_LIMIT, FRAME_HEADER_BYTES, FrameType } from '../wire_layout.js';
import { cookie_mac, CookieSecret } from './cookie.js';
import { fragment, Reassembler } from './fragments.js';
import {
  create_init,
  finish,
  forget_initiator,
  read_init,
  respond,
  response_initiator_index,
  verify_init,
  type InitiatorState,
} from './handshake.js';
import type { Identity } from './identity.js';
import { PSK_BYTES } from './key_schedule.js';
import { random_u32_nonzero, type Random } from './random.js';
import { RateLimiter } from './rate_limiter.js';
import {
  COOKIE_BYTES,
  COOKIE_FRAME_BYTES,
  COOKIE_HANDSHAKE_ID,
  COOKIE_RESERVED,
  COOKIE_VALUE,
  HandshakeKind,
  FRAG_HEADER_BYTES,
  INIT_BYTES,
  INIT_COOKIE_BYTES,
  INIT_INDEX,
  NO_CHANNEL_PID,
  RECORD_LENGTH_BYTES,
  RECORD_MESSAGES_MAX,
  SEALED_DST_PID,
  SEALED_HEADER_BYTES,
  SEALED_MESSAGES,
  SEALED_RECEIVER,
  SEALED_SEQ,
  SEALED_SRC_PID,
  get_u16,
  get_u32,
  get_u64,
  put_u32,
} from './secure_layout.js';
import { RecordWriter, record_valid } from './record.js';
import { channel_pid, Session } from './session.js';
import { WritableSignal } from '../writable_signal.js';
import { AEAD_TAG_BYTES, CryptoSuite, ED25519_PUBLIC_BYTES } from './suite.js';

/** Configuration of a secure channel. Every limit has a default. */
export interface SecureConfig {
  /** This node's long-term identity. */
  readonly identity: Identity;
  /** Randomness for ephemeral keys, encapsulation and session indices. */
  readonly random: Random;
  /** Milliseconds; wall-clock time in production (INIT timestamps must grow across restarts). */
  readonly clock: Clock;
  readonly timers: Timers;
  /** Told of each data message sealed and of each one destroyed here (message_tap.ts); the simulator's ledger sets one. */
  readonly tap?: MessageTap | null;
  /** Accept and send clear DATA for nodes with no pinned key (default false: refuse them). */
  readonly allow_clear?: boolean;
  /** Start a new handshake after this many records (sealed packets) under a session (default 2^32). */
  readonly rekey_after_messages?: number;
  /** Seal and open nothing more under a session after this many records (default 2^48). */
  readonly reject_after_messages?: number;
  /**
   * Largest plaintext of one record, in bytes (default 16384, a TLS record's): the packets of a
   * turn to one peer and pair of pids are sealed together up to this (and up to what one frame
   * to the peer carries). A packet larger than this goes in a record of its own; 1 seals every
   * packet alone.
   */
  readonly record_bytes_max?: number;
  /** Start a new handshake when a session is this old (default 120 000 ms). */
  readonly rekey_after_ms?: number;
  /** Seal and open nothing under a session this old (default 180 000 ms). */
  readonly reject_after_ms?: number;
  /** How long the session before a rekey still opens packets in flight (default 10 000 ms). */
  readonly previous_keep_ms?: number;
  /** Wait before sending a fresh INIT when no RESPONSE came (default 1000 ms). */
  readonly handshake_retry_ms?: number;
  /** INITs per handshake before giving up and failing what waits (default 10). */
  readonly handshake_attempts_max?: number;
  /** Packets (and bytes) per peer waiting for a session (defaults 1024 and 4 MiB). */
  readonly pending_packets_max?: number;
  readonly pending_bytes_max?: number;
  /**
   * Largest handshake fragment's data, in bytes; default 0: as much as one frame to the peer
   * carries (`FramePort.payload_bytes_max`: the driver's `mtu_bytes` for a UDP peer, so an INIT
   * of 1300 bytes goes in one datagram at the default MTU and in two at 1280).
   */
  readonly fragment_bytes?: number;
  /** Handshake messages reassembled at once, and how long one may take (defaults 64, 5000 ms). */
  readonly reassembly_max?: number;
  readonly reassembly_timeout_ms?: number;
  /** INITs answered per peer: rate and burst (defaults 20 per second, 10). */
  readonly handshake_rate_per_s?: number;
  readonly handshake_burst?: number;
  /**
   * INIT signatures checked per second over all peers (default 2000, one second's worth in a
   * burst): the budget a flood of forged INITs spends before any peer's `handshake_rate_per_s`.
   */
  readonly handshake_verify_per_s?: number;
  /**
   * INITs by UDP taken per second, over all peers, without a cookie (default 50, as a burst
   * too). Past it the node is under load: an INIT by UDP without a valid `mac2` is answered with
   * a COOKIE frame (one HMAC, no signature or ML-KEM work) and dropped (`cookie_required`, or
   * `bad_cookie` for a wrong mac2); the initiator sends it again with the cookie's mac2 at once.
   * INITs by TCP never need one (the connection proved the address).
   */
  readonly cookie_free_inits_per_s?: number;
  /** How long the responder's cookie secret is used before a new one (default 120000 ms); a cookie lives one to two periods. */
  readonly cookie_secret_ms?: number;
  /** Channel keys cached per session direction (default 1024). */
  readonly channel_keys_max?: number;
  /** Packets the channel's own queue holds when no packet receiver is set (default 4096). */
  readonly max_queue?: number;
}

type Limits = Required<Omit<SecureConfig, 'identity' | 'random' | 'clock' | 'timers' | 'tap'>>;

const DEFAULTS: Limits = {
  allow_clear: false,
  rekey_after_messages: 2 ** 32,
  reject_after_messages: 2 ** 48,
  record_bytes_max: 16_384,
  rekey_after_ms: 120_000,
  reject_after_ms: 180_000,
  previous_keep_ms: 10_000,
  handshake_retry_ms: 1000,
  handshake_attempts_max: 10,
  pending_packets_max: 1024,
  pending_bytes_max: 4 << 20,
  fragment_bytes: 0,
  reassembly_max: 64,
  reassembly_timeout_ms: 5000,
  handshake_rate_per_s: 20,
  handshake_burst: 10,
  handshake_verify_per_s: 2000,
  cookie_free_inits_per_s: 50,
  cookie_secret_ms: 120_000,
  channel_keys_max: 1024,
  max_queue: 4096,
};

/** How a peer is pinned. */
export interface PeerKeys {
  /** The peer's Ed25519 public key (32 bytes): only this identity gets a session. */
  readonly public_key: Uint8Array;
  /** An optional pre-shared key (32 bytes) mixed into every session's keys. */
  readonly psk?: Uint8Array;
}

/** What the channel reports: every handshake step and every drop, with its reason. */
export type SecureEvent =
  | { readonly kind: 'handshake_started'; readonly node: number; readonly rekey: boolean }
  | { readonly kind: 'handshake_completed'; readonly node: number; readonly initiator: boolean }
  | { readonly kind: 'handshake_failed'; readonly node: number; readonly reason: string }
  | { readonly kind: 'dropped'; readonly node: number; readonly reason: string };

/** Counters of a secure channel, as a plain snapshot. */
export interface SecureStats {
  handshakes_started: number;
  handshakes_completed: number;
  /** By reason: timeout, bad_signature (a wrong identity), downgrade, wrong_node, replayed_init, … */
  handshakes_failed: Record<string, number>;
  /** Sessions replaced by a newer one. */
  rekeys: number;
  /** Packets (messages) sealed, in `sealed_records` records, and their bytes. */
  sealed_packets: number;
  sealed_records: number;
  sealed_bytes: number;
  /** Packets (messages) opened and handed up, in `opened_records` records (keepalives too), and their bytes. */
  opened_packets: number;
  opened_records: number;
  opened_bytes: number;
  /**
   * Packets and fragments dropped, by reason: auth_failed, replay, stale, unknown_session, …;
   * a record that is not opened counts once for each message its header says it holds.
   */
  dropped: Record<string, number>;
  /** Sends refused at once, by result. */
  refused: Record<string, number>;
  /** Packets waiting for a session, or in a record not sealed yet (until the turn ends). */
  queued: number;
  /** Sessions alive (current, previous and unconfirmed, all peers). */
  sessions: number;
  /** Handshake messages being reassembled, and those given up unfinished. */
  reassembling: number;
  reassembly_evicted: number;
  reassembly_expired: number;
  /** COOKIE frames sent (INITs by UDP asked for a cookie under load) and taken (our INIT sent again with its mac2). */
  cookies_sent: number;
  cookies_received: number;
}

/** The state of a peer's security, for tools and tests. */
export type SecureState = 'none' | 'handshaking' | 'established';

interface SecurePeer {
  readonly node: number;
  readonly public_key: Uint8Array;
  readonly psk: Uint8Array | null;
  current: Session | null;
  previous: Session | null;
  previous_until_ms: number;
  next: Session | null;
  initiating: InitiatorState | null;
  attempts: number;
  retry_timer: number;
  /** Whether `current` may not seal (a TCP reconnect happened; a new session comes first). */
  stale: boolean;
  /** Highest INIT timestamp accepted from the peer, and the last one we sent it. */
  last_init_ms: number;
  last_sent_init_ms: number;
  /** When an unknown session index from this peer last made us start a handshake. */
  last_unknown_ms: number;
  connected_before: boolean;
  /** The INIT of the handshake we are making (to send again with a cookie's mac2), and whether it was. */
  init_message: Uint8Array | null;
  init_cookie_sent: boolean;
  /** The last cookie this peer handed us, and when (used while younger than `cookie_secret_ms`). */
  cookie: Uint8Array | null;
  cookie_ms: number;
  /** The TCP connection the driver was last told the peer was proved on (-1: none). */
  proved_conn: number;
  /** The driver's last word on the peer's connection (for telling a lost session). */
  link: PeerState;
  /** Whether a send met a full handshake queue since it last had room (someone may await `writable`). */
  blocked: boolean;
  queue: Pending[];
  queue_bytes: number;
  /** The record being filled this turn (sealed at its end, or sooner). */
  readonly record: RecordWriter;
  /** Whether the peer is in `open_records` (its record is sealed at the end of the turn). */
  record_listed: boolean;
}

/** A packet waiting for a session. */
interface Pending {
  readonly src_pid: number;
  readonly dst_pid: number;
  readonly data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class SecureChannel implements PacketPort, FrameReceiver {
  /** The frames it seals and opens (the driver). */
  readonly frames: FramePort;
  private readonly suite: CryptoSuite;
  private readonly identity: Identity;
  private readonly random: Random;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly tap: MessageTap | null;
  private readonly limits: Limits;
  private readonly peers = new Map<number, SecurePeer>();
  /** Every live session by its local index. */
  private readonly sessions = new Map<number, Session>();
  private readonly reassembler: Reassembler;
  private readonly rate: RateLimiter;
  private readonly verify_rate: RateLimiter;
  private readonly cookie_free: RateLimiter;
  private readonly cookies: CookieSecret;
  private listener: ((event: SecureEvent) => void) | null = null;
  private running = true;
  /** The peer being reported proved to the driver (its link opening then starts no handshake). */
  private proving = 0;
  private readonly lifecycle = new Lifecycle();
  /** Who awaits `writable`, by node. */
  private readonly writers = new WritableSignal();
  /** The channel's own queue, its packet receiver unless another is set. */
  private readonly inbox: PacketInbox;
  private receiver: PacketReceiver;
  /** Called when no packet waits for a session any more (a draining `close`). */
  private on_flushed: (() => void) | null = null;
  /** Peers with a record being filled this turn, and whether their sealing is deferred to its end. */
  private open_records: SecurePeer[] = [];
  /** The other list, swapped with `open_records` at the end of each turn (no array per turn). */
  private sealing_records: SecurePeer[] = [];
  /** The record a packet larger than a peer's records is sealed in, at once (one for all peers). */
  private readonly large_record = new RecordWriter(FRAME_BYTES_LIMIT);
  private records_deferred = false;
  private readonly counters = {
    handshakes_started: 0,
    handshakes_completed: 0,
    rekeys: 0,
    sealed_packets: 0,
    sealed_records: 0,
    sealed_bytes: 0,
    opened_packets: 0,
    opened_records: 0,
    opened_bytes: 0,
    cookies_sent: 0,
    cookies_received: 0,
  };
  private readonly failed = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  private readonly refused = new Map<string, number>();

  /** Puts a secure channel on `frames` (an initialised driver). See `create` to load the suite. */
  constructor(frames: FramePort, suite: CryptoSuite, config: SecureConfig) {
    this.frames = frames;
    this.suite = suite;
    this.identity = config.identity;
    this.random = config.random;
    this.clock = config.clock;
    this.timers = config.timers;
    this.tap = config.tap ?? null;
    this.limits = validate(config);
    this.reassembler = new Reassembler(this.limits.reassembly_max, this.limits.reassembly_timeout_ms);
    this.rate = new RateLimiter(this.limits.handshake_rate_per_s, this.limits.handshake_burst);
    this.verify_rate = new RateLimiter(this.limits.handshake_verify_per_s, this.limits.handshake_verify_per_s);
    this.cookie_free = new RateLimiter(this.limits.cookie_free_inits_per_s, this.limits.cookie_free_inits_per_s);
    this.cookies = new CookieSecret(suite, this.random, this.clock, this.limits.cookie_secret_ms);
    this.inbox = new PacketInbox(this.limits.max_queue, Overflow.DROP_OLDEST);
    this.inbox.set_tap(this.tap, 'secure');
    this.receiver = this.inbox;
    frames.set_frame_receiver(this);
  }

  /** Loads the crypto suite, then puts a secure channel on `frames`. */
  static async create(frames: FramePort, config: SecureConfig): Promise<SecureChannel> {
    return new SecureChannel(frames, await CryptoSuite.load(), config);
  }

  /** This node's id. */
  local_node(): number {
    return this.frames.local_node();
  }

  /** PacketPort: where opened packets and peer losses go (null: the channel's own queue). */
  set_packet_receiver(receiver: PacketReceiver | null): void {
    this.receiver = receiver ?? this.inbox;
  }

  /** The next packet in the channel's own queue (when no packet receiver is set), or null. */
  recv(): Packet | null {
    return this.inbox.recv();
  }

  /** Packets in the channel's own queue. */
  get queued(): number {
    return this.inbox.length;
  }

  /** Calls `callback` with every packet that arrives in the channel's own queue; null removes it. */
  set_recv_callback(callback: ((packet: Packet) => void) | null): void {
    this.inbox.set_callback(callback);
  }

  /** Called with every event (null removes the listener). */
  set_event_listener(listener: ((event: SecureEvent) => void) | null): void {
    this.listener = listener;
  }

  /**
   * Pins node `node`'s identity: only the holder of `keys.public_key` (and of `keys.psk`, if
   * given) gets a session, and clear data from it is refused. The driver must know the node's
   * address (`add_remote`; net/node_network.ts does both). Pinning again drops its sessions and
   * what waits for them.
   */
  pin(node: number, keys: PeerKeys): void {
    if (!(keys.public_key instanceof Uint8Array) || keys.public_key.length !== ED25519_PUBLIC_BYTES) {
      throw new ConfigError(ErrorCode.BAD_KEY, `the public key of node ${node} must be ${ED25519_PUBLIC_BYTES} bytes`);
    }
    if (keys.psk !== undefined && (!(keys.psk instanceof Uint8Array) || keys.psk.length !== PSK_BYTES)) {
      throw new ConfigError(ErrorCode.BAD_KEY, `the pre-shared key of node ${node} must be ${PSK_BYTES} bytes`);
    }
    const old = this.peers.get(node);
    if (old !== undefined) {
      this.forget_peer(old, 'replaced');
      this.receiver.on_peer_lost(node);
    }
    this.peers.set(node, {
      node,
      public_key: keys.public_key.slice(),
      psk: keys.psk === undefined ? null : keys.psk.slice(),
      current: null,
      previous: null,
      previous_until_ms: 0,
      next: null,
      initiating: null,
      attempts: 0,
      retry_timer: -1,
      stale: false,
      last_init_ms: -1,
      last_sent_init_ms: -1,
      last_unknown_ms: -Infinity,
      connected_before: false,
      init_message: null,
      init_cookie_sent: false,
      cookie: null,
      cookie_ms: -Infinity,
      proved_conn: -1,
      link: 'idle',
      blocked: false,
      queue: [],
      queue_bytes: 0,
      record: new RecordWriter(this.limits.record_bytes_max),
      record_listed: false,
    });
  }

  /** The AEAD backend this channel seals and opens with (its suite's, e.g. `libsodium-wasm`). */
  get aead_backend(): string {
    return this.suite.aead_name;
  }

  /** Where the peer's security stands. */
  state(node: number): SecureState {
    const peer = this.peers.get(node);
    if (peer === undefined) return 'none';
    if (this.sendable(peer, this.clock.now_ms()) !== null) return 'established';
    return peer.initiating !== null || peer.next !== null ? 'handshaking' : 'none';
  }

  /**
   * Every pinned peer: where its security stands, and when the session it seals with was made
   * (its last completed handshake; null when it has none), in the channel's clock.
   */
  peer_states(): { node: number; state: SecureState; session_ms: number | null }[] {
    return [...this.peers.values()].map((peer) => ({
      node: peer.node,
      state: this.state(peer.node),
      session_ms: peer.current === null ? null : peer.current.created_ms,
    }));
  }

  /** Starts a handshake with `node` now (sends also start one when they need it). */
  connect(node: number): void {
    const peer = this.peers.get(node);
    if (peer === undefined) throw new ConfigError(ErrorCode.BAD_NODE, `connect: node ${node} is not pinned`);
    if (this.running && peer.initiating === null) this.start_handshake(peer, false);
  }

  // -------------------------------------------------------------------------------------------
  // Sending.

  /**
   * PacketPort: seals `data` from local `src_pid` to `dst_pid` on `node` (under their channel
   * key; pids outside [0, 65535] use the channel-less key, as a keepalive does) and sends it, or
   * queues it until a session is in. The result is the driver's (`success` once handed over or
   * queued), or `would_block` when the queue is full, `unknown_node` for a node with no pinned
   * key (unless `allow_clear`), `not_running` after `close`.
   */
  send_packet(node: number, src_pid: number, dst_pid: number, data: Uint8Array): SendResult {
    if (!this.running || this.lifecycle.ending) return this.refuse('not_running');
    const peer = this.peers.get(node);
    if (peer === undefined) {
      if (this.limits.allow_clear) return this.frames.send_frame(node, FrameType.DATA, data);
      return this.refuse('unknown_node');
    }
    // Refused here, not when a queued packet is sealed after the handshake: the sender learns it.
    if (SEALED_HEADER_BYTES + RECORD_LENGTH_BYTES + data.length + AEAD_TAG_BYTES > this.frames.payload_bytes_max(node))
      return this.refuse('message_too_large');
    const now = this.clock.now_ms();
    const session = this.sendable(peer, now);
    if (session !== null) {
      if (
        peer.initiating === null &&
        (session.send_seq >= this.limits.rekey_after_messages || now - session.created_ms >= this.limits.rekey_after_ms)
      ) {
        this.start_handshake(peer, true);
      }
      return this.add_to_record(peer, src_pid, dst_pid, data);
    }
    // No session seals now: what the record holds from earlier in this turn waits first.
    if (peer.record.messages > 0) this.seal_record(peer, peer.record, false);
    if (
      peer.queue.length >= this.limits.pending_packets_max ||
      peer.queue_bytes + data.length > this.limits.pending_bytes_max
    ) {
      this.drop(node, 'queue_full');
      peer.blocked = true;
      return this.refuse('would_block');
    }
    peer.queue.push({ src_pid, dst_pid, data: data.slice() });
    peer.queue_bytes += data.length;
    if (peer.initiating === null && peer.next === null) this.start_handshake(peer, peer.current !== null);
    return 'success';
  }

  /**
   * PacketPort: resolves when a packet to `node` may be sent again after `would_block`: when the
   * packets queued for its handshake have left (or the handshake gave up), or, if this channel's
   * queue was not what refused it, when the driver's outbox to `node` has room. At once when
   * nothing is blocked, and when the channel stops.
   */
  writable(node: number): Promise<void> {
    if (!this.running || this.lifecycle.ending) return Promise.resolve();
    const peer = this.peers.get(node);
    if (peer?.blocked) return this.writers.wait(node);
    return this.frames.writable(node);
  }

  /** The peer's handshake queue has room again: releases `writable`'s waits. */
  private unblock(peer: SecurePeer): void {
    if (!peer.blocked) return;
    peer.blocked = false;
    this.writers.release(peer.node);
  }

  /** The session `peer`'s packets are sealed with now, or null. */
  private sendable(peer: SecurePeer, now: number): Session | null {
    const session = peer.current;
    if (session === null || peer.stale) return null;
    if (this.expired(session, now) || session.send_seq >= this.limits.reject_after_messages) return null;
    return session;
  }

  private expired(session: Session, now: number): boolean {
    return now - session.created_ms >= this.limits.reject_after_ms;
  }

  /**
   * Adds a packet to the peer's record (a session can seal). The record is sealed first if the
   * packet is for another pair of pids or does not fit it. When the driver has no room for the
   * record with it, the record leaves now and the packet is sealed alone, so the driver's answer
   * (`would_block`, `not_connected`) is the sender's, and `writable` waits for that room.
   */
  private add_to_record(peer: SecurePeer, src_pid: number, dst_pid: number, data: Uint8Array): SendResult {
    if (!(channel_pid(src_pid) && channel_pid(dst_pid))) src_pid = dst_pid = NO_CHANNEL_PID;
    const record = peer.record;
    const bound = this.record_bytes(peer);
    const alone = RECORD_LENGTH_BYTES + data.length > bound; // Fills a record by itself.
    if (
      record.messages > 0 &&
      (alone ||
        record.src_pid !== src_pid ||
        record.dst_pid !== dst_pid ||
        record.messages === RECORD_MESSAGES_MAX ||
        record.bytes_with(data.length) > bound)
    ) {
      this.seal_record(peer, record, false);
    }
    const frame_bytes = FRAME_HEADER_BYTES + SEALED_HEADER_BYTES + record.bytes_with(data.length) + AEAD_TAG_BYTES;
    if (alone || frame_bytes > this.frames.send_room(peer.node)) {
      if (record.messages > 0) this.seal_record(peer, record, false);
      // Sealed now, on its own: a large packet in the channel's one large record (no buffer per peer).
      const single = alone ? this.large_record : record;
      single.begin(src_pid, dst_pid);
      single.append(data);
      return this.seal_record(peer, single, true);
    }
    if (record.messages === 0) {
      record.begin(src_pid, dst_pid);
      this.list_record(peer);
    }
    record.append(data);
    return 'success';
  }

  /** The most plaintext one record to `peer` holds: `record_bytes_max`, within one frame. */
  private record_bytes(peer: SecurePeer): number {
    const fits = this.frames.payload_bytes_max(peer.node) - SEALED_HEADER_BYTES - AEAD_TAG_BYTES;
    return Math.min(this.limits.record_bytes_max, fits);
  }

  /** Seals `peer`'s record at the end of this turn (one deferred call for all peers). */
  private list_record(peer: SecurePeer): void {
    if (!peer.record_listed) {
      peer.record_listed = true;
      this.open_records.push(peer);
    }
    if (!this.records_deferred) {
      this.records_deferred = true;
      this.timers.defer(this.seal_open_records);
    }
  }

  /** The end of a turn: every record being filled is sealed and handed to the driver. */
  private readonly seal_open_records = (): void => {
    this.records_deferred = false;
    const peers = this.open_records;
    this.open_records = this.sealing_records;
    this.sealing_records = peers;
    for (const peer of peers) {
      peer.record_listed = false;
      if (peer.record.messages > 0 && this.peers.get(peer.node) === peer) this.seal_record(peer, peer.record, false);
    }
    peers.length = 0;
    this.check_flushed();
  };

  /**
   * Seals `record` (the peer's, or the large one) in place under the session that seals now and
   * hands it to the driver. If the driver refuses it, its packets are lost, counted, and their
   * sender told; except when the record is `lone`: one packet being sent now, whose sender
   * hears the result instead. With no session able to seal (a reconnect since the packets were
   * added), they wait for one.
   */
  private seal_record(peer: SecurePeer, record: RecordWriter, lone: boolean): SendResult {
    const messages = record.messages;
    const session = this.sendable(peer, this.clock.now_ms());
    if (session === null) {
      const waiting: Uint8Array[] = [];
      record.for_each((message) => waiting.push(message.slice()));
      const { src_pid, dst_pid } = record;
      record.reset(); // Before any callback (a packet lost to a full queue tells its sender).
      for (const message of waiting) this.wait_for_session(peer, src_pid, dst_pid, message);
      if (peer.initiating === null && peer.next === null) this.start_handshake(peer, peer.current !== null);
      return 'success';
    }
    const message_bytes = record.bytes - messages * RECORD_LENGTH_BYTES;
    session.start_record(record.src_pid, record.dst_pid, record.bytes, messages);
    const tap = this.tap;
    if (tap !== null) record.for_each((message) => tap.sealed(session.head, message, peer.node));
    const sealed = record.sealable();
    session.seal_in_place(sealed);
    const result = this.frames.send_frame(peer.node, FrameType.SEALED, sealed, null, session.head, messages);
    if (result === 'success') {
      this.counters.sealed_records++;
      this.counters.sealed_packets += messages;
      this.counters.sealed_bytes += message_bytes;
      record.reset();
    } else {
      const src_pid = record.src_pid;
      const head = lone ? null : session.head.slice();
      record.reset(); // Before any callback: one that sends again finds an empty record.
      if (head !== null) {
        this.drop(peer.node, 'send_failed', messages);
        tap?.lost_record('secure', 'send_failed', head, peer.node);
        this.receiver.on_send_failed(src_pid, messages);
      }
    }
    return result;
  }

  /**
   * Seals the peer's record now, before another frame to it takes room in the driver's outbox
   * (the record was kept within that room as it grew) and so that no frame overtakes it.
   */
  private seal_before_other_frame(node: number): void {
    const peer = this.peers.get(node);
    if (peer !== undefined && peer.record.messages > 0) this.seal_record(peer, peer.record, false);
  }

  /** Seals an empty record (a keepalive: the key confirmation) after what is in the peer's record. */
  private send_keepalive(peer: SecurePeer, session: Session): void {
    if (peer.record.messages > 0) this.seal_record(peer, peer.record, false);
    const sealed = session.seal(NO_CHANNEL_PID, NO_CHANNEL_PID, EMPTY, 0);
    const result = this.frames.send_frame(peer.node, FrameType.SEALED, sealed, null, session.head, 0);
    if (result === 'success') this.counters.sealed_records++;
    else this.drop(peer.node, `keepalive_send_${result}`);
  }

  /**
   * Puts a packet accepted for a record back in the queue for a session (the one it was for can
   * no longer seal); past the queue's bounds it is lost, counted, and its sender told.
   */
  private wait_for_session(peer: SecurePeer, src_pid: number, dst_pid: number, data: Uint8Array): void {
    const pending = { src_pid, dst_pid, data };
    if (
      peer.queue.length >= this.limits.pending_packets_max ||
      peer.queue_bytes + data.length > this.limits.pending_bytes_max
    ) {
      this.lose_queued(peer.node, 'queue_full', pending);
      return;
    }
    peer.queue.push(pending);
    peer.queue_bytes += data.length;
  }

  private flush_queue(peer: SecurePeer): void {
    if (this.sendable(peer, this.clock.now_ms()) === null) return;
    const queue = peer.queue;
    peer.queue = [];
    peer.queue_bytes = 0;
    this.unblock(peer);
    for (const pending of queue) {
      if (this.add_to_record(peer, pending.src_pid, pending.dst_pid, pending.data) !== 'success')
        this.lose_queued(peer.node, 'send_failed', pending);
    }
    this.check_flushed();
  }

  private refuse(result: Exclude<SendResult, 'success'>): SendResult {
    this.refused.set(result, (this.refused.get(result) ?? 0) + 1);
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Handshakes we start.

  private start_handshake(peer: SecurePeer, rekey: boolean): void {
    peer.attempts = 0;
    this.send_init(peer);
    this.emit({ kind: 'handshake_started', node: peer.node, rekey });
  }

  private send_init(peer: SecurePeer): void {
    if (peer.initiating !== null) forget_initiator(this.suite, peer.initiating);
    const timestamp = Math.max(Math.floor(this.clock.now_ms()), peer.last_sent_init_ms + 1);
    peer.last_sent_init_ms = timestamp;
    const index = this.new_index();
    const init = create_init(
      this.suite,
      this.random,
      this.identity,
      this.frames.local_node(),
      peer.node,
      index,
      timestamp,
    );
    peer.initiating = init.state;
    peer.init_message = init.message;
    peer.init_cookie_sent = false;
    peer.attempts++;
    this.counters.handshakes_started++;
    if (peer.cookie !== null && this.clock.now_ms() - peer.cookie_ms < this.limits.cookie_secret_ms) {
      this.send_init_cookie(peer, index); // The peer asked for one lately: it may still be under load.
    } else {
      this.send_fragments(peer.node, HandshakeKind.INIT, index, init.message);
    }
    if (peer.retry_timer !== -1) this.timers.clear(peer.retry_timer);
    peer.retry_timer = this.timers.set(this.limits.handshake_retry_ms, () => this.on_retry(peer));
  }

  /** Sends the current INIT again with the mac2 of the peer's cookie. */
  private send_init_cookie(peer: SecurePeer, index: number): void {
    const init = peer.init_message!;
    const message = new Uint8Array(INIT_COOKIE_BYTES);
    message.set(init);
    message.set(cookie_mac(this.suite, peer.cookie!, init), INIT_BYTES);
    peer.init_cookie_sent = true;
    this.send_fragments(peer.node, HandshakeKind.INIT_COOKIE, index, message);
  }

  /** A COOKIE frame: the peer is under load and wants our INIT again with this cookie's mac2. */
  private on_cookie(src_node: number, payload: Uint8Array): void {
    const peer = this.peers.get(src_node);
    if (peer === undefined) {
      this.drop(src_node, 'unknown_peer');
      return;
    }
    if (payload.length !== COOKIE_FRAME_BYTES || get_u32(payload, COOKIE_RESERVED) !== 0) {
      this.drop(src_node, 'malformed');
      return;
    }
    // Only for the INIT we have out, and once per INIT: a stream of COOKIE frames (forged by
    // someone who learnt the index) cannot make us send INITs faster than one per cookie asked.
    const initiating = peer.initiating;
    if (initiating === null || get_u32(payload, COOKIE_HANDSHAKE_ID) !== initiating.index || peer.init_cookie_sent) {
      this.drop(src_node, 'unexpected_cookie');
      return;
    }
    this.counters.cookies_received++;
    peer.cookie = payload.slice(COOKIE_VALUE, COOKIE_VALUE + COOKIE_BYTES);
    peer.cookie_ms = this.clock.now_ms();
    this.send_init_cookie(peer, initiating.index);
  }

  private on_retry(peer: SecurePeer): void {
    peer.retry_timer = -1;
    if (!this.running || peer.initiating === null || this.peers.get(peer.node) !== peer) return;
    if (peer.attempts < this.limits.handshake_attempts_max) {
      this.send_init(peer);
      return;
    }
    forget_initiator(this.suite, peer.initiating);
    peer.initiating = null;
    this.fail(peer.node, 'timeout');
    for (const pending of peer.queue) this.lose_queued(peer.node, 'handshake_timeout', pending);
    peer.queue = [];
    peer.queue_bytes = 0;
    this.unblock(peer);
    this.receiver.on_peer_lost(peer.node);
    this.check_flushed();
  }

  /** Sends a handshake message in fragments: to the peer's route, or back the way `via` came. */
  private send_fragments(
    node: number,
    kind: number,
    handshake_id: number,
    message: Uint8Array,
    via: Address | number | null = null,
  ): void {
    const fits =
      (via === null ? this.frames.payload_bytes_max(node) : this.frames.reply_bytes_max(via)) - FRAG_HEADER_BYTES;
    const configured = this.limits.fragment_bytes;
    const fragment_bytes = configured === 0 ? fits : Math.min(configured, fits);
    this.seal_before_other_frame(node);
    for (const bytes of fragment(kind, handshake_id, message, fragment_bytes)) {
      const result =
        via === null
          ? this.frames.send_frame(node, FrameType.HANDSHAKE, bytes)
          : this.frames.reply_frame(node, via, FrameType.HANDSHAKE, bytes);
      if (result !== 'success') this.drop(node, `handshake_send_${result}`);
    }
  }

  /**
   * Tells the driver that `peer` was proved on `via` (a peer that dials in is reached there).
   * The link opening meanwhile is not a reconnect to start a handshake on: the peer is in one,
   * or already holds a session.
   */
  private proved(peer: SecurePeer, via: Address | number): void {
    if (typeof via === 'number') peer.proved_conn = via;
    this.proving = peer.node;
    this.frames.authenticated(peer.node, via, true);
    this.proving = 0;
  }

  /** A fresh session index: random, nonzero, unused. */
  private new_index(): number {
    for (;;) {
      const index = random_u32_nonzero(this.random);
      if (this.sessions.has(index)) continue;
      let taken = false;
      for (const peer of this.peers.values()) if (peer.initiating?.index === index) taken = true;
      if (!taken) return index;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Frames from the network.

  private frame_in(type: number, src_node: number, payload: Uint8Array, via: Address | number): void {
    if (!this.running) return;
    if (type === FrameType.SEALED) this.on_sealed(src_node, payload, via);
    else if (type === FrameType.HANDSHAKE) this.on_fragment(src_node, payload, via);
    else if (type === FrameType.DATA) this.on_clear(src_node, payload);
    else if (type === FrameType.COOKIE) this.on_cookie(src_node, payload);
    else this.drop(src_node, 'unexpected_frame');
  }

  private on_clear(src_node: number, payload: Uint8Array): void {
    if (this.peers.has(src_node))
      this.drop_queued(src_node, 'downgrade', payload); // Clear data from a peer that must be secure.
    else if (this.limits.allow_clear)
      this.receiver.on_packet(src_node, remote_src_pid(payload), remote_dst_pid(payload), payload);
    else this.drop_queued(src_node, 'unknown_peer', payload);
  }

  private on_fragment(src_node: number, payload: Uint8Array, via: Address | number): void {
    const peer = this.peers.get(src_node);
    if (peer === undefined) {
      this.drop(src_node, 'unknown_peer');
      return;
    }
    const before = this.reassembler.evicted + this.reassembler.expired;
    const result = this.reassembler.add(src_node, payload, this.clock.now_ms());
    if (this.reassembler.evicted + this.reassembler.expired !== before) this.drop(src_node, 'reassembly_dropped');
    if (result === null) return;
    if (typeof result === 'string') {
      this.drop(src_node, result);
      return;
    }
    if (result.kind === HandshakeKind.INIT) this.on_init(peer, result.message, null, via);
    else if (result.kind === HandshakeKind.INIT_COOKIE)
      this.on_init(peer, result.message.subarray(0, INIT_BYTES), result.message.subarray(INIT_BYTES), via);
    else this.on_response(peer, result.message);
  }

  /**
   * Whether an INIT that came by UDP from `via` may cost us a signature check: it carries a valid
   * mac2 for that address, or the node is not under load (a cookie-free token is left). Else it
   * is answered with a COOKIE frame and dropped, counted.
   */
  private address_proved(peer: SecurePeer, init: Uint8Array, mac2: Uint8Array | null, via: Address): boolean {
    const address = `${via.host}:${via.port}`;
    if (mac2 !== null && this.cookies.check(init, mac2, peer.node, address)) return true;
    if (mac2 === null && this.cookie_free.take(0, this.clock.now_ms())) return true;
    this.drop(peer.node, mac2 === null ? 'cookie_required' : 'bad_cookie');
    const frame = new Uint8Array(COOKIE_FRAME_BYTES);
    this.seal_before_other_frame(peer.node);
    put_u32(frame, COOKIE_HANDSHAKE_ID, get_u32(init, INIT_INDEX));
    frame.set(this.cookies.cookie(peer.node, address), COOKIE_VALUE);
    const result = this.frames.reply_frame(peer.node, via, FrameType.COOKIE, frame);
    if (result === 'success') this.counters.cookies_sent++;
    else this.drop(peer.node, `cookie_send_${result}`);
    return false;
  }

  /** An INIT, whole; `via` is how its last fragment came, and where the RESPONSE goes. */
  private on_init(peer: SecurePeer, init: Uint8Array, mac2: Uint8Array | null, via: Address | number): void {
    if (typeof via !== 'number' && !this.address_proved(peer, init, mac2, via)) return;
    const summary = read_init(init);
    if (typeof summary === 'string') {
      this.fail(peer.node, summary);
      return;
    }
    if (summary.timestamp_ms <= peer.last_init_ms) {
      this.fail(peer.node, 'replayed_init');
      return;
    }
    const now = this.clock.now_ms();
    // The signature first, on the node-wide budget of verifications: an INIT forged in a pinned
    // peer's name fails here and never spends that peer's allowance of answers, so a flood of
    // them cannot starve the real peer's handshake.
    if (!this.verify_rate.take(0, now)) {
      this.drop(peer.node, 'verify_rate_limited');
      return;
    }
    const th1 = verify_init(this.suite, init, peer.node, this.frames.local_node(), peer.public_key);
    if (typeof th1 === 'string') {
      this.fail(peer.node, th1);
      return;
    }
    if (!this.rate.take(peer.node, now)) {
      this.drop(peer.node, 'rate_limited');
      return;
    }
    this.frames.authenticated(peer.node, via, false); // Proven; a route only once a packet opens.
    const index = this.new_index();
    const answer = respond(
      this.suite,
      this.random,
      this.identity,
      init,
      peer.node,
      this.frames.local_node(),
      peer.public_key,
      peer.psk,
      index,
      th1,
    );
    if (typeof answer === 'string') {
      this.fail(peer.node, answer);
      return;
    }
    peer.last_init_ms = summary.timestamp_ms;
    const session = this.new_session(peer, index, answer.initiator_index, false, answer.keys, now);
    if (peer.next !== null) this.retire(peer.next);
    peer.next = session;
    this.send_fragments(peer.node, HandshakeKind.RESPONSE, answer.initiator_index, answer.message, via);
  }

  private on_response(peer: SecurePeer, response: Uint8Array): void {
    const state = peer.initiating;
    if (state === null || response_initiator_index(response) !== state.index) {
      this.drop(peer.node, 'unexpected_response');
      return;
    }
    const done = finish(this.suite, state, response, peer.public_key, peer.psk);
    if (typeof done === 'string') {
      // A forged or corrupted RESPONSE does not end our handshake: the real one may follow.
      this.fail(peer.node, done);
      return;
    }
    forget_initiator(this.suite, state);
    peer.initiating = null;
    if (peer.retry_timer !== -1) this.timers.clear(peer.retry_timer);
    peer.retry_timer = -1;
    const session = this.new_session(peer, state.index, done.responder_index, true, done.keys, this.clock.now_ms());
    this.install(peer, session);
    this.send_keepalive(peer, session); // Key confirmation: the responder's session is confirmed by it.
    this.flush_queue(peer);
  }

  private new_session(
    peer: SecurePeer,
    local_index: number,
    remote_index: number,
    initiator: boolean,
    keys: { i2r: Uint8Array; r2i: Uint8Array },
    now: number,
  ): Session {
    const session = new Session(this.suite, {
      local_node: this.frames.local_node(),
      peer_node: peer.node,
      local_index,
      remote_index,
      initiator,
      keys,
      created_ms: now,
      channel_keys_max: this.limits.channel_keys_max,
    });
    this.sessions.set(local_index, session);
    return session;
  }

  /** Makes `session` the one that seals; the current one opens what is in flight for a while. */
  private install(peer: SecurePeer, session: Session): void {
    if (peer.previous !== null) this.retire(peer.previous);
    if (peer.current !== null) this.counters.rekeys++;
    peer.previous = peer.current;
    peer.previous_until_ms = this.clock.now_ms() + this.limits.previous_keep_ms;
    peer.current = session;
    peer.stale = false;
    this.counters.handshakes_completed++;
    this.emit({ kind: 'handshake_completed', node: peer.node, initiator: session.initiator });
  }

  private retire(session: Session): void {
    this.sessions.delete(session.local_index);
    session.wipe();
  }

  private on_sealed(src_node: number, payload: Uint8Array, via: Address | number): void {
    if (payload.length < SEALED_HEADER_BYTES + AEAD_TAG_BYTES) {
      this.drop_sealed(src_node, 'malformed', payload);
      return;
    }
    const session = this.sessions.get(get_u32(payload, SEALED_RECEIVER));
    const peer = this.peers.get(src_node);
    if (session === undefined || peer === undefined) {
      this.drop_sealed(src_node, 'unknown_session', payload);
      if (peer !== undefined) this.recover(peer);
      return;
    }
    if (session.peer_node !== src_node) {
      this.drop_sealed(src_node, 'wrong_peer', payload);
      return;
    }
    const now = this.clock.now_ms();
    if (this.expired(session, now) || (session === peer.previous && now >= peer.previous_until_ms)) {
      this.drop_sealed(src_node, 'expired', payload);
      if (session === peer.previous) {
        this.retire(session);
        peer.previous = null;
      }
      return;
    }
    // Limits hold on both sides: a sender never seals at or past reject-after, so a packet that
    // claims such a number is dropped unopened (its number is in the clear, and authenticated).
    if (get_u64(payload, SEALED_SEQ) >= this.limits.reject_after_messages) {
      this.drop_sealed(src_node, 'exhausted', payload);
      return;
    }
    const opened = session.open(payload);
    if (typeof opened === 'string') {
      // A replay is a copy of a packet already opened: the message itself is not lost by it.
      if (opened === 'replay') this.drop(src_node, opened);
      else this.drop_sealed(src_node, opened, payload);
      return;
    }
    // The driver learns each connection a packet opened on (it is proven: off the budget and
    // the limits for strangers), and a peer that dials in is reached there.
    if (peer.link !== 'open' || (typeof via === 'number' && via !== peer.proved_conn)) this.proved(peer, via);
    if (session === peer.next) {
      peer.next = null;
      this.install(peer, session);
      this.flush_queue(peer);
    }
    this.counters.opened_records++;
    const messages = get_u16(payload, SEALED_MESSAGES);
    if (messages === 0 && opened.length === 0) return; // A keepalive.
    // Authentic but not framed as its count says: a broken peer. Nothing of it is handed up.
    if (!record_valid(opened, messages)) {
      this.drop_sealed(src_node, 'malformed_record', payload);
      return;
    }
    const src_pid = get_u32(payload, SEALED_SRC_PID);
    const dst_pid = get_u32(payload, SEALED_DST_PID);
    this.counters.opened_packets += messages;
    this.counters.opened_bytes += opened.length - messages * RECORD_LENGTH_BYTES;
    for (let at = 0, i = 0; i < messages; i++) {
      const length = get_u32(opened, at);
      at += RECORD_LENGTH_BYTES;
      this.receiver.on_packet(src_node, src_pid, dst_pid, opened.subarray(at, at + length));
      at += length;
    }
  }

  /** A packet under a session we do not know: the peer holds keys we lost. Offer new ones. */
  private recover(peer: SecurePeer): void {
    const now = this.clock.now_ms();
    if (peer.initiating !== null || now - peer.last_unknown_ms < this.limits.handshake_retry_ms) return;
    peer.last_unknown_ms = now;
    this.start_handshake(peer, peer.current !== null);
  }

  /** FrameReceiver: a frame from the driver. */
  on_frame(type: number, src_node: number, payload: Uint8Array, via: Address | number): void {
    this.frame_in(type, src_node, payload, via);
  }

  /**
   * FrameReceiver: a frame accepted by the driver was not written. The sender of a sealed packet
   * (its clear header's `src_pid`) or of a clear one is told; handshake frames are retried by
   * their own timer.
   */
  on_frame_failed(type: number, payload: Uint8Array): void {
    let src_pid = NO_CHANNEL_PID;
    let messages = 1;
    if (type === FrameType.SEALED && payload.length >= SEALED_HEADER_BYTES) {
      src_pid = get_u32(payload, SEALED_SRC_PID);
      messages = get_u16(payload, SEALED_MESSAGES);
    } else if (type === FrameType.DATA && payload.length >= 8) src_pid = remote_src_pid(payload);
    if (src_pid !== NO_CHANNEL_PID && messages > 0) this.receiver.on_send_failed(src_pid, messages);
  }

  /** FrameReceiver: a persistent TCP peer changed state. */
  on_peer_state(node: number, state: PeerState): void {
    const peer = this.peers.get(node);
    if (peer === undefined || !this.running) return;
    const was = peer.link;
    peer.link = state;
    // An open connection closed, or the last connect attempt failed: the session is lost.
    if (was === 'open' || (was === 'connecting' && state === 'idle')) this.receiver.on_peer_lost(node);
    if (state !== 'open') return;
    if (!peer.connected_before || this.proving === node) {
      // The first connection, or one the peer dialed in on and was just proved on (it holds a
      // session or is in a handshake: none to start).
      peer.connected_before = true;
      return;
    }
    // A reconnect: the peer may have restarted. Data waits for a session made on this connection.
    peer.stale = true;
    if (peer.initiating === null) this.start_handshake(peer, true);
  }

  // -------------------------------------------------------------------------------------------
  // Counting.

  /** Drops a data message held in the clear (queued, or a clear frame); the tap learns which. */
  private drop_queued(node: number, reason: string, message: Uint8Array): void {
    this.drop(node, reason);
    this.tap?.lost('secure', reason, message);
  }

  /** Drops a packet `send_packet` had queued for a session: counted, and its sender is told. */
  private lose_queued(
    node: number,
    reason: string,
    pending: { readonly src_pid: number; readonly data: Uint8Array },
  ): void {
    this.drop_queued(node, reason, pending.data);
    this.receiver.on_send_failed(pending.src_pid, 1);
  }

  /**
   * Drops a sealed record from `node` that was not opened (or not handed up): counted once per
   * message its header says it holds; once if it claims none, or more than its bytes could hold
   * (a count changed on the way: a forged count inflates the counter by no more than its bytes
   * allow). The tap learns which.
   */
  private drop_sealed(node: number, reason: string, packet: Uint8Array): void {
    this.drop(node, reason, claimed_messages(packet));
    this.tap?.lost_sealed('secure', reason, packet, node);
  }

  private drop(node: number, reason: string, count = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
    this.emit({ kind: 'dropped', node, reason });
  }

  private fail(node: number, reason: string): void {
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
    this.emit({ kind: 'handshake_failed', node, reason });
  }

  private emit(event: SecureEvent): void {
    this.listener?.(event);
  }

  /** A snapshot of the counters. */
  stats(): SecureStats {
    return {
      ...this.counters,
      handshakes_failed: Object.fromEntries(this.failed),
      dropped: Object.fromEntries(this.dropped),
      refused: Object.fromEntries(this.refused),
      queued: this.pending_packets(),
      sessions: this.sessions.size,
      reassembling: this.reassembler.size,
      reassembly_evicted: this.reassembler.evicted,
      reassembly_expired: this.reassembler.expired,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Shutdown.

  private forget_peer(peer: SecurePeer, reason: string): void {
    if (peer.retry_timer !== -1) this.timers.clear(peer.retry_timer);
    peer.retry_timer = -1;
    if (peer.initiating !== null) forget_initiator(this.suite, peer.initiating);
    peer.initiating = null;
    for (const session of [peer.current, peer.previous, peer.next]) if (session !== null) this.retire(session);
    peer.current = peer.previous = peer.next = null;
    for (const pending of peer.queue) this.lose_queued(peer.node, reason, pending);
    peer.queue = [];
    peer.queue_bytes = 0;
    const record = peer.record;
    if (record.messages > 0) {
      const lost: Uint8Array[] = [];
      record.for_each((message) => lost.push(message.slice()));
      const src_pid = record.src_pid;
      record.reset(); // Before any callback: one that sends again finds an empty record.
      for (const message of lost) this.drop_queued(peer.node, reason, message);
      this.receiver.on_send_failed(src_pid, lost.length);
    }
    this.unblock(peer);
    this.rate.forget(peer.node);
  }

  /**
   * Drains and stops: refuses new packets, waits until every packet queued for a session has
   * left (or its handshake gave up, which bounds the wait), then releases as `destroy`.
   * Idempotent; a `destroy()` meanwhile cuts the wait short. The driver itself stays up (close
   * it after; net/node_network.ts does).
   */
  close(): Promise<void> {
    return this.lifecycle.close(
      () => this.flushed(),
      () => this.release(),
    );
  }

  /**
   * Stops now: timers cleared, every key wiped, waiting packets dropped (counted as `closed`),
   * the driver's frame receiver released. Idempotent.
   */
  destroy(): Promise<void> {
    return this.lifecycle.destroy(() => this.release());
  }

  private flushed(): Promise<void> {
    if (this.pending_packets() === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.on_flushed = resolve;
    });
  }

  private pending_packets(): number {
    let n = 0;
    for (const peer of this.peers.values()) n += peer.queue.length + peer.record.messages;
    return n;
  }

  private check_flushed(): void {
    if (this.on_flushed !== null && this.pending_packets() === 0) {
      const resolve = this.on_flushed;
      this.on_flushed = null;
      resolve();
    }
  }

  private async release(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.on_flushed = null;
    for (const peer of this.peers.values()) this.forget_peer(peer, 'closed');
    this.peers.clear();
    this.writers.release_all();
    this.reassembler.clear();
    this.cookies.wipe();
    this.inbox.clear();
    this.frames.set_frame_receiver(null);
  }
}

/** The messages a sealed record says it holds, at least 1, and 1 if its bytes could not hold them. */
function claimed_messages(packet: Uint8Array): number {
  if (packet.length < SEALED_HEADER_BYTES + AEAD_TAG_BYTES) return 1;
  const messages = get_u16(packet, SEALED_MESSAGES);
  const plaintext_bytes = packet.length - SEALED_HEADER_BYTES - AEAD_TAG_BYTES;
  return messages * RECORD_LENGTH_BYTES > plaintext_bytes ? 1 : Math.max(1, messages);
}

function validate(config: SecureConfig): Limits {
  const limits = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    const value = config[name];
    if (value === undefined) continue;
    if (name === 'allow_clear') {
      if (typeof value !== 'boolean')
        throw new ConfigError(ErrorCode.BAD_OPTION, `allow_clear must be a boolean, got ${String(value)}`);
      limits.allow_clear = value;
      continue;
    }
    const min = name === 'fragment_bytes' ? 0 : 1; // 0: follow the frame port's limit.
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new ConfigError(ErrorCode.BAD_LIMIT, `${name} must be a positive integer, got ${String(value)}`);
    }
    (limits as Record<string, number | boolean>)[name] = value;
  }
  if (limits.reject_after_messages > 2 ** 52)
    throw new ConfigError(ErrorCode.BAD_LIMIT, 'reject_after_messages must be at most 2^52');
  if (limits.rekey_after_messages > limits.reject_after_messages)
    throw new ConfigError(ErrorCode.BAD_LIMIT, 'rekey_after_messages must be at most reject_after_messages');
  if (limits.rekey_after_ms > limits.reject_after_ms)
    throw new ConfigError(ErrorCode.BAD_LIMIT, 'rekey_after_ms must be at most reject_after_ms');
  if (limits.fragment_bytes !== 0 && (limits.fragment_bytes < 256 || limits.fragment_bytes > 65_535))
    throw new ConfigError(ErrorCode.BAD_LIMIT, 'fragment_bytes must be 0 (follow the MTU) or in [256, 65535]');
  return limits;
}
