/**
 * The fastpath: one thread's attachment to a node, as one of its cores or as a producer, and the
 * send and receive cores of the node's message path.
 *
 * Sending: a message enters the innermost tier its sender and receiver share (L1 on the same
 * core, L2 on the same socket, L3 otherwise). When that ring is full it cascades outward, L1 →
 * L2 → L3 (the spec's "attempts L1→L2→L3 transfers"), and when every ring on the path is full it
 * spills into the receiving core's spill queue. When the spill region is full too, the send
 * returns `BACKPRESSURE` and nothing changes. Every send here is a send inside the node: a
 * channel to another node never reaches the fastpath (`Kernel` routes it first).
 *
 * Receiving: the core's consumer merges its four sources (L1, L2, L3, spill). Every message
 * carries its channel's sequence number, and the consumer delivers a source's head only when it
 * is the next one its channel expects; so a message that cascaded outward is never overtaken by
 * a later message of its channel that found room further in. Messages for the core's other pids
 * are parked in their mailboxes (mailboxes.ts). ARCHITECTURE.md, "Order", has the proof that the
 * merge always makes progress.
 *
 * The hot path never throws and never allocates: it returns `Status` codes and counts every
 * refusal in the attachment's counter block. With `env.debug` it also asserts its invariants on
 * both sides of each slot: the writer (`enqueue`) and the reader (`pump`).
 *
 * What lives elsewhere: channel lookup, handles and tags (channel_table.ts), mailboxes
 * (mailboxes.ts), doorbells (doorbell.ts), counters (counter_block.ts), the reply slot
 * (process_table.ts).
 */
import { assert, assert_range } from './assert.js';
import { ANY_NODE, ChannelTable, LOCAL_NODE, REMOTE_PID_MAX } from './channel_table.js';
import { CounterBlock } from './counter_block.js';
import { Doorbells } from './doorbell.js';
import { ErrorCode } from './error_codes.js';
import { ConfigError } from './errors.js';
import { lock, unlock } from './control_lock.js';
import type { KernelEnv } from './env.js';
import { BLOCK_DATA, BLOCK_LENGTH_WORD, BlockState } from './layout/block_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import {
  C_BACKPRESSURED,
  C_BLOCKS_RELEASED,
  C_BLOCK_ALLOC_FAILED,
  C_CASCADED,
  C_DESCRIPTOR_SENDS,
  C_DOORBELLS_RUNG,
  C_MAILBOX_STALLS,
  C_RECV_BYTES,
  C_RECV_TIER,
  C_RECV_TIMEOUTS,
  C_REJECTED_BAD_ARGUMENT,
  C_REJECTED_BAD_PID,
  C_REJECTED_CHANNEL_FULL,
  C_REJECTED_NOT_BOUND,
  C_REJECTED_TOO_BIG,
  C_REJECTED_WRONG_CORE,
  C_SENT_BYTES_TIER,
  C_SENT_TIER,
  C_NOTIFIES_RECEIVED,
  C_STAGED,
  C_STALE_DROPPED,
  C_STALE_RELEASES,
} from './layout/counter_layout.js';
import { CORE_OWNER, NODE_CLOSING_WORD, NODE_LOCK_WORD, NODE_TOKENS_WORD, ring_offset } from './layout/node_layout.js';
import {
  SLOT_BLOCK_GEN_WORD,
  SLOT_BLOCK_OFFSET_WORD,
  SLOT_SEQ_WORD,
  SLOT_CHANNEL_WORD,
  SLOT_DST_PID_WORD,
  SLOT_FLAGS_WORD,
  SLOT_LENGTH_WORD,
  SLOT_PAYLOAD_BYTES_MAX,
  SlotFlags,
} from './layout/slot_layout.js';
import { SPILL_QUEUE_BYTES } from './layout/spill_layout.js';
import { Mailboxes } from './mailboxes.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { take_reply } from './process_table.js';
import { PROCESS_NOTIFY_BITS_WORD, PROCESS_WORDS } from './layout/process_layout.js';
import { Ring } from './ring.js';
import { Slab } from './slab.js';
import { read_slot, write_slot } from './slot_io.js';
import { SpillQueue } from './spill_queue.js';
import { Status } from './status.js';
import { NO_CORE } from './topology.js';

export { ANY_NODE, LOCAL_NODE };

/** Flags of `send` and `recv` (the spec's `IpcFlags`). */
export const IpcFlags = {
  /** Receive: block up to the receive timeout (100 ms by default). Send: deliver now. */
  NONE: 0,
  /** Receive: return `WOULD_BLOCK` at once when no message is waiting. */
  NONBLOCK: 1,
  /** Send: stage the message on its channel until the channel is submitted (staging.ts). */
  STAGE: 2,
  /** Send: carry a copy of the capability in `m.cap` to the receiver (Kernel.send). */
  GRANT: 4,
} as const;

/** How long a blocking receive waits, as the spec says: 100 ms. */
export const RECV_TIMEOUT_MS_DEFAULT = 100;
/** Longest timeout a receive accepts: one minute. */
export const RECV_TIMEOUT_MS_MAX = 60_000;
/** Most messages one `send_batch` takes. */
export const BATCH_COUNT_MAX = 1024;

// What a wait loop polls for.
const POLL_MESSAGE = 0;
const POLL_REPLY = 1;

// Outcomes of pumping one source in the receive merge.
const PUMP_NONE = 0;
const PUMP_DELIVERED = 1;
const PUMP_MOVED = 2;
/** Rounds of the merge per receive; each round moves at least one message or ends the receive. */
const MERGE_ROUNDS_MAX = 1 << 16;
/**
 * Deliveries in a row the merge takes from one source before it starts its next search at
 * the following source. Staying on a productive source saves peeking empty ones; the bound
 * keeps a busy ring from starving the others.
 */
export const SOURCE_STREAK_MAX = 64;

