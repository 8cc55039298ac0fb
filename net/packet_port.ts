/**
 * The typed ports between the network's layers. Each layer is entered once per direction:
 *
 *   kernel ⇄ NetworkServer ⇄ PacketPort ⇄ SecureChannel ⇄ FramePort ⇄ NetDriver ⇄ Transport
 *                                      ╰──────────── or the NetDriver itself ─────────────╯
 *
 * - A `PacketPort` carries packets (remote messages, remote_message.ts) between two nodes'
 *   pids. Down: `send_packet(node, src_pid, dst_pid, bytes)` with a result code. Up: the
 *   `PacketReceiver` hook, with the same fields. The pids travel as arguments: no layer below
 *   reads them out of the bytes it was given. The clear driver implements it (a packet is one
 *   DATA frame), and so does the secure channel (a packet is one SEALED frame, the pids in its
 *   authenticated header).
 * - A `FramePort` carries frames of any type (frame.ts): the driver implements it, and the
 *   secure channel is its receiver. Down: `send_frame`; up: the `FrameReceiver` hook, with peer
 *   state changes.
 *
 * Everything here runs on the thread that owns the driver. Every layer counts its own drops in
 * its own counters; nothing above reaches below the port it holds.
 */
import type { SendDone } from './outbox.js';
import type { Address } from './transport.js';

/** The result of a send (errc style): success, or why it did not leave. */
export type SendResult =
  | 'success'
  /** No `add_remote` (or no pinned key) for that node. */
  | 'unknown_node'
  /** The frame is over `frame_bytes_max`, or, for a UDP peer, over the datagram `mtu_bytes` allows. */
  | 'message_too_large'
  /** The peer's outbox (or the secure channel's queue) is full: retry later. */
  | 'would_block'
  /** The port is not running (before `init`, after `shutdown` or `close`). */
  | 'not_running'
  /** A peer that only dials in (`tcp_inbound`) has no connection open to it now. */
  | 'not_connected';

/** The state of a persistent TCP peer. */
export type PeerState = 'idle' | 'connecting' | 'open' | 'backoff';

/** What a `PacketPort` hands up. Every call runs on the port's thread. */
export interface PacketReceiver {
  /**
   * A packet from `src_pid` on `src_node` to local `dst_pid`. `bytes` is the receiver's from now
   * on (the port never reuses it). The pids are the port's: the secure channel's come from the
   * authenticated header; the clear driver's from the remote message's own fields.
   */
  on_packet(src_node: number, src_pid: number, dst_pid: number, bytes: Uint8Array): void;
  /**
   * The session to `node` was lost (its connection closed, or a new session must be made):
   * what was in flight may never arrive, and nothing sent before will be answered on it.
   */
  on_peer_lost(node: number): void;
  /**
   * `count` packets from local `src_pid`, which `send_packet` had accepted, will never leave:
   * their write failed, or the handshake they waited for gave up. Each was also counted by the
   * layer that lost it.
   */
  on_send_failed(src_pid: number, count: number): void;
}

/** Packets between pids of two nodes. */
export interface PacketPort {
  /** This node's id. */
  local_node(): number;
  /**
   * Sends `bytes` (a remote message) from local `src_pid` to `dst_pid` on `node`. The bytes are
   * copied (or sealed) before this returns. `success` once handed over or queued to leave.
   */
  send_packet(node: number, src_pid: number, dst_pid: number, bytes: Uint8Array): SendResult;
  /**
   * Resolves when a send to `node` may succeed again after `would_block` (its queue has room),
   * at once when nothing is blocked, and also when retrying is pointless (the port stopped, the
   * peer was dropped): the next send says why. Never rejects.
   */
  writable(node: number): Promise<void>;
  /** Where packets and peer losses go (null: the port's own default, if any). */
  set_packet_receiver(receiver: PacketReceiver | null): void;
}

/** What a `FramePort` hands up. Every call runs on the driver's thread. */
export interface FrameReceiver {
  /**
   * A checked frame of `type` from `src_node`. A DATA or SEALED payload is the receiver's: it may
   * be kept and changed (the secure channel opens a record in place); any other payload is valid
   * only during the call (copy what must outlive it). `via` is the UDP sender's address or the
   * TCP connection it came on.
   */
  on_frame(type: number, src_node: number, payload: Uint8Array, via: Address | number): void;
  /** A persistent TCP peer changed state (connects, reconnects, failures). */
  on_peer_state(node: number, state: PeerState): void;
  /**
   * A frame of `type` that `send_frame` had accepted was not written (its write or connect
   * failed); `payload` is valid only during the call.
   */
  on_frame_failed(type: number, payload: Uint8Array): void;
}

/** Frames of any type to and from registered peers. */
export interface FramePort {
  /** This node's id. */
  local_node(): number;
  /**
   * Sends a frame of `type` whose payload is `head` (if given) followed by `data`; both are
   * copied before this returns. `done`, if given, learns how the write ended. `messages`: the
   * data messages the frame carries, for the port's counts of what waits (default 1 for DATA
   * and SEALED frames, 0 for others; a secure record says how many it holds).
   */
  send_frame(
    node: number,
    type: number,
    data: Uint8Array,
    done?: SendDone | null,
    head?: Uint8Array | null,
    messages?: number,
  ): SendResult;
  /**
   * Bytes of frames, headers included, that `send_frame` to `node` accepts now before it says
   * `would_block` (room in a TCP peer's outbox; `Infinity` where nothing waits, as for UDP; 0
   * for an unknown node or a dial-in peer with no connection). A layer that gathers messages
   * into one frame keeps it within this.
   */
  send_room(node: number): number;
  /** As `PacketPort.writable`: resolves when a frame to `node` may be queued again. */
  writable(node: number): Promise<void>;
  /**
   * The largest payload one frame to `node` may carry, its header excluded: `frame_bytes_max`
   * for a TCP peer, the datagram `mtu_bytes` allows for a UDP peer; 0 for an unknown node.
   */
  payload_bytes_max(node: number): number;
  /**
   * Sends a frame back the way one from `node` came (`via`, as `on_frame` gave it): to that UDP
   * address, or on that TCP connection while it is open, else by the peer's own route.
   */
  reply_frame(node: number, via: Address | number, type: number, data: Uint8Array): SendResult;
  /** The largest payload `reply_frame` may carry back by `via`, its header excluded. */
  reply_bytes_max(via: Address | number): number;
  /**
   * The layer above proved that `node` sent a frame that came by `via`: it carried the peer's
   * signature, or (`route`) it opened under the peer's session keys. The connection is proven
   * either way; only `route` makes a connection the peer dialed in on its route (a signature
   * can be replayed by anyone, a packet under the session's keys cannot be made by them).
   */
  authenticated(node: number, via: Address | number, route: boolean): void;
  /** Takes every frame and peer change from now on (null: the port handles DATA itself again). */
  set_frame_receiver(receiver: FrameReceiver | null): void;
}
