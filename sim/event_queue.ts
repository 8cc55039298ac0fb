/**
 * The simulator's agenda: callbacks keyed by (virtual time, insertion order), in two 4-ary
 * min-heaps, one for the near future and one for the rest.
 *
 * Ties break by insertion order, so the agenda is a pure function of what was scheduled: two
 * runs of the same seed pop the same events in the same order. An event is a callback and one
 * argument, so a caller with many events of one kind (datagrams, sleeps) passes one function made
 * once and a record, not a closure per event.
 *
 * Why two heaps: a large cluster keeps tens of thousands of datagrams in flight, due 50 µs or
 * more ahead, while each process's next step is due in a few µs. In one heap every step went
 * in near the top and came out through every level, a cache miss each at the bottom (measured:
 * 64 nodes, one more step per eight messages cost ~6 µs). An event due within `NEAR_US` of the
 * last one popped goes into the near heap, which holds about one entry per process and stays in
 * cache; `pop` takes the smaller of the two tops, so the order is exactly that of one heap. An
 * event stays in the heap it entered.
 *
 * Storage is struct-of-arrays with a free list of slots, so a steady run allocates nothing per
 * event. Each heap (4-ary) holds its entries' keys beside them (`keys[2p]` time, `keys[2p + 1]` order,
 * for heap position p), so a comparison reads one line. Cancelling is lazy (the slot is marked
 * and skipped when it reaches a top). A handle is `slot + generation * 2^24`, so a stale handle
 * never cancels a reused slot.
 */
import { assert } from '../kernel/assert.js';
import { grown } from './grow.js';

/** Slots the agenda holds at most (pending events): a bound, like every queue here. */
export const EVENTS_PENDING_MAX = 1 << 24;
/** Events due within this many µs of the last one popped go into the near heap. */
export const NEAR_US = 16;
const SLOT_SPAN = 1 << 24;
const CAPACITY_START = 1024;

/** What an event runs: called with the argument it was pushed with. */
// biome-ignore lint/suspicious/noExplicitAny: each event's argument type is its own; the agenda stores them together.
export type EventFn = (arg: any) => void;

/**
 * A 4-ary min-heap of slots by (time, order), keys beside the entries. Four children's keys are
 * 64 bytes, one cache line, and the heap is half as deep as a binary one: a pop from the far heap
 * (tens of thousands of datagrams) walks half as many cold levels.
 */
class SlotHeap {
  keys = new Float64Array(2 * CAPACITY_START);
  slots = new Int32Array(CAPACITY_START);
  size = 0;

  push(time: number, order: number, slot: number): void {
    if (this.size >= this.slots.length) {
      this.slots = grown(this.slots);
      this.keys = grown(this.keys);
    }
    const keys = this.keys;
    const slots = this.slots;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 2;
      const pt = keys[2 * parent]!;
      if (time > pt || (time === pt && order > keys[2 * parent + 1]!)) break;
      keys[2 * at] = pt;
      keys[2 * at + 1] = keys[2 * parent + 1]!;
      slots[at] = slots[parent]!;
      at = parent;
    }
    keys[2 * at] = time;
    keys[2 * at + 1] = order;
    slots[at] = slot;
  }

  /** Removes the top entry (the heap is not empty). */
  remove_top(): void {
    const last = --this.size;
    if (last === 0) return;
    const keys = this.keys;
    const slots = this.slots;
    const time = keys[2 * last]!;
    const order = keys[2 * last + 1]!;
    const slot = slots[last]!;
    const n = last;
    let at = 0;
    for (;;) {
      const first = 4 * at + 1;
      if (first >= n) break;
      // The least of up to four children.
      let child = first;
      let ct = keys[2 * first]!;
      let co = keys[2 * first + 1]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < end; c++) {
        const t = keys[2 * c]!;
        const o = keys[2 * c + 1]!;
        if (t < ct || (t === ct && o < co)) {
          child = c;
          ct = t;
          co = o;
        }
      }
      if (time < ct || (time === ct && order < co)) break;
      keys[2 * at] = ct;
      keys[2 * at + 1] = co;
      slots[at] = slots[child]!;
      at = child;
    }
    keys[2 * at] = time;
    keys[2 * at + 1] = order;
    slots[at] = slot;
  }
}

