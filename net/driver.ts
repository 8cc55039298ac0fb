/**
 * The network driver (the spec's `net::` API): frames packets and moves them between nodes over
 * UDP and TCP, as an instance (any number per process), with no socket inside.
 *
 * - `init(config)` binds UDP and a TCP listener (through the injected `Transport`) and works out
 *   the local node id (node_identity.ts).
 * - `add_remote(node, host, port, proto)` registers a peer: UDP, persistent TCP, transient TCP
 *   (a connection per send), or inbound TCP (no address: the peer dials in, and is answered on
 *   its connection once the secure channel has proved it there).
 * - A handshake is answered the way it came (`reply_frame`): to the UDP address or on the TCP
 *   connection the INIT arrived by, whatever protocol the peer was registered with; one that
 *   came by another protocol is counted (`off_route_handshakes`, a sign of a config mismatch).
 * - `send(node, data)` frames `[header | data]` (the header carries the local node) and transmits.
 *   It resolves to an errc-style result, `'success'` or a named code; socket failures reject with
 *   a `NetSystemError` that carries the errno name. `send_nowait` is the same without a promise.
 * - One connection per peer pair on sealed nodes (`authenticated`): a peer's dial-in, once the
 *   secure channel proved the peer on it, is its route; a simultaneous dial keeps the connection
 *   the lower node id dialed, on both sides. A clear driver keeps one connection per direction.
 * - Persistent TCP: frames are encoded into a bounded outbox (outbox.ts) and leave in batches,
 *   one write in flight per connection: what is sent while a write is in flight leaves in the
 *   next one. A write that fails with EPIPE, ECONNRESET, ENOTCONN or ECONNABORTED reopens the
 *   connection and retries its frames once. Failed connects back off exponentially (bounded), then fail what
 *   waits with the errno.
 * - Received frames are checked (frame.ts, frame_decoder.ts); the bad ones are dropped and
 *   counted by reason, and a TCP connection carrying one is closed (a desynchronised stream is
 *   never read on).
 * - Good DATA frames go to the packet receiver (packet_port.ts): the driver's own bounded queue
 *   (`max_queue`, DROP_OLDEST or DROP_NEWEST, each drop counted) that `recv()` drains, or a
 *   network server's. A frame receiver (the secure channel) takes every frame instead.
 * - `close()` waits for the outboxes to be written, then stops; `destroy()` (the spec's
 *   `shutdown()`) stops at once. Either leaves no handle.
 *
 * Wire format: wire_layout.ts and docs/WIRE.md.
 */
import { assert } from '../kernel/assert.js';
import { ErrorCode } from '../kernel/error_codes.js';
import { ConfigError, LatticeError } from '../kernel/errors.js';
import { Lifecycle } from '../kernel/lifecycle.js';
import { Outbox, type Batch, type SendDone } from './outbox.js';
import { ByteArena } from './byte_arena.js';
import { FRAME_STATUS_NAMES, FrameHeader, FrameStatus, for_each_frame, read_datagram, write_frame } from './frame.js';
import { FrameDecoder } from './frame_decoder.js';
import type { MessageTap } from './message_tap.js';
import { local_node_id, type IdentityPath, type IdentitySource } from './node_identity.js';
import { PacketInbox } from './packet_inbox.js';
import type { FramePort, FrameReceiver, PacketPort, PacketReceiver, PeerState, SendResult } from './packet_port.js';
import { Overflow, QUEUE_CAPACITY_MAX, type Packet } from './packet_queue.js';
import { RM_HEADER_BYTES, remote_dst_pid, remote_src_pid } from './remote_message.js';
import type { Address, Timers, Transport, TransportEvents, UdpReceiveState } from './transport.js';
import { WritableSignal } from './writable_signal.js';
import {
  FRAME_BYTES_LIMIT,
  FRAME_BYTES_MAX_DEFAULT,
  FRAME_HEADER_BYTES,
  FrameType,
  MTU_BYTES_DEFAULT,
  MTU_BYTES_MIN,
  datagram_bytes_max,
} from './wire_layout.js';

export { Overflow, type Packet, type PeerState, type SendResult };

/** How a remote is reached. */
export const Proto = {
  UDP: 'udp',
  /** One connection kept open, reopened when it fails. */
  TCP: 'tcp',
  /** A new connection for every send, closed after it. */
  TCP_TRANSIENT: 'tcp_transient',
  /**
   * No address: the peer dials in (a client on an ephemeral port). Frames to it go over the
   * connection it opened, once the secure channel has proved the peer on it (`authenticated`);
   * with none open, sends are refused `not_connected`. Sealed nodes only.
   */
  TCP_INBOUND: 'tcp_inbound',
} as const;
export type Proto = (typeof Proto)[keyof typeof Proto];

/** The driver's configuration (the spec's `net::Config`, with the limits it leaves open). */
export interface NetConfig {
  /** This node's id; 0 (default) works it out from the interfaces or the host name. */
  readonly node_id?: number;
  /** UDP and TCP port; 0 (default) takes any free one (read it back from `port`). */
  readonly port?: number;
  /** Address to bind; default 127.0.0.1 (use 0.0.0.0 to serve other hosts). */
  readonly host?: string;
  /** Packets the receive queue holds; default 4096. */
  readonly max_queue?: number;
  /** What a full queue drops; default DROP_OLDEST. */
  readonly overflow?: Overflow;
  /**
   * Largest frame, header included; default 1 MiB + 104 bytes (a message with a full 1 MiB block,
   * sealed, with every header), at most 16 MiB.
   */
  readonly frame_bytes_max?: number;
  /**
   * The path MTU to UDP peers, in bytes (default 1500, at least 1280): a UDP frame is at most
   * `mtu_bytes − 48` (IPv6 and UDP headers), so that IP never fragments it. A larger send to a
   * UDP peer is refused with `message_too_large`; send blocks over TCP. Loopback-only nodes may
   * raise it (up to 65,535: datagrams of 65,507 bytes).
   */
  readonly mtu_bytes?: number;
  /** Bytes a TCP peer may have waiting to be written; default 8 MiB. */
  readonly pending_bytes_max?: number;
  /** First and longest delay before reconnecting a failed TCP peer; default 10 ms and 2 s. */
  readonly reconnect_delay_ms_min?: number;
  readonly reconnect_delay_ms_max?: number;
  /** Connect attempts in a row before waiting sends fail; default 8. */
  readonly reconnect_attempts_max?: number;
  /** Longest `close()` waits for outboxes to be written before it stops anyway; default 2000 ms. */
  readonly close_timeout_ms?: number;
  /**
   * Inbound TCP connections held at once; default 1024. At the limit, a new connection takes the
   * place of the oldest that has not yet sent a whole frame (`connections_evicted`), or, if every
   * one has, is closed at once (`connections_refused`): connections that send nothing cannot
   * lock a real peer out.
   */
  readonly tcp_connections_max?: number;
  /**
   * Inbound TCP connections held at once from one source address (its host, whatever the
   * port); default 256. At the limit, a new one from that address takes the place of its oldest
   * unproven connection (`connections_evicted`), or is closed at once
   * (`connections_refused_per_address`).
   */
  readonly tcp_connections_per_address_max?: number;
  /**
   * Bytes that inbound connections not yet proven may hold in partial frames, over the whole
   * node; default 64 MiB, at least `frame_bytes_max`. Past it, the oldest unproven connections
   * holding bytes are closed (`closed_over_budget`) until the rest fit. A connection is proven
   * once the layer above authenticated a frame from it (the secure channel opened a packet or
   * checked an INIT's signature), or, on a clear driver, once it delivered a whole frame.
   */
  readonly tcp_unproven_bytes_max?: number;
  /**
   * An inbound TCP connection that has not sent a whole frame yet, and sends nothing this long,
   * is closed (`closed_idle`); default 10000 ms, 0 never. A peer's connection that has carried
   * frames is never closed for being quiet (its calls would fail with it).
   */
  readonly tcp_idle_timeout_ms?: number;
  /**
   * A connection that holds part of a frame and completes none this long is closed
   * (`closed_assembly_timeout`: a frame trickled, or a header never finished); default 10000 ms, 0 never.
   */
  readonly frame_assembly_timeout_ms?: number;
  /**
   * The UDP socket's receive buffer, in bytes (SO_RCVBUF); default 0, the OS default (Linux:
   * `net.core.rmem_default`, and at most `rmem_max` whatever is asked). Datagrams that arrive
   * while it is full are dropped by the OS and counted in `udp_receive_overflow`.
   */
  readonly udp_receive_buffer_bytes?: number;
}

