/**
 * The network server: where a node's kernel meets its packet port (the spec's "Distributed
 * Operation" pipeline and `lattice::poll_network`). It sees only the port (packet_port.ts): the
 * clear driver, or the secure channel over it.
 *
 * Out: `Kernel` routes an operation on a channel to another node to a `RemoteRouter`. On the
 * network core that router is this server: it encodes the message (remote_message.ts) and hands
 * it to the port, with the two pids as arguments. On other cores an `EgressRouter`
 * (kernel/egress.ts) carries it to the node's network pid, whose inbox this server drains
 * (`pump_egress`): the network is a process, as in MINIX 3.
 *
 * In: the port hands every packet to the server's inbox (packet_inbox.ts, bounded, with the
 * node's overflow policy); `poll_network()` drains it into the kernel through a producer
 * attachment, at L3, where a blocked `recv` wakes. A payload over 64 bytes arrives in a slab
 * block. A packet the node cannot take yet (its rings full) stays first in the inbox; one that
 * can never be delivered is dropped and counted by reason, and when it was a call its caller is
 * told why (a REPLY with the status).
 *
 * Calls across nodes (remote_calls.ts): a CALL delivers the request with a remote reply
 * capability; the callee's `reply` comes back here and leaves as a REPLY, or, if the callee
 * exits first, DEAD_PEER does. On the caller's node a REPLY lands in the caller's reply slot,
 * from the node the call went to only; a lost session to that node fails the calls waiting on
 * it with DEAD_PEER. A NOTIFY ORs its bits into the receiver's notification word.
 *
 * With `auto_poll`, packets are delivered as they arrive; without it (the spec's example),
 * nothing enters the node until someone calls `poll_network`.
 */
import { assert } from '../kernel/assert.js';
import type { Destination } from '../kernel/channel_table.js';
import {
  EgressKind,
  NET_SIGNAL_ORPHANED,
  NET_SIGNAL_STOP,
  egress_call_gen,
  egress_call_seq,
  egress_call_slot,
  egress_channel,
  read_egress,
} from '../kernel/egress.js';
import { ErrorCode } from '../kernel/error_codes.js';
import { ConfigError } from '../kernel/errors.js';
import { Fastpath, IpcFlags } from '../kernel/fastpath.js';
import type { Kernel } from '../kernel/kernel.js';
import { CapKind } from '../kernel/layout/cap_layout.js';
import { SLOT_PAYLOAD_BYTES_MAX, SlotFlags } from '../kernel/layout/slot_layout.js';
import { Message } from '../kernel/message.js';
import { count_net_refused, deliver_reply, fail_caller, has_exited, signal } from '../kernel/process_table.js';
import type { RemoteRouter } from '../kernel/remote_router.js';
import { Status } from '../kernel/status.js';
import type { MessageTap } from './message_tap.js';
import { Overflow, PacketInbox, type Packet } from './packet_inbox.js';
import type { PacketPort, SendResult } from './packet_port.js';
import { QUEUE_CAPACITY_MAX } from './packet_queue.js';
import { INBOUND_CALLS_LIMIT, INBOUND_CALLS_MAX_DEFAULT, InboundCalls, OutboundCalls } from './remote_calls.js';
import {
  RM_CALL_HEADER_BYTES,
  RemoteKind,
  decode_remote_into,
  encode_kind_into,
  remote_header,
  remote_payload,
  rm_header_bytes,
} from './remote_message.js';
import type { Timers } from './transport.js';

/** Counters of a network server. */
export interface NetworkServerStats {
  /** Messages handed to the port, and refused by it, by result. */
  sent: number;
  send_refused: Record<string, number>;
  /**
   * Messages the port accepted and then lost (a write or connect that failed, a handshake that
   * gave up): each is added to its sending process's `Kernel.net_refused`, as is each egress
   * message refused here (`dropped.egress_refused`, a call excepted: its status tells the caller).
   */
  send_failed: number;
  /** Messages delivered into the node, and dropped on the way in, by reason. */
  delivered: number;
  dropped: Record<string, number>;
  /** Times delivery paused because the node's rings were full. */
  backpressured: number;
  /** Messages taken from the network pid's inbox (sent by other cores). */
  egress: number;
  /** Packets waiting in the inbox, and the inbox's overflow drops. */
  queued: number;
  queue_dropped_oldest: number;
  queue_dropped_newest: number;
  /** Packets discarded by `reset()`. */
  reset_discarded: number;
  /** Calls across nodes, both ends. */
  calls: RemoteCallStats;
  /** Notifications sent to and received from other nodes. */
  notifies_sent: number;
  notifies_received: number;
}

