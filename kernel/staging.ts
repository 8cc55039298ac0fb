/**
 * Staging and submission: how the channel graph orders delivery.
 *
 * - A message sent with `IpcFlags.STAGE`, or any message sent on a channel that still holds
 *   staged messages, is *staged*: it gets its channel sequence number as usual but waits in a
 *   slab block on the channel's staged list (fastpath.ts, `stage`).
 * - `submit(C)` closes C's batch: everything staged on C so far. It records, on every edge
 *   P → C, how many messages P had staged by then (`need`).
 * - C's batch is *released* once every parent P has released at least `need` messages: its
 *   blocks move, in order, into the receiving cores' spill queues, where the receivers' merge
 *   delivers them by sequence number. Releasing C may complete its children's conditions, so
 *   the release walks the graph downward.
 *
 * So for every edge P → C present when C is submitted, all that was staged on P before that
 * submit is delivered before C's batch: delivery follows a topological order of the submitted
 * channels. Closing a channel drops its staged messages (counted) and removes its edges; its
 * children no longer wait for it.
 *
 * Everything here runs under the control lock. Releasing moves blocks without copying and
 * without assigning sequence numbers, so any thread may release any channel.
 */
import { assert } from './assert.js';
import type { ChannelTable } from './channel_table.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { BLOCK_DATA, BLOCK_NEXT_WORD, BlockState } from './layout/block_layout.js';
import { C_RELEASED, C_STAGED_DROPPED } from './layout/counter_layout.js';
import {
  EDGE_CHILD_WORD,
  EDGE_NEED_WORD,
  EDGE_NEXT_IN_WORD,
  EDGE_NEXT_OUT_WORD,
  EDGE_PARENT_WORD,
} from './layout/edge_layout.js';
import { SLOT_DST_PID_WORD, SLOT_FLAGS_WORD, SlotFlags } from './layout/slot_layout.js';
import type { Fastpath } from './fastpath.js';
import type { Graph } from './graph.js';
import type { NodeMemory } from './node_memory.js';

export class Staging {
  private readonly memory: NodeMemory;
  private readonly i32: Int32Array;
  private readonly r32: Int32Array;
  private readonly graph: Graph;
  private readonly fastpath: Fastpath;
  private readonly channels: ChannelTable;

  constructor(memory: NodeMemory, graph: Graph, fastpath: Fastpath) {
    this.memory = memory;
    this.i32 = memory.i32;
    this.r32 = memory.r32;
    this.graph = graph;
    this.fastpath = fastpath;
    this.channels = fastpath.channels;
  }

  /** Messages staged on `c` and not yet released. */
  pending(c: number): number {
    return this.channels.staging(c);
  }

  /** Closes `c`'s batch and releases whatever has become releasable. */
  submit(c: number): void {
    const i32 = this.i32;
    const channels = this.channels;
    channels.set_submit_target(c, channels.staged_total(c));
    for (let e = this.graph.first_in(c); e !== -1; e = i32[this.graph.edge_word(e) + EDGE_NEXT_IN_WORD]!) {
      const edge = this.graph.edge_word(e);
      const parent = i32[edge + EDGE_PARENT_WORD]!;
      i32[edge + EDGE_NEED_WORD] = channels.staged_total(parent);
    }
    this.release_from(c);
  }

  /** Releases `start` if it is ready, then every descendant that becomes ready. */
  release_from(start: number): void {
    const i32 = this.i32;
    const channels = this.channels;
    const stack = this.graph.work_stack();
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const c = stack[--top]!;
      if (channels.submit_target(c) === channels.released_total(c)) continue;
      if (!this.parents_done(c)) continue;
      this.release_batch(c);
      for (let e = this.graph.first_out(c); e !== -1; e = i32[this.graph.edge_word(e) + EDGE_NEXT_OUT_WORD]!) {
        assert(top < stack.length, 'release walk fits its stack');
        stack[top++] = i32[this.graph.edge_word(e) + EDGE_CHILD_WORD]!;
      }
    }
  }

  /** Whether every parent of `c` has released what `c`'s pending batch waits for. */
  parents_done(c: number): boolean {
    const i32 = this.i32;
    for (let e = this.graph.first_in(c); e !== -1; e = i32[this.graph.edge_word(e) + EDGE_NEXT_IN_WORD]!) {
      const edge = this.graph.edge_word(e);
      const parent = i32[edge + EDGE_PARENT_WORD]!;
      const released = this.channels.released_total(parent);
      if (((released - i32[edge + EDGE_NEED_WORD]!) | 0) < 0) return false;
    }
    return true;
  }

  /** Moves `c`'s pending batch into its receiver's spill queue, in order. */
  private release_batch(c: number): void {
    const channels = this.channels;
    const target = channels.submit_target(c);
    let released = 0;
    let dropped = 0;
    while (channels.released_total(c) !== target) {
      const block = channels.staged_head(c);
      assert(block !== 0, 'a pending batch has its blocks');
      const next = this.r32[block / WORD_BYTES + BLOCK_NEXT_WORD]!;
      channels.set_staged_list(c, next, next === 0 ? 0 : channels.staged_tail(c));
      const dst_pid = this.r32[(block + BLOCK_DATA) / WORD_BYTES + SLOT_DST_PID_WORD]!;
      const dst_core = this.memory.core_of(dst_pid);
      if (dst_core < 0) {
        this.fastpath.slab.free(block, this.fastpath.slab.generation(block), BlockState.SPILLED);
        dropped++; // The receiver was unbound meanwhile: counted, never silent.
      } else {
        this.fastpath.push_block(dst_core, block);
        released++;
      }
      channels.note_released(c, 1);
    }
    if (released > 0) this.fastpath.note(C_RELEASED, released);
    if (dropped > 0) this.fastpath.note(C_STAGED_DROPPED, dropped);
  }

  /**
   * Drops every staged message of `c` (closing it); returns how many. They had taken sequence
   * numbers, so each goes on to its receiver as a tombstone (`SlotFlags.DROPPED`) that the
   * receiver consumes without delivering: the channel's sequence has no gap when it reopens.
   */
  drop(c: number): number {
    let dropped = 0;
    for (let block = this.channels.staged_head(c); block !== 0; dropped++) {
      const next = this.r32[block / WORD_BYTES + BLOCK_NEXT_WORD]!;
      const slot = (block + BLOCK_DATA) / WORD_BYTES;
      this.r32[slot + SLOT_FLAGS_WORD] = this.r32[slot + SLOT_FLAGS_WORD]! | SlotFlags.DROPPED;
      const dst_core = this.memory.core_of(this.r32[slot + SLOT_DST_PID_WORD]!);
      if (dst_core >= 0) this.fastpath.push_block(dst_core, block);
      else this.fastpath.slab.free(block, this.fastpath.slab.generation(block), BlockState.SPILLED);
      block = next;
    }
    this.channels.clear_staged(c);
    if (dropped > 0) this.fastpath.note(C_STAGED_DROPPED, dropped);
    return dropped;
  }
}