/** `stage` found nothing to stage: the send continues on the fast path. */
const STAGE_NOT_NEEDED = 1;

/**
 * One thread's attachment to one core of a node: the raw send/receive merge over the tiered
 * rings and spill region, without capability checks (the `Kernel` uses it).
 */
export class Fastpath {
  readonly memory: NodeMemory;
  /** The attached core, or `NO_CORE` for a producer. */
  readonly core: number;
  /** The producer slot, or -1 for a core. */
  readonly producer_slot: number;
  readonly env: KernelEnv;
  readonly slab: Slab;
  /** This thread's view of the channel table. */
  readonly channels: ChannelTable;
  /** How this thread wakes the node's cores. */
  readonly doorbells: Doorbells;
  /** This attachment's counter block (counter_block.ts has the layout); `count` writes it inline. */
  readonly counters: CounterBlock;
  private readonly u32: Uint32Array;
  private readonly counters_word: number;
  private readonly mailboxes: Mailboxes;
  private readonly i32: Int32Array;
  private readonly r32: Int32Array;
  private readonly pids_max: number;
  private readonly pid_table_word: number;
  /** Whether the hot-path assertions run. */
  private readonly debug: boolean;
  /** Home tier of a message from this thread to each core. */
  private readonly home_tier: Int8Array;
  /** Rings of every core, as a producer: index `core * 3 + tier`. */
  private readonly out_rings: Ring[];
  /** Spill queues of every core, as a producer. */
  private readonly out_spill: SpillQueue[];
  /** This core's rings and spill queue, as their consumer (empty for a producer). */
  private readonly in_rings: Ring[];
  private readonly in_spill: SpillQueue | null;
  private readonly owner_word: number;
  private readonly token: number;
  /** Word index of pid 0's notification word. */
  private readonly notify_word: number;
  /** The doorbell value recorded by the last `arm`. */
  private armed_bell = 0;
  /** Source the receive merge tries first, and deliveries taken from it in a row. */
  private next_source = 0;
  private streak = 0;
  /**
   * A receive on this core stopped with work it could not do: a message for another pid whose
   * mailbox was full blocked its source, or the merge ran out of rounds. The pid that polled may
   * now sleep on the doorbell although a message of its own waits behind that one, and no
   * sender will ring for it again. So the next receive on this core that frees room (takes from
   * a source or from a mailbox) rings the doorbell if anyone sleeps. The processes of one core
   * share this attachment (one thread), so a plain field is enough.
   */
  private stalled = false;
  private attached = true;

  private constructor(
    memory: NodeMemory,
    core: number,
    producer_slot: number,
    owner_word: number,
    token: number,
    env: KernelEnv,
  ) {
    this.memory = memory;
    this.core = core;
    this.producer_slot = producer_slot;
    this.env = env;
    this.debug = env.debug;
    this.i32 = memory.i32;
    this.r32 = memory.r32;
    const layout = memory.layout;
    this.pids_max = layout.geometry.pids_max;
    this.pid_table_word = layout.pid_table / WORD_BYTES;
    this.channels = new ChannelTable(memory, env);
    this.doorbells = new Doorbells(memory, env.waiter);
    this.counters = new CounterBlock(memory, core === NO_CORE ? layout.cores + producer_slot : core);
    this.u32 = memory.u32;
    this.counters_word = this.counters.first_word;
    // The receiver's notification words: pid p's is at `notify_word + p * PROCESS_WORDS`.
    this.notify_word = memory.process_word(0) + PROCESS_NOTIFY_BITS_WORD;
    this.mailboxes = new Mailboxes(memory);
    this.owner_word = owner_word;
    this.token = token;
    this.slab = new Slab(memory.r32, memory.spill);
    const cores = layout.cores;
    this.home_tier = new Int8Array(cores);
    this.out_rings = [];
    this.out_spill = [];
    for (let c = 0; c < cores; c++) {
      this.home_tier[c] = memory.topology.home_tier(core, c);
      for (let t = 0; t < 3; t++) {
        this.out_rings.push(new Ring(memory.i32, ring_offset(layout, c, t), layout.ring_capacities[t as 0 | 1 | 2]));
      }
      this.out_spill.push(new SpillQueue(memory.r32, memory.spill.queues_offset + c * SPILL_QUEUE_BYTES));
    }
    this.in_rings = [];
    this.in_spill = null;
    if (core !== NO_CORE) {
      for (let t = 0; t < 3; t++) {
        this.in_rings.push(new Ring(memory.i32, ring_offset(layout, core, t), layout.ring_capacities[t as 0 | 1 | 2]));
      }
      this.in_spill = new SpillQueue(memory.r32, memory.spill.queues_offset + core * SPILL_QUEUE_BYTES);
    }
  }

  /**
   * Attaches the calling thread to `core` as its only consumer. Throws `ConfigError` with
   * `ERR_LATTICE_CORE_ATTACHED` if another thread holds it.
   */
  static attach_core(memory: NodeMemory, core: number, env: KernelEnv): Fastpath {
    if (!Number.isInteger(core) || core < 0 || core >= memory.cores) {
      throw new ConfigError(ErrorCode.BAD_CORE, `core ${core} is outside [0, ${memory.cores})`);
    }
    const owner_word = memory.core_control_word(core) + CORE_OWNER / WORD_BYTES;
    const token = Atomics.add(memory.i32, NODE_TOKENS_WORD, 1) + 1;
    const seen = Atomics.compareExchange(memory.i32, owner_word, 0, token);
    if (seen !== 0)
      throw new ConfigError(ErrorCode.CORE_ATTACHED, `core ${core} is already attached by another thread`);
    return new Fastpath(memory, core, -1, owner_word, token, env);
  }