/** Counters of calls across nodes. */
export interface RemoteCallStats {
  /** Caller's end: calls sent, replies delivered, calls failed because their node's session was lost. */
  sent: number;
  replies_delivered: number;
  failed_peer_lost: number;
  /** Calls waiting for a reply from another node now. */
  waiting: number;
  /** Callee's end: calls delivered to local callees, replies sent, refusals sent (with their status), DEAD_PEER sent for orphaned calls. */
  served: number;
  replies_sent: number;
  refusals_sent: number;
  orphans_answered: number;
  /** Calls from other nodes being served now. */
  serving: number;
}

/** What a `NetworkServer` is built from: the kernel, its pid, the packet port, its limits. */
export interface NetworkServerOptions {
  /** Deliver packets as they arrive (default true). */
  readonly auto_poll?: boolean;
  /** The node's network pid: bound to the kernel's core; other cores send through it. */
  readonly net_pid?: number;
  /** Timers, to retry delivery after back-pressure (auto mode). */
  readonly timers?: Timers;
  /** Packets the inbox holds (default 4096) and what a full one drops (default DROP_OLDEST). */
  readonly max_queue?: number;
  readonly overflow?: Overflow;
  /** Calls from other nodes served at once (default 1024); more are refused with TABLE_FULL. */
  readonly calls_max?: number;
  /** Told of each data message taken from the kernel, put into it, or destroyed here (message_tap.ts). */
  readonly tap?: MessageTap | null;
}

const EMPTY_PAYLOAD = new Uint8Array(0);
/** How long auto mode waits before retrying delivery into full rings. */
const BACKPRESSURE_RETRY_MS = 1;
/** Packets one `poll_network` takes at most (it is called again for the rest). */
const POLL_BATCH_MAX = 4096;
/** Packets the inbox holds by default. */
const MAX_QUEUE_DEFAULT = 4096;

// What delivering one packet came to.
const DELIVERED = 0;
const RETRY_LATER = 1;
const DROPPED = 2;

/** Maps a port's result onto a kernel status. */
function status_of(result: SendResult): number {
  switch (result) {
    case 'success':
      return Status.OK;
    case 'unknown_node':
    case 'not_connected':
      return Status.NO_ROUTE;
    case 'message_too_large':
      return Status.TOO_BIG;
    case 'would_block':
      return Status.BACKPRESSURE;
    case 'not_running':
      return Status.CLOSED;
  }
}

/**
 * Joins a node's kernel to a packet port: carries messages, calls, replies and notifications to
 * and from other nodes, and counts every drop.
 */
export class NetworkServer implements RemoteRouter {
  readonly kernel: Kernel;
  readonly port: PacketPort;
  /** Where the port's packets wait for `poll_network`. */
  readonly inbox: PacketInbox;
  private readonly producer: Fastpath;
  private readonly auto_poll: boolean;
  /** The network pid, or -1 when other cores do not send through this server. */
  readonly net_pid: number;
  private readonly timers: Timers | null;
  private readonly tap: MessageTap | null;
  /** The payload of the packet being delivered (what an inbound drop destroys). */
  private packet_payload: Uint8Array = EMPTY_PAYLOAD;
  private readonly scratch = new Message();
  private readonly egress_message = new Message();
  private readonly destination: Destination = { node: 0, pid: 0 };
  private readonly outbound: OutboundCalls;
  private readonly inbound: InboundCalls;
  private poll_scheduled = false;
  private retry_timer = -1;
  private running = true;
  private closed: Promise<void> | null = null;
  private egress_loop: Promise<void> | null = null;
  private readonly counters = {
    sent: 0,
    delivered: 0,
    backpressured: 0,
    egress: 0,
    notifies_sent: 0,
    notifies_received: 0,
  };
  private readonly call_counters = {
    sent: 0,
    replies_delivered: 0,
    failed_peer_lost: 0,
    served: 0,
    replies_sent: 0,
    refusals_sent: 0,
    orphans_answered: 0,
  };
  private readonly send_refused = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  /** Where outbound inline messages are encoded (see `transmit`). */
  private readonly encode_scratch = new Uint8Array(RM_CALL_HEADER_BYTES + SLOT_PAYLOAD_BYTES_MAX);
  /** Views of `encode_scratch` by length, each made once. */
  private readonly scratch_views: (Uint8Array | undefined)[] = [];
  /** The header of the packet being delivered, and the node it came from. */
  private readonly header = remote_header();
  private packet_node = 0;

