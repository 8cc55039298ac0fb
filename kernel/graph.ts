/**
 * The channel graph: a DAG of "child depends on parent" edges between channels, kept acyclic
 * by incremental cycle detection.
 *
 * Algorithm: Michael A. Bender, Jeremy T. Fineman, Seth Gilbert and Robert E. Tarjan, "A New
 * Approach to Incremental Cycle Detection and Related Problems" (ACM Transactions on
 * Algorithms 12(2), 2016), the algorithm for sparse graphs. Every channel has a level, and every
 * edge goes from a level to the same or a higher one. Each channel also lists its incoming
 * edges from parents at its own level. Adding parent v → child w:
 * 1. if level(v) < level(w), the edge fits: link it, done;
 * 2. otherwise search backward from v through same-level edges only, at most Δ = ⌊√m⌋ edges
 *    (m edges in the graph); reaching w means a cycle: refuse, nothing has changed;
 * 3. if that search was cut short, raise w to level(v) + 1; if it finished, raise w to level(v)
 *    (or, if w is already there, just link);
 * 4. search forward from w, raising each child below the new level to it; reaching v, or a
 *    channel the backward search found, means a cycle: refuse. The search still runs to its end
 *    so that every edge keeps going upward in level for the next insertion.
 * Total work over m insertions is O(m^{3/2}), whatever order the channels were created in or the
 * edges arrive in. (An earlier version used Pearce and Kelly's dynamic topological order: fast
 * when channels are created in dependency order, but 5x slower than a plain search per edge when
 * they are not; docs/PERFORMANCE.md has both measurements.)
 *
 * Everything here runs under the node's control lock. The searches are iterative (no
 * recursion) over scratch arrays allocated once per thread.
 *
 * Layouts: the graph arrays of layout/node_layout.ts (level, first_out, first_in, first_same,
 * one dense Int32 array each) and layout/edge_layout.ts.
 */
import { assert, assert_range } from './assert.js';
import {
  EDGE_CHILD_WORD,
  EDGE_IN_SAME_WORD,
  EDGE_NEED_WORD,
  EDGE_NEXT_FREE_WORD,
  EDGE_NEXT_IN_WORD,
  EDGE_NEXT_OUT_WORD,
  EDGE_NEXT_SAME_WORD,
  EDGE_PARENT_WORD,
  EDGE_WORDS,
} from './layout/edge_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { NODE_EDGES_USED_WORD, NODE_EDGE_FREE_WORD } from './layout/node_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Status } from './status.js';

export class Graph {
  private readonly i32: Int32Array;
  /** Word index of channel 0 in each dense array. */
  private readonly level_word: number;
  private readonly out_word: number;
  private readonly in_word: number;
  private readonly same_word: number;
  private readonly edges_word: number;
  readonly channels_max: number;
  readonly edges_max: number;
  // Scratch, allocated on first use (a graph-free node pays nothing).
  private mark: Int32Array | null = null;
  private epoch = 0;
  private stack: Int32Array | null = null;

  constructor(memory: NodeMemory) {
    this.i32 = memory.i32;
    this.level_word = memory.layout.graph_levels / WORD_BYTES;
    this.out_word = memory.layout.graph_first_out / WORD_BYTES;
    this.in_word = memory.layout.graph_first_in / WORD_BYTES;
    this.same_word = memory.layout.graph_first_same / WORD_BYTES;
    this.edges_word = memory.layout.edge_pool / WORD_BYTES;
    this.channels_max = memory.geometry.channels_max;
    this.edges_max = memory.geometry.edges_max;
  }

  private edge(e: number): number {
    return this.edges_word + e * EDGE_WORDS;
  }

  /** The level of channel `c`: every edge goes from a level to the same or a higher one. */
  level(c: number): number {
    return this.i32[this.level_word + c]!;
  }

  private scratch(): void {
    if (this.mark !== null) return;
    this.mark = new Int32Array(this.channels_max);
    this.stack = new Int32Array(this.channels_max + this.edges_max + 1);
  }

  /**
   * The work stack the release walk (staging.ts) may use while it holds the lock: room for every
   * channel and edge, so a walk that pushes each child of each released channel fits.
   */
  work_stack(): Int32Array {
    this.scratch();
    return this.stack!;
  }

