/**
 * The channel table: one thread's view of the node's channels (layout/channel_layout.ts).
 *
 * Everything that reads or writes a channel entry goes through here: lookup and insert, handles
 * and indexes, tags, the destination, the sequence words the fastpath bumps, the owner
 * capability, and the staging list (staging.ts). No other file computes a channel word.
 *
 * - Entries live in an open-addressing hash table keyed by (src pid, dst pid) and the source
 *   node. Lookups take no lock; inserts take the control lock and publish an entry by storing its
 *   key last, so a reader that sees the key sees every field. Keys are never removed: a closed
 *   channel keeps its entry and reopens at a new generation, so probe sequences stay intact and
 *   an index, once handed out, names the same (src, dst) pair for the node's whole life.
 * - A handle is `(generation << 20) | index`: closing bumps the generation, which makes every
 *   handle and capability of the old incarnation stale.
 * - `destination(channel)` is the route: `LOCAL_NODE` and a pid for a channel inside the node,
 *   another node and its pid for a remote one. `Kernel` reads it once per send to choose the
 *   fastpath or the router.
 */
import { assert, assert_range } from './assert.js';
import { lock, unlock } from './control_lock.js';
import type { KernelEnv } from './env.js';
import {
  CHANNEL_DST_NODE_WORD,
  CHANNEL_DST_PID_WORD,
  CHANNEL_KEY_WORD,
  CHANNEL_OWNER_CAP_WORD,
  CHANNEL_RECV_SEQ_WORD,
  CHANNEL_RELEASED_TOTAL_WORD,
  CHANNEL_SEND_SEQ_WORD,
  CHANNEL_SRC_NODE_WORD,
  CHANNEL_SRC_PID_WORD,
  CHANNEL_STAGED_HEAD_WORD,
  CHANNEL_STAGED_TAIL_WORD,
  CHANNEL_STAGED_TOTAL_WORD,
  CHANNEL_STAGING_WORD,
  CHANNEL_SUBMIT_TARGET_WORD,
  CHANNEL_TAG_WORD,
  CHANNEL_WORDS,
  ChannelState,
  channel_handle,
  channel_handle_index,
  channel_handle_matches,
  channel_key,
  channel_tag,
  channel_tag_generation,
  channel_tag_state,
} from './layout/channel_layout.js';
import { BLOCK_NEXT_WORD } from './layout/block_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { NODE_CHANNELS_USED_WORD, NODE_LOCK_WORD } from './layout/node_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Status } from './status.js';

/** Node id of this node in channel entries. */
export const LOCAL_NODE = 0;
/** Wildcard node for channel lookups (the spec's `ANY_NODE`). */
export const ANY_NODE = -1;
/** Largest pid on another node a channel may name (pids are 15-bit in channel keys). */
export const REMOTE_PID_MAX = 32766;

/** Where a channel leads: `node` is `LOCAL_NODE` for a channel inside this node. */
export interface Destination {
  node: number;
  pid: number;
}

/**
 * The node's channel table: lookup and insert, handles and tags, each channel's route and
 * sequence words (every access to a channel entry goes through here).
 */
export class ChannelTable {
  private readonly memory: NodeMemory;
  private readonly env: KernelEnv;
  private readonly i32: Int32Array;
  /** Word index of channel 0's entry. */
  private readonly channels_word: number;
  private readonly mask: number;
  /** Entries in the table (a power of two). */
  readonly channels_max: number;
  /**
   * The last channel `of` resolved: a sender usually sends to the same place again, and entries
   * never move (keys are never removed), so the memo stays valid.
   */
  private memo_src = -1;
  private memo_dst = -1;
  private memo_src_node = -1;
  private memo_dst_node = -1;
  private memo_channel = -1;

  constructor(memory: NodeMemory, env: KernelEnv) {
    this.memory = memory;
    this.env = env;
    this.i32 = memory.i32;
    this.channels_word = memory.layout.channel_table / WORD_BYTES;
    this.channels_max = memory.geometry.channels_max;
    this.mask = this.channels_max - 1;
  }

  /** Word index of entry `channel` (the hot accessors below compute it in place: one inlining level less). */
  private word(channel: number): number {
    return this.channels_word + channel * CHANNEL_WORDS;
  }

  // -------------------------------------------------------------------------------------------
  // Lookup and insert.