  /**
   * Connects `kernel` (of a core on this thread) to `port` (running on this thread). Attaches a
   * producer slot for delivery, becomes the port's packet receiver and the kernel's router.
   */
  constructor(kernel: Kernel, port: PacketPort, options: NetworkServerOptions = {}) {
    this.kernel = kernel;
    this.port = port;
    this.auto_poll = options.auto_poll ?? true;
    this.net_pid = options.net_pid ?? -1;
    this.timers = options.timers ?? null;
    if (this.auto_poll && this.timers === null) throw new ConfigError(ErrorCode.BAD_OPTION, 'auto_poll needs timers');
    const max_queue = options.max_queue ?? MAX_QUEUE_DEFAULT;
    if (!Number.isInteger(max_queue) || max_queue < 1 || max_queue > QUEUE_CAPACITY_MAX) {
      throw new ConfigError(
        ErrorCode.BAD_LIMIT,
        `max_queue must be an integer in [1, ${QUEUE_CAPACITY_MAX}], got ${String(max_queue)}`,
      );
    }
    const calls_max = options.calls_max ?? INBOUND_CALLS_MAX_DEFAULT;
    if (!Number.isInteger(calls_max) || calls_max < 1 || calls_max > INBOUND_CALLS_LIMIT) {
      throw new ConfigError(
        ErrorCode.BAD_LIMIT,
        `calls_max must be an integer in [1, ${INBOUND_CALLS_LIMIT}], got ${String(calls_max)}`,
      );
    }
    if (this.net_pid >= 0 && kernel.memory.core_of(this.net_pid) !== kernel.fastpath.core) {
      throw new ConfigError(
        ErrorCode.BAD_CORE,
        `net_pid ${this.net_pid} must be bound to the server's core ${kernel.fastpath.core}`,
      );
    }
    this.inbox = new PacketInbox(max_queue, options.overflow ?? Overflow.DROP_OLDEST);
    this.tap = options.tap ?? null;
    this.inbox.set_tap(this.tap, 'server');
    this.outbound = new OutboundCalls(kernel.memory.geometry.pids_max);
    this.inbound = new InboundCalls(calls_max);
    this.producer = Fastpath.attach_producer(kernel.memory, kernel.fastpath.env);
    if (this.auto_poll) this.inbox.set_callback(() => this.schedule_poll());
    this.inbox.set_lost_callback((node) => this.on_peer_lost(node));
    this.inbox.set_send_failed_callback((pid, count) => count_net_refused(kernel.memory, pid, count));
    port.set_packet_receiver(this.inbox);
    kernel.set_router(this);
    if (this.net_pid >= 0) this.egress_loop = this.serve_egress();
  }

  // -------------------------------------------------------------------------------------------
  // Out: the router of the network core.

  /**
   * Sends `m` from local `src` on `channel`. A payload block's bytes are copied into the packet
   * and the block is freed (the receiving node gets its own); if the send is refused the block
   * stays the sender's, as with a local send.
   */
  send_remote(src: number, channel: number, m: Message): number {
    const checked = this.kernel.fastpath.check_payload(m);
    if (checked < 0) return checked;
    const to = this.kernel.channels.destination(channel, this.destination);
    const status = this.transmit(RemoteKind.DATA, src, to.node, to.pid, m, 0, 0);
    if (status === Status.OK && m.block_offset !== 0) this.kernel.fastpath.free_block(m.block_offset);
    return status;
  }