/** The driver's limits that are plain integers (a host's config file may set each, by this name). */
export const NET_LIMIT_NAMES = [
  'frame_bytes_max',
  'mtu_bytes',
  'pending_bytes_max',
  'reconnect_delay_ms_min',
  'reconnect_delay_ms_max',
  'reconnect_attempts_max',
  'close_timeout_ms',
  'tcp_connections_max',
  'tcp_connections_per_address_max',
  'tcp_unproven_bytes_max',
  'tcp_idle_timeout_ms',
  'frame_assembly_timeout_ms',
  'udp_receive_buffer_bytes',
] as const satisfies readonly (keyof NetConfig)[];

/** A socket failure, carrying the errno name (`ECONNREFUSED`, `EPIPE`, …). */
export class NetSystemError extends LatticeError {
  readonly errno: string;
  readonly syscall: string;
  readonly node: number;
  constructor(errno: string, syscall: string, node: number) {
    super(ErrorCode.NET_SYSTEM, `${syscall} to node ${node} failed: ${errno}`);
    this.name = 'NetSystemError';
    this.errno = errno;
    this.syscall = syscall;
    this.node = node;
  }
}

/** Write errors after which a persistent connection is reopened and the send retried once. */
export const RECONNECT_ERRORS: ReadonlySet<string> = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED']);

/** Counters of a driver, as a plain snapshot. */
export interface NetStats {
  node: number;
  port: number;
  packets_sent: number;
  bytes_sent: number;
  packets_received: number;
  bytes_received: number;
  udp_sent: number;
  tcp_sent: number;
  /** Frames dropped on arrival, by reason (bad_magic, bad_version, bad_check, …). */
  malformed: Record<string, number>;
  /** TCP connections closed because their stream carried a bad frame. */
  desyncs: number;
  /** TCP frames cut by their connection closing before they were whole (thrown away). */
  cut_frames: number;
  /** Inbound connections closed at once, over `tcp_connections_max`; and those closed to make room for a new one. */
  connections_refused: number;
  connections_evicted: number;
  /** Inbound connections closed at once, over `tcp_connections_per_address_max` for their address. */
  connections_refused_per_address: number;
  /** Unproven inbound connections closed because together they held over `tcp_unproven_bytes_max`. */
  closed_over_budget: number;
  /** Bytes held now in partial frames by inbound connections not yet proven (bounded by `tcp_unproven_bytes_max`). */
  unproven_bytes: number;
  /** Inbound connections closed by `tcp_idle_timeout_ms`, and by `frame_assembly_timeout_ms`. */
  closed_idle: number;
  closed_assembly_timeout: number;
  /** Bytes of partial TCP frames held now, over every connection, and the bytes allocated to gather them. */
  partial_frame_bytes: number;
  gathering_bytes: number;
  queue_dropped_oldest: number;
  queue_dropped_newest: number;
  /** Packets discarded by `reset()`. */
  reset_discarded: number;
  /** Sends refused at once, by result. */
  refused: Record<string, number>;
  /** Connections opened, by us and accepted. */
  connects: number;
  accepted: number;
  /** Inbound connections held now (bounded by `tcp_connections_max`). */
  inbound_connections: number;
  /** Connections to a peer opened again after an earlier one to it failed or closed. */
  reconnects: number;
  /** Frames re-sent once after a write failed. */
  retries: number;
  /** Connect attempts delayed by back-off. */
  backoffs: number;
  /** Connect failures, and frames that finally failed, by errno. */
  connect_failures: Record<string, number>;
  send_errors: Record<string, number>;
  /** Frames of a type this driver does not handle. */
  unhandled_frames: number;
  /**
   * Handshake frames from a registered peer that came by another protocol than the one it was
   * registered with (a UDP peer's INIT over TCP, or the reverse): answered the way they came,
   * and counted because the two nodes' configs disagree.
   */
  off_route_handshakes: number;
  /** Connections a peer dialed in on and was proved on that became its route (`tcp_inbound`, or a `tcp` peer reached over its own dial). */
  inbound_routes: number;
  /** Connections of our own given up for the one the peer dialed (a simultaneous dial resolved, or a dial made needless). */
  duplicate_connections_closed: number;
  queued: number;
  /** Data messages waiting in persistent-TCP outboxes (in DATA frames and secure records; not yet written, or waiting to be retried). */
  outbox_data_messages: number;
  /** The UDP socket's receive buffer as the OS reports it, in bytes (0: unknown). */
  udp_receive_buffer_bytes: number;
  /**
   * Datagrams the OS dropped at this node's UDP socket because its receive buffer was full
   * (Linux: the socket's `drops` in /proc/net/udp); null where the host cannot tell.
   */
  udp_receive_overflow: number | null;
}

/** A frame that leaves on its own (UDP, transient TCP). */
interface Outgoing {
  readonly frame: Uint8Array;
  readonly done: SendDone | null;
}

interface Peer {
  readonly node: number;
  readonly address: Address;
  readonly proto: Proto;
  conn: number;
  state: 'idle' | 'connecting' | 'open' | 'backoff';
  readonly outbox: Outbox;
  /** The batch being written (one at a time), or null. */
  writing: Batch | null;
  flush_scheduled: boolean;
  failures: number;
  timer: number;
  /** Whether a connection to this peer was ever open (a later open is a reconnect). */
  ever_open: boolean;
  /** Whether a send met a full outbox since it last had room (someone may await `writable`). */
  blocked: boolean;
  /** The latest inbound connection the peer was proved on (-1: none open), its route once it has no other. */
  dialed_in: number;
  /**
   * Our own connection given up for the peer's (-1: none): ended at once, and nothing is written
   * on the new route until it has closed (the peer read it to its end), so no frame overtakes
   * one sent before; at most `close_timeout_ms` (`retire_timer`), then it is destroyed.
   */
  retiring: number;
  retire_timer: number;
}

/** What the driver takes from its host. */
export interface NetEnv {
  readonly transport: Transport;
  readonly timers: Timers;
  /** Interfaces and host name, for `local_node` when no id is configured. */
  readonly identity: IdentitySource;
  /** Told where data messages go and where one is destroyed (message_tap.ts); the simulator's ledger sets one. */
  readonly tap?: MessageTap | null;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  max_queue: 4096,
  overflow: Overflow.DROP_OLDEST,
  frame_bytes_max: FRAME_BYTES_MAX_DEFAULT,
  mtu_bytes: MTU_BYTES_DEFAULT,
  pending_bytes_max: 8 << 20,
  reconnect_delay_ms_min: 10,
  reconnect_delay_ms_max: 2000,
  reconnect_attempts_max: 8,
  close_timeout_ms: 2000,
  tcp_connections_max: 1024,
  tcp_connections_per_address_max: 256,
  tcp_unproven_bytes_max: 64 << 20,
  tcp_idle_timeout_ms: 10_000,
  frame_assembly_timeout_ms: 10_000,
  udp_receive_buffer_bytes: 0,
} as const;

/** How often the connection sweep runs, as a fraction of the shortest timeout it enforces (precision ±1/4). */
const SWEEPS_PER_TIMEOUT = 4;