  /**
   * Attaches the calling thread as a producer: a sender that is none of the node's cores (the
   * network server delivering remote messages). Its messages enter at L3. Throws `ConfigError`
   * with `ERR_LATTICE_NO_PRODUCER_SLOT` when every producer slot is taken.
   */
  static attach_producer(memory: NodeMemory, env: KernelEnv): Fastpath {
    const token = Atomics.add(memory.i32, NODE_TOKENS_WORD, 1) + 1;
    for (let slot = 0; slot < memory.geometry.producers_max; slot++) {
      const owner_word = memory.producer_owner_word(slot);
      if (Atomics.compareExchange(memory.i32, owner_word, 0, token) === 0) {
        return new Fastpath(memory, NO_CORE, slot, owner_word, token, env);
      }
    }
    throw new ConfigError(
      ErrorCode.NO_PRODUCER_SLOT,
      `all ${memory.geometry.producers_max} producer slots are attached`,
    );
  }

  /** Releases the attachment so another thread may attach. Idempotent. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    const seen = Atomics.compareExchange(this.i32, this.owner_word, this.token, 0);
    assert(seen === this.token, 'detach: the attachment was still ours');
  }

  /**
   * The attachment's lifecycle verbs (one lifecycle across Lattice): an attachment has nothing
   * to drain, so `close()` and `destroy()` both detach. Idempotent; they resolve at once.
   */
  close(): Promise<void> {
    this.detach();
    return Promise.resolve();
  }

  /** Detaches at once (see `close`). */
  destroy(): Promise<void> {
    this.detach();
    return Promise.resolve();
  }

  /** Whether this attachment is still held (false after `detach`). */
  get is_attached(): boolean {
    return this.attached;
  }

  // ---------------------------------------------------------------------------------------
  // Sending.

