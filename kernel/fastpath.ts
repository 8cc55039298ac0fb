/**
 * The fastpath: one thread's attachment to a node, as one of its cores or as a producer.
 *
 * Sending (`send`): a message enters the innermost tier its sender and receiver share (L1 on
 * the same core, L2 on the same socket, L3 otherwise). When that ring is full it cascades
 * outward, L1 → L2 → L3 (the spec's "attempts L1→L2→L3 transfers"), and when every ring on the
 * path is full it spills into the receiving core's spill queue. When the spill region is full
 * too, the send returns `BACKPRESSURE` and nothing changes.
 *
 * Receiving (`recv`): the core's consumer merges its four sources (L1, L2, L3, spill). Every
 * message carries its channel's sequence number, and the consumer delivers a source's head only
 * when it is the next one its channel expects; so a message that cascaded outward is never
 * overtaken by a later message of its channel that found room further in. Messages for the
 * core's other pids are parked in their mailboxes. ARCHITECTURE.md, "Order", has the proof
 * that the merge always makes progress.
 *
 * The hot path never throws and never allocates: it returns `Status` codes and counts every
 * refusal in the core's counter block.
 */
import { ErrorCode } from './error_codes.js';
import { assert } from './assert.js';
import { ConfigError } from './errors.js';
import { lock, unlock } from './control_lock.js';
import type { KernelEnv } from './env.js';
import { BlockState } from './layout/block_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import {
  CHANNEL_DST_NODE_WORD,
  CHANNEL_DST_PID_WORD,
  CHANNEL_KEY_WORD,
  CHANNEL_OWNER_CAP_WORD,
  CHANNEL_RECV_SEQ_WORD,
  CHANNEL_SEND_SEQ_WORD,
  CHANNEL_SRC_NODE_WORD,
  CHANNEL_SRC_PID_WORD,
  CHANNEL_STAGED_HEAD_WORD,
  CHANNEL_STAGED_TAIL_WORD,
  CHANNEL_STAGED_TOTAL_WORD,
  CHANNEL_STAGING_WORD,
  CHANNEL_TAG_WORD,
  CHANNEL_WORDS,
  ChannelState,
  channel_key,
  channel_tag,
} from './layout/channel_layout.js';
import {
  COUNTER_BLOCK_BYTES,
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
  C_STALE_RELEASES,
} from './layout/counter_layout.js';
import { BLOCK_DATA, BLOCK_LENGTH_WORD, BLOCK_NEXT_WORD } from './layout/block_layout.js';
import {
  CORE_DOORBELL,
  CORE_OWNER,
  CORE_WAITERS,
  MAILBOX_HEADER_BYTES,
  MAILBOX_HEAD,
  MAILBOX_TAIL,
  NODE_CHANNELS_USED_WORD,
  NODE_CLOSING_WORD,
  NODE_LOCK_WORD,
  NODE_TOKENS_WORD,
  ring_offset,
} from './layout/node_layout.js';
import {
  PROCESS_NOTIFY_BITS_WORD,
  PROCESS_REPLY_SLOT_WORD,
  PROCESS_REPLY_STATE_WORD,
  PROCESS_REPLY_STATUS_WORD,
  PROCESS_WORDS,
  ReplyState,
} from './layout/process_layout.js';
import {
  SLOT_BLOCK_GEN_WORD,
  SLOT_BLOCK_OFFSET_WORD,
  SLOT_CHANNEL_SEQ_WORD,
  SLOT_CHANNEL_WORD,
  SLOT_DST_PID_WORD,
  SLOT_FLAGS_WORD,
  SLOT_LENGTH_WORD,
  SLOT_PAYLOAD_BYTES_MAX,
  SLOT_PUBLISH_SEQ_WORD,
  SLOT_WORDS,
  SlotFlags,
} from './layout/slot_layout.js';
import { SPILL_QUEUE_BYTES } from './layout/spill_layout.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { Ring } from './ring.js';
import { Slab } from './slab.js';
import { copy_slot, read_slot, write_slot } from './slot_io.js';
import { SpillQueue } from './spill_queue.js';
import { Status } from './status.js';
import { NO_CORE } from './topology.js';

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

/** Node id of this node in channel keys. */
export const LOCAL_NODE = 0;
/** Wildcard node for channel lookups (the spec's `ANY_NODE`). */
export const ANY_NODE = -1;