/** What the sweep knows of an inbound connection. */
interface InboundConn {
  /** The source address's host (connections are limited per host, whatever the port). */
  readonly address: string;
  /** Whether the layer above authenticated a frame from it (clear driver: it sent a whole frame). */
  proven: boolean;
  /** Bytes its partial frame holds, counted in the node's unproven bytes while it is unproven. */
  held: number;
  /** Sweeps since its last byte. */
  idle_sweeps: number;
  /** Sweeps in a row with part of a frame held and no frame completed; and the frames completed at the last sweep. */
  stuck_sweeps: number;
  frames_seen: number;
  /** The node the layer above proved on it (0: none yet). */
  node: number;
}

export class NetDriver implements FramePort, PacketPort {
  private readonly env: NetEnv;
  private running = false;
  /** The UDP receive state read just before the transport closed (its OS counters go with it). */
  private udp_state_at_close: UdpReceiveState = { buffer_bytes: 0, dropped: null };
  private config: Required<Omit<NetConfig, 'node_id'>> = { ...DEFAULTS };
  /** The largest UDP frame, from `mtu_bytes`. */
  private datagram_max = datagram_bytes_max(DEFAULTS.mtu_bytes);
  private local = 0;
  private identity_path: IdentityPath = 'configured';
  private bound_port = 0;
  /** The driver's own receive queue (`recv`), its packet receiver unless another is set. */
  private readonly inbox = new PacketInbox(DEFAULTS.max_queue, DEFAULTS.overflow);
  private readonly tap: MessageTap | null;
  private readonly peers = new Map<number, Peer>();
  /** Connection id → the peer it belongs to (outbound persistent), or a decoder (inbound). */
  private readonly conn_peer = new Map<number, Peer>();
  private readonly decoders = new Map<number, FrameDecoder>();
  /** Inbound connections, for their limit and timeouts (the sweep). */
  private readonly inbound = new Map<number, InboundConn>();
  /** Inbound connections held now, by source host. */
  private readonly inbound_per_address = new Map<string, number>();
  /** Bytes held in partial frames by unproven inbound connections (the sum of their `held`). */
  private unproven_bytes = 0;
  private sweep_timer = -1;
  private sweep_ms = 0;
  private readonly transient = new Map<number, { readonly node: number; readonly out: Outgoing; written: boolean }>();
  private readonly datagram_header = new FrameHeader();
  /** Where datagram and transient frames are carved from (net/byte_arena.ts). */
  private readonly arena = new ByteArena();
  /** Where DATA frames go as packets (the inbox, or a network server's). */
  private packet_receiver: PacketReceiver = this.inbox;
  /** A layer over the frames (the secure channel): takes every frame and peer change instead. */
  private frame_receiver: FrameReceiver | null = null;
  private readonly counters = {
    packets_sent: 0,
    bytes_sent: 0,
    packets_received: 0,
    bytes_received: 0,
    udp_sent: 0,
    tcp_sent: 0,
    desyncs: 0,
    cut_frames: 0,
    connections_refused: 0,
    connections_evicted: 0,
    connections_refused_per_address: 0,
    closed_over_budget: 0,
    closed_idle: 0,
    closed_assembly_timeout: 0,
    connects: 0,
    accepted: 0,
    reconnects: 0,
    retries: 0,
    backoffs: 0,
    unhandled_frames: 0,
    off_route_handshakes: 0,
    inbound_routes: 0,
    duplicate_connections_closed: 0,
  };
  private readonly malformed = new Map<string, number>();
  private readonly refused = new Map<string, number>();
  private readonly connect_failures = new Map<string, number>();
  private readonly send_errors = new Map<string, number>();
  private readonly lifecycle = new Lifecycle();
  /** Who awaits `writable`, by node. */
  private readonly writers = new WritableSignal();
  /** Called by `check_drained` while `close` waits for the outboxes. */
  private on_drained: (() => void) | null = null;

  constructor(env: NetEnv) {
    this.env = env;
    this.tap = env.tap ?? null;
    this.inbox.set_tap(this.tap, 'driver');
  }

  /** Validates `config`, binds UDP and TCP, and starts receiving. Throws `ConfigError`. */
  async init(config: NetConfig = {}): Promise<void> {
    if (this.running) throw new LatticeError(ErrorCode.NET_RUNNING, 'init: the driver is already running');
    const c = validate(config);
    this.config = c.rest;
    this.datagram_max = Math.min(datagram_bytes_max(c.rest.mtu_bytes), c.rest.frame_bytes_max);
    const timeouts = [c.rest.tcp_idle_timeout_ms, c.rest.frame_assembly_timeout_ms].filter((ms) => ms > 0);
    this.sweep_ms = timeouts.length === 0 ? 0 : Math.max(1, Math.floor(Math.min(...timeouts) / SWEEPS_PER_TIMEOUT));
    this.inbox.configure(c.rest.max_queue, c.rest.overflow);
    const identity = local_node_id(c.node_id, this.env.identity);
    this.local = identity.id;
    this.identity_path = identity.path;
    const events: TransportEvents = {
      on_datagram: (bytes, from) => this.on_datagram(bytes, from),
      on_open: (conn, inbound, from_host) => this.on_open(conn, inbound, from_host),
      on_data: (conn, bytes) => this.on_data(conn, bytes),
      on_closed: (conn, error) => this.on_closed(conn, error),
    };
    this.bound_port = await this.env.transport.bind(c.rest.host, c.rest.port, events, {
      udp_receive_buffer_bytes: c.rest.udp_receive_buffer_bytes,
    });
    this.running = true;
  }

  /** The bound port (UDP and TCP). */
  get port(): number {
    return this.bound_port;
  }

  /** This node's id (the spec's `net::local_node()`). */
  local_node(): number {
    return this.local;
  }

  /** How `local_node` was chosen: configured, interface_mac, interface_address or hostname. */
  get local_node_path(): IdentityPath {
    return this.identity_path;
  }

  /** Whether the driver is running. */
  get is_running(): boolean {
    return this.running;
  }

  /**
   * Registers node `node` at `host:port`, reached by `proto` (default UDP); a `tcp_inbound` peer
   * has no address (`''`, port 0). Replacing a peer drops its connection; frames waiting for it
   * fail.
   */
  add_remote(node: number, host: string, port: number, proto: Proto = Proto.UDP): void {
    if (!Number.isInteger(node) || node < 1 || node > 0x7fff_ffff)
      throw new ConfigError(ErrorCode.BAD_NODE, `node ${node} is outside [1, 2^31 - 1]`);
    if (proto === Proto.TCP_INBOUND) {
      if (host !== '' || port !== 0)
        throw new ConfigError(
          ErrorCode.BAD_PORT,
          `a tcp_inbound peer has no address: host '' and port 0, got ${host}:${port}`,
        );
    } else if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigError(ErrorCode.BAD_PORT, `port ${port} is outside [1, 65535]`);
    if (proto !== Proto.UDP && proto !== Proto.TCP && proto !== Proto.TCP_TRANSIENT && proto !== Proto.TCP_INBOUND) {
      throw new ConfigError(
        ErrorCode.BAD_PROTO,
        `proto must be 'udp', 'tcp', 'tcp_transient' or 'tcp_inbound', got ${String(proto)}`,
      );
    }
    const old = this.peers.get(node);
    if (old !== undefined) this.drop_peer(old, 'ECONNABORTED');
    this.peers.set(node, {
      node,
      address: { host, port },
      proto,
      conn: -1,
      state: 'idle',
      outbox: new Outbox(this.config.pending_bytes_max),
      writing: null,
      flush_scheduled: false,
      failures: 0,
      timer: -1,
      ever_open: false,
      blocked: false,
      dialed_in: -1,
      retiring: -1,
      retire_timer: -1,
    });
  }