  private next_epoch(): number {
    this.epoch++;
    if (this.epoch === 0x7fff_ffff) {
      this.mark!.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }

  /** The edge parent → child, or -1. */
  find_edge(parent: number, child: number): number {
    const i32 = this.i32;
    for (let e = i32[this.out_word + parent]!, n = 0; e !== -1 && n < this.edges_max; n++) {
      if (i32[this.edge(e) + EDGE_CHILD_WORD] === child) return e;
      e = i32[this.edge(e) + EDGE_NEXT_OUT_WORD]!;
    }
    return -1;
  }

  /**
   * Adds "child depends on parent". Returns OK (also when the edge exists), CYCLE when child
   * already reaches parent or they are the same (the edge is not added), TABLE_FULL when the
   * edge pool is exhausted.
   */
  add_edge(parent: number, child: number): number {
    assert_range(parent, 0, this.channels_max - 1, 'add_edge parent');
    assert_range(child, 0, this.channels_max - 1, 'add_edge child');
    if (parent === child) return Status.CYCLE;
    if (this.find_edge(parent, child) !== -1) return Status.OK;
    if (this.i32[NODE_EDGE_FREE_WORD] === -1) return Status.TABLE_FULL;
    const level_v = this.level(parent);
    if (level_v < this.level(child)) return this.link(parent, child);
    this.scratch();
    const backward = this.search_backward(parent, child);
    if (backward === SEARCH_FOUND) return Status.CYCLE;
    let raise_to = level_v;
    let found_epoch = backward;
    if (backward === SEARCH_TRUNCATED) {
      raise_to = level_v + 1;
      found_epoch = this.next_epoch(); // Only the parent itself counts as found now.
      this.mark![parent] = found_epoch;
    } else if (this.level(child) === level_v) {
      return this.link(parent, child);
    }
    const cycle = this.search_forward(child, parent, raise_to, found_epoch);
    if (cycle) return Status.CYCLE;
    return this.link(parent, child);
  }

  /**
   * Backward from `v` through same-level edges, at most ⌊√m⌋ of them. Returns SEARCH_FOUND if
   * it reaches `w`, SEARCH_TRUNCATED if it ran out of budget, else the epoch its finds are
   * marked with.
   */
  private search_backward(v: number, w: number): number {
    const i32 = this.i32;
    const mark = this.mark!;
    const stack = this.stack!;
    const epoch = this.next_epoch();
    const budget = Math.max(1, Math.floor(Math.sqrt(i32[NODE_EDGES_USED_WORD]! + 1)));
    let traversed = 0;
    let top = 0;
    mark[v] = epoch;
    stack[top++] = v;
    while (top > 0) {
      const x = stack[--top]!;
      for (let e = i32[this.same_word + x]!; e !== -1; e = i32[this.edge(e) + EDGE_NEXT_SAME_WORD]!) {
        const u = i32[this.edge(e) + EDGE_PARENT_WORD]!;
        if (u === w) return SEARCH_FOUND;
        if (mark[u] !== epoch) {
          mark[u] = epoch;
          stack[top++] = u;
        }
        if (++traversed >= budget) return SEARCH_TRUNCATED;
      }
    }
    return epoch;
  }

  /**
   * Forward from `w`, raising every channel below `level` to it. Returns whether it reached `v`
   * or a channel marked with `found_epoch` (a cycle through the new edge); it runs to the end
   * either way, so that every edge keeps going upward in level.
   */
  private search_forward(w: number, v: number, level: number, found_epoch: number): boolean {
    const i32 = this.i32;
    const mark = this.mark!;
    const stack = this.stack!;
    let cycle = false;
    let top = 0;
    this.raise(w, level);
    stack[top++] = w;
    while (top > 0) {
      const x = stack[--top]!;
      const level_x = this.level(x);
      for (let e = i32[this.out_word + x]!; e !== -1; e = i32[this.edge(e) + EDGE_NEXT_OUT_WORD]!) {
        const y = i32[this.edge(e) + EDGE_CHILD_WORD]!;
        if (y === v || mark[y] === found_epoch) cycle = true;
        const level_y = this.level(y);
        if (level_x === level_y) {
          this.add_same(y, e);
        } else if (level_x > level_y) {
          this.raise(y, level_x);
          this.add_same(y, e);
          stack[top++] = y;
        }
      }
    }
    return cycle;
  }

  /** Sets `c`'s level and empties its same-level list (its parents are now below it). */
  private raise(c: number, level: number): void {
    const i32 = this.i32;
    for (let e = i32[this.same_word + c]!; e !== -1; e = i32[this.edge(e) + EDGE_NEXT_SAME_WORD]!) {
      i32[this.edge(e) + EDGE_IN_SAME_WORD] = 0;
    }
    i32[this.same_word + c] = -1;
    i32[this.level_word + c] = level;
  }

  /** Puts edge `e` (into channel `c`) on `c`'s same-level list, once. */
  private add_same(c: number, e: number): void {
    const i32 = this.i32;
    const edge = this.edge(e);
    if (i32[edge + EDGE_IN_SAME_WORD] !== 0) return;
    i32[edge + EDGE_NEXT_SAME_WORD] = i32[this.same_word + c]!;
    i32[this.same_word + c] = e;
    i32[edge + EDGE_IN_SAME_WORD] = 1;
  }

  private link(parent: number, child: number): number {
    const i32 = this.i32;
    const e = i32[NODE_EDGE_FREE_WORD]!;
    if (e === -1) return Status.TABLE_FULL;
    assert(this.level(parent) <= this.level(child), 'a linked edge goes upward in level');
    const w = this.edge(e);
    i32[NODE_EDGE_FREE_WORD] = i32[w + EDGE_NEXT_FREE_WORD]!;
    i32[w + EDGE_PARENT_WORD] = parent;
    i32[w + EDGE_CHILD_WORD] = child;
    i32[w + EDGE_NEED_WORD] = 0;
    i32[w + EDGE_IN_SAME_WORD] = 0;
    i32[w + EDGE_NEXT_OUT_WORD] = i32[this.out_word + parent]!;
    i32[this.out_word + parent] = e;
    i32[w + EDGE_NEXT_IN_WORD] = i32[this.in_word + child]!;
    i32[this.in_word + child] = e;
    if (this.level(parent) === this.level(child)) this.add_same(child, e);
    i32[NODE_EDGES_USED_WORD] = i32[NODE_EDGES_USED_WORD]! + 1;
    return Status.OK;
  }

  /** Removes edge `e` from its lists and frees it. Levels stay valid: fewer edges, same order. */
  private unlink(e: number): void {
    const i32 = this.i32;
    const w = this.edge(e);
    const parent = i32[w + EDGE_PARENT_WORD]!;
    const child = i32[w + EDGE_CHILD_WORD]!;
    assert(parent !== -1, 'unlink a used edge');
    this.remove_from(this.out_word + parent, EDGE_NEXT_OUT_WORD, e);
    this.remove_from(this.in_word + child, EDGE_NEXT_IN_WORD, e);
    if (i32[w + EDGE_IN_SAME_WORD] !== 0) this.remove_from(this.same_word + child, EDGE_NEXT_SAME_WORD, e);
    i32[w + EDGE_IN_SAME_WORD] = 0;
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
    for (let e = i32[this.out_word + c]!; e !== -1; e = i32[this.out_word + c]!) {
      children[count++] = i32[this.edge(e) + EDGE_CHILD_WORD]!;
      this.unlink(e);
    }
    for (let e = i32[this.in_word + c]!; e !== -1; e = i32[this.in_word + c]!) {
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

  /** The first edge out of channel `c` (to a child), -1 if none; follow `EDGE_NEXT_OUT_WORD`. */
  first_out(c: number): number {
    return this.i32[this.out_word + c]!;
  }

  /** The first edge into channel `c` (from a parent), -1 if none; follow `EDGE_NEXT_IN_WORD`. */
  first_in(c: number): number {
    return this.i32[this.in_word + c]!;
  }

  /** Every edge as [parent, child] (control plane and tests; allocates). */
  edges(): [number, number][] {
    const out: [number, number][] = [];
    for (let e = 0; e < this.edges_max; e++) {
      const w = this.edge(e);
      if (this.i32[w + EDGE_PARENT_WORD] !== -1)
        out.push([this.i32[w + EDGE_PARENT_WORD]!, this.i32[w + EDGE_CHILD_WORD]!]);
    }
    return out;
  }

  /**
   * Checks the invariants (tests and tools; allocates): every edge goes upward in level, and an
   * edge is on its child's same-level list exactly when both ends are at one level. Returns the
   * violations found, empty when all hold.
   */
  check(): string[] {
    const problems: string[] = [];
    for (let e = 0; e < this.edges_max; e++) {
      const w = this.edge(e);
      const parent = this.i32[w + EDGE_PARENT_WORD]!;
      if (parent === -1) continue;
      const child = this.i32[w + EDGE_CHILD_WORD]!;
      if (this.level(parent) > this.level(child)) problems.push(`edge ${parent}->${child} goes down in level`);
      const same = this.level(parent) === this.level(child);
      let listed = false;
      for (let f = this.i32[this.same_word + child]!, n = 0; f !== -1 && n <= this.edges_max; n++) {
        if (f === e) listed = true;
        f = this.i32[this.edge(f) + EDGE_NEXT_SAME_WORD]!;
      }
      if (same !== listed)
        problems.push(`edge ${parent}->${child} ${same ? 'missing from' : 'wrongly on'} the same-level list`);
      if ((this.i32[w + EDGE_IN_SAME_WORD] !== 0) !== listed)
        problems.push(`edge ${parent}->${child} has a wrong in_same flag`);
    }
    return problems;
  }
}

/** Outcomes of the backward search that are not an epoch (epochs are positive). */
const SEARCH_FOUND = -1;
const SEARCH_TRUNCATED = -2;