/** How long a blocking receive waits, as the spec says: 100 ms. */
export const RECV_TIMEOUT_MS_DEFAULT = 100;
/** Longest timeout a receive accepts: one minute. */
export const RECV_TIMEOUT_MS_MAX = 60_000;
/** Most messages one `send_batch` takes. */
export const BATCH_COUNT_MAX = 1024;

const MAILBOX_SLOTS_WORD = MAILBOX_HEADER_BYTES / WORD_BYTES;

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

export class Fastpath {
  readonly memory: NodeMemory;
  /** The attached core, or `NO_CORE` for a producer. */
  readonly core: number;
  /** The producer slot, or -1 for a core. */
  readonly producer_slot: number;
  readonly env: KernelEnv;
  readonly slab: Slab;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly r32: Int32Array;
  private readonly pids_max: number;
  private readonly pid_table_word: number;
  private readonly channel_mask: number;
  private readonly counters_word: number;
  /** Home tier of a message from this thread to each core. */
  private readonly home_tier: Int8Array;
  /** Rings of every core, as a producer: index `core * 3 + tier`. */
  private readonly out_rings: Ring[];
  /** Spill queues of every core, as a producer. */
  private readonly out_spill: SpillQueue[];
  /** This core's rings and spill queue, as their consumer (empty for a producer). */
  private readonly in_rings: Ring[];
  private readonly in_spill: SpillQueue | null;
  /** Word index of each core's control line (doorbell, waiters), and of its waiter count. */
  private readonly control_words: Int32Array;
  private readonly waiter_words: Int32Array;
  private readonly owner_word: number;
  private readonly token: number;
  /** This core's doorbell and waiter count (word indexes; -1 for a producer). */
  private readonly doorbell_word: number;
  private readonly waiters_word: number;
  /** The doorbell value recorded by the last `arm`. */
  private armed_bell = 0;
  private readonly mailbox_capacity: number;
  /** Word index of pid 0's mailbox, and words per mailbox. */
  private readonly mailboxes_word: number;
  private readonly mailbox_words: number;
  /** Word index of channel 0's entry. */
  private readonly channels_word: number;
  /** Word index of pid 0's process entry. */
  private readonly processes_word: number;
  /**
   * The last channel `channel_of` resolved: a sender usually sends to the same place again, and
   * channel entries never move (keys are never removed), so the memo stays valid.
   */
  private memo_src = -1;
  private memo_dst = -1;
  private memo_src_node = -1;
  private memo_dst_node = -1;
  private memo_channel = -1;
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
    this.i32 = memory.i32;
    this.u32 = memory.u32;
    this.r32 = memory.r32;
    const layout = memory.layout;
    this.pids_max = layout.geometry.pids_max;
    this.pid_table_word = layout.pid_table / WORD_BYTES;
    this.channel_mask = layout.geometry.channels_max - 1;
    this.mailbox_capacity = layout.geometry.mailbox_capacity;
    this.mailboxes_word = layout.mailboxes / WORD_BYTES;
    this.mailbox_words = layout.mailbox_bytes / WORD_BYTES;
    this.channels_word = layout.channel_table / WORD_BYTES;
    this.processes_word = layout.process_table / WORD_BYTES;
    const block = core === NO_CORE ? layout.cores + producer_slot : core;
    this.counters_word = (layout.counter_blocks + block * COUNTER_BLOCK_BYTES) / WORD_BYTES;
    this.owner_word = owner_word;
    this.token = token;
    this.slab = new Slab(memory.r32, memory.spill);
    const cores = layout.cores;
    this.home_tier = new Int8Array(cores);
    this.control_words = new Int32Array(cores);
    this.waiter_words = new Int32Array(cores);
    this.out_rings = [];
    this.out_spill = [];
    for (let c = 0; c < cores; c++) {
      this.home_tier[c] = memory.topology.home_tier(core, c);
      this.control_words[c] = memory.core_control_word(c);
      this.waiter_words[c] = this.control_words[c]! + CORE_WAITERS / WORD_BYTES;
      for (let t = 0; t < 3; t++) {
        this.out_rings.push(new Ring(memory.i32, ring_offset(layout, c, t), layout.ring_capacities[t as 0 | 1 | 2]));
      }
      this.out_spill.push(new SpillQueue(memory.r32, memory.spill.queues_offset + c * SPILL_QUEUE_BYTES));
    }
    this.in_rings = [];
    this.in_spill = null;
    this.doorbell_word = core === NO_CORE ? -1 : this.control_words[core]! + CORE_DOORBELL / WORD_BYTES;
    this.waiters_word = core === NO_CORE ? -1 : this.control_words[core]! + CORE_WAITERS / WORD_BYTES;
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
   * network driver delivering remote messages). Its messages enter at L3. Throws `ConfigError`
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

  // ---------------------------------------------------------------------------------------
  // Sending.

  /**
   * Sends `m` from `src` (a pid bound to this core) to `dst`. `m.length` bytes of
   * `m.payload` travel inline (at most 64); if `m.block_offset` names a block from
   * `alloc_block`, its first `m.length` bytes travel by descriptor instead, and the block
   * belongs to the receiver from then on. Returns `Status.OK` or a failure status.
   */
  send(src: number, dst: number, m: Message): number {
    const dst_core = this.check_send(src, dst);
    if (dst_core < 0) return dst_core;
    let flags = m.flags & SlotFlags.USER_MASK;
    if (m.block_offset !== 0) {
      const status = this.check_descriptor(m);
      if (status !== Status.OK) return status;
      flags |= SlotFlags.DESCRIPTOR;
    } else if (m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX || (m.length | 0) !== m.length) {
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    }
    const channel = this.channel_of(LOCAL_NODE, LOCAL_NODE, src, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    m.src_pid = src;
    m.dst_pid = dst;
    return this.enqueue(m, flags, channel, dst_core, LOCAL_NODE, false);
  }

  /**
   * Sends `m` from `src` on a known local channel (the capability layer's path: the channel
   * comes from a validated capability, so there is no lookup). `kernel_flags` are `SlotFlags`
   * bits the kernel adds (GRANT, CALL); `stage` holds the message until the channel is
   * submitted. A channel to another node is not sent here: it returns NO_ROUTE, uncounted, for
   * the caller to route.
   */
  send_channel(src: number, channel: number, m: Message, kernel_flags: number, stage: boolean): number {
    const w = this.channels_word + channel * CHANNEL_WORDS;
    if (this.i32[w + CHANNEL_DST_NODE_WORD] !== LOCAL_NODE) return Status.NO_ROUTE; // The caller routes it.
    const dst = this.i32[w + CHANNEL_DST_PID_WORD]!;
    if (this.i32[w + CHANNEL_SRC_PID_WORD] !== src) return this.reject(C_REJECTED_WRONG_CORE, Status.WRONG_CORE);
    const dst_core = this.check_send(src, dst);
    if (dst_core < 0) return dst_core;
    let flags = (m.flags & SlotFlags.USER_MASK) | kernel_flags;
    if (m.block_offset !== 0) {
      const status = this.check_descriptor(m);
      if (status !== Status.OK) return status;
      flags |= SlotFlags.DESCRIPTOR;
    } else if (m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX || (m.length | 0) !== m.length) {
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    }
    m.src_pid = src;
    m.dst_pid = dst;
    return this.enqueue(m, flags, channel, dst_core, LOCAL_NODE, stage);
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
    const channel = this.channel_of(LOCAL_NODE, LOCAL_NODE, src, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    if (this.i32[this.channels_word + channel * CHANNEL_WORDS + CHANNEL_STAGING_WORD] !== 0) {
      return this.send_each(src, dst, msgs, count, channel, dst_core); // Staged messages first.
    }
    const tier = this.home_tier[dst_core]!;
    const ring = this.out_rings[dst_core * 3 + tier]!;
    const seq_word = this.channels_word + channel * CHANNEL_WORDS + CHANNEL_SEND_SEQ_WORD;
    if (ring.claim(count)) {
      const position = ring.claimed;
      const seq = this.i32[seq_word]!;
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const m = msgs[i]!;
        m.src_pid = src;
        m.dst_pid = dst;
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
      if (Atomics.load(this.i32, this.waiter_words[dst_core]!) !== 0) this.wake(dst_core);
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
   * Producer only: delivers `m` as sent by `src_pid` on node `src_node` to the local `dst`
   * (the network's path into the node). It enters at L3. An inline payload travels as usual; a
   * larger one in a block this producer allocated (`m.block_offset`), which becomes the
   * receiver's. `m.src_pid` is `src_pid`.
   */
  deliver_remote(src_node: number, src_pid: number, dst: number, m: Message): number {
    assert(this.core === NO_CORE, 'deliver_remote is for producer attachments');
    if (Atomics.load(this.i32, NODE_CLOSING_WORD) !== 0) return Status.CLOSED;
    if (!(src_pid >= 0 && src_pid < 32767 && (src_pid | 0) === src_pid))
      return this.reject(C_REJECTED_BAD_PID, Status.BAD_PID);
    const dst_core = this.dst_core_of(dst);
    if (dst_core < 0) return dst_core;
    let flags = (m.flags & SlotFlags.USER_MASK) | SlotFlags.REMOTE;
    if (m.block_offset !== 0) {
      const status = this.check_descriptor(m);
      if (status !== Status.OK) return status;
      flags |= SlotFlags.DESCRIPTOR;
    } else if (m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX) {
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    }
    const channel = this.channel_of(src_node, LOCAL_NODE, src_pid, dst);
    if (channel < 0) return this.reject(C_REJECTED_CHANNEL_FULL, Status.CHANNEL_TABLE_FULL);
    m.src_pid = src_pid;
    m.dst_pid = dst;
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
   * Checks that `m` names a block of this node's slab that is allocated for a payload and holds
   * `m.length` bytes, and stamps its generation into `m`. OK, STALE_BLOCK or TOO_BIG (counted).
   */
  validate_block(m: Message): number {
    return this.check_descriptor(m);
  }

  private check_descriptor(m: Message): number {
    const block = m.block_offset;
    if (!this.slab.is_block(block) || this.slab.state(block) !== BlockState.PAYLOAD) {
      return this.reject(C_REJECTED_BAD_ARGUMENT, Status.STALE_BLOCK);
    }
    if (m.length >>> 0 > this.slab.capacity_of(block) || (m.length | 0) !== m.length) {
      return this.reject(C_REJECTED_TOO_BIG, Status.TOO_BIG);
    }
    m.block_gen = this.slab.generation(block);
    this.r32[block / WORD_BYTES + BLOCK_LENGTH_WORD] = m.length;
    return Status.OK;
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
    const entry = this.channels_word + channel * CHANNEL_WORDS;
    if (stage || Atomics.load(this.i32, entry + CHANNEL_STAGING_WORD) !== 0) {
      const status = this.stage(m, flags, channel, src_node, stage);
      if (status !== STAGE_NOT_NEEDED) return status;
    }
    const seq_word = entry + CHANNEL_SEND_SEQ_WORD;
    const seq = this.i32[seq_word]!;
    const home = this.home_tier[dst_core]!;
    let tier: number = home;
    for (; tier < 3; tier++) {
      const ring = this.out_rings[dst_core * 3 + tier]!;
      if (ring.claim(1)) {
        const position = ring.claimed;
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
    if (tier !== home) this.count(C_CASCADED, 1);
    if ((flags & SlotFlags.DESCRIPTOR) !== 0) this.count(C_DESCRIPTOR_SENDS, 1);
    if (Atomics.load(this.i32, this.waiter_words[dst_core]!) !== 0) this.wake(dst_core);
    return Status.OK;
  }

  /**
   * The slow path of a send: under the control lock, writes the message into a slab block,
   * gives it the channel's next sequence number and appends it to the channel's staged list.
   * Returns `STAGE_NOT_NEEDED` when the caller did not ask to stage and the channel's staged
   * messages were released meanwhile (the send then goes the fast way).
   */
  private stage(m: Message, flags: number, channel: number, src_node: number, requested: boolean): number {
    const i32 = this.i32;
    const entry = this.channels_word + channel * CHANNEL_WORDS;
    lock(i32, NODE_LOCK_WORD, this.env.waiter, this.env.clock);
    try {
      if (!requested && i32[entry + CHANNEL_STAGING_WORD] === 0) return STAGE_NOT_NEEDED;
      const block = this.slab.alloc(this.memory.spill.spill_class, BlockState.SPILLED, this.core, 0);
      if (block === 0) return this.reject(C_BACKPRESSURED, Status.BACKPRESSURE);
      const seq = i32[entry + CHANNEL_SEND_SEQ_WORD]!;
      write_slot(this.r32, (block + BLOCK_DATA) / WORD_BYTES, m, flags, channel, seq, src_node);
      i32[entry + CHANNEL_SEND_SEQ_WORD] = (seq + 1) | 0;
      const tail = i32[entry + CHANNEL_STAGED_TAIL_WORD]!;
      if (tail === 0) i32[entry + CHANNEL_STAGED_HEAD_WORD] = block;
      else this.r32[tail / WORD_BYTES + BLOCK_NEXT_WORD] = block;
      i32[entry + CHANNEL_STAGED_TAIL_WORD] = block;
      i32[entry + CHANNEL_STAGED_TOTAL_WORD] = (i32[entry + CHANNEL_STAGED_TOTAL_WORD]! + 1) | 0;
      Atomics.store(i32, entry + CHANNEL_STAGING_WORD, i32[entry + CHANNEL_STAGING_WORD]! + 1);
      this.count(C_STAGED, 1);
      return Status.OK;
    } finally {
      unlock(i32, NODE_LOCK_WORD, this.env.waiter);
    }
  }

  /**
   * Pushes a staged (or otherwise prepared) message block into `dst_core`'s spill queue and
   * rings its doorbell. Used by the release of staged messages (staging.ts), under the lock.
   */
  push_block(dst_core: number, block: number): void {
    this.out_spill[dst_core]!.push(block);
    this.ring_doorbell(dst_core);
  }

  /** Rings `core`'s doorbell if a thread sleeps on it. */
  ring_doorbell(core: number): void {
    if (Atomics.load(this.i32, this.waiter_words[core]!) !== 0) this.wake(core);
  }

  /** Rings `core`'s doorbell (a sender saw a sleeper): the cold half of `ring_doorbell`. */
  private wake(core: number): void {
    const bell = this.control_words[core]! + CORE_DOORBELL / WORD_BYTES;
    Atomics.add(this.i32, bell, 1);
    this.env.waiter.notify(this.i32, bell, Infinity);
    this.count(C_DOORBELLS_RUNG, 1);
  }

  // ---------------------------------------------------------------------------------------
  // Channels.

  /**
   * Index of the channel `src` on `src_node` → `dst` on `dst_node`, inserting it on first use;
   * -1 if the table is full. Lookups take no lock; inserts take the control lock.
   */
  channel_of(src_node: number, dst_node: number, src: number, dst: number): number {
    if (
      src === this.memo_src &&
      dst === this.memo_dst &&
      src_node === this.memo_src_node &&
      dst_node === this.memo_dst_node
    ) {
      return this.memo_channel;
    }
    let found = this.find_channel(src_node, dst_node, src, dst);
    if (found === -1) found = this.insert_channel(src_node, dst_node, src, dst);
    if (found !== -1) {
      this.memo_src = src;
      this.memo_dst = dst;
      this.memo_src_node = src_node;
      this.memo_dst_node = dst_node;
      this.memo_channel = found;
    }
    return found;
  }

  /**
   * Index of the channel `src` on `src_node` → `dst` on `dst_node`, or -1 if there is none.
   * `dst_node` may be `ANY_NODE`: then the first open channel between the two pids, whatever
   * its destination node. Takes no lock.
   */
  find_channel(src_node: number, dst_node: number, src: number, dst: number): number {
    const key = channel_key(src, dst);
    const i32 = this.i32;
    const mask = this.channel_mask;
    let index = hash_channel(key, src_node) & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const w = this.channels_word + index * CHANNEL_WORDS;
      const k = Atomics.load(i32, w + CHANNEL_KEY_WORD);
      if (k === 0) return -1;
      if (k === key && i32[w + CHANNEL_SRC_NODE_WORD] === src_node) {
        if (dst_node === ANY_NODE) {
          if ((Atomics.load(i32, w + CHANNEL_TAG_WORD) & 3) === ChannelState.OPEN) return index;
        } else if (i32[w + CHANNEL_DST_NODE_WORD] === dst_node) {
          return index;
        }
      }
      index = (index + 1) & mask;
    }
    return -1;
  }

  private insert_channel(src_node: number, dst_node: number, src: number, dst: number): number {
    const i32 = this.i32;
    lock(i32, NODE_LOCK_WORD, this.env.waiter, this.env.clock);
    try {
      const found = this.find_channel(src_node, dst_node, src, dst);
      if (found !== -1) return found; // Inserted meanwhile.
      const mask = this.channel_mask;
      // Keep one entry free so that every probe sequence ends.
      if (i32[NODE_CHANNELS_USED_WORD]! >= mask) return -1;
      const key = channel_key(src, dst);
      let index = hash_channel(key, src_node) & mask;
      for (let probe = 0; probe <= mask; probe++) {
        const w = this.channels_word + index * CHANNEL_WORDS;
        if (i32[w + CHANNEL_KEY_WORD] === 0) {
          i32.fill(0, w, w + CHANNEL_WORDS);
          i32[w + CHANNEL_SRC_NODE_WORD] = src_node;
          i32[w + CHANNEL_DST_NODE_WORD] = dst_node;
          i32[w + CHANNEL_SRC_PID_WORD] = src;
          i32[w + CHANNEL_DST_PID_WORD] = dst;
          i32[w + CHANNEL_TAG_WORD] = channel_tag(1, ChannelState.OPEN);
          i32[w + CHANNEL_OWNER_CAP_WORD] = -1;
          Atomics.store(i32, w + CHANNEL_KEY_WORD, key); // Publishes the entry.
          i32[NODE_CHANNELS_USED_WORD] = i32[NODE_CHANNELS_USED_WORD]! + 1;
          return index;
        }
        index = (index + 1) & mask;
      }
      return -1;
    } finally {
      unlock(i32, NODE_LOCK_WORD, this.env.waiter);
    }
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
      if (this.should_sleep(status, remaining_ms)) {
        this.env.waiter.wait(this.i32, this.doorbell_word, this.armed_bell, remaining_ms);
      }
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
      if (this.should_sleep(status, remaining_ms)) {
        await this.env.waiter.wait_async(this.i32, this.doorbell_word, this.armed_bell, remaining_ms);
      }
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
    Atomics.add(this.i32, this.waiters_word, 1);
    this.armed_bell = Atomics.load(this.i32, this.doorbell_word);
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
    Atomics.sub(this.i32, this.waiters_word, 1);
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
    const notify_word = this.processes_word + pid * PROCESS_WORDS + PROCESS_NOTIFY_BITS_WORD;
    if (this.i32[notify_word] !== 0) {
      const bits = Atomics.exchange(this.i32, notify_word, 0);
      if (bits !== 0) return this.deliver_notification(pid, m, bits);
    }
    if (this.mailbox_take(pid, m)) {
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
    if (Atomics.load(this.i32, this.waiters_word) !== 0) this.wake(this.core);
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
    const entry = this.processes_word + pid * PROCESS_WORDS;
    const state = Atomics.load(this.i32, entry + PROCESS_REPLY_STATE_WORD);
    if ((state & 3) !== ReplyState.READY) return Status.WOULD_BLOCK;
    const status = this.i32[entry + PROCESS_REPLY_STATUS_WORD]!;
    if (status === Status.OK) read_slot(this.i32, entry + PROCESS_REPLY_SLOT_WORD, m, 0);
    Atomics.store(this.i32, entry + PROCESS_REPLY_STATE_WORD, (state & ~3) | ReplyState.IDLE);
    return status;
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
    const channel = array[w + SLOT_CHANNEL_WORD]!;
    const recv_seq_word = this.channels_word + channel * CHANNEL_WORDS + CHANNEL_RECV_SEQ_WORD;
    const expected = this.i32[recv_seq_word]!;
    if (array[w + SLOT_CHANNEL_SEQ_WORD] !== expected) return PUMP_NONE; // An earlier one is elsewhere.
    if ((array[w + SLOT_FLAGS_WORD]! & SlotFlags.DROPPED) !== 0)
      return this.skip_tombstone(source, array, w, block, recv_seq_word, expected);
    const target = array[w + SLOT_DST_PID_WORD]!;
    const deliver = target === pid;
    if (!deliver && this.mailbox_full(target)) {
      this.stalled = true;
      this.count(C_MAILBOX_STALLS, 1);
      return PUMP_NONE;
    }
    if (source === 3 && !this.in_spill!.pop(block)) return PUMP_NONE; // A push is mid-way.
    const length = array[w + SLOT_LENGTH_WORD]!;
    if (deliver) read_slot(array, w, m, source);
    else this.mailbox_put(target, array, w, source);
    if (source < 3) this.in_rings[source]!.release();
    else this.slab.free(block, this.slab.generation(block), BlockState.SPILLED);
    this.i32[recv_seq_word] = (expected + 1) | 0;
    this.count(C_RECV_TIER + source, 1);
    this.count(C_RECV_BYTES, length);
    if (this.stalled) this.unstall();
    return deliver ? PUMP_DELIVERED : PUMP_MOVED;
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
    if (source === 3 && !this.in_spill!.pop(block)) return PUMP_NONE;
    if ((array[w + SLOT_FLAGS_WORD]! & SlotFlags.DESCRIPTOR) !== 0) {
      this.slab.free(array[w + SLOT_BLOCK_OFFSET_WORD]!, array[w + SLOT_BLOCK_GEN_WORD]!, BlockState.PAYLOAD);
    }
    if (source < 3) this.in_rings[source]!.release();
    else this.slab.free(block, this.slab.generation(block), BlockState.SPILLED);
    this.i32[recv_seq_word] = (expected + 1) | 0;
    if (this.stalled) this.unstall();
    return PUMP_MOVED;
  }

  private mailbox_full(pid: number): boolean {
    if (!(pid >= 0 && pid < this.pids_max)) return true;
    const w = this.mailboxes_word + pid * this.mailbox_words;
    const used = (this.i32[w + MAILBOX_TAIL / WORD_BYTES]! - this.i32[w + MAILBOX_HEAD / WORD_BYTES]!) | 0;
    return used >= this.mailbox_capacity;
  }

  private mailbox_put(pid: number, array: Int32Array, w: number, tier: number): void {
    const mailbox = this.mailboxes_word + pid * this.mailbox_words;
    const tail = this.i32[mailbox + MAILBOX_TAIL / WORD_BYTES]!;
    const slot = mailbox + MAILBOX_SLOTS_WORD + (tail % this.mailbox_capacity) * SLOT_WORDS;
    copy_slot(array, w, this.i32, slot, tier);
    this.i32[mailbox + MAILBOX_TAIL / WORD_BYTES] = (tail + 1) | 0;
  }

  private mailbox_take(pid: number, m: Message): boolean {
    const mailbox = this.mailboxes_word + pid * this.mailbox_words;
    const head = this.i32[mailbox + MAILBOX_HEAD / WORD_BYTES]!;
    if (head === this.i32[mailbox + MAILBOX_TAIL / WORD_BYTES]) return false;
    const slot = mailbox + MAILBOX_SLOTS_WORD + (head % this.mailbox_capacity) * SLOT_WORDS;
    read_slot(this.i32, slot, m, this.i32[slot + SLOT_PUBLISH_SEQ_WORD]!);
    this.i32[mailbox + MAILBOX_HEAD / WORD_BYTES] = (head + 1) | 0;
    return true;
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

  /** Adds `n` to counter `index` of this attachment's block (single writer: plain stores). */
  private count(index: number, n: number): void {
    const w = this.counters_word + index * 2;
    const u32 = this.u32;
    const before = u32[w]!;
    const after = (before + n) >>> 0;
    u32[w] = after;
    if (after < before) u32[w + 1] = u32[w + 1]! + 1;
  }

  /** Adds `n` to counter `index` (for the layers above: capabilities, graph, network). */
  note(index: number, n: number): void {
    this.count(index, n);
  }

  private reject(counter: number, status: number): number {
    this.count(counter, 1);
    return status;
  }

  /** Whether this attachment is still held (false after `detach`). */
  get is_attached(): boolean {
    return this.attached;
  }
}

/**
 * Spreads channels over the table (multiplicative hashing of the key and the source node). The
 * destination node is not hashed, so an `ANY_NODE` lookup finds every destination's channel
 * between two pids on one probe sequence. The source node is: a node that hears from 63 others
 * holds a channel per (node, pid pair), and with the key alone they all shared one probe
 * sequence (measured: up to ~60 probes, each a cache miss, per remote delivery at 64 nodes).
 */
function hash_channel(key: number, src_node: number): number {
  return Math.imul(key ^ Math.imul(src_node, 0x85ebca6b), 0x9e3779b1) >>> 12;
}

/** `stage` found nothing to stage: the send continues on the fast path. */
const STAGE_NOT_NEEDED = 1;