export class EventQueue {
  // Per slot.
  private fns: (EventFn | null)[] = new Array(CAPACITY_START).fill(null);
  private args: unknown[] = new Array(CAPACITY_START).fill(undefined);
  private gen = new Int32Array(CAPACITY_START);
  private free: number[] = [];
  private slots_used = 0;
  private readonly near = new SlotHeap();
  private readonly far = new SlotHeap();
  /** Time of the last event popped: what "near" is measured from. */
  private last_popped_us = 0;
  private next_order = 0;
  /** Events still pending (cancelled ones excluded). */
  private live = 0;
  /** The argument of the event `pop` returned last. */
  popped_arg: unknown = undefined;

  get size(): number {
    return this.live;
  }

  /** Schedules `fn(arg)` at `at_us`; returns a handle for `cancel`. */
  push(at_us: number, fn: EventFn, arg: unknown = undefined): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots_used++;
      assert(slot < EVENTS_PENDING_MAX, 'EventQueue: fewer than EVENTS_PENDING_MAX events pending');
      if (slot >= this.gen.length) this.grow_slots();
    }
    this.fns[slot] = fn;
    this.args[slot] = arg;
    this.live++;
    (at_us - this.last_popped_us < NEAR_US ? this.near : this.far).push(at_us, this.next_order++, slot);
    return slot + this.gen[slot]! * SLOT_SPAN;
  }

  /** Cancels a pending event; a handle already run or cancelled is ignored. */
  cancel(handle: number): void {
    const slot = handle % SLOT_SPAN;
    if (slot >= this.slots_used || Math.floor(handle / SLOT_SPAN) !== this.gen[slot] || this.fns[slot] === null) return;
    this.fns[slot] = null;
    this.args[slot] = undefined;
    this.live--;
  }

  /** Time of the next live event, or Infinity. */
  peek_time(): number {
    const heap = this.top_heap();
    return heap === null ? Infinity : heap.keys[0]!;
  }

  /**
   * Removes the next live event and returns its callback (its time is `peek_time()` before);
   * its argument is in `popped_arg` until the next pop.
   */
  pop(): EventFn | null {
    const heap = this.top_heap();
    if (heap === null) return null;
    const slot = heap.slots[0]!;
    const fn = this.fns[slot]!;
    this.popped_arg = this.args[slot];
    this.last_popped_us = heap.keys[0]!;
    this.release(slot);
    heap.remove_top();
    this.live--;
    return fn;
  }

  /** Drops everything. */
  clear(): void {
    for (const heap of [this.near, this.far]) {
      while (heap.size > 0) {
        const slot = heap.slots[0]!;
        if (this.fns[slot] !== null) this.live--;
        this.release(slot);
        heap.remove_top();
      }
    }
    this.popped_arg = undefined;
    assert(this.live === 0, 'EventQueue.clear: no live event left');
  }

  /** The heap whose top is the next live event (cancelled tops dropped first), or null. */
  private top_heap(): SlotHeap | null {
    const near = this.near;
    const far = this.far;
    this.skip_cancelled(near);
    this.skip_cancelled(far);
    if (near.size === 0) return far.size === 0 ? null : far;
    if (far.size === 0) return near;
    const nt = near.keys[0]!;
    const ft = far.keys[0]!;
    return nt < ft || (nt === ft && near.keys[1]! < far.keys[1]!) ? near : far;
  }

  private skip_cancelled(heap: SlotHeap): void {
    while (heap.size > 0 && this.fns[heap.slots[0]!] === null) {
      this.release(heap.slots[0]!);
      heap.remove_top();
    }
  }

  /** Frees a slot for reuse (its generation moves on, so old handles go stale). */
  private release(slot: number): void {
    this.fns[slot] = null;
    this.args[slot] = undefined;
    this.gen[slot] = (this.gen[slot]! + 1) & 0x1fff_ffff;
    this.free.push(slot);
  }

  private grow_slots(): void {
    this.gen = grown(this.gen);
    for (let i = this.fns.length; i < this.gen.length; i++) {
      this.fns.push(null);
      this.args.push(undefined);
    }
  }
}