  /** The address of `node`, or undefined. */
  remote(node: number): { address: Address; proto: Proto } | undefined {
    const peer = this.peers.get(node);
    return peer === undefined ? undefined : { address: peer.address, proto: peer.proto };
  }

  /**
   * Calls `callback` with every packet on arrival in the driver's own queue (it stays queued for
   * `recv`); null removes it. Packets go elsewhere while another packet receiver is set.
   */
  set_recv_callback(callback: ((packet: Packet) => void) | null): void {
    this.inbox.set_callback(callback);
  }

  /** PacketPort: DATA frames go to `receiver` as packets (null: to the driver's own queue again). */
  set_packet_receiver(receiver: PacketReceiver | null): void {
    this.packet_receiver = receiver ?? this.inbox;
  }

  /**
   * FramePort: every frame (DATA too) and every peer change go to `receiver` (the secure
   * channel); null gives DATA back to the packet receiver.
   */
  set_frame_receiver(receiver: FrameReceiver | null): void {
    this.frame_receiver = receiver;
  }

  /**
   * PacketPort: sends `bytes` (a remote message, which names its pids itself) as one DATA frame.
   * The pids are the secure channel's business; the clear wire carries them in the message.
   */
  send_packet(node: number, _src_pid: number, _dst_pid: number, bytes: Uint8Array): SendResult {
    return this.send_frame(node, FrameType.DATA, bytes);
  }

  /** FramePort: the largest payload a frame to `node` may carry (0 for an unknown node). */
  payload_bytes_max(node: number): number {
    const peer = this.peers.get(node);
    if (peer === undefined) return 0;
    return (peer.proto === Proto.UDP ? this.datagram_max : this.config.frame_bytes_max) - FRAME_HEADER_BYTES;
  }

  /** FramePort: bytes of frames `send_frame` to `node` takes now (a TCP peer's outbox room). */
  send_room(node: number): number {
    const peer = this.peers.get(node);
    if (peer === undefined || !this.running || this.lifecycle.ending) return 0;
    if (peer.proto === Proto.TCP_INBOUND && peer.state !== 'open') return 0;
    if (peer.proto === Proto.TCP || peer.proto === Proto.TCP_INBOUND) return peer.outbox.room_bytes;
    return Number.POSITIVE_INFINITY;
  }

  /** The state of a persistent TCP peer, or undefined for an unknown node. */
  peer_state(node: number): PeerState | undefined {
    return this.peers.get(node)?.state;
  }

  /** Bytes a peer has waiting to be written (queued, not yet handed to the socket). */
  pending_bytes(node: number): number {
    return this.peers.get(node)?.outbox.pending_bytes ?? 0;
  }