  call_remote(src: number, channel: number, call_seq: number, m: Message): number {
    const checked = this.kernel.fastpath.check_payload(m);
    if (checked < 0) return checked;
    const to = this.kernel.channels.destination(channel, this.destination);
    const status = this.transmit(RemoteKind.CALL, src, to.node, to.pid, m, call_seq, 0);
    if (status !== Status.OK) return status;
    if (m.block_offset !== 0) this.kernel.fastpath.free_block(m.block_offset);
    this.outbound.add(src, to.node, call_seq);
    this.call_counters.sent++;
    return Status.OK;
  }

  notify_remote(src: number, channel: number, bits: number): number {
    const to = this.kernel.channels.destination(channel, this.destination);
    const m = this.scratch;
    m.clear();
    m.badge = bits;
    const status = this.transmit(RemoteKind.NOTIFY, src, to.node, to.pid, m, 0, 0);
    if (status === Status.OK) this.counters.notifies_sent++;
    return status;
  }

  reply_remote(src: number, call_slot: number, call_gen: number, m: Message): number {
    const inbound = this.inbound;
    if (!inbound.matches(call_slot, call_gen)) return Status.NO_CAP;
    if (m.block_offset !== 0 || m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX) return Status.TOO_BIG;
    const cap = inbound.cap_of(call_slot);
    const cap_gen = inbound.cap_gen_of(call_slot);
    assert(this.kernel.caps.kind(cap) === CapKind.REMOTE_ANSWERED, 'reply_remote: the capability was answered');
    const node = inbound.node_of(call_slot);
    const status = this.transmit(
      RemoteKind.REPLY,
      src,
      node,
      inbound.pid_of(call_slot),
      m,
      inbound.call_seq_of(call_slot),
      0,
    );
    if (status !== Status.OK) return status;
    this.kernel.caps.free_if(cap, cap_gen);
    inbound.close(call_slot);
    this.call_counters.replies_sent++;
    return Status.OK;
  }

  /** Answers, with DEAD_PEER, every call from another node whose callee let go of its reply right. */
  orphaned(): void {
    const inbound = this.inbound;
    const caps = this.kernel.caps;
    for (let slot = 0; slot < inbound.calls_max; slot++) {
      if (!inbound.live(slot)) continue;
      const cap = inbound.cap_of(slot);
      if (cap < 0 || caps.kind(cap) !== CapKind.REMOTE_ORPHANED) continue;
      if (!caps.free_if(cap, inbound.cap_gen_of(slot))) continue;
      this.refuse_call(
        caps.owner_pid(cap),
        inbound.node_of(slot),
        inbound.pid_of(slot),
        inbound.call_seq_of(slot),
        Status.DEAD_PEER,
      );
      inbound.close(slot);
      this.call_counters.orphans_answered++;
    }
  }

  /** Sends a REPLY carrying `status` (a refusal) from local `src` to `pid` on `node` for its call `call_seq`. */
  private refuse_call(src: number, node: number, pid: number, call_seq: number, status: number): void {
    const m = this.scratch;
    m.clear();
    if (this.transmit(RemoteKind.REPLY, src, node, pid, m, call_seq, status) === Status.OK)
      this.call_counters.refusals_sent++;
    else this.drop('refusal_refused');
  }

