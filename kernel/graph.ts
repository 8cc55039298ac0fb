/**
 * The channel graph: a DAG of "child depends on parent" edges between channels, kept acyclic
 * by an incremental topological order.
 *
 * Algorithm: David J. Pearce and Paul H. J. Kelly, "A Dynamic Topological Sort Algorithm for
 * Directed Acyclic Graphs" (ACM JEA 11, 2006). Every channel holds a distinct position
 * `topo_ord`, and every edge goes from a lower position to a higher one. Adding parent → child:
 * - if ord(parent) < ord(child) the order already holds: link the edge, done;
 * - otherwise search only the affected region: forward from the child through channels with
 *   ord < ord(parent) (reaching the parent means a cycle: refuse, change nothing), and backward
 *   from the parent through channels with ord > ord(child); then give the backward set the
 *   lowest of the region's positions and the forward set the rest, each keeping its inner order.
 * The cost is proportional to the region between the two positions, not to the graph, so
 * adding an edge stays fast on 100k channels.
 *
 * Everything here runs under the node's control lock. The searches are iterative (no
 * recursion) over scratch arrays allocated once per thread.
 *
 * Layouts: layout/channel_layout.ts (topo_ord, first_out, first_in), layout/edge_layout.ts.
 */
import { assert, assert_range } from './assert.js';
import {
  CHANNEL_FIRST_IN_WORD,
  CHANNEL_FIRST_OUT_WORD,
  CHANNEL_TOPO_ORD_WORD,
  CHANNEL_WORDS,
} from './layout/channel_layout.js';
import {
  EDGE_CHILD_WORD,
  EDGE_NEED_WORD,
  EDGE_NEXT_FREE_WORD,
  EDGE_NEXT_IN_WORD,
  EDGE_NEXT_OUT_WORD,
  EDGE_PARENT_WORD,
  EDGE_WORDS,
} from './layout/edge_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { NODE_EDGES_USED_WORD, NODE_EDGE_FREE_WORD } from './layout/node_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Status } from './status.js';

/** Positions fit 2^31; nodes fit 2^20: a (position, node) pair packs exactly into a float64. */
const NODE_SPAN = 1 << 20;

export class Graph {
  private readonly i32: Int32Array;
  private readonly channels_word: number;
  private readonly edges_word: number;
  readonly channels_max: number;
  readonly edges_max: number;
  // Scratch, allocated on first use (a graph-free node pays nothing).
  private mark: Int32Array | null = null;
  private epoch = 0;
  private stack: Int32Array | null = null;
  private forward: Int32Array | null = null;
  private backward: Int32Array | null = null;
  private keys: Float64Array | null = null;
  private positions: Float64Array | null = null;

  constructor(memory: NodeMemory) {
    this.i32 = memory.i32;
    this.channels_word = memory.layout.channel_table / WORD_BYTES;
    this.edges_word = memory.layout.edge_pool / WORD_BYTES;
    this.channels_max = memory.geometry.channels_max;
    this.edges_max = memory.geometry.edges_max;
  }

  private channel(c: number): number {
    return this.channels_word + c * CHANNEL_WORDS;
  }

  private edge(e: number): number {
    return this.edges_word + e * EDGE_WORDS;
  }

  /** Position of channel `c` in the topological order. */
  ord(c: number): number {
    return this.i32[this.channel(c) + CHANNEL_TOPO_ORD_WORD]!;
  }