  /**
   * Sends `data` to `node` as one DATA frame. Resolves to `'success'` once it is written, or to a
   * named code at once if it cannot leave; rejects with `NetSystemError` on a socket failure.
   */
  send(node: number, data: Uint8Array): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      const result = this.send_nowait(node, data, (error) => (error === null ? resolve('success') : reject(error)));
      if (result !== 'success') resolve(result);
    });
  }

  /**
   * Sends without a promise: the result says whether the frame left (or was queued to leave);
   * `done`, if given, learns how the write ended.
   */
  send_nowait(node: number, data: Uint8Array, done: SendDone | null = null): SendResult {
    return this.send_frame(node, FrameType.DATA, data, done);
  }

  /**
   * Sends a frame of any type whose payload is `head` (if given) followed by `data`; both are
   * copied before this returns. The secure channel sends its frames through here.
   */
  send_frame(
    node: number,
    type: number,
    data: Uint8Array,
    done: SendDone | null = null,
    head: Uint8Array | null = null,
    messages = type === FrameType.DATA || type === FrameType.SEALED ? 1 : 0,
  ): SendResult {
    if (!this.running || this.lifecycle.ending) return this.refuse('not_running');
    const peer = this.peers.get(node);
    if (peer === undefined) return this.refuse('unknown_node');
    const bytes = FRAME_HEADER_BYTES + (head === null ? 0 : head.length) + data.length;
    if (bytes > this.config.frame_bytes_max) return this.refuse('message_too_large');
    if (peer.proto === Proto.UDP && bytes > this.datagram_max) return this.refuse('message_too_large');
    if (peer.proto === Proto.TCP || peer.proto === Proto.TCP_INBOUND) {
      if (peer.proto === Proto.TCP_INBOUND && peer.state !== 'open') return this.refuse('not_connected');
      if (!peer.outbox.append(type, this.local, data, done, head, messages)) {
        peer.blocked = true;
        return this.refuse('would_block');
      }
      if (peer.state === 'open') this.schedule_flush(peer);
      else if (peer.state === 'idle') this.connect(peer);
      return 'success';
    }
    const frame = this.arena.alloc(bytes); // The transport holds it until `done`: never reused.
    write_frame(frame, 0, type, this.local, data, head);
    if (peer.proto === Proto.UDP) this.send_datagram(peer, frame, done);
    else this.send_transient(peer, { frame, done });
    return 'success';
  }

  /**
   * FramePort: sends a frame back the way one from `node` came (`via`, as `on_frame` gave it):
   * to that UDP address, or on that TCP connection while it is open; by the peer's own route when
   * `via` is that route, or the connection has closed. The secure channel answers INITs here.
   */
  reply_frame(node: number, via: Address | number, type: number, data: Uint8Array): SendResult {
    if (!this.running || this.lifecycle.ending) return this.refuse('not_running');
    const peer = this.peers.get(node);
    if (peer === undefined) return this.refuse('unknown_node');
    const bytes = FRAME_HEADER_BYTES + data.length;
    if (typeof via === 'number') {
      if (via === peer.conn || !this.inbound.has(via)) return this.send_frame(node, type, data);
      if (bytes > this.config.frame_bytes_max) return this.refuse('message_too_large');
      const frame = this.arena.alloc(bytes);
      write_frame(frame, 0, type, this.local, data, null);
      const out: Outgoing = { frame, done: null };
      this.env.transport.write(via, frame, (error) => {
        if (error !== null) this.failed(out, error, 'write', node);
        else {
          this.counters.tcp_sent++;
          this.sent(out);
        }
      });
      return 'success';
    }
    if (peer.proto === Proto.UDP && same_address(via, peer.address)) return this.send_frame(node, type, data);
    if (bytes > this.datagram_max) return this.refuse('message_too_large');
    const frame = this.arena.alloc(bytes);
    write_frame(frame, 0, type, this.local, data, null);
    this.env.transport.send_datagram(via, frame, this.datagram_done);
    return 'success';
  }

  /** FramePort: the largest payload `reply_frame` may carry back by `via`. */
  reply_bytes_max(via: Address | number): number {
    return (typeof via === 'number' ? this.config.frame_bytes_max : this.datagram_max) - FRAME_HEADER_BYTES;
  }

  /**
   * FramePort: the secure channel proved that `node` sent a frame that came by `via`: the
   * connection is proven (off the strangers' limits). With `route` (a packet sealed under the
   * peer's session keys opened on it, not just a signature, which anyone may replay), a
   * connection the peer dialed in on becomes the peer's route when the peer has none that wins
   * over it (one connection per peer pair, docs/WIRE.md "One connection per pair"):
   * - a `tcp_inbound` peer, or a `tcp` peer with no connection of ours open or opening, is
   *   reached over it from now on (no dial);
   * - when both nodes dialed (a simultaneous dial), the connection dialed by the lower node id
   *   wins on both sides: the higher node takes the peer's connection and ends its own
   *   (`duplicate_connections_closed`), writing nothing more until that one has closed; the lower
   *   node keeps its own;
   * - a newer dial-in replaces an older one as the route (the older stays open, as any inbound
   *   connection, until it closes or times out).
   * Any other peer, or a connection of our own, changes nothing.
   */
  authenticated(node: number, via: Address | number, route: boolean): void {
    if (typeof via !== 'number') return;
    const conn = this.inbound.get(via);
    if (conn === undefined) return;
    if (!conn.proven) this.prove(conn);
    if (!route) return; // A signature may be replayed: it proves the bytes, not who sends on the connection.
    const peer = this.peers.get(node);
    if (peer === undefined || (peer.proto !== Proto.TCP_INBOUND && peer.proto !== Proto.TCP)) return;
    conn.node = node;
    peer.dialed_in = via;
    if (peer.conn === via) return;
    const ours_wins =
      peer.proto === Proto.TCP &&
      (peer.state === 'open' || peer.state === 'connecting') &&
      !this.inbound.has(peer.conn) &&
      this.local < node;
    if (!ours_wins) this.take_route(peer, via);
  }

  /**
   * Ends our open connection `old`, given up for the peer's: what was written on it still
   * arrives (a half-close), and the peer's end follows once it read it all; until then the
   * peer's frames wait (`flush`), so none overtakes one written on `old`.
   */
  private retire(peer: Peer, old: number): void {
    if (peer.retiring !== -1) this.retired(peer); // One at a time: an earlier one goes now.
    peer.retiring = old;
    this.env.transport.end(old);
    peer.retire_timer = this.env.timers.set(this.config.close_timeout_ms, () => {
      peer.retire_timer = -1;
      if (peer.retiring === old) this.env.transport.destroy(old); // Its close resumes the peer.
    });
  }

  /** The retired connection closed (or is dropped): frames to the peer may go again. */
  private retired(peer: Peer): void {
    const old = peer.retiring;
    peer.retiring = -1;
    if (peer.retire_timer !== -1) this.env.timers.clear(peer.retire_timer);
    peer.retire_timer = -1;
    if (this.conn_peer.get(old) === peer) this.conn_peer.delete(old);
    this.env.transport.destroy(old); // Closed already, or past its time.
    if (!peer.outbox.empty) this.schedule_flush(peer);
  }

  /** Takes the peer's open dial-in as its route instead of dialing, if it has one; whether it did. */
  private take_dial_in(peer: Peer): boolean {
    if (peer.dialed_in === -1 || peer.dialed_in === peer.conn) return false; // Open while set (`release_inbound`).
    this.take_route(peer, peer.dialed_in);
    return true;
  }

  /** Makes the inbound connection `via` the peer's route, giving up a connection of our own. */
  private take_route(peer: Peer, via: number): void {
    assert(this.inbound.has(via) && via !== peer.conn, 'take_route: a dial-in that is not the route yet');
    const old = peer.conn;
    if (old !== -1) {
      if (this.inbound.has(old) || peer.state === 'connecting') this.conn_peer.delete(old);
      if (!this.inbound.has(old)) {
        this.counters.duplicate_connections_closed++;
        if (peer.state === 'connecting')
          this.env.transport.destroy(old); // Nothing was written on it.
        else this.retire(peer, old); // Stays in `conn_peer`: its close comes to `on_closed`.
      }
    }
    if (peer.timer !== -1) this.env.timers.clear(peer.timer);
    peer.timer = -1;
    peer.failures = 0;
    peer.conn = via;
    this.conn_peer.set(via, peer);
    this.counters.inbound_routes++;
    this.set_state(peer, 'open');
    if (!peer.outbox.empty) this.schedule_flush(peer);
  }

  /**
   * PacketPort and FramePort: resolves when a frame to `node` may be queued again after
   * `would_block` (once the peer's outbox was handed to a write), at once if no send to it was
   * refused since, and also when the driver stops or the peer's queue is failed (the next send
   * says why). Only TCP peers have an outbox; UDP sends never meet `would_block`.
   */
  writable(node: number): Promise<void> {
    const peer = this.peers.get(node);
    if (peer === undefined || !peer.blocked || !this.running || this.lifecycle.ending) return Promise.resolve();
    return this.writers.wait(node);
  }

  /** The peer's outbox has room (it was taken, or failed): releases `writable`'s waits. */
  private unblock(peer: Peer): void {
    if (!peer.blocked) return;
    peer.blocked = false;
    this.writers.release(peer.node);
  }

  private refuse(result: Exclude<SendResult, 'success'>): SendResult {
    this.refused.set(result, (this.refused.get(result) ?? 0) + 1);
    return result;
  }

  /**
   * Counts how a datagram's send ended (one callback for every datagram nobody waits for); a
   * failed one is reported up (`report_failed`).
   */
  private readonly datagram_done = (error: string | null, frame: Uint8Array): void => {
    if (error === null) {
      this.counters.udp_sent++;
      this.counters.packets_sent++;
      this.counters.bytes_sent += frame.length;
    } else {
      this.send_errors.set(error, (this.send_errors.get(error) ?? 0) + 1);
      this.report_failed(frame);
    }
  };

  /** A datagram nobody waits for costs no closure; a waiter gets its own, after the counts. */
  private send_datagram(peer: Peer, frame: Uint8Array, done: SendDone | null): void {
    const tap = this.tap;
    if (done === null && tap === null) {
      this.env.transport.send_datagram(peer.address, frame, this.datagram_done);
      return;
    }
    this.env.transport.send_datagram(peer.address, frame, (error) => {
      this.datagram_done(error, frame);
      if (error !== null) tap?.lost_frames('driver', 'send_errors', frame, peer.node);
      done?.(error === null ? null : new NetSystemError(error, 'send', peer.node));
    });
  }

  /**
   * Frames accepted by `send_frame` that were not written (`bytes`: one or more whole frames):
   * the frame receiver hears of each, or the packet receiver of each DATA frame's sender, so the
   * sending process learns of it (PacketReceiver.on_send_failed).
   */
  private report_failed(bytes: Uint8Array): void {
    for_each_frame(bytes, (type, at, length) => {
      const payload = bytes.subarray(at, at + length);
      if (this.frame_receiver !== null) this.frame_receiver.on_frame_failed(type, payload);
      else if (type === FrameType.DATA && length >= RM_HEADER_BYTES)
        this.packet_receiver.on_send_failed(remote_src_pid(payload), 1);
    });
  }

  private sent(out: Outgoing): void {
    this.counters.packets_sent++;
    this.counters.bytes_sent += out.frame.length;
    out.done?.(null);
  }

  private failed(out: Outgoing, errno: string, syscall: string, node: number): void {
    this.send_errors.set(errno, (this.send_errors.get(errno) ?? 0) + 1);
    this.tap?.lost_frames('driver', 'send_errors', out.frame, node);
    this.report_failed(out.frame);
    out.done?.(new NetSystemError(errno, syscall, node));
  }

  private batch_sent(batch: Batch): void {
    this.counters.tcp_sent += batch.frames;
    this.counters.packets_sent += batch.frames;
    this.counters.bytes_sent += batch.bytes.length;
    if (batch.waiters !== null) for (const done of batch.waiters) done(null);
  }

  private batch_failed(batch: Batch, errno: string, syscall: string, node: number): void {
    this.send_errors.set(errno, (this.send_errors.get(errno) ?? 0) + batch.frames);
    this.tap?.lost_frames('driver', 'send_errors', batch.bytes, node);
    this.report_failed(batch.bytes);
    if (batch.waiters !== null) for (const done of batch.waiters) done(new NetSystemError(errno, syscall, node));
  }

  // -------------------------------------------------------------------------------------------
  // Persistent TCP.

  private set_state(peer: Peer, state: PeerState): void {
    if (peer.state === state) return;
    const was = peer.state;
    peer.state = state;
    if (this.frame_receiver !== null) {
      this.frame_receiver.on_peer_state(peer.node, state);
    } else if (was === 'open' || (was === 'connecting' && state === 'idle')) {
      // An open connection closed, or the last connect attempt failed: the session is lost.
      this.packet_receiver.on_peer_lost(peer.node);
    }
  }

  private connect(peer: Peer): void {
    if (this.take_dial_in(peer)) return; // The peer's own connection is open: no need to dial.
    if (peer.proto === Proto.TCP_INBOUND) {
      // Nothing to dial: what waits fails, and the peer is reached again when it dials in.
      this.set_state(peer, 'idle');
      for (const batch of peer.outbox.drain()) this.batch_failed(batch, 'ENOTCONN', 'write', peer.node);
      this.unblock(peer);
      this.check_drained();
      return;
    }
    this.set_state(peer, 'connecting');
    peer.conn = this.env.transport.connect(peer.address);
    this.conn_peer.set(peer.conn, peer);
  }

  private schedule_flush(peer: Peer): void {
    if (peer.flush_scheduled) return;
    peer.flush_scheduled = true;
    this.env.timers.defer(() => {
      peer.flush_scheduled = false;
      this.flush(peer);
    });
  }

  /** Writes the outbox's next batch, unless a write is in flight (it continues when that ends). */
  private flush(peer: Peer): void {
    if (peer.state !== 'open' || peer.writing !== null || peer.retiring !== -1) return;
    const batch = peer.outbox.take();
    if (batch === null) return;
    peer.writing = batch;
    this.unblock(peer); // The outbox is empty again: senders waiting in `writable` may go on.
    const conn = peer.conn;
    this.env.transport.write(conn, batch.bytes, (error) => this.written(peer, conn, batch, error));
  }

  private written(peer: Peer, conn: number, batch: Batch, error: string | null): void {
    if (peer.writing === batch) peer.writing = null;
    if (error === null) {
      this.batch_sent(batch);
      peer.outbox.recycle(batch);
      this.flush(peer);
      this.check_drained();
      return;
    }
    if (!RECONNECT_ERRORS.has(error) || !this.running || batch.retried) {
      this.batch_failed(batch, error, 'write', peer.node);
      this.flush(peer);
      this.check_drained();
      return;
    }
    // Retry once: the batch goes back first in line, ahead of anything sent since.
    this.counters.retries += batch.frames;
    peer.outbox.retry(batch);
    if (peer.conn === conn && peer.state === 'open') {
      // The socket reported the failed write before (or instead of) closing: reopen now.
      this.conn_peer.delete(conn);
      if (this.inbound.has(conn))
        this.forget_inbound(conn); // A dial-in route: not to be taken again.
      else this.env.transport.destroy(conn);
      peer.conn = -1;
      this.reopen(peer);
    } else if (peer.state === 'idle') {
      // It closed first (with nothing waiting then); the frames to retry are waiting now.
      this.reopen(peer);
    } else {
      this.flush(peer); // Already reopened: the retry leaves now.
    }
  }

  private reopen(peer: Peer): void {
    this.connect(peer);
  }

  // -------------------------------------------------------------------------------------------
  // Transient TCP: a connection per frame.

  private send_transient(peer: Peer, out: Outgoing): void {
    const conn = this.env.transport.connect(peer.address);
    this.transient.set(conn, { node: peer.node, out, written: false });
  }

  // -------------------------------------------------------------------------------------------
  // Transport events.

  private on_open(conn: number, inbound: boolean, from_host = ''): void {
    if (inbound) {
      const from_address = this.inbound_per_address.get(from_host) ?? 0;
      if (from_address >= this.config.tcp_connections_per_address_max && !this.evict_unproven(from_host)) {
        this.counters.connections_refused_per_address++;
        this.env.transport.destroy(conn);
        return;
      }
      if (this.inbound.size >= this.config.tcp_connections_max && !this.evict_unproven(null)) {
        this.counters.connections_refused++;
        this.env.transport.destroy(conn);
        return;
      }
      this.counters.accepted++;
      this.decoders.set(conn, this.decoder(conn));
      this.inbound.set(conn, {
        address: from_host,
        proven: false,
        held: 0,
        idle_sweeps: 0,
        stuck_sweeps: 0,
        frames_seen: 0,
        node: 0,
      });
      this.inbound_per_address.set(from_host, (this.inbound_per_address.get(from_host) ?? 0) + 1);
      this.arm_sweep();
      return;
    }
    const pending = this.transient.get(conn);
    if (pending !== undefined) {
      this.env.transport.write(conn, pending.out.frame, (error) => {
        if (error === null) {
          pending.written = true;
          this.counters.tcp_sent++;
          this.sent(pending.out);
        } else {
          this.failed(pending.out, error, 'write', pending.node);
        }
        this.env.transport.end(conn);
      });
      return;
    }
    const peer = this.conn_peer.get(conn);
    if (peer === undefined || peer.conn !== conn) {
      this.env.transport.destroy(conn); // A connection we no longer want.
      return;
    }
    this.counters.connects++;
    if (peer.ever_open) this.counters.reconnects++;
    peer.ever_open = true;
    this.set_state(peer, 'open');
    peer.failures = 0;
    this.decoders.set(conn, this.decoder(conn));
    if (!peer.outbox.empty) this.schedule_flush(peer);
  }

  private on_closed(conn: number, error: string | null): void {
    this.release_inbound(conn);
    const decoder = this.decoders.get(conn);
    // The peer closed in the middle of a frame: its bytes so far are thrown away, counted.
    if (decoder !== undefined && decoder.buffered > 0) this.counters.cut_frames++;
    this.decoders.delete(conn);
    const pending = this.transient.get(conn);
    if (pending !== undefined) {
      this.transient.delete(conn);
      if (!pending.written && error !== null) {
        this.connect_failures.set(error, (this.connect_failures.get(error) ?? 0) + 1);
        this.failed(pending.out, error, 'connect', pending.node);
      }
      this.check_drained();
      return;
    }
    const peer = this.conn_peer.get(conn);
    if (peer !== undefined && peer.retiring === conn) {
      this.retired(peer);
      return;
    }
    this.conn_peer.delete(conn);
    if (peer === undefined || peer.conn !== conn) return;
    peer.conn = -1;
    if (peer.state === 'connecting') {
      this.connect_failed(peer, error ?? 'ECONNRESET');
    } else if (peer.state === 'open') {
      this.set_state(peer, 'idle');
      if (!peer.outbox.empty && this.running) this.reopen(peer);
    }
  }

  private connect_failed(peer: Peer, error: string): void {
    this.connect_failures.set(error, (this.connect_failures.get(error) ?? 0) + 1);
    peer.failures++;
    if (!this.running) {
      this.set_state(peer, 'idle');
      return;
    }
    if (this.take_dial_in(peer)) return; // The peer's own connection is open: no need to retry.
    if (peer.failures >= this.config.reconnect_attempts_max) {
      // Give up for now: what waits fails with the errno; the next send starts afresh.
      this.set_state(peer, 'idle');
      peer.failures = 0;
      for (const batch of peer.outbox.drain()) this.batch_failed(batch, error, 'connect', peer.node);
      this.unblock(peer);
      this.check_drained();
      return;
    }
    const delay_ms = Math.min(
      this.config.reconnect_delay_ms_max,
      this.config.reconnect_delay_ms_min * 2 ** (peer.failures - 1),
    );
    this.counters.backoffs++;
    this.set_state(peer, 'backoff');
    peer.timer = this.env.timers.set(delay_ms, () => {
      peer.timer = -1;
      if (this.running && peer.state === 'backoff') this.connect(peer);
    });
  }

  /** The stream decoder of connection `conn`: frames go to `on_frame`. */
  private decoder(conn: number): FrameDecoder {
    // DATA payloads are views of the transport's chunks or of buffers the decoder gives away:
    // queued as they are, never copied. Other frames go to the frame handler, which consumes
    // them during the call.
    return new FrameDecoder(this.config.frame_bytes_max, (header, payload) =>
      this.on_frame(header.type, header.src_node, payload, conn),
    );
  }

  private on_data(conn: number, bytes: Uint8Array): void {
    const decoder = this.decoders.get(conn);
    if (decoder === undefined) return;
    const status = decoder.push(bytes);
    if (status !== FrameStatus.OK) {
      this.count_malformed(status);
      this.counters.desyncs++;
      this.release_inbound(conn);
      this.decoders.delete(conn);
      this.env.transport.destroy(conn);
      return;
    }
    // Looked up after the push: a frame in it may have proved the connection meanwhile.
    const inbound = this.inbound.get(conn);
    if (inbound === undefined) return;
    inbound.idle_sweeps = 0;
    if (inbound.proven) return;
    if (this.frame_receiver === null && decoder.frames > 0) {
      this.prove(inbound); // A clear driver has nothing stronger to go on than a whole frame.
      return;
    }
    const held = decoder.gathering_bytes;
    this.unproven_bytes += held - inbound.held;
    inbound.held = held;
    if (this.unproven_bytes > this.config.tcp_unproven_bytes_max) this.shed_unproven();
  }

  private on_datagram(bytes: Uint8Array, from: Address): void {
    const header = this.datagram_header;
    const status = read_datagram(bytes, this.config.frame_bytes_max, header);
    if (status !== FrameStatus.OK) {
      this.count_malformed(status);
      return;
    }
    this.on_frame(
      header.type,
      header.src_node,
      bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + header.length),
      from,
    );
  }

  /** A handshake from a registered peer by another protocol than its own is counted (it is answered the way it came). */
  private check_route(src_node: number, via: Address | number): void {
    const peer = this.peers.get(src_node);
    if (peer === undefined) return;
    const by_udp = typeof via !== 'number';
    if (by_udp !== (peer.proto === Proto.UDP)) this.counters.off_route_handshakes++;
  }

  private count_malformed(status: FrameStatus): void {
    const name = FRAME_STATUS_NAMES[status] ?? `status_${status}`;
    this.malformed.set(name, (this.malformed.get(name) ?? 0) + 1);
  }

  private on_frame(type: number, src_node: number, payload: Uint8Array, via: Address | number): void {
    if (type === FrameType.HANDSHAKE) this.check_route(src_node, via);
    if (this.frame_receiver !== null) {
      this.frame_receiver.on_frame(type, src_node, payload, via);
      return;
    }
    if (type !== FrameType.DATA) {
      this.counters.unhandled_frames++;
      if (type === FrameType.SEALED) this.tap?.lost_sealed('driver', 'unhandled_frames', payload, src_node);
      return;
    }
    this.counters.packets_received++;
    this.counters.bytes_received += payload.length;
    this.packet_receiver.on_packet(src_node, remote_src_pid(payload), remote_dst_pid(payload), payload);
  }

  // -------------------------------------------------------------------------------------------
  // The queue.

  /** The next packet in the driver's own queue (the spec's `net::recv`), or null. */
  recv(): Packet | null {
    return this.inbox.recv();
  }

  /** Puts a packet back at the front of the driver's queue (a consumer that could not take it yet). */
  requeue(packet: Packet): void {
    this.inbox.requeue(packet);
  }

  /** Packets waiting. */
  get queued(): number {
    return this.inbox.length;
  }

  /** Clears the receive queue (the spec's `net::reset`); the discarded packets are counted. */
  reset(): void {
    this.inbox.reset();
  }

  // -------------------------------------------------------------------------------------------
  // Shutdown.

  private drop_peer(peer: Peer, errno: string): void {
    if (peer.timer !== -1) this.env.timers.clear(peer.timer);
    peer.timer = -1;
    if (peer.conn !== -1) {
      this.conn_peer.delete(peer.conn);
      this.env.transport.destroy(peer.conn);
      peer.conn = -1;
    }
    if (peer.retiring !== -1) this.retired(peer);
    this.set_state(peer, 'idle');
    for (const batch of peer.outbox.drain()) this.batch_failed(batch, errno, 'write', peer.node);
    this.unblock(peer);
  }

  /**
   * Drains and stops: refuses new sends, waits until every persistent peer's outbox has been
   * written (or has failed), at most `close_timeout_ms`, then stops everything as `destroy`.
   * Idempotent; a `destroy()` meanwhile cuts the wait short.
   */
  close(): Promise<void> {
    return this.lifecycle.close(
      () => this.drained(),
      () => this.stop(),
    );
  }

  /** Stops everything now: timers, connections, sockets; what waits to be written fails with ESHUTDOWN. Idempotent. */
  destroy(): Promise<void> {
    return this.lifecycle.destroy(() => this.stop());
  }

  /** The spec's `net::shutdown`: `destroy()`. */
  shutdown(): Promise<void> {
    return this.destroy();
  }

  /** Resolves once nothing waits to be written, or after `close_timeout_ms`. */
  private drained(): Promise<void> {
    if (!this.running || this.idle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.env.timers.set(this.config.close_timeout_ms, () => {
        this.on_drained = null;
        resolve();
      });
      this.on_drained = () => {
        this.env.timers.clear(timer);
        this.on_drained = null;
        resolve();
      };
    });
  }

  /** Whether no frame waits to be written (persistent outboxes empty, no write or transient send in flight). */
  private idle(): boolean {
    if (this.transient.size > 0) return false;
    for (const peer of this.peers.values()) if (peer.writing !== null || !peer.outbox.empty) return false;
    return true;
  }

  /** After a write or a connection ends: tells a draining `close` when nothing is left. */
  private check_drained(): void {
    if (this.on_drained !== null && this.idle()) this.on_drained();
  }

  private async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const peer of this.peers.values()) this.drop_peer(peer, 'ESHUTDOWN');
    for (const [conn, pending] of this.transient) {
      if (!pending.written) this.failed(pending.out, 'ESHUTDOWN', 'write', pending.node);
      this.env.transport.destroy(conn);
    }
    this.transient.clear();
    this.decoders.clear();
    this.inbound.clear();
    this.inbound_per_address.clear();
    this.unproven_bytes = 0;
    if (this.sweep_timer !== -1) this.env.timers.clear(this.sweep_timer);
    this.sweep_timer = -1;
    this.peers.clear();
    this.writers.release_all();
    this.udp_state_at_close = this.read_udp_state();
    await this.env.transport.close();
    this.inbox.clear();
  }

  // -------------------------------------------------------------------------------------------
  // The connection sweep: idle and stuck inbound connections.

  /**
   * Closes the oldest unproven inbound connection (from `address`, or from anywhere with null),
   * counted; false if there is none.
   */
  private evict_unproven(address: string | null): boolean {
    for (const [conn, state] of this.inbound) {
      if (state.proven || (address !== null && state.address !== address)) continue;
      this.forget_inbound(conn);
      this.counters.connections_evicted++;
      return true;
    }
    return false;
  }

  /** Closes the oldest unproven connections holding bytes until they all fit the node's budget. */
  private shed_unproven(): void {
    for (const [conn, state] of this.inbound) {
      if (this.unproven_bytes <= this.config.tcp_unproven_bytes_max) break;
      if (state.proven || state.held === 0) continue;
      this.forget_inbound(conn);
      this.counters.closed_over_budget++;
    }
    assert(this.unproven_bytes <= this.config.tcp_unproven_bytes_max, 'unproven bytes within their budget');
  }

  /** A frame from this connection was authenticated: its bytes no longer count against the budget. */
  private prove(state: InboundConn): void {
    this.unproven_bytes -= state.held;
    state.held = 0;
    state.proven = true;
  }

  /** Forgets an inbound connection's limits state (its address's count, its unproven bytes). */
  private release_inbound(conn: number): void {
    const state = this.inbound.get(conn);
    if (state === undefined) return;
    this.inbound.delete(conn);
    this.unproven_bytes -= state.held;
    if (state.node !== 0) {
      const peer = this.peers.get(state.node);
      if (peer !== undefined && peer.dialed_in === conn) peer.dialed_in = -1;
    }
    const left = (this.inbound_per_address.get(state.address) ?? 1) - 1;
    if (left === 0) this.inbound_per_address.delete(state.address);
    else this.inbound_per_address.set(state.address, left);
  }

  /** Drops an inbound connection's state and closes it. */
  private forget_inbound(conn: number): void {
    this.release_inbound(conn);
    this.decoders.delete(conn); // A partial frame goes with it, counted by the caller, not as cut.
    this.env.transport.destroy(conn);
  }

  /** Starts the sweep while there are inbound connections and a timeout to enforce. */
  private arm_sweep(): void {
    if (this.sweep_timer !== -1 || this.sweep_ms === 0 || this.inbound.size === 0) return;
    this.sweep_timer = this.env.timers.set(this.sweep_ms, this.sweep);
  }

  /** Closes what was idle, or stuck in a frame, for a timeout's worth of sweeps (each counted). */
  private readonly sweep = (): void => {
    this.sweep_timer = -1;
    if (!this.running) return;
    const { tcp_idle_timeout_ms: idle_ms, frame_assembly_timeout_ms: assembly_ms } = this.config;
    for (const [conn, state] of this.inbound) {
      state.idle_sweeps++;
      const decoder = this.decoders.get(conn);
      if (decoder !== undefined && decoder.buffered > 0 && decoder.frames === state.frames_seen) state.stuck_sweeps++;
      else state.stuck_sweeps = 0;
      if (decoder !== undefined) state.frames_seen = decoder.frames;
      let counter: 'closed_idle' | 'closed_assembly_timeout' | null = null;
      if (assembly_ms > 0 && state.stuck_sweeps * this.sweep_ms >= assembly_ms) counter = 'closed_assembly_timeout';
      else if (idle_ms > 0 && !state.proven && state.idle_sweeps * this.sweep_ms >= idle_ms) counter = 'closed_idle';
      if (counter === null) continue;
      this.counters[counter]++;
      this.forget_inbound(conn);
    }
    this.arm_sweep();
  };

  private partial_frames(): { partial_frame_bytes: number; gathering_bytes: number } {
    let partial_frame_bytes = 0;
    let gathering_bytes = 0;
    for (const decoder of this.decoders.values()) {
      partial_frame_bytes += decoder.buffered;
      gathering_bytes += decoder.gathering_bytes;
    }
    return { partial_frame_bytes, gathering_bytes };
  }

  private outbox_data_messages(): number {
    let frames = 0;
    for (const peer of this.peers.values()) frames += peer.outbox.pending_data_messages;
    return frames;
  }

  /** The UDP socket's receive state: read from the transport while bound, else as it was at `close`. */
  private udp_receive(): Pick<NetStats, 'udp_receive_buffer_bytes' | 'udp_receive_overflow'> {
    const state = this.running ? this.read_udp_state() : this.udp_state_at_close;
    return { udp_receive_buffer_bytes: state.buffer_bytes, udp_receive_overflow: state.dropped };
  }

  private read_udp_state(): UdpReceiveState {
    return this.env.transport.udp_receive_state?.() ?? { buffer_bytes: 0, dropped: null };
  }

  /** A snapshot of the counters. */
  stats(): NetStats {
    return {
      node: this.local,
      port: this.bound_port,
      ...this.counters,
      malformed: Object.fromEntries(this.malformed),
      queue_dropped_oldest: this.inbox.dropped_oldest,
      queue_dropped_newest: this.inbox.dropped_newest,
      reset_discarded: this.inbox.reset_discarded,
      refused: Object.fromEntries(this.refused),
      connect_failures: Object.fromEntries(this.connect_failures),
      send_errors: Object.fromEntries(this.send_errors),
      queued: this.inbox.length,
      inbound_connections: this.inbound.size,
      outbox_data_messages: this.outbox_data_messages(),
      ...this.partial_frames(),
      unproven_bytes: this.unproven_bytes,
      ...this.udp_receive(),
    };
  }
}