  /**
   * Index of the channel `src` on `src_node` → `dst` on `dst_node`, inserting it on first use;
   * -1 if the table is full. Lookups take no lock; inserts take the control lock.
   */
  of(src_node: number, dst_node: number, src: number, dst: number): number {
    if (
      src === this.memo_src &&
      dst === this.memo_dst &&
      src_node === this.memo_src_node &&
      dst_node === this.memo_dst_node
    ) {
      return this.memo_channel;
    }
    let found = this.find(src_node, dst_node, src, dst);
    if (found === -1) found = this.insert(src_node, dst_node, src, dst);
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
   * `dst_node` may be `ANY_NODE`: then the first open channel between the two pids, whatever its
   * destination node. Takes no lock.
   */
  find(src_node: number, dst_node: number, src: number, dst: number): number {
    const key = channel_key(src, dst);
    const i32 = this.i32;
    const mask = this.mask;
    let index = hash_channel(key, src_node) & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const w = this.word(index);
      const k = Atomics.load(i32, w + CHANNEL_KEY_WORD);
      if (k === 0) return -1;
      if (k === key && i32[w + CHANNEL_SRC_NODE_WORD] === src_node) {
        if (dst_node === ANY_NODE) {
          if (channel_tag_state(Atomics.load(i32, w + CHANNEL_TAG_WORD)) === ChannelState.OPEN) return index;
        } else if (i32[w + CHANNEL_DST_NODE_WORD] === dst_node) {
          return index;
        }
      }
      index = (index + 1) & mask;
    }
    return -1;
  }

