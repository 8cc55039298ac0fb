/**
 * The simulator's agenda: a binary min-heap of callbacks keyed by (virtual time, insertion order).
 *
 * Ties break by insertion order, so the agenda is a pure function of what was scheduled: two
 * runs of the same seed pop the same events in the same order. An event is a callback and one
 * argument, so a caller with many events of one kind (datagrams, sleeps) passes one function made
 * once and a record, not a closure per event.
 *
 * Storage is struct-of-arrays with a free list of slots, so a steady run allocates nothing per
 * event. The heap holds each entry's key beside it (`keys[2p]` time, `keys[2p + 1]` order, for
 * heap position p), so a comparison reads one cache line instead of chasing two slots: with tens
 * of thousands of datagrams in flight the heap outgrows the cache, and that indirection cost a
 * miss per comparison. Cancelling is lazy (the slot is marked and skipped when it reaches the
 * top). A handle is `slot + generation * 2^24`, so a stale handle never cancels a reused slot.
 */
import { assert } from '../kernel/assert.js';
import { grown } from './grow.js';

/** Slots the agenda holds at most (pending events): a bound, like every queue here. */
export const EVENTS_PENDING_MAX = 1 << 24;
const SLOT_SPAN = 1 << 24;
const CAPACITY_START = 1024;

/** What an event runs: called with the argument it was pushed with. */
export type EventFn = (arg: any) => void;

export class EventQueue {
  // Per slot.
  private fns: (EventFn | null)[] = new Array(CAPACITY_START).fill(null);
  private args: unknown[] = new Array(CAPACITY_START).fill(undefined);
  private gen = new Int32Array(CAPACITY_START);
  private free: number[] = [];
  private slots_used = 0;
  // Per heap position.
  private keys = new Float64Array(2 * CAPACITY_START);
  private heap_slot = new Int32Array(CAPACITY_START);
  private heap_size = 0;
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
    if (this.heap_size >= this.heap_slot.length) this.grow_heap();
    this.sift_up(this.heap_size++, at_us, this.next_order++, slot);
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
    this.skip_cancelled();
    return this.heap_size === 0 ? Infinity : this.keys[0]!;
  }

  /**
   * Removes the next live event and returns its callback (its time is `peek_time()` before);
   * its argument is in `popped_arg` until the next pop.
   */
  pop(): EventFn | null {
    this.skip_cancelled();
    if (this.heap_size === 0) return null;
    const slot = this.heap_slot[0]!;
    const fn = this.fns[slot]!;
    this.popped_arg = this.args[slot];
    this.remove_top();
    this.live--;
    return fn;
  }

  /** Drops everything. */
  clear(): void {
    while (this.heap_size > 0) {
      if (this.fns[this.heap_slot[0]!] !== null) this.live--;
      this.remove_top();
    }
    this.popped_arg = undefined;
    assert(this.live === 0, 'EventQueue.clear: no live event left');
  }

  private skip_cancelled(): void {
    while (this.heap_size > 0 && this.fns[this.heap_slot[0]!] === null) this.remove_top();
  }

  private remove_top(): void {
    const slot = this.heap_slot[0]!;
    this.fns[slot] = null;
    this.args[slot] = undefined;
    this.gen[slot] = (this.gen[slot]! + 1) & 0x1fff_ffff;
    this.free.push(slot);
    const last = --this.heap_size;
    if (last > 0) this.sift_down(0, this.keys[2 * last]!, this.keys[2 * last + 1]!, this.heap_slot[last]!);
  }

  /** Places (time, order, slot) at position `at` or above it. */
  private sift_up(at: number, time: number, order: number, slot: number): void {
    const keys = this.keys;
    const heap_slot = this.heap_slot;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const pt = keys[2 * parent]!;
      if (time > pt || (time === pt && order > keys[2 * parent + 1]!)) break;
      keys[2 * at] = pt;
      keys[2 * at + 1] = keys[2 * parent + 1]!;
      heap_slot[at] = heap_slot[parent]!;
      at = parent;
    }
    keys[2 * at] = time;
    keys[2 * at + 1] = order;
    heap_slot[at] = slot;
  }

  /** Places (time, order, slot) at position `at` or below it. */
  private sift_down(at: number, time: number, order: number, slot: number): void {
    const keys = this.keys;
    const heap_slot = this.heap_slot;
    const n = this.heap_size;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      let ct = keys[2 * child]!;
      let co = keys[2 * child + 1]!;
      if (child + 1 < n) {
        const rt = keys[2 * child + 2]!;
        const ro = keys[2 * child + 3]!;
        if (rt < ct || (rt === ct && ro < co)) {
          child++;
          ct = rt;
          co = ro;
        }
      }
      if (time < ct || (time === ct && order < co)) break;
      keys[2 * at] = ct;
      keys[2 * at + 1] = co;
      heap_slot[at] = heap_slot[child]!;
      at = child;
    }
    keys[2 * at] = time;
    keys[2 * at + 1] = order;
    heap_slot[at] = slot;
  }

  private grow_slots(): void {
    this.gen = grown(this.gen);
    for (let i = this.fns.length; i < this.gen.length; i++) {
      this.fns.push(null);
      this.args.push(undefined);
    }
  }

  private grow_heap(): void {
    this.heap_slot = grown(this.heap_slot);
    this.keys = grown(this.keys);
  }
}