  private transmit(
    kind: RemoteKind,
    src: number,
    dst_node: number,
    dst_pid: number,
    m: Message,
    call_seq: number,
    status: number,
  ): number {
    // Inline payloads are encoded into one scratch buffer, through a view kept per length (the
    // port copies or seals before returning); block payloads get a buffer of their own.
    let encoded: Uint8Array;
    if (m.block_offset !== 0) {
      const payload = this.kernel.fastpath.block_view(m);
      encoded = new Uint8Array(rm_header_bytes(kind) + payload.length);
      encode_kind_into(encoded, kind, src, dst_pid, m, payload, payload.length, call_seq, status);
    } else {
      const length = Math.min(m.length, SLOT_PAYLOAD_BYTES_MAX);
      encoded = this.scratch_view(
        encode_kind_into(this.encode_scratch, kind, src, dst_pid, m, m.payload, length, call_seq, status),
      );
    }
    const result = this.port.send_packet(dst_node, src, dst_pid, encoded);
    if (result === 'success') {
      this.counters.sent++;
      this.tap?.taken(encoded);
      return Status.OK;
    }
    this.send_refused.set(result, (this.send_refused.get(result) ?? 0) + 1);
    this.tap?.lost('server', 'send_refused', encoded);
    return status_of(result);
  }

  private scratch_view(length: number): Uint8Array {
    let view = this.scratch_views[length];
    if (view === undefined) this.scratch_views[length] = view = this.encode_scratch.subarray(0, length);
    return view;
  }

  // -------------------------------------------------------------------------------------------
  // Out: what other cores sent through the network pid.

  /** Drains the network pid's inbox: messages other cores sent to other nodes. */
  pump_egress(limit = POLL_BATCH_MAX): number {
    let count = 0;
    const m = this.egress_message;
    const fastpath = this.kernel.fastpath;
    for (; count < limit; count++) {
      if (fastpath.recv(this.net_pid, m, IpcFlags.NONBLOCK) !== Status.OK) break;
      this.forward(m);
    }
    return count;
  }

  private forward(m: Message): void {
    const kind = read_egress(m);
    if (kind === EgressKind.NONE) {
      if ((m.flags & SlotFlags.NOTIFY) === 0) this.drop('not_egress');
      else if ((m.badge & NET_SIGNAL_ORPHANED) !== 0) this.orphaned();
      return;
    }
    this.counters.egress++;
    let status: number;
    if (kind === EgressKind.REPLY) {
      status = this.reply_remote(m.src_pid, egress_call_slot(m), egress_call_gen(m), m);
      if (status !== Status.OK) this.unanswered(egress_call_slot(m), egress_call_gen(m));
    } else {
      const channel = egress_channel(m);
      if (!this.kernel.channels.is_remote(channel)) {
        this.drop('egress_local');
        status = Status.OK;
      } else if (kind === EgressKind.SEND) {
        const to = this.kernel.channels.destination(channel, this.destination);
        status = this.transmit(RemoteKind.DATA, m.src_pid, to.node, to.pid, m, 0, 0);
      } else if (kind === EgressKind.CALL) {
        status = this.call_from_egress(m, channel);
      } else {
        status = this.notify_remote(m.src_pid, channel, m.badge);
      }
    }
    if (status !== Status.OK) {
      this.drop('egress_refused');
      // The sender's send returned OK on its own core: its own count tells it (Kernel.net_refused);
      // a caller was told already, by its call's status.
      if (kind !== EgressKind.CALL) count_net_refused(this.kernel.memory, m.src_pid, 1);
    }
    if (m.block_offset !== 0) this.kernel.fastpath.release(m); // The packet carries a copy now.
  }

  private call_from_egress(m: Message, channel: number): number {
    const call_seq = egress_call_seq(m);
    const to = this.kernel.channels.destination(channel, this.destination);
    const status = this.transmit(RemoteKind.CALL, m.src_pid, to.node, to.pid, m, call_seq, 0);
    if (status !== Status.OK) {
      // The caller waits on its core: tell it the call did not leave.
      fail_caller(this.kernel.memory, this.producer.doorbells, m.src_pid, call_seq, status);
      return status;
    }
    this.outbound.add(m.src_pid, to.node, call_seq);
    this.call_counters.sent++;
    return Status.OK;
  }

  /** A reply from another core could not leave: its call is closed unanswered (the caller times out), counted. */
  private unanswered(slot: number, generation: number): void {
    if (!this.inbound.matches(slot, generation)) return;
    this.kernel.caps.free_if(this.inbound.cap_of(slot), this.inbound.cap_gen_of(slot));
    this.inbound.close(slot);
    this.drop('reply_refused');
  }

