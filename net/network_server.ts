/**
 * The network server: where a node's kernel meets its network driver (the spec's "Distributed
 * Operation" pipeline and `lattice::poll_network`).
 *
 * Out: a message sent on a channel to another node is encoded (remote_message.ts) as
 * `[src_pid | dst_pid | … | payload]` and handed to the driver, which frames it with the local
 * node id. On the thread that owns the driver this happens directly (the server is the kernel's
 * `RemoteRouter`). A process on another core cannot touch the driver's sockets, so its kernel
 * uses an `EgressRouter`: the message goes, through the ordinary fastpath, to the node's network
 * pid, whose inbox the server drains (`pump_egress`). The network is a process, as in MINIX 3.
 *
 * In: `poll_network()` drains the driver's receive queue into the kernel through a producer
 * attachment, at L3, where a blocked `recv` wakes. A payload over 64 bytes arrives in a slab
 * block. A packet the node cannot take yet (its rings full) stays first in the queue; one that
 * can never be delivered (a malformed message, a pid that does not exist or does not listen) is
 * dropped and counted by reason.
 *
 * With `auto_poll`, packets are delivered as they arrive; without it (the spec's example),
 * nothing enters the node until someone calls `poll_network`.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { ConfigError } from '../kernel/errors.js';
import { Fastpath, IpcFlags, LOCAL_NODE } from '../kernel/fastpath.js';
import type { Kernel, RemoteRouter } from '../kernel/kernel.js';
import { CHANNEL_DST_NODE_WORD, CHANNEL_DST_PID_WORD } from '../kernel/layout/channel_layout.js';
import { SLOT_PAYLOAD_BYTES_MAX, SlotFlags } from '../kernel/layout/slot_layout.js';
import { Message } from '../kernel/message.js';
import { Status } from '../kernel/status.js';
import type { NetDriver, SendResult } from './driver.js';
import {
  RM_HEADER_BYTES,
  decode_remote_into,
  encode_remote,
  encode_remote_into,
  type RemoteHeader,
} from './remote_message.js';
import type { Packet } from './packet_queue.js';
import type { Timers } from './transport.js';

/** Counters of a network server. */
export interface NetworkServerStats {
  /** Messages handed to the driver, and refused by it, by result. */
  sent: number;
  send_refused: Record<string, number>;
  /** Messages delivered into the node, and dropped on the way in, by reason. */
  delivered: number;
  dropped: Record<string, number>;
  /** Times delivery paused because the node's rings were full. */
  backpressured: number;
  /** Messages taken from the network pid's inbox (sent by other cores). */
  egress: number;
}

export interface NetworkServerOptions {
  /** Deliver packets as they arrive (default true). */
  readonly auto_poll?: boolean;
  /** The node's network pid: bound to the kernel's core; other cores send through it. */
  readonly net_pid?: number;
  /** Timers, to retry delivery after back-pressure (auto mode). */
  readonly timers?: Timers;
  /** What sends packets: the driver (default), or a `SecureChannel` on it that seals them. */
  readonly sender?: PacketSender;
}

/** Sends one packet to a node (a `NetDriver`, or a `SecureChannel` sealing for it). */
export interface PacketSender {
  send_nowait(node: number, data: Uint8Array): SendResult;
}

/** How long auto mode waits before retrying delivery into full rings. */
const BACKPRESSURE_RETRY_MS = 1;
/** Packets one `poll_network` takes at most (it is called again for the rest). */
const POLL_BATCH_MAX = 4096;

/** Maps a driver result onto a kernel status. */
function status_of(result: SendResult): number {
  switch (result) {
    case 'success':
      return Status.OK;
    case 'unknown_node':
      return Status.NO_ROUTE;
    case 'message_too_large':
      return Status.TOO_BIG;
    case 'would_block':
      return Status.BACKPRESSURE;
    case 'not_running':
      return Status.CLOSED;
  }
}