/** Smallest receive buffer that may be asked for (below it a 1500-byte datagram may not fit at all). */
const UDP_RECEIVE_BUFFER_BYTES_MIN = 4096;

/** `udp_receive_buffer_bytes`: 0 (the OS default), or a size in [4 KiB, 1 GiB]. */
function udp_buffer(value: unknown): number {
  if (value === 0) return 0;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < UDP_RECEIVE_BUFFER_BYTES_MIN ||
    value > 1 << 30
  ) {
    throw new ConfigError(
      ErrorCode.BAD_LIMIT,
      `udp_receive_buffer_bytes must be 0 (the OS default) or an integer in [${UDP_RECEIVE_BUFFER_BYTES_MIN}, ${1 << 30}], got ${String(value)}`,
    );
  }
  return value;
}

function validate(config: NetConfig): { node_id: number; rest: Required<Omit<NetConfig, 'node_id'>> } {
  const int = (name: keyof NetConfig, min: number, max: number): number => {
    const value = config[name] ?? (DEFAULTS as Record<string, unknown>)[name] ?? 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        name === 'port' ? ErrorCode.BAD_PORT : ErrorCode.BAD_LIMIT,
        `${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      );
    }
    return value;
  };
  const overflow = config.overflow ?? DEFAULTS.overflow;
  if (overflow !== Overflow.DROP_OLDEST && overflow !== Overflow.DROP_NEWEST) {
    throw new ConfigError(ErrorCode.BAD_OPTION, `overflow must be DROP_OLDEST or DROP_NEWEST, got ${String(overflow)}`);
  }
  const host = config.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0)
    throw new ConfigError(ErrorCode.BAD_ADDRESS, 'host must be a non-empty address');
  const rest = {
    host,
    port: int('port', 0, 65535),
    max_queue: int('max_queue', 1, QUEUE_CAPACITY_MAX),
    overflow,
    frame_bytes_max: int('frame_bytes_max', FRAME_HEADER_BYTES + 64, FRAME_BYTES_LIMIT),
    mtu_bytes: int('mtu_bytes', MTU_BYTES_MIN, 65_535),
    pending_bytes_max: int('pending_bytes_max', 1024, 1 << 30),
    reconnect_delay_ms_min: int('reconnect_delay_ms_min', 1, 60_000),
    reconnect_delay_ms_max: int('reconnect_delay_ms_max', 1, 600_000),
    reconnect_attempts_max: int('reconnect_attempts_max', 1, 1000),
    close_timeout_ms: int('close_timeout_ms', 0, 600_000),
    tcp_connections_max: int('tcp_connections_max', 1, 1 << 20),
    tcp_connections_per_address_max: int('tcp_connections_per_address_max', 1, 1 << 20),
    tcp_unproven_bytes_max: int('tcp_unproven_bytes_max', 64 << 10, 1 << 30),
    tcp_idle_timeout_ms: int('tcp_idle_timeout_ms', 0, 86_400_000),
    frame_assembly_timeout_ms: int('frame_assembly_timeout_ms', 0, 86_400_000),
    udp_receive_buffer_bytes: udp_buffer(config.udp_receive_buffer_bytes ?? DEFAULTS.udp_receive_buffer_bytes),
  };
  if (rest.tcp_unproven_bytes_max < rest.frame_bytes_max) {
    throw new ConfigError(
      ErrorCode.BAD_LIMIT,
      "tcp_unproven_bytes_max must be at least frame_bytes_max (a peer's first frame must fit)",
    );
  }
  if (rest.reconnect_delay_ms_max < rest.reconnect_delay_ms_min) {
    throw new ConfigError(ErrorCode.BAD_LIMIT, 'reconnect_delay_ms_max must be at least reconnect_delay_ms_min');
  }
  return { node_id: int('node_id', 0, 0x7fff_ffff), rest };
}

/** Whether two addresses name the same endpoint. */
function same_address(a: Address, b: Address): boolean {
  return a.port === b.port && a.host === b.host;
}