  private async serve_egress(): Promise<void> {
    const m = this.egress_message;
    const fastpath = this.kernel.fastpath;
    while (this.running) {
      const status = await fastpath.recv_async(this.net_pid, m, 1000);
      if (!this.running) return;
      if (status === Status.OK) {
        this.forward(m);
        this.pump_egress();
      } else if (status === Status.CLOSED) {
        return;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // In.

  private schedule_poll(): void {
    if (this.poll_scheduled || !this.running) return;
    this.poll_scheduled = true;
    this.timers!.defer(this.deferred_poll);
  }

  /** The deferred poll, made once (a closure per received packet showed in the simulator's GC). */
  private readonly deferred_poll = (): void => {
    this.poll_scheduled = false;
    this.poll_network();
  };

  /**
   * Delivers queued packets into the node (the spec's `lattice::poll_network`). Returns how many
   * were delivered. Stops early when the node's rings are full (the rest stay queued).
   */
  poll_network(limit = POLL_BATCH_MAX): number {
    let delivered = 0;
    for (let taken = 0; taken < limit; taken++) {
      const packet = this.inbox.recv();
      if (packet === null) break;
      const outcome = this.deliver(packet);
      if (outcome === DELIVERED) {
        delivered++;
      } else if (outcome === RETRY_LATER) {
        this.inbox.requeue(packet);
        this.counters.backpressured++;
        this.retry_later();
        break;
      }
    }
    this.counters.delivered += delivered;
    if (this.auto_poll && this.inbox.length > 0 && this.retry_timer === -1) this.schedule_poll();
    return delivered;
  }

  private retry_later(): void {
    if (!this.auto_poll || this.retry_timer !== -1 || !this.running) return;
    this.retry_timer = this.timers!.set(BACKPRESSURE_RETRY_MS, () => {
      this.retry_timer = -1;
      this.poll_network();
    });
  }

  private deliver(packet: Packet): number {
    const header = this.header;
    this.packet_node = packet.src_node;
    this.packet_payload = packet.payload;
    if (!decode_remote_into(packet.payload, header)) return this.drop_in('malformed');
    if (header.src_pid !== packet.src_pid || header.dst_pid !== packet.dst_pid) return this.drop_in('pid_mismatch');
    switch (header.kind) {
      case RemoteKind.DATA:
        return this.deliver_data(packet, 0);
      case RemoteKind.CALL:
        return this.deliver_call(packet);
      case RemoteKind.REPLY:
        return this.deliver_reply(packet);
      default:
        return this.deliver_notify();
    }
  }

  /** Why a message for local `dst` cannot be delivered (a drop reason and the status a caller is told), or null. */
  private undeliverable(dst: number): number {
    const memory = this.kernel.memory;
    if (memory.core_of(dst) < 0) return Status.NOT_BOUND;
    if (!this.kernel.listening(dst)) return has_exited(memory, dst) ? Status.DEAD_PEER : Status.NOT_LISTENING;
    return Status.OK;
  }

  /** Fills the scratch message from the packet's header and payload (a block for one over 64 bytes). */
  private load(packet: Packet): number {
    const header = this.header;
    const m = this.scratch;
    m.m_type = header.m_type;
    m.flags = header.flags;
    m.badge = header.badge;
    m.aux0 = header.aux0;
    m.aux1 = header.aux1;
    m.aux2 = header.aux2;
    m.cap = 0;
    m.length = header.length;
    m.block_offset = 0;
    m.src_node = packet.src_node;
    const bytes = remote_payload(packet.payload, header);
    if (header.length <= SLOT_PAYLOAD_BYTES_MAX) {
      m.payload.set(bytes);
      return Status.OK;
    }
    const block = this.producer.alloc_block(header.length);
    if (block < 0) return block; // BACKPRESSURE, or TOO_BIG for a payload no slab class holds.
    this.kernel.memory.r8.set(bytes, this.producer.block_data(block));
    m.block_offset = block;
    return Status.OK;
  }

  private deliver_data(packet: Packet, kernel_flags: number): number {
    const dst = this.header.dst_pid;
    const why = this.undeliverable(dst);
    if (why === Status.NOT_BOUND) return this.drop_in('no_such_pid');
    if (why !== Status.OK) return this.drop_in('not_listening');
    const loaded = this.load(packet);
    if (loaded === Status.BACKPRESSURE) return RETRY_LATER;
    if (loaded !== Status.OK) return this.drop_in('too_big');
    return this.enter(packet, kernel_flags);
  }

  /** Delivers the scratch message into the node; frees its block if it does not go in. */
  private enter(packet: Packet, kernel_flags: number): number {
    const m = this.scratch;
    const status = this.producer.deliver_remote(
      packet.src_node,
      this.header.src_pid,
      this.header.dst_pid,
      m,
      kernel_flags,
    );
    if (status === Status.OK) {
      this.tap?.entered(packet.payload);
      return DELIVERED;
    }
    if (m.block_offset !== 0) this.producer.free_block(m.block_offset);
    if (status === Status.BACKPRESSURE) return RETRY_LATER;
    return this.drop_in(status === Status.BAD_PID || status === Status.NOT_BOUND ? 'no_such_pid' : `status_${status}`);
  }

  private deliver_call(packet: Packet): number {
    const header = this.header;
    const node = packet.src_node;
    const dst = header.dst_pid;
    const why = this.undeliverable(dst);
    if (why !== Status.OK)
      return this.refuse_incoming(dst, why, why === Status.NOT_BOUND ? 'no_such_pid' : 'not_listening');
    const loaded = this.load(packet);
    if (loaded === Status.BACKPRESSURE) return RETRY_LATER;
    if (loaded !== Status.OK) return this.refuse_incoming(dst, Status.TOO_BIG, 'too_big');
    const slot = this.inbound.open(node, header.src_pid, header.call_seq);
    if (slot < 0) return this.refuse_loaded(dst, Status.TABLE_FULL, 'calls_full');
    const caps = this.kernel.caps;
    const cap = caps.claim(dst, CapKind.REMOTE_REPLY, 0, slot, this.inbound.generation_of(slot), header.badge);
    if (cap < 0) {
      this.inbound.close(slot);
      return this.refuse_loaded(dst, Status.TABLE_FULL, 'reply_caps_full');
    }
    const cap_gen = caps.generation(cap);
    this.inbound.set_cap(slot, cap, cap_gen);
    this.scratch.cap = caps.handle_of(cap);
    const outcome = this.enter(packet, SlotFlags.CALL);
    if (outcome === DELIVERED) {
      this.call_counters.served++;
      return DELIVERED;
    }
    caps.free_if(cap, cap_gen);
    this.inbound.close(slot);
    if (outcome === RETRY_LATER) return RETRY_LATER;
    this.refuse_call(dst, node, header.src_pid, header.call_seq, Status.DEAD_PEER);
    return DROPPED;
  }

  /** A call that cannot be delivered: its caller is told `status`, and the drop is counted. */
  private refuse_incoming(dst: number, status: number, reason: string): number {
    const header = this.header;
    this.refuse_call(dst, this.packet_node, header.src_pid, header.call_seq, status);
    return this.drop_in(reason);
  }

  /** As `refuse_incoming`, once the scratch message holds the request (its block is freed). */
  private refuse_loaded(dst: number, status: number, reason: string): number {
    if (this.scratch.block_offset !== 0) this.producer.free_block(this.scratch.block_offset);
    return this.refuse_incoming(dst, status, reason);
  }

  private deliver_reply(packet: Packet): number {
    const header = this.header;
    const caller = header.dst_pid;
    if (!this.outbound.take(caller, packet.src_node, header.call_seq)) {
      // From the node the caller's current call went to (or with no call waiting): an answer to
      // an earlier call, which timed out or failed. From any other node: not an answer at all.
      const node = this.outbound.node_of_call(caller);
      return this.drop_in(node === 0 || node === packet.src_node ? 'late_reply' : 'unexpected_reply');
    }
    const memory = this.kernel.memory;
    if (header.status !== Status.OK) {
      if (!fail_caller(memory, this.producer.doorbells, caller, header.call_seq, header.status))
        return this.drop_in('late_reply');
      this.call_counters.replies_delivered++;
      return DELIVERED;
    }
    if (header.length > SLOT_PAYLOAD_BYTES_MAX) return this.drop_in('too_big');
    const loaded = this.load(packet);
    assert(loaded === Status.OK, 'an inline reply loads');
    const m = this.scratch;
    m.src_pid = header.src_pid;
    m.dst_pid = caller;
    const status = deliver_reply(
      memory,
      this.producer.doorbells,
      caller,
      header.call_seq,
      m,
      header.flags | SlotFlags.REPLY | SlotFlags.REMOTE,
    );
    if (status !== Status.OK) return this.drop_in('late_reply');
    this.tap?.entered(packet.payload);
    this.call_counters.replies_delivered++;
    return DELIVERED;
  }

  private deliver_notify(): number {
    const header = this.header;
    if (header.badge === 0) return this.drop_in('malformed');
    if (signal(this.kernel.memory, this.producer.doorbells, header.dst_pid, header.badge) !== Status.OK)
      return this.drop_in('no_such_pid');
    this.counters.notifies_received++;
    return DELIVERED;
  }

  /** The session to `node` was lost: every call waiting on it fails with DEAD_PEER. */
  private on_peer_lost(node: number): void {
    const memory = this.kernel.memory;
    const doorbells = this.producer.doorbells;
    this.outbound.take_all(node, (pid, call_seq) => {
      if (fail_caller(memory, doorbells, pid, call_seq, Status.DEAD_PEER)) this.call_counters.failed_peer_lost++;
    });
  }

  /** Drops the packet being delivered; the tap learns which message it held. */
  private drop_in(reason: string): number {
    this.tap?.lost('server', reason, this.packet_payload);
    return this.drop(reason);
  }

  private drop(reason: string): number {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    return DROPPED;
  }

  /** Discards every packet waiting in the inbox (the spec's `net::reset`); counted. */
  reset(): void {
    this.inbox.reset();
  }

  /** A snapshot of the counters. */
  stats(): NetworkServerStats {
    return {
      ...this.counters,
      send_refused: Object.fromEntries(this.send_refused),
      dropped: Object.fromEntries(this.dropped),
      queued: this.inbox.length,
      send_failed: this.inbox.send_failed,
      queue_dropped_oldest: this.inbox.dropped_oldest,
      queue_dropped_newest: this.inbox.dropped_newest,
      reset_discarded: this.inbox.reset_discarded,
      calls: { ...this.call_counters, waiting: this.outbound.size, serving: this.inbound.size },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle.

  /**
   * Drains and stops: forwards what other cores already handed to the network pid, delivers what
   * waits in the inbox (as far as the node takes it), then stops delivering and forwarding and
   * releases the producer slot. Idempotent; resolves when the egress loop has ended.
   */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    if (this.running && this.net_pid >= 0) this.pump_egress();
    if (this.running) this.poll_network();
    return this.stop();
  }

  /** Stops at once: what waits in the inbox is discarded (counted in `reset_discarded`). Idempotent. */
  destroy(): Promise<void> {
    if (this.closed === null) this.inbox.reset();
    return this.stop();
  }

  private stop(): Promise<void> {
    if (this.closed !== null) return this.closed;
    this.running = false;
    if (this.retry_timer !== -1) this.timers?.clear(this.retry_timer);
    this.retry_timer = -1;
    this.inbox.set_callback(null);
    this.inbox.set_lost_callback(null);
    this.port.set_packet_receiver(null);
    if (this.kernel.remote_router === this) this.kernel.set_router(null);
    this.closed = (async () => {
      if (this.egress_loop !== null) {
        // Wake the egress loop: a notification ends its receive, and it sees it must stop.
        signal(this.kernel.memory, this.kernel.fastpath.doorbells, this.net_pid, NET_SIGNAL_STOP);
        await this.egress_loop;
      }
      this.producer.detach();
    })();
    return this.closed;
  }
}