  private scratch(): void {
    if (this.mark !== null) return;
    const n = this.channels_max;
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n + this.edges_max + 1);
    this.forward = new Int32Array(n);
    this.backward = new Int32Array(n);
    this.keys = new Float64Array(n);
    this.positions = new Float64Array(n);
  }

  /**
   * The work stack the release walk (staging.ts) may use while it holds the lock: room for every
   * channel and edge, so a walk that pushes each child of each released channel fits.
   */
  work_stack(): Int32Array {
    this.scratch();
    return this.stack!;
  }

  /** The edge parent → child, or -1. */
  find_edge(parent: number, child: number): number {
    const i32 = this.i32;
    for (let e = i32[this.channel(parent) + CHANNEL_FIRST_OUT_WORD]!, n = 0; e !== -1 && n < this.edges_max; n++) {
      if (i32[this.edge(e) + EDGE_CHILD_WORD] === child) return e;
      e = i32[this.edge(e) + EDGE_NEXT_OUT_WORD]!;
    }
    return -1;
  }

  /**
   * Adds "child depends on parent". Returns OK (also when the edge exists), CYCLE (and changes
   * nothing) when child already reaches parent or they are the same, TABLE_FULL when the edge
   * pool is exhausted.
   */
  add_edge(parent: number, child: number): number {
    assert_range(parent, 0, this.channels_max - 1, 'add_edge parent');
    assert_range(child, 0, this.channels_max - 1, 'add_edge child');
    if (parent === child) return Status.CYCLE;
    if (this.find_edge(parent, child) !== -1) return Status.OK;
    const upper = this.ord(parent);
    const lower = this.ord(child);
    if (lower < upper) {
      this.scratch();
      const forward_count = this.search_forward(child, parent, upper);
      if (forward_count < 0) return Status.CYCLE;
      const backward_count = this.search_backward(parent, lower);
      this.reorder(backward_count, forward_count);
      assert(this.ord(parent) < this.ord(child), 'reorder puts the parent before the child');
    }
    return this.link(parent, child);
  }

  /** Forward from `start` through channels with ord < `upper`; -1 if `target` is reached. */
  private search_forward(start: number, target: number, upper: number): number {
    const i32 = this.i32;
    const mark = this.mark!;
    const stack = this.stack!;
    const found = this.forward!;
    const epoch = this.next_epoch();
    let top = 0;
    let count = 0;
    stack[top++] = start;
    mark[start] = epoch;
    while (top > 0) {
      const w = stack[--top]!;
      found[count++] = w;
      for (let e = i32[this.channel(w) + CHANNEL_FIRST_OUT_WORD]!; e !== -1; e = i32[this.edge(e) + EDGE_NEXT_OUT_WORD]!) {
        const z = i32[this.edge(e) + EDGE_CHILD_WORD]!;
        if (z === target) return -1;
        if (mark[z] !== epoch && this.ord(z) < upper) {
          mark[z] = epoch;
          stack[top++] = z;
        }
      }
    }
    return count;
  }

  /** Backward from `start` through channels with ord > `lower`. */
  private search_backward(start: number, lower: number): number {
    const i32 = this.i32;
    const mark = this.mark!;
    const stack = this.stack!;
    const found = this.backward!;
    const epoch = this.next_epoch();
    let top = 0;
    let count = 0;
    stack[top++] = start;
    mark[start] = epoch;
    while (top > 0) {
      const w = stack[--top]!;
      found[count++] = w;
      for (let e = i32[this.channel(w) + CHANNEL_FIRST_IN_WORD]!; e !== -1; e = i32[this.edge(e) + EDGE_NEXT_IN_WORD]!) {
        const z = i32[this.edge(e) + EDGE_PARENT_WORD]!;
        if (mark[z] !== epoch && this.ord(z) > lower) {
          mark[z] = epoch;
          stack[top++] = z;
        }
      }
    }
    return count;
  }

  private next_epoch(): number {
    this.epoch++;
    if (this.epoch === 0x7fff_ffff) {
      this.mark!.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }

  /**
   * Gives the backward set (each keeping its relative order) the lowest positions of the
   * region, then the forward set the rest.
   */
  private reorder(backward_count: number, forward_count: number): void {
    const keys = this.keys!;
    const positions = this.positions!;
    const total = backward_count + forward_count;
    for (let i = 0; i < backward_count; i++) {
      const c = this.backward![i]!;
      keys[i] = this.ord(c) * NODE_SPAN + c;
      positions[i] = this.ord(c);
    }
    for (let i = 0; i < forward_count; i++) {
      const c = this.forward![i]!;
      keys[backward_count + i] = this.ord(c) * NODE_SPAN + c;
      positions[backward_count + i] = this.ord(c);
    }
    keys.subarray(0, backward_count).sort();
    keys.subarray(backward_count, total).sort();
    positions.subarray(0, total).sort();
    for (let i = 0; i < total; i++) {
      const c = keys[i]! % NODE_SPAN;
      this.i32[this.channel(c) + CHANNEL_TOPO_ORD_WORD] = positions[i]!;
    }
  }

  private link(parent: number, child: number): number {
    const i32 = this.i32;
    const e = i32[NODE_EDGE_FREE_WORD]!;
    if (e === -1) return Status.TABLE_FULL;
    const w = this.edge(e);
    i32[NODE_EDGE_FREE_WORD] = i32[w + EDGE_NEXT_FREE_WORD]!;
    i32[w + EDGE_PARENT_WORD] = parent;
    i32[w + EDGE_CHILD_WORD] = child;
    i32[w + EDGE_NEED_WORD] = 0;
    i32[w + EDGE_NEXT_OUT_WORD] = i32[this.channel(parent) + CHANNEL_FIRST_OUT_WORD]!;
    i32[this.channel(parent) + CHANNEL_FIRST_OUT_WORD] = e;
    i32[w + EDGE_NEXT_IN_WORD] = i32[this.channel(child) + CHANNEL_FIRST_IN_WORD]!;
    i32[this.channel(child) + CHANNEL_FIRST_IN_WORD] = e;
    i32[NODE_EDGES_USED_WORD] = i32[NODE_EDGES_USED_WORD]! + 1;
    return Status.OK;
  }

  /** Removes edge `e` from both lists and frees it. */
  private unlink(e: number): void {
    const i32 = this.i32;
    const w = this.edge(e);
    const parent = i32[w + EDGE_PARENT_WORD]!;
    const child = i32[w + EDGE_CHILD_WORD]!;
    assert(parent !== -1, 'unlink a used edge');
    this.remove_from(this.channel(parent) + CHANNEL_FIRST_OUT_WORD, EDGE_NEXT_OUT_WORD, e);
    this.remove_from(this.channel(child) + CHANNEL_FIRST_IN_WORD, EDGE_NEXT_IN_WORD, e);
    i32[w + EDGE_PARENT_WORD] = -1;
    i32[w + EDGE_CHILD_WORD] = -1;
    i32[w + EDGE_NEXT_FREE_WORD] = i32[NODE_EDGE_FREE_WORD]!;
    i32[NODE_EDGE_FREE_WORD] = e;
    i32[NODE_EDGES_USED_WORD] = i32[NODE_EDGES_USED_WORD]! - 1;
  }

  private remove_from(head_word: number, next_field: number, e: number): void {
    const i32 = this.i32;
    if (i32[head_word] === e) {
      i32[head_word] = i32[this.edge(e) + next_field]!;
      return;
    }
    for (let p = i32[head_word]!, n = 0; p !== -1 && n < this.edges_max; n++) {
      const next = i32[this.edge(p) + next_field]!;
      if (next === e) {
        i32[this.edge(p) + next_field] = i32[this.edge(e) + next_field]!;
        return;
      }
      p = next;
    }
    assert(false, 'edge is in its list');
  }

  /** Removes the edge parent → child if there is one; returns whether there was. */
  remove_edge(parent: number, child: number): boolean {
    const e = this.find_edge(parent, child);
    if (e === -1) return false;
    this.unlink(e);
    return true;
  }

  /**
   * Removes every edge of channel `c` (closing it). Writes the channels that lost a parent into
   * `children` and returns how many.
   */
  remove_all(c: number, children: Int32Array): number {
    const i32 = this.i32;
    let count = 0;
    for (let e = i32[this.channel(c) + CHANNEL_FIRST_OUT_WORD]!; e !== -1; e = i32[this.channel(c) + CHANNEL_FIRST_OUT_WORD]!) {
      children[count++] = i32[this.edge(e) + EDGE_CHILD_WORD]!;
      this.unlink(e);
    }
    for (let e = i32[this.channel(c) + CHANNEL_FIRST_IN_WORD]!; e !== -1; e = i32[this.channel(c) + CHANNEL_FIRST_IN_WORD]!) {
      this.unlink(e);
    }
    return count;
  }

  /** Number of edges in use. */
  edges_used(): number {
    return this.i32[NODE_EDGES_USED_WORD]!;
  }

  /** Word index of edge `e` (for the release walk, which reads parents, children and needs). */
  edge_word(e: number): number {
    return this.edge(e);
  }

  /** Every edge as [parent, child] (control plane and tests; allocates). */
  edges(): [number, number][] {
    const out: [number, number][] = [];
    for (let e = 0; e < this.edges_max; e++) {
      const w = this.edge(e);
      if (this.i32[w + EDGE_PARENT_WORD] !== -1) out.push([this.i32[w + EDGE_PARENT_WORD]!, this.i32[w + EDGE_CHILD_WORD]!]);
    }
    return out;
  }
}