  /**
   * The open channel a local `src` sends on to pid `dst` when no node is named (the facade's
   * rule, docs/API.md): the channel inside this node if it is open, else the open channel to the
   * lowest-numbered node that has one. -1 if there is none. Takes no lock.
   */
  find_for_send(src: number, dst: number): number {
    const key = channel_key(src, dst);
    const i32 = this.i32;
    const mask = this.mask;
    let best = -1;
    let best_node = 0;
    let index = hash_channel(key, LOCAL_NODE) & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const w = this.word(index);
      const k = Atomics.load(i32, w + CHANNEL_KEY_WORD);
      if (k === 0) break;
      if (k === key && i32[w + CHANNEL_SRC_NODE_WORD] === LOCAL_NODE) {
        if (channel_tag_state(Atomics.load(i32, w + CHANNEL_TAG_WORD)) === ChannelState.OPEN) {
          const node = i32[w + CHANNEL_DST_NODE_WORD]!;
          if (node === LOCAL_NODE) return index;
          if (best === -1 || node < best_node) {
            best = index;
            best_node = node;
          }
        }
      }
      index = (index + 1) & mask;
    }
    return best;
  }

  private insert(src_node: number, dst_node: number, src: number, dst: number): number {
    assert(dst_node !== ANY_NODE, 'a channel is inserted with its destination node');
    assert_range(src, 0, REMOTE_PID_MAX, 'channel insert: src pid');
    assert_range(dst, 0, REMOTE_PID_MAX, 'channel insert: dst pid');
    assert(src_node >= 0 && dst_node >= 0, 'channel insert: nodes');
    const i32 = this.i32;
    lock(i32, NODE_LOCK_WORD, this.env.waiter, this.env.clock);
    try {
      const found = this.find(src_node, dst_node, src, dst);
      if (found !== -1) return found; // Inserted meanwhile.
      const mask = this.mask;
      // Keep one entry free so that every probe sequence ends.
      if (i32[NODE_CHANNELS_USED_WORD]! >= mask) return -1;
      const key = channel_key(src, dst);
      let index = hash_channel(key, src_node) & mask;
      for (let probe = 0; probe <= mask; probe++) {
        const w = this.word(index);
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

  /** Whether entry `channel` holds a channel (its key is published). */
  exists(channel: number): boolean {
    return (
      channel >= 0 && channel < this.channels_max && Atomics.load(this.i32, this.word(channel) + CHANNEL_KEY_WORD) !== 0
    );
  }

  // -------------------------------------------------------------------------------------------
  // Handles and tags.

  /** The handle of channel `index` at its current generation. */
  handle(channel: number): number {
    return channel_handle(channel, channel_tag_generation(this.tag(channel)));
  }

  /** The index of the open channel `handle` names, or STALE_CHANNEL / NO_CHANNEL. */
  index_of(handle: number): number {
    const index = channel_handle_index(handle);
    if (!(handle >= 0 && index < this.channels_max)) return Status.NO_CHANNEL;
    if (!this.exists(index)) return Status.NO_CHANNEL;
    const tag = this.tag(index);
    if (channel_tag_state(tag) !== ChannelState.OPEN) return Status.STALE_CHANNEL;
    if (!channel_handle_matches(handle, channel_tag_generation(tag))) return Status.STALE_CHANNEL;
    return index;
  }

  /** The tag of `channel` (an atomic read: capabilities compare it without a lock). */
  tag(channel: number): number {
    return Atomics.load(this.i32, this.channels_word + channel * CHANNEL_WORDS + CHANNEL_TAG_WORD);
  }

  /** The generation of `channel`. */
  generation(channel: number): number {
    return channel_tag_generation(this.tag(channel));
  }

  /** Whether `channel` is open. */
  is_open(channel: number): boolean {
    return channel_tag_state(this.tag(channel)) === ChannelState.OPEN;
  }

  /** Under the lock: opens `channel` at its current generation if it was closed. Returns the generation. */
  reopen(channel: number): number {
    const tag = this.tag(channel);
    const generation = channel_tag_generation(tag);
    if (channel_tag_state(tag) !== ChannelState.OPEN) {
      Atomics.store(this.i32, this.word(channel) + CHANNEL_TAG_WORD, channel_tag(generation, ChannelState.OPEN));
    }
    return generation;
  }

  /** Under the lock: closes `channel` at a new generation (its handles and capabilities go stale) and forgets its owner capability. */
  close(channel: number): void {
    const w = this.word(channel);
    Atomics.store(this.i32, w + CHANNEL_TAG_WORD, channel_tag(this.generation(channel) + 1, ChannelState.CLOSED));
    this.i32[w + CHANNEL_OWNER_CAP_WORD] = -1;
  }

  // -------------------------------------------------------------------------------------------
  // The route and the endpoints.

  /** The destination node of `channel` (`LOCAL_NODE` inside this node). */
  dst_node(channel: number): number {
    return this.i32[this.channels_word + channel * CHANNEL_WORDS + CHANNEL_DST_NODE_WORD]!;
  }

  /** The receiving pid of `channel` (on `dst_node`). */
  dst_pid(channel: number): number {
    return this.i32[this.channels_word + channel * CHANNEL_WORDS + CHANNEL_DST_PID_WORD]!;
  }

  /** The node the sender of `channel` is on (`LOCAL_NODE` for a channel this node sends on). */
  src_node(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_SRC_NODE_WORD]!;
  }

  /** The sending pid of `channel`. */
  src_pid(channel: number): number {
    return this.i32[this.channels_word + channel * CHANNEL_WORDS + CHANNEL_SRC_PID_WORD]!;
  }

  /** Whether `channel` leads to another node. */
  is_remote(channel: number): boolean {
    return this.i32[this.channels_word + channel * CHANNEL_WORDS + CHANNEL_DST_NODE_WORD] !== LOCAL_NODE;
  }

  /** Fills `out` with where `channel` leads and returns it (no allocation). */
  destination(channel: number, out: Destination): Destination {
    const w = this.word(channel);
    out.node = this.i32[w + CHANNEL_DST_NODE_WORD]!;
    out.pid = this.i32[w + CHANNEL_DST_PID_WORD]!;
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Sequence words: word indexes into `memory.i32` for the fastpath's hot loops (the sender's
  // core alone writes `send_seq`, the receiver's core alone `recv_seq`).

  /** Word index of the sequence number the next message on `channel` carries. */
  send_seq_word(channel: number): number {
    return this.channels_word + channel * CHANNEL_WORDS + CHANNEL_SEND_SEQ_WORD;
  }

  /** Word index of the sequence number the receiver of `channel` delivers next. */
  recv_seq_word(channel: number): number {
    return this.channels_word + channel * CHANNEL_WORDS + CHANNEL_RECV_SEQ_WORD;
  }

  /** Messages staged on `channel` and not yet released (nonzero: every send is staged too). */
  staging(channel: number): number {
    return Atomics.load(this.i32, this.channels_word + channel * CHANNEL_WORDS + CHANNEL_STAGING_WORD);
  }

  // -------------------------------------------------------------------------------------------
  // The owner capability (the one `connect` made for the sender).

  /** Global index of `channel`'s owner capability, or -1. */
  owner_cap(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_OWNER_CAP_WORD]!;
  }

  /** Under the lock: records `global` as `channel`'s owner capability. */
  set_owner_cap(channel: number, global: number): void {
    this.i32[this.word(channel) + CHANNEL_OWNER_CAP_WORD] = global;
  }

  // -------------------------------------------------------------------------------------------
  // The staging list (staging.ts and the fastpath's stage; all under the control lock, except
  // that senders read `staging` without it).

  /** First staged block of `channel` (a slab offset; 0 when none). */
  staged_head(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_STAGED_HEAD_WORD]!;
  }

  /** Last staged block of `channel` (0 when none). */
  staged_tail(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_STAGED_TAIL_WORD]!;
  }

  /** Under the lock: sets the staged list's ends. */
  set_staged_list(channel: number, head: number, tail: number): void {
    const w = this.word(channel);
    this.i32[w + CHANNEL_STAGED_HEAD_WORD] = head;
    this.i32[w + CHANNEL_STAGED_TAIL_WORD] = tail;
  }

  /** Messages ever staged on `channel`. */
  staged_total(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_STAGED_TOTAL_WORD]!;
  }

  /** Messages of `channel` ever released (or dropped by a close). */
  released_total(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_RELEASED_TOTAL_WORD]!;
  }

  /** The staged total `channel`'s pending batch ends at (equal to `released_total` when none is pending). */
  submit_target(channel: number): number {
    return this.i32[this.word(channel) + CHANNEL_SUBMIT_TARGET_WORD]!;
  }

  /** Under the lock: closes `channel`'s batch at everything staged so far. */
  set_submit_target(channel: number, total: number): void {
    this.i32[this.word(channel) + CHANNEL_SUBMIT_TARGET_WORD] = total | 0;
  }

  /**
   * Under the lock: stages one more message, `block`, at the end of `channel`'s list, and gives
   * it the channel's next sequence number, which it returns.
   */
  push_staged(channel: number, block: number): number {
    const i32 = this.i32;
    const w = this.word(channel);
    const seq = i32[w + CHANNEL_SEND_SEQ_WORD]!;
    i32[w + CHANNEL_SEND_SEQ_WORD] = (seq + 1) | 0;
    const tail = i32[w + CHANNEL_STAGED_TAIL_WORD]!;
    if (tail === 0) i32[w + CHANNEL_STAGED_HEAD_WORD] = block;
    else this.memory.r32[tail / WORD_BYTES + BLOCK_NEXT_WORD] = block; // Blocks link through their `next`.
    i32[w + CHANNEL_STAGED_TAIL_WORD] = block;
    i32[w + CHANNEL_STAGED_TOTAL_WORD] = (i32[w + CHANNEL_STAGED_TOTAL_WORD]! + 1) | 0;
    Atomics.store(i32, w + CHANNEL_STAGING_WORD, i32[w + CHANNEL_STAGING_WORD]! + 1);
    return seq;
  }

  /** Under the lock: counts `count` staged messages of `channel` released (or dropped). */
  note_released(channel: number, count: number): void {
    const i32 = this.i32;
    const w = this.word(channel);
    i32[w + CHANNEL_RELEASED_TOTAL_WORD] = (i32[w + CHANNEL_RELEASED_TOTAL_WORD]! + count) | 0;
    Atomics.store(i32, w + CHANNEL_STAGING_WORD, i32[w + CHANNEL_STAGING_WORD]! - count);
  }

  /** Under the lock: empties `channel`'s staged list; everything staged counts as released. */
  clear_staged(channel: number): void {
    const i32 = this.i32;
    const w = this.word(channel);
    i32[w + CHANNEL_STAGED_HEAD_WORD] = 0;
    i32[w + CHANNEL_STAGED_TAIL_WORD] = 0;
    i32[w + CHANNEL_RELEASED_TOTAL_WORD] = i32[w + CHANNEL_STAGED_TOTAL_WORD]!;
    i32[w + CHANNEL_SUBMIT_TARGET_WORD] = i32[w + CHANNEL_STAGED_TOTAL_WORD]!;
    Atomics.store(i32, w + CHANNEL_STAGING_WORD, 0);
  }

  /** Checks the entry's fields against its key (the debug switch, and tests). */
  check(channel: number): void {
    assert_range(channel, 0, this.mask, 'channel index');
    const w = this.word(channel);
    const key = Atomics.load(this.i32, w + CHANNEL_KEY_WORD);
    assert(key === channel_key(this.src_pid(channel), this.dst_pid(channel)), 'channel entry matches its key');
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
