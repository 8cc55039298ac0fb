/**
 * The simulator's agenda: a binary min-heap of callbacks keyed by (virtual time, insertion order).
 *
 * Ties break by insertion order, so the agenda is a pure function of what was scheduled: two
 * runs of the same seed pop the same events in the same order. Storage is struct-of-arrays with a
 * free list of slots, so a steady run allocates nothing per event; cancelling is lazy (the slot
 * is marked and skipped when it reaches the top). A handle is `slot + generation * 2^24`, so a
 * stale handle never cancels a reused slot.
 */
import { assert } from '../kernel/assert.js';
import { grown } from './grow.js';

/** Slots the agenda holds at most (pending events): a bound, like every queue here. */
export const EVENTS_PENDING_MAX = 1 << 24;
const SLOT_SPAN = 1 << 24;

export class EventQueue {
  private time_us = new Float64Array(1024);
  private order = new Float64Array(1024);
  private gen = new Int32Array(1024);
  private fns: ((() => void) | null)[] = new Array(1024).fill(null);
  private heap = new Int32Array(1024);
  private heap_size = 0;
  private free: number[] = [];
  private slots_used = 0;
  private next_order = 0;
  /** Events still pending (cancelled ones excluded). */
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Schedules `fn` at `at_us`; returns a handle for `cancel`. */
  push(at_us: number, fn: () => void): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots_used++;
      assert(slot < EVENTS_PENDING_MAX, 'EventQueue: fewer than EVENTS_PENDING_MAX events pending');
      if (slot >= this.time_us.length) this.grow();
    }
    this.time_us[slot] = at_us;
    this.order[slot] = this.next_order++;
    this.fns[slot] = fn;
    this.live++;
    if (this.heap_size >= this.heap.length) this.heap = grown(this.heap);
    this.sift_up(this.heap_size++, slot);
    return slot + this.gen[slot]! * SLOT_SPAN;
  }

  /** Cancels a pending event; a handle already run or cancelled is ignored. */
  cancel(handle: number): void {
    const slot = handle % SLOT_SPAN;
    if (slot >= this.slots_used || Math.floor(handle / SLOT_SPAN) !== this.gen[slot] || this.fns[slot] === null) return;
    this.fns[slot] = null;
    this.live--;
  }

  /** Time of the next live event, or Infinity. */
  peek_time(): number {
    this.skip_cancelled();
    return this.heap_size === 0 ? Infinity : this.time_us[this.heap[0]!]!;
  }

  /** Removes the next live event and returns its callback (its time is `peek_time()` before). */
  pop(): (() => void) | null {
    this.skip_cancelled();
    if (this.heap_size === 0) return null;
    const slot = this.heap[0]!;
    const fn = this.fns[slot]!;
    this.remove_top();
    this.live--;
    return fn;
  }

  /** Drops everything. */
  clear(): void {
    while (this.heap_size > 0) {
      const slot = this.heap[0]!;
      if (this.fns[slot] !== null) this.live--;
      this.remove_top();
    }
    assert(this.live === 0, 'EventQueue.clear: no live event left');
  }

  private skip_cancelled(): void {
    while (this.heap_size > 0 && this.fns[this.heap[0]!] === null) this.remove_top();
  }

  private remove_top(): void {
    const slot = this.heap[0]!;
    this.fns[slot] = null;
    this.gen[slot] = (this.gen[slot]! + 1) & 0x1fff_ffff;
    this.free.push(slot);
    const last = this.heap[--this.heap_size]!;
    if (this.heap_size > 0) this.sift_down(0, last);
  }

  private less(x: number, y: number): boolean {
    const tx = this.time_us[x]!;
    const ty = this.time_us[y]!;
    return tx < ty || (tx === ty && this.order[x]! < this.order[y]!);
  }

  private sift_up(at: number, slot: number): void {
    const heap = this.heap;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(slot, p)) break;
      heap[at] = p;
      at = parent;
    }
    heap[at] = slot;
  }

  private sift_down(at: number, slot: number): void {
    const heap = this.heap;
    const n = this.heap_size;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(heap[child + 1]!, heap[child]!)) child++;
      const c = heap[child]!;
      if (!this.less(c, slot)) break;
      heap[at] = c;
      at = child;
    }
    heap[at] = slot;
  }

  private grow(): void {
    this.time_us = grown(this.time_us);
    this.order = grown(this.order);
    this.gen = grown(this.gen);
    for (let i = this.fns.length; i < this.time_us.length; i++) this.fns.push(null);
  }
}