  /**
   * Sends `m` from `src` (a pid bound to this core) to `dst` on this node, without a
   * capability (the raw path of tools and benchmarks; `Kernel.send` checks capabilities).
   * `m.length` bytes of `m.payload` travel inline (at most 64); if `m.block_offset` names a
   * block from `alloc_block`, its first `m.length` bytes travel by descriptor instead, and the
   * block belongs to the receiver from then on. Returns `Status.OK` or a failure status.
   */
  send(src: number, dst: number, m: Message): number {
    const dst_core = this.check_send(src, dst);
    if (dst_core < 0) return dst_core;
    const payload_flag = this.check_payload(m);
    if (payload_flag < 0) return payload_flag;
    const channel = this.channels.of(LOCAL_NODE, LOCAL_NODE, src, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    m.src_pid = src;
    m.dst_pid = dst;
    return this.enqueue(m, (m.flags & SlotFlags.USER_MASK) | payload_flag, channel, dst_core, LOCAL_NODE, false);
  }

  /**
   * Sends `m` from `src` on a known channel inside this node (the capability layer's path: the
   * channel comes from a validated capability, so there is no lookup). `kernel_flags` are
   * `SlotFlags` bits the kernel adds (GRANT, CALL, EGRESS); `stage` holds the message until the
   * channel is submitted. The caller has routed the message: the channel leads to a pid of this
   * node (asserted).
   */
  send_channel(src: number, channel: number, m: Message, kernel_flags: number, stage: boolean): number {
    const channels = this.channels;
    if (this.debug)
      assert(!channels.is_remote(channel), 'send_channel: a channel inside this node (Kernel routes the others)');
    const dst = channels.dst_pid(channel);
    if (channels.src_pid(channel) !== src) return this.reject(C_REJECTED_WRONG_CORE, Status.WRONG_CORE);
    const dst_core = this.check_send(src, dst);
    if (dst_core < 0) return dst_core;
    const payload_flag = this.check_payload(m);
    if (payload_flag < 0) return payload_flag;
    m.src_pid = src;
    m.dst_pid = dst;
    return this.enqueue(
      m,
      (m.flags & SlotFlags.USER_MASK) | kernel_flags | payload_flag,
      channel,
      dst_core,
      LOCAL_NODE,
      stage,
    );
  }

  /**
   * Sends `count` messages from `msgs` on one channel, claiming ring slots for all of them at
   * once and publishing them together (one compare-and-swap, one doorbell). Inline payloads
   * only. Returns how many were sent (they are the first ones, in order), or a failure status
   * if none was. A batch that finds too little room in its home ring falls back to single
   * sends, which cascade and spill as usual.
   */
  send_batch(src: number, dst: number, msgs: readonly Message[], count: number): number {
    if (!(count >= 1 && count <= BATCH_COUNT_MAX && (count | 0) === count && count <= msgs.length)) {
      return this.reject(C_REJECTED_BAD_ARGUMENT, Status.BAD_ARGUMENT);
    }
    const dst_core = this.check_send(src, dst);
    if (dst_core < 0) return dst_core;
    for (let i = 0; i < count; i++) {
      const m = msgs[i]!;
      if (m.block_offset !== 0) return this.reject(C_REJECTED_BAD_ARGUMENT, Status.BAD_ARGUMENT);
      if (m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX) return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    }
    const channel = this.channels.of(LOCAL_NODE, LOCAL_NODE, src, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    if (this.channels.staging(channel) !== 0) {
      return this.send_each(src, dst, msgs, count, channel, dst_core); // Staged messages first.
    }
    const tier = this.home_tier[dst_core]!;
    const ring = this.out_rings[dst_core * 3 + tier]!;
    const seq_word = this.channels.send_seq_word(channel);
    if (ring.claim(count)) {
      const position = ring.claimed;
      if (this.debug) ring.check_claim(position, count);
      const seq = this.i32[seq_word]!;
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const m = msgs[i]!;
        m.src_pid = src;
        m.dst_pid = dst;
        if (this.debug) this.check_outgoing(m, m.flags & SlotFlags.USER_MASK, channel, dst_core);
        write_slot(
          ring.i32,
          ring.slot_word((position + i) | 0),
          m,
          m.flags & SlotFlags.USER_MASK,
          channel,
          (seq + i) | 0,
          0,
        );
        bytes += m.length;
      }
      ring.publish(position, count);
      this.i32[seq_word] = (seq + count) | 0;
      this.count(C_SENT_TIER + tier, count);
      this.count(C_SENT_BYTES_TIER + tier, bytes);
      this.ring(dst_core);
      return count;
    }
    return this.send_each(src, dst, msgs, count, channel, dst_core);
  }

  private send_each(
    src: number,
    dst: number,
    msgs: readonly Message[],
    count: number,
    channel: number,
    dst_core: number,
  ): number {
    let sent = 0;
    for (; sent < count; sent++) {
      const m = msgs[sent]!;
      m.src_pid = src;
      m.dst_pid = dst;
      const status = this.enqueue(m, m.flags & SlotFlags.USER_MASK, channel, dst_core, LOCAL_NODE, false);
      if (status !== Status.OK) return sent === 0 ? status : sent;
    }
    return sent;
  }

  /**
   * Producer only: delivers `m` as sent by `src_pid` on node `src_node` to the local `dst` (the
   * network's path into the node). It enters at L3. An inline payload travels as usual; a larger
   * one in a block this producer allocated (`m.block_offset`), which becomes the receiver's.
   * `kernel_flags` are the kernel's bits the message carries in (CALL, with the reply capability
   * in `m.cap`). `m.src_pid` is `src_pid`.
   */
  deliver_remote(src_node: number, src_pid: number, dst: number, m: Message, kernel_flags = 0): number {
    assert(this.core === NO_CORE, 'deliver_remote is for producer attachments');
    if (Atomics.load(this.i32, NODE_CLOSING_WORD) !== 0) return Status.CLOSED;
    if (!(src_pid >= 0 && src_pid <= REMOTE_PID_MAX && (src_pid | 0) === src_pid))
      return this.reject(C_REJECTED_BAD_PID, Status.BAD_PID);
    const dst_core = this.dst_core_of(dst);
    if (dst_core < 0) return dst_core;
    const payload_flag = this.check_payload(m);
    if (payload_flag < 0) return payload_flag;
    const channel = this.channels.of(src_node, LOCAL_NODE, src_pid, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    m.src_pid = src_pid;
    m.dst_pid = dst;
    const flags = (m.flags & SlotFlags.USER_MASK) | SlotFlags.REMOTE | kernel_flags | payload_flag;
    return this.enqueue(m, flags, channel, dst_core, src_node, false);
  }

  /** Validates a send's pids; returns the receiving core, or a (negative) failure status. */
  private check_send(src: number, dst: number): number {
    if (Atomics.load(this.i32, NODE_CLOSING_WORD) !== 0) return Status.CLOSED;
    if (!(src >= 0 && src < this.pids_max && (src | 0) === src)) return this.reject(C_REJECTED_BAD_PID, Status.BAD_PID);
    const src_core = this.i32[this.pid_table_word + src]!;
    if (src_core !== this.core) {
      if (src_core < 0) return this.reject(C_REJECTED_NOT_BOUND, Status.NOT_BOUND);
      return this.reject(C_REJECTED_WRONG_CORE, Status.WRONG_CORE);
    }
    return this.dst_core_of(dst);
  }

  private dst_core_of(dst: number): number {
    if (!(dst >= 0 && dst < this.pids_max && (dst | 0) === dst)) return this.reject(C_REJECTED_BAD_PID, Status.BAD_PID);
    const dst_core = this.i32[this.pid_table_word + dst]!;
    if (dst_core < 0) return this.reject(C_REJECTED_NOT_BOUND, Status.NOT_BOUND);
    return dst_core;
  }

  /**
   * The one check of a message's payload, for every path into the node or out of it: an inline
   * payload of at most 64 bytes, or a descriptor naming a payload block of this node's slab that
   * holds `m.length` bytes (its generation is stamped into `m`). Returns the `SlotFlags` bit the
   * message travels with (`DESCRIPTOR` or 0), or TOO_BIG / STALE_BLOCK, counted.
   */
  check_payload(m: Message): number {
    if (m.block_offset !== 0) return this.check_descriptor_payload(m);
    const length = m.length;
    if (length >>> 0 > SLOT_PAYLOAD_BYTES_MAX || (length | 0) !== length)
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    return 0;
  }

  /** `check_payload` for a descriptor (out of line: the inline case is the hot one). */
  private check_descriptor_payload(m: Message): number {
    const length = m.length;
    const block = m.block_offset;
    if (!this.slab.is_block(block) || this.slab.state(block) !== BlockState.PAYLOAD) {
      return this.reject(C_REJECTED_BAD_ARGUMENT, Status.STALE_BLOCK);
    }
    if (length >>> 0 > this.slab.capacity_of(block) || (length | 0) !== length)
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    m.block_gen = this.slab.generation(block);
    this.r32[block / WORD_BYTES + BLOCK_LENGTH_WORD] = length;
    return SlotFlags.DESCRIPTOR;
  }

  /**
   * Places one validated message: home ring, rings further out, then the spill queue. A message
   * to be staged, or any message on a channel that still has staged messages, is staged
   * instead, so that it cannot overtake them.
   */
  private enqueue(
    m: Message,
    flags: number,
    channel: number,
    dst_core: number,
    src_node: number,
    stage: boolean,
  ): number {
    if (this.debug) this.check_outgoing(m, flags, channel, dst_core);
    if (stage || this.channels.staging(channel) !== 0) {
      const status = this.stage(m, flags, channel, src_node, stage);
      if (status !== STAGE_NOT_NEEDED) return status;
    }
    const seq_word = this.channels.send_seq_word(channel);
    const seq = this.i32[seq_word]!;
    const home = this.home_tier[dst_core]!;
    let tier: number = home;
    for (; tier < 3; tier++) {
      const ring = this.out_rings[dst_core * 3 + tier]!;
      if (ring.claim(1)) {
        const position = ring.claimed;
        if (this.debug) ring.check_claim(position, 1);
        write_slot(ring.i32, ring.slot_word(position), m, flags, channel, seq, src_node);
        ring.publish(position, 1);
        break;
      }
    }
    if (tier === 3) {
      const block = this.slab.alloc(this.memory.spill.spill_class, BlockState.SPILLED, this.core, 0);
      if (block === 0) return this.reject(C_BACKPRESSURED, Status.BACKPRESSURE);
      write_slot(this.r32, (block + BLOCK_DATA) / WORD_BYTES, m, flags, channel, seq, src_node);
      this.out_spill[dst_core]!.push(block);
    }
    this.i32[seq_word] = (seq + 1) | 0;
    this.count(C_SENT_TIER + tier, 1);
    this.count(C_SENT_BYTES_TIER + tier, m.length);
    if (tier !== home || (flags & SlotFlags.DESCRIPTOR) !== 0) this.count_unusual(tier !== home, flags);
    if (this.doorbells.has_sleeper(dst_core)) this.wake(dst_core);
    return Status.OK;
  }

  /** The counts of a send that cascaded or carried a descriptor (kept out of `enqueue`'s body). */
  private count_unusual(cascaded: boolean, flags: number): void {
    if (cascaded) this.count(C_CASCADED, 1);
    if ((flags & SlotFlags.DESCRIPTOR) !== 0) this.count(C_DESCRIPTOR_SENDS, 1);
  }

  /** The writer's side of a slot (debug): what the reader's `check_incoming` will rely on. */
  private check_outgoing(m: Message, flags: number, channel: number, dst_core: number): void {
    this.channels.check(channel);
    assert(!this.channels.is_remote(channel), 'enqueue: a channel inside this node');
    assert_range(dst_core, 0, this.memory.cores - 1, 'enqueue: destination core');
    assert(this.memory.core_of(m.dst_pid) === dst_core, 'enqueue: the receiver is bound to the destination core');
    assert(this.channels.dst_pid(channel) === m.dst_pid, "enqueue: the message goes to its channel's receiver");
    if ((flags & SlotFlags.DESCRIPTOR) === 0)
      assert_range(m.length, 0, SLOT_PAYLOAD_BYTES_MAX, 'enqueue: inline length');
    else assert(this.slab.is_block(m.block_offset), 'enqueue: the descriptor names a slab block');
  }

  /**
   * The slow path of a send: under the control lock, writes the message into a slab block,
   * gives it the channel's next sequence number and appends it to the channel's staged list.
   * Returns `STAGE_NOT_NEEDED` when the caller did not ask to stage and the channel's staged
   * messages were released meanwhile (the send then goes the fast way).
   */
  private stage(m: Message, flags: number, channel: number, src_node: number, requested: boolean): number {
    lock(this.i32, NODE_LOCK_WORD, this.env.waiter, this.env.clock);
    try {
      if (!requested && this.channels.staging(channel) === 0) return STAGE_NOT_NEEDED;
      const block = this.slab.alloc(this.memory.spill.spill_class, BlockState.SPILLED, this.core, 0);
      if (block === 0) return this.reject(C_BACKPRESSURED, Status.BACKPRESSURE);
      const seq = this.i32[this.channels.send_seq_word(channel)]!;
      write_slot(this.r32, (block + BLOCK_DATA) / WORD_BYTES, m, flags, channel, seq, src_node);
      const taken = this.channels.push_staged(channel, block);
      assert(taken === seq, 'stage: the staged message took the sequence number it was written with');
      this.count(C_STAGED, 1);
      return Status.OK;
    } finally {
      unlock(this.i32, NODE_LOCK_WORD, this.env.waiter);
    }
  }

  /**
   * Pushes a staged (or otherwise prepared) message block into `dst_core`'s spill queue and
   * rings its doorbell. Used by the release of staged messages (staging.ts), under the lock.
   */
  push_block(dst_core: number, block: number): void {
    this.out_spill[dst_core]!.push(block);
    this.ring(dst_core);
  }

  /** Rings `core`'s doorbell if a thread sleeps on it, counting the ring. */
  ring(core: number): void {
    if (this.doorbells.has_sleeper(core)) this.wake(core);
  }

  /** The cold half of `ring`: a sleeper was seen. */
  private wake(core: number): void {
    this.doorbells.ring_now(core);
    this.count(C_DOORBELLS_RUNG, 1);
  }

  // ---------------------------------------------------------------------------------------
  // Channels (lookups for the layers above; the table itself is `channels`).

  /** Index of the channel `src` on `src_node` → `dst` on `dst_node`, inserting it on first use; -1 if the table is full. */
  channel_of(src_node: number, dst_node: number, src: number, dst: number): number {
    return this.channels.of(src_node, dst_node, src, dst);
  }

  /** Index of the channel `src` on `src_node` → `dst` on `dst_node` (`ANY_NODE`: any open one), or -1. */
  find_channel(src_node: number, dst_node: number, src: number, dst: number): number {
    return this.channels.find(src_node, dst_node, src, dst);
  }

  // ---------------------------------------------------------------------------------------
  // Receiving.

  /**
   * Receives the next message for `pid` (bound to this core) into `m`. With
   * `IpcFlags.NONBLOCK` returns `WOULD_BLOCK` at once if none is waiting; otherwise polls
   * briefly, then sleeps on the core's doorbell, for at most `timeout_ms` (100 by default),
   * and returns `TIMEOUT`. Never spins without bound and never burns a core while asleep.
   */
  recv(pid: number, m: Message, flags: number = IpcFlags.NONE, timeout_ms: number = RECV_TIMEOUT_MS_DEFAULT): number {
    const status = this.try_recv(pid, m);
    if (status !== Status.WOULD_BLOCK || (flags & IpcFlags.NONBLOCK) !== 0) return status;
    return this.wait(POLL_MESSAGE, pid, m, timeout_ms);
  }

  /**
   * Like `recv` with `IpcFlags.NONE`, but waits with `Atomics.waitAsync`, so it may run on a
   * thread that must not block (the main thread, a browser page) and lets the core's other
   * processes run meanwhile.
   */
  recv_async(pid: number, m: Message, timeout_ms: number = RECV_TIMEOUT_MS_DEFAULT): Promise<number> {
    // Not an async function: a message already waiting costs one settled promise, and a wait
    // hands back `wait_async`'s own promise (no second promise wrapped around it).
    const status = this.try_recv(pid, m);
    if (status !== Status.WOULD_BLOCK) return Promise.resolve(status);
    return this.wait_async(POLL_MESSAGE, pid, m, timeout_ms);
  }

  private poll(what: number, pid: number, m: Message): number {
    return what === POLL_MESSAGE ? this.try_recv(pid, m) : this.try_take_reply(pid, m);
  }

  /** Polls `spin_polls` times, then sleeps on the doorbell, until `what` is ready or time runs out. */
  private wait(what: number, pid: number, m: Message, timeout_ms: number): number {
    if (!(timeout_ms >= 0 && timeout_ms <= RECV_TIMEOUT_MS_MAX))
      return this.reject(C_REJECTED_BAD_ARGUMENT, Status.BAD_ARGUMENT);
    let status: number = Status.WOULD_BLOCK;
    for (let i = 0; i < this.env.spin_polls; i++) {
      status = this.poll(what, pid, m);
      if (status !== Status.WOULD_BLOCK) return status;
    }
    const deadline_ms = this.env.clock.now_ms() + timeout_ms;
    for (;;) {
      status = this.arm(what, pid, m);
      const remaining_ms = deadline_ms - this.env.clock.now_ms();
      if (this.should_sleep(status, remaining_ms)) this.doorbells.sleep(this.core, this.armed_bell, remaining_ms);
      status = this.disarm(what, pid, m, status, remaining_ms);
      if (status !== Status.WOULD_BLOCK) return status;
    }
  }

  private async wait_async(what: number, pid: number, m: Message, timeout_ms: number): Promise<number> {
    if (!(timeout_ms >= 0 && timeout_ms <= RECV_TIMEOUT_MS_MAX))
      return this.reject(C_REJECTED_BAD_ARGUMENT, Status.BAD_ARGUMENT);
    const deadline_ms = this.env.clock.now_ms() + timeout_ms;
    for (;;) {
      let status = this.arm(what, pid, m);
      const remaining_ms = deadline_ms - this.env.clock.now_ms();
      if (this.should_sleep(status, remaining_ms))
        await this.doorbells.sleep_async(this.core, this.armed_bell, remaining_ms);
      status = this.disarm(what, pid, m, status, remaining_ms);
      if (status !== Status.WOULD_BLOCK) return status;
    }
  }

  /**
   * Before sleeping: registers as a waiter, records the doorbell (in `armed_bell`) and polls
   * once more. A sender that publishes after this poll sees the waiter and rings the bell, so
   * the wait that follows returns at once: no lost wake-up.
   */
  private arm(what: number, pid: number, m: Message): number {
    this.armed_bell = this.doorbells.arm(this.core);
    return this.poll(what, pid, m);
  }

  private should_sleep(status: number, remaining_ms: number): boolean {
    return status === Status.WOULD_BLOCK && remaining_ms > 0 && Atomics.load(this.i32, NODE_CLOSING_WORD) === 0;
  }

  /**
   * After waking (or not sleeping): unregisters, and returns the outcome, or `WOULD_BLOCK` to
   * wait again.
   */
  private disarm(what: number, pid: number, m: Message, status: number, remaining_ms: number): number {
    this.doorbells.disarm(this.core);
    if (status !== Status.WOULD_BLOCK) return status;
    if (Atomics.load(this.i32, NODE_CLOSING_WORD) !== 0) return Status.CLOSED;
    if (remaining_ms <= 0) {
      this.count(C_RECV_TIMEOUTS, 1);
      return Status.TIMEOUT;
    }
    return this.poll(what, pid, m);
  }

  /** Non-blocking receive for `pid`: `OK` with the message in `m`, or `WOULD_BLOCK`. */
  try_recv(pid: number, m: Message): number {
    if (!(pid >= 0 && pid < this.pids_max && (pid | 0) === pid)) return this.reject(C_REJECTED_BAD_PID, Status.BAD_PID);
    const pid_core = this.i32[this.pid_table_word + pid]!;
    if (pid_core !== this.core) {
      if (pid_core < 0) return this.reject(C_REJECTED_NOT_BOUND, Status.NOT_BOUND);
      return this.reject(C_REJECTED_WRONG_CORE, Status.WRONG_CORE);
    }
    const notify = this.notify_word + pid * PROCESS_WORDS;
    if (this.i32[notify] !== 0) {
      const bits = Atomics.exchange(this.i32, notify, 0); // process_table.ts `take_signal`, inline.
      if (bits !== 0) return this.deliver_notification(pid, m, bits);
    }
    if (this.mailboxes.take(pid, m)) {
      if (this.stalled) this.unstall();
      return Status.OK;
    }
    for (let round = 0; round < MERGE_ROUNDS_MAX; round++) {
      let moved = false;
      for (let k = 0; k < 4; k++) {
        const source = (this.next_source + k) & 3;
        const outcome = this.pump(source, pid, m);
        if (outcome === PUMP_DELIVERED) {
          if (k === 0 && this.streak < SOURCE_STREAK_MAX) {
            this.streak++;
          } else {
            this.next_source = k === 0 ? (source + 1) & 3 : source;
            this.streak = 0;
          }
          return Status.OK;
        }
        if (outcome === PUMP_MOVED) moved = true;
      }
      if (!moved) return Status.WOULD_BLOCK;
    }
    // Out of rounds while messages still moved: whoever sleeps here (the caller too, when it is
    // arming) must poll again rather than wait for a sender.
    this.stalled = true;
    this.unstall();
    return Status.WOULD_BLOCK;
  }

  /** Rings this core's doorbell for the sleepers a stalled receive may have left behind. */
  private unstall(): void {
    this.stalled = false;
    this.ring(this.core);
  }

  /** Fills `m` as the notification `bits` (seL4: the ORed badges of every notifier since last time). */
  private deliver_notification(pid: number, m: Message, bits: number): number {
    m.src_pid = -1;
    m.dst_pid = pid;
    m.m_type = 0;
    m.flags = SlotFlags.NOTIFY;
    m.seq = 0;
    m.length = 0;
    m.block_offset = 0;
    m.block_gen = 0;
    m.badge = bits;
    m.src_node = LOCAL_NODE;
    m.cap = 0;
    m.aux0 = bits;
    m.aux1 = 0;
    m.aux2 = 0;
    m.tier = 0;
    this.count(C_NOTIFIES_RECEIVED, 1);
    return Status.OK;
  }

  /**
   * Takes the reply to `pid`'s current call if it is ready: into `m`, returning the status the
   * replier (or the callee's exit) left, OK or DEAD_PEER. `WOULD_BLOCK` while it is not ready.
   */
  try_take_reply(pid: number, m: Message): number {
    return take_reply(this.memory, pid, m);
  }

  /**
   * Waits for the reply to `pid`'s current call, as `recv` waits for a message: polls, then
   * sleeps on the core's doorbell (the replier rings it), at most `timeout_ms`.
   */
  wait_reply(pid: number, m: Message, timeout_ms: number): number {
    return this.wait(POLL_REPLY, pid, m, timeout_ms);
  }

  /** Like `wait_reply`, without blocking the thread. */
  wait_reply_async(pid: number, m: Message, timeout_ms: number): Promise<number> {
    return this.wait_async(POLL_REPLY, pid, m, timeout_ms);
  }

  /**
   * Takes the head of `source` (0..2 a ring, 3 the spill queue) if it is the next message
   * its channel expects: into `m` if it is for `pid`, else into its pid's mailbox.
   */
  private pump(source: number, pid: number, m: Message): number {
    let array: Int32Array;
    let w: number;
    let block = 0;
    if (source < 3) {
      array = this.i32;
      w = this.in_rings[source]!.peek();
      if (w < 0) return PUMP_NONE;
    } else {
      block = this.in_spill!.peek();
      if (block === 0) return PUMP_NONE;
      array = this.r32;
      w = (block + BLOCK_DATA) / WORD_BYTES;
    }
    if (this.debug) this.check_incoming(array, w);
    const recv_seq_word = this.channels.recv_seq_word(array[w + SLOT_CHANNEL_WORD]!);
    const expected = this.i32[recv_seq_word]!;
    const seq = array[w + SLOT_SEQ_WORD]!;
    if (seq !== expected) {
      // Later: an earlier one is elsewhere. Earlier: sent to a process that has gone since (revive).
      return ((seq - expected) | 0) < 0 ? this.skip_stale(source, array, w, block) : PUMP_NONE;
    }
    if ((array[w + SLOT_FLAGS_WORD]! & SlotFlags.DROPPED) !== 0)
      return this.skip_tombstone(source, array, w, block, recv_seq_word, expected);
    const target = array[w + SLOT_DST_PID_WORD]!;
    const deliver = target === pid;
    if (!deliver && this.mailboxes.full(target)) {
      this.stalled = true;
      this.count(C_MAILBOX_STALLS, 1);
      return PUMP_NONE;
    }
    if (source === 3 && !this.in_spill!.pop(block)) return PUMP_NONE; // A push is mid-way.
    const length = array[w + SLOT_LENGTH_WORD]!;
    if (deliver) read_slot(array, w, m, source);
    else this.park(target, array, w, source);
    if (source < 3) this.in_rings[source]!.release();
    else this.slab.free(block, this.slab.generation(block), BlockState.SPILLED);
    this.i32[recv_seq_word] = (expected + 1) | 0;
    this.count(C_RECV_TIER + source, 1);
    this.count(C_RECV_BYTES, length);
    if (this.stalled) this.unstall();
    return deliver ? PUMP_DELIVERED : PUMP_MOVED;
  }

  /** Moves the slot at `w` into `target`'s mailbox (room checked by the caller). */
  private park(target: number, array: Int32Array, w: number, source: number): void {
    if (this.debug) this.mailboxes.check_room(target);
    this.mailboxes.put(target, array, w, source);
  }

  /** The reader's side of a slot (debug): the invariants `check_outgoing` established. */
  private check_incoming(array: Int32Array, w: number): void {
    const channel = array[w + SLOT_CHANNEL_WORD]!;
    assert_range(channel, 0, this.channels.channels_max - 1, 'slot channel index');
    assert(this.channels.exists(channel), 'slot channel exists');
    const dst = array[w + SLOT_DST_PID_WORD]!;
    assert(this.memory.core_of(dst) === this.core, 'slot receiver is bound to the consuming core');
    const flags = array[w + SLOT_FLAGS_WORD]!;
    const length = array[w + SLOT_LENGTH_WORD]!;
    if ((flags & SlotFlags.DESCRIPTOR) === 0) {
      assert_range(length, 0, SLOT_PAYLOAD_BYTES_MAX, 'slot inline length');
    } else if ((flags & SlotFlags.DROPPED) === 0) {
      const block = array[w + SLOT_BLOCK_OFFSET_WORD]!;
      assert(this.slab.is_block(block), 'slot descriptor inside the slab');
      assert(length <= this.slab.capacity_of(block), 'slot descriptor length within its block');
    }
  }

  /** Consumes a tombstone (a dropped staged message): its sequence number passes, nothing is delivered. */
  private skip_tombstone(
    source: number,
    array: Int32Array,
    w: number,
    block: number,
    recv_seq_word: number,
    expected: number,
  ): number {
    if (!this.discard(source, array, w, block)) return PUMP_NONE;
    this.i32[recv_seq_word] = (expected + 1) | 0;
    if (this.stalled) this.unstall();
    return PUMP_MOVED;
  }

  /** Consumes a message for a process that has gone since it was sent (`forget_inbound`): counted, not delivered. */
  private skip_stale(source: number, array: Int32Array, w: number, block: number): number {
    if (!this.discard(source, array, w, block)) return PUMP_NONE;
    this.count(C_STALE_DROPPED, 1);
    if (this.stalled) this.unstall();
    return PUMP_MOVED;
  }

  /** Takes the head slot of `source` without delivering it, freeing its payload block. False if a spill push is mid-way. */
  private discard(source: number, array: Int32Array, w: number, block: number): boolean {
    if (source === 3 && !this.in_spill!.pop(block)) return false;
    if ((array[w + SLOT_FLAGS_WORD]! & SlotFlags.DESCRIPTOR) !== 0) {
      this.slab.free(array[w + SLOT_BLOCK_OFFSET_WORD]!, array[w + SLOT_BLOCK_GEN_WORD]!, BlockState.PAYLOAD);
    }
    if (source < 3) this.in_rings[source]!.release();
    else this.slab.free(block, this.slab.generation(block), BlockState.SPILLED);
    return true;
  }

  /**
   * Forgets what was sent to `pid` and not received yet (`Kernel.revive`, on `pid`'s own core):
   * its mailbox is emptied, and every message still on the way on `channels` (those to `pid`) is
   * dropped when the merge reaches it (its sequence number falls behind the channel's). Each is
   * counted as `stale_dropped`. Returns how many the mailbox held.
   */
  forget_inbound(pid: number, channels: readonly number[], scratch: Message): number {
    let dropped = 0;
    while (this.mailboxes.take(pid, scratch)) {
      if (scratch.block_offset !== 0) this.free_block(scratch.block_offset);
      dropped++;
    }
    this.count(C_STALE_DROPPED, dropped);
    for (const c of channels) this.i32[this.channels.recv_seq_word(c)] = this.i32[this.channels.send_seq_word(c)]!;
    return dropped;
  }

  // ---------------------------------------------------------------------------------------
  // Payload blocks (zero-copy descriptors).

  /**
   * Claims a block of at least `bytes` from the payload slab. Returns its byte offset in the
   * message region (> 0): write the payload at `block_data(block)` in `memory.r8` (or through
   * `block_view`), then send a message with `block_offset = block` and `length = bytes`.
   * Returns `TOO_BIG` above the largest class, `BACKPRESSURE` when no block is free.
   */
  alloc_block(bytes: number): number {
    if (!(bytes >= 0 && (bytes | 0) === bytes)) return this.reject(C_REJECTED_BAD_ARGUMENT, Status.BAD_ARGUMENT);
    const k = this.slab.class_for(bytes);
    if (k < 0) return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    const block = this.slab.alloc(k, BlockState.PAYLOAD, this.core, bytes);
    if (block === 0) {
      this.count(C_BLOCK_ALLOC_FAILED, 1);
      return Status.BACKPRESSURE;
    }
    return block;
  }

  /** Byte offset (in `memory.r8`) of the data of `block`. */
  block_data(block: number): number {
    return block + BLOCK_DATA;
  }

  /** A view of the payload of a received descriptor message, in place (allocates the view). */
  block_view(m: Message): Uint8Array {
    assert(m.block_offset !== 0, 'block_view: the message carries a block');
    return new Uint8Array(this.memory.region, m.block_offset + BLOCK_DATA, m.length);
  }

  /** A view of a block's whole data area (for the sender to fill; allocates the view). */
  block_bytes(block: number): Uint8Array {
    assert(this.slab.is_block(block), 'block_bytes: a block offset from alloc_block');
    return new Uint8Array(this.memory.region, block + BLOCK_DATA, this.slab.capacity_of(block));
  }

  /**
   * Releases the payload block of a received descriptor message. Returns `STALE_BLOCK` (and
   * counts it) if it was already released or never sent.
   */
  release(m: Message): number {
    const block = m.block_offset;
    if (block === 0 || !this.slab.is_block(block)) return this.reject(C_STALE_RELEASES, Status.STALE_BLOCK);
    if (!this.slab.free(block, m.block_gen, BlockState.PAYLOAD))
      return this.reject(C_STALE_RELEASES, Status.STALE_BLOCK);
    m.block_offset = 0;
    this.count(C_BLOCKS_RELEASED, 1);
    return Status.OK;
  }

  /** Frees a block this thread allocated and did not send. */
  free_block(block: number): number {
    if (!this.slab.is_block(block)) return this.reject(C_STALE_RELEASES, Status.STALE_BLOCK);
    if (!this.slab.free(block, this.slab.generation(block), BlockState.PAYLOAD))
      return this.reject(C_STALE_RELEASES, Status.STALE_BLOCK);
    return Status.OK;
  }

  // ---------------------------------------------------------------------------------------
  // Counters.

  /** Adds `n` to counter `index` (for the layers above: capabilities, graph, network). */
  note(index: number, n: number): void {
    this.count(index, n);
  }

  /** Adds `n` to counter `index` of this attachment's block (low word, carry into the high one). */
  private count(index: number, n: number): void {
    const u32 = this.u32;
    const w = this.counters_word + index * 2;
    const before = u32[w]!;
    const after = (before + n) >>> 0;
    u32[w] = after;
    if (after < before) u32[w + 1] = u32[w + 1]! + 1;
  }

  private reject(counter: number, status: number): number {
    this.count(counter, 1);
    return status;
  }
}
