/**
 * Spill queue: an intrusive multi-producer single-consumer FIFO of slab blocks (Dmitry
 * Vyukov's non-blocking MPSC node-based queue), one per receiving core, in the spill region.
 *
 * Producers: clear the block's `next`, exchange it into `tail` (wait-free), then link the
 * previous tail's `next` to it. The consumer follows `next` links from its `head`. The queue
 * always contains a stub block so that the last data block can be unlinked: when the
 * consumer reaches the last block it re-pushes the stub behind it.
 *
 * Between a producer's exchange and its link the chain is briefly broken; the consumer then
 * sees the queue as not ready (a producer is mid-push) and tries again later. Order is the
 * order of the exchanges, which is what per-channel FIFO needs (ARCHITECTURE.md, "Order").
 *
 * Blocks are named by their byte offset in the region; 0 means none.
 * Layout: layout/spill_layout.ts (queue) and layout/block_layout.ts (the `next` field).
 */
import { assert } from './assert.js';
import { WORD_BYTES } from './layout/cache_line.js';
import { BLOCK_NEXT_WORD, BLOCK_TAG_WORD, BlockState, block_tag } from './layout/block_layout.js';
import { SPILL_QUEUE_HEAD, SPILL_QUEUE_STUB, SPILL_QUEUE_TAIL } from './layout/spill_layout.js';

/** Formats an empty queue whose stub is its only block. */
export function spill_queue_format(r32: Int32Array, queue_offset: number): void {
  const stub = queue_offset + SPILL_QUEUE_STUB;
  r32.fill(0, stub / WORD_BYTES, stub / WORD_BYTES + 16);
  r32[stub / WORD_BYTES + BLOCK_TAG_WORD] = block_tag(0, BlockState.STUB);
  r32[(queue_offset + SPILL_QUEUE_TAIL) / WORD_BYTES] = stub;
  r32[(queue_offset + SPILL_QUEUE_HEAD) / WORD_BYTES] = stub;
}

/** One thread's view of one spill queue. */
export class SpillQueue {
  private readonly r32: Int32Array;
  private readonly tail_word: number;
  private readonly head_word: number;
  readonly stub: number;
  /** The consumer's current head (valid in the consumer's view only). */
  private head: number;

  constructor(r32: Int32Array, queue_offset: number) {
    this.r32 = r32;
    this.tail_word = (queue_offset + SPILL_QUEUE_TAIL) / WORD_BYTES;
    this.head_word = (queue_offset + SPILL_QUEUE_HEAD) / WORD_BYTES;
    this.stub = queue_offset + SPILL_QUEUE_STUB;
    this.head = Atomics.load(r32, this.head_word);
    assert(this.head !== 0, 'spill queue is formatted');
  }

  /** Producer: appends `block` (whose body is already written). Wait-free. */
  push(block: number): void {
    const r32 = this.r32;
    Atomics.store(r32, block / WORD_BYTES + BLOCK_NEXT_WORD, 0);
    const previous = Atomics.exchange(r32, this.tail_word, block);
    Atomics.store(r32, previous / WORD_BYTES + BLOCK_NEXT_WORD, block);
  }

  /** Consumer: the oldest data block, or 0 if the queue is empty or a push is mid-way. */
  peek(): number {
    let head = this.head;
    if (head === this.stub) {
      const next = Atomics.load(this.r32, head / WORD_BYTES + BLOCK_NEXT_WORD);
      if (next === 0) return 0;
      head = next;
      this.set_head(head);
    }
    return head;
  }

  /**
   * Consumer: unlinks the block `peek` returned. Returns false if it cannot be unlinked yet
   * (it is the last block and a producer is mid-push behind it); the block then stays first.
   */
  pop(block: number): boolean {
    assert(block === this.head && block !== this.stub, 'spill pop takes the peeked block');
    const r32 = this.r32;
    let next = Atomics.load(r32, block / WORD_BYTES + BLOCK_NEXT_WORD);
    if (next === 0) {
      if (Atomics.load(r32, this.tail_word) !== block) return false;
      this.push(this.stub);
      next = Atomics.load(r32, block / WORD_BYTES + BLOCK_NEXT_WORD);
      if (next === 0) return false;
    }
    this.set_head(next);
    return true;
  }

  private set_head(block: number): void {
    this.head = block;
    this.r32[this.head_word] = block;
  }

  /** Data blocks in the queue, counted along the links (racy; for statistics, at most `count_max`). */
  count(count_max: number): number {
    let count = 0;
    let block = Atomics.load(this.r32, this.head_word);
    if (block !== this.stub) count++;
    for (;;) {
      const next = Atomics.load(this.r32, block / WORD_BYTES + BLOCK_NEXT_WORD);
      if (next === 0 || count >= count_max) return count;
      if (next !== this.stub) count++;
      block = next;
    }
  }

  /** Whether the queue holds no data block (racy; for statistics). */
  is_empty(): boolean {
    const head = Atomics.load(this.r32, this.head_word);
    if (head !== this.stub) return false;
    return Atomics.load(this.r32, head / WORD_BYTES + BLOCK_NEXT_WORD) === 0;
  }
}