export class NetworkServer implements RemoteRouter {
  readonly kernel: Kernel;
  readonly driver: NetDriver;
  private readonly sender: PacketSender;
  private readonly producer: Fastpath;
  private readonly auto_poll: boolean;
  /** The network pid, or -1 when other cores do not send through this server. */
  readonly net_pid: number;
  private readonly timers: Timers | null;
  private readonly scratch = new Message();
  private poll_scheduled = false;
  private retry_timer = -1;
  private running = true;
  private egress_loop: Promise<void> | null = null;
  private readonly counters = { sent: 0, delivered: 0, backpressured: 0, egress: 0 };
  private readonly send_refused = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  /** Where outbound inline messages are encoded (see `transmit`). */
  private readonly encode_scratch = new Uint8Array(RM_HEADER_BYTES + SLOT_PAYLOAD_BYTES_MAX);
  /** Views of `encode_scratch` by length, each made once. */
  private readonly scratch_views: (Uint8Array | undefined)[] = [];
  /** The header of the packet being delivered. */
  private readonly header: RemoteHeader = {
    src_pid: 0,
    dst_pid: 0,
    m_type: 0,
    flags: 0,
    badge: 0,
    aux0: 0,
    aux1: 0,
    aux2: 0,
    length: 0,
  };

  /**
   * Connects `kernel` (of a core on this thread) to `driver` (running on this thread). Attaches
   * a producer slot for delivery and becomes the kernel's router.
   */
  constructor(kernel: Kernel, driver: NetDriver, options: NetworkServerOptions = {}) {
    this.kernel = kernel;
    this.driver = driver;
    this.sender = options.sender ?? driver;
    this.producer = Fastpath.attach_producer(kernel.memory, kernel.fastpath.env);
    this.auto_poll = options.auto_poll ?? true;
    this.net_pid = options.net_pid ?? -1;
    this.timers = options.timers ?? null;
    if (this.auto_poll && this.timers === null) throw new ConfigError(ErrorCode.BAD_OPTION, 'auto_poll needs timers');
    kernel.set_router(this);
    if (this.auto_poll) driver.set_recv_callback(() => this.schedule_poll());
    if (this.net_pid >= 0) {
      if (kernel.memory.core_of(this.net_pid) !== kernel.fastpath.core) {
        throw new ConfigError(
          ErrorCode.BAD_CORE,
          `net_pid ${this.net_pid} must be bound to the server's core ${kernel.fastpath.core}`,
        );
      }
      this.egress_loop = this.serve_egress();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Out.

  /**
   * RemoteRouter: sends `m` from local `src` to `dst_pid` on `dst_node`. A payload block's bytes
   * are copied into the frame and the block is freed (the receiving node gets its own); if the
   * send is refused the block stays the sender's, as with a local send.
   */
  send_remote(
    src: number,
    dst_node: number,
    dst_pid: number,
    _channel: number,
    m: Message,
    _kernel_flags: number,
  ): number {
    if (m.block_offset !== 0) {
      const valid = this.kernel.fastpath.validate_block(m);
      if (valid !== Status.OK) return valid;
    } else if (m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX) {
      return Status.TOO_BIG;
    }
    const status = this.transmit(src, dst_node, dst_pid, m);
    if (status === Status.OK && m.block_offset !== 0) this.kernel.fastpath.free_block(m.block_offset);
    return status;
  }

  private transmit(src: number, dst_node: number, dst_pid: number, m: Message): number {
    // Inline payloads are encoded into one scratch buffer, through a view kept per length (the
    // sender copies before returning); block payloads, up to a frame, get a buffer of their own.
    let encoded: Uint8Array;
    if (m.block_offset !== 0) {
      encoded = encode_remote(src, dst_pid, m, this.kernel.fastpath.block_view(m));
    } else {
      const length = Math.min(m.length, SLOT_PAYLOAD_BYTES_MAX);
      encoded = this.scratch_view(encode_remote_into(this.encode_scratch, src, dst_pid, m, m.payload, length));
    }
    const result = this.sender.send_nowait(dst_node, encoded);
    if (result === 'success') {
      this.counters.sent++;
      return Status.OK;
    }
    this.send_refused.set(result, (this.send_refused.get(result) ?? 0) + 1);
    return status_of(result);
  }

  private scratch_view(length: number): Uint8Array {
    let view = this.scratch_views[length];
    if (view === undefined) this.scratch_views[length] = view = this.encode_scratch.subarray(0, length);
    return view;
  }

  /** Drains the network pid's inbox: messages other cores sent to other nodes. */
  pump_egress(limit = POLL_BATCH_MAX): number {
    let count = 0;
    const m = this.scratch;
    const fastpath = this.kernel.fastpath;
    for (; count < limit; count++) {
      if (fastpath.recv(this.net_pid, m, IpcFlags.NONBLOCK) !== Status.OK) break;
      this.forward(m);
    }
    return count;
  }

  private forward(m: Message): void {
    if ((m.flags & SlotFlags.EGRESS) === 0) {
      this.drop('not_egress');
      return;
    }
    const w = this.kernel.memory.channel_word(m.cap);
    const i32 = this.kernel.memory.i32;
    const dst_node = i32[w + CHANNEL_DST_NODE_WORD]!;
    const dst_pid = i32[w + CHANNEL_DST_PID_WORD]!;
    this.counters.egress++;
    if (dst_node === LOCAL_NODE) {
      this.drop('egress_local');
    } else {
      const status = this.transmit(m.src_pid, dst_node, dst_pid, m);
      if (status !== Status.OK) this.drop('egress_refused');
    }
    if (m.block_offset !== 0) this.kernel.fastpath.release(m); // The frame carries a copy now.
  }

  private async serve_egress(): Promise<void> {
    const m = this.scratch;
    const fastpath = this.kernel.fastpath;
    while (this.running) {
      const status = await fastpath.recv_async(this.net_pid, m, 1000);
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
      const packet = this.driver.recv();
      if (packet === null) break;
      const status = this.deliver(packet);
      if (status === Status.OK) {
        delivered++;
      } else if (status === Status.BACKPRESSURE) {
        this.driver.requeue(packet);
        this.counters.backpressured++;
        this.retry_later();
        break;
      }
    }
    this.counters.delivered += delivered;
    if (this.auto_poll && this.driver.queued > 0 && this.retry_timer === -1) this.schedule_poll();
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
    if (!decode_remote_into(packet.payload, header)) return this.drop('malformed');
    if (this.kernel.memory.core_of(header.dst_pid) < 0) return this.drop('no_such_pid');
    if (!this.kernel.listening(header.dst_pid)) return this.drop('not_listening');
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
    const bytes = packet.payload.subarray(RM_HEADER_BYTES);
    if (header.length <= SLOT_PAYLOAD_BYTES_MAX) {
      m.payload.set(bytes);
    } else {
      const block = this.producer.alloc_block(header.length);
      if (block === Status.BACKPRESSURE) return Status.BACKPRESSURE;
      if (block < 0) return this.drop('too_big');
      this.kernel.memory.r8.set(bytes, this.producer.block_data(block));
      m.block_offset = block;
    }
    const status = this.producer.deliver_remote(packet.src_node, header.src_pid, header.dst_pid, m);
    if (status === Status.OK) return status;
    if (m.block_offset !== 0) this.producer.free_block(m.block_offset);
    if (status === Status.BACKPRESSURE) return status;
    return this.drop(status === Status.BAD_PID || status === Status.NOT_BOUND ? 'no_such_pid' : `status_${status}`);
  }

  private drop(reason: string): number {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    return Status.BAD_ARGUMENT;
  }

  /** A snapshot of the counters. */
  stats(): NetworkServerStats {
    return {
      ...this.counters,
      send_refused: Object.fromEntries(this.send_refused),
      dropped: Object.fromEntries(this.dropped),
    };
  }

  /** Stops delivering and forwarding, and releases the producer slot. Idempotent. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.retry_timer !== -1) this.timers?.clear(this.retry_timer);
    this.driver.set_recv_callback(null);
    this.kernel.set_router(null);
    if (this.egress_loop !== null) {
      this.kernel.memory.ring_doorbell(this.kernel.fastpath.core); // Wake the egress loop.
      await this.egress_loop;
    }
    this.producer.detach();
  }
}

/**
 * The router of a core that does not own the driver: a message to another node goes to the
 * node's network pid over the fastpath, with its remote channel in `cap`.
 */
export class EgressRouter implements RemoteRouter {
  private readonly fastpath: Fastpath;
  /** The network pid, or -1 when other cores do not send through this server. */
  readonly net_pid: number;

  constructor(fastpath: Fastpath, net_pid: number) {
    this.fastpath = fastpath;
    this.net_pid = net_pid;
  }

  send_remote(
    src: number,
    _dst_node: number,
    _dst_pid: number,
    channel: number,
    m: Message,
    kernel_flags: number,
  ): number {
    const egress = this.fastpath.channel_of(LOCAL_NODE, LOCAL_NODE, src, this.net_pid);
    if (egress < 0) return Status.CHANNEL_TABLE_FULL;
    m.cap = channel;
    return this.fastpath.send_channel(src, egress, m, kernel_flags | SlotFlags.EGRESS, false);
  }
}
