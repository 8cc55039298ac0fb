/**
 * Lock-free slab allocator over the spill region: a bitmap per size class.
 *
 * Bit i of a class's bitmap is set while block i is allocated. Allocation finds a clear bit
 * and sets it with one compare-and-swap on its 32-bit word; freeing clears it with one atomic
 * AND. Nothing is ever linked through the free blocks, so there is no ABA problem and a
 * crashed thread can leak at most the blocks it held. Allocation starts at a next-fit cursor
 * (a racy hint, never needed for correctness) and visits every word at most once, so it is
 * bounded by the bitmap's length.
 *
 * Each block's tag word holds its generation and state (block_tag in layout/block_layout.ts).
 * Layout of the region: layout/spill_layout.ts.
 */
import { assert, assert_range } from './assert.js';
import { WORD_BYTES } from './layout/cache_line.js';
import {
  BLOCK_CLASS_WORD,
  BLOCK_GENERATION_MASK,
  BLOCK_LENGTH_WORD,
  BLOCK_NEXT_WORD,
  BLOCK_OWNER_CORE_WORD,
  block_tag_generation,
  block_tag_state,
  BLOCK_TAG_WORD,
  BlockState,
  block_tag,
} from './layout/block_layout.js';
import {
  CLASS_BITMAP_OFFSET,
  CLASS_BITMAP_WORDS,
  CLASS_BLOCK_BYTES,
  CLASS_BLOCK_COUNT,
  CLASS_BLOCKS_OFFSET,
  CLASS_CURSOR,
  CLASS_DESCRIPTOR_BYTES,
  CLASS_STRIDE,
  type SpillLayout,
} from './layout/spill_layout.js';

/** Lost compare-and-swaps on one bitmap word before moving to the next word. */
const WORD_ATTEMPTS_MAX = 32;

/** Writes the class descriptors, clears the bitmaps and stamps every block header. */
export function slab_format(r32: Int32Array, layout: SpillLayout): void {
  for (let k = 0; k < layout.classes.length; k++) {
    const klass = layout.classes[k]!;
    const d = (layout.class_descriptors_offset + k * CLASS_DESCRIPTOR_BYTES) / WORD_BYTES;
    r32[d + CLASS_BLOCK_BYTES / WORD_BYTES] = klass.block_bytes;
    r32[d + CLASS_BLOCK_COUNT / WORD_BYTES] = klass.block_count;
    r32[d + CLASS_BLOCKS_OFFSET / WORD_BYTES] = layout.blocks_offsets[k]!;
    r32[d + CLASS_STRIDE / WORD_BYTES] = layout.strides[k]!;
    r32[d + CLASS_BITMAP_OFFSET / WORD_BYTES] = layout.bitmap_offsets[k]!;
    r32[d + CLASS_BITMAP_WORDS / WORD_BYTES] = layout.bitmap_words[k]!;
    r32[d + CLASS_CURSOR / WORD_BYTES] = 0;
    const bitmap = layout.bitmap_offsets[k]! / WORD_BYTES;
    const words = layout.bitmap_words[k]!;
    r32.fill(0, bitmap, bitmap + words);
    const tail_bits = klass.block_count % 32;
    if (tail_bits !== 0) r32[bitmap + words - 1] = ~((1 << tail_bits) - 1); // Past the end: taken.
    for (let i = 0; i < klass.block_count; i++) {
      const b = (layout.blocks_offsets[k]! + i * layout.strides[k]!) / WORD_BYTES;
      r32[b + BLOCK_NEXT_WORD] = 0;
      r32[b + BLOCK_CLASS_WORD] = k;
      r32[b + BLOCK_TAG_WORD] = block_tag(0, BlockState.FREE);
      r32[b + BLOCK_OWNER_CORE_WORD] = -1;
      r32[b + BLOCK_LENGTH_WORD] = 0;
    }
  }
}

/** One thread's view of the slab. */
export class Slab {
  readonly r32: Int32Array;
  readonly layout: SpillLayout;
  private readonly block_bytes: Int32Array;
  private readonly blocks_offset: Int32Array;
  private readonly stride: Int32Array;
  private readonly bitmap_word: Int32Array;
  private readonly bitmap_words: Int32Array;
  private readonly cursor_word: Int32Array;
  readonly class_count: number;
  /** Largest block, in bytes. */
  readonly block_bytes_max: number;

  constructor(r32: Int32Array, layout: SpillLayout) {
    this.r32 = r32;
    this.layout = layout;
    const n = layout.classes.length;
    this.class_count = n;
    this.block_bytes = new Int32Array(n);
    this.blocks_offset = new Int32Array(n);
    this.stride = new Int32Array(n);
    this.bitmap_word = new Int32Array(n);
    this.bitmap_words = new Int32Array(n);
    this.cursor_word = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      this.block_bytes[k] = layout.classes[k]!.block_bytes;
      this.blocks_offset[k] = layout.blocks_offsets[k]!;
      this.stride[k] = layout.strides[k]!;
      this.bitmap_word[k] = layout.bitmap_offsets[k]! / WORD_BYTES;
      this.bitmap_words[k] = layout.bitmap_words[k]!;
      this.cursor_word[k] = (layout.class_descriptors_offset + k * CLASS_DESCRIPTOR_BYTES + CLASS_CURSOR) / WORD_BYTES;
    }
    this.block_bytes_max = this.block_bytes[n - 1]!;
  }

  /** Index of the smallest class whose blocks hold `bytes`, or -1 if none does. */
  class_for(bytes: number): number {
    for (let k = 0; k < this.class_count; k++) {
      if (this.block_bytes[k]! >= bytes) return k;
    }
    return -1;
  }

  /**
   * Allocates a block of class `k` or, if it is exhausted, of the next larger class that has
   * one. Returns the block's byte offset in the region, or 0 when every such class is full.
   * The block is tagged with `state` and a new generation.
   */
  alloc(k: number, state: number, owner_core: number, length: number): number {
    assert_range(k, 0, this.class_count - 1, 'slab class');
    for (let c = k; c < this.class_count; c++) {
      const block = this.alloc_in(c);
      if (block !== 0) {
        const b = block / WORD_BYTES;
        const r32 = this.r32;
        const generation = (block_tag_generation(Atomics.load(r32, b + BLOCK_TAG_WORD)) + 1) & BLOCK_GENERATION_MASK;
        r32[b + BLOCK_NEXT_WORD] = 0;
        r32[b + BLOCK_OWNER_CORE_WORD] = owner_core;
        r32[b + BLOCK_LENGTH_WORD] = length;
        Atomics.store(r32, b + BLOCK_TAG_WORD, block_tag(generation, state));
        return block;
      }
    }
    return 0;
  }

  private alloc_in(k: number): number {
    const r32 = this.r32;
    const words = this.bitmap_words[k]!;
    const bitmap = this.bitmap_word[k]!;
    const start = r32[this.cursor_word[k]!]! % words;
    for (let i = 0; i < words; i++) {
      let w = start + i;
      if (w >= words) w -= words;
      let value = Atomics.load(r32, bitmap + w);
      for (let attempt = 0; value !== -1 && attempt < WORD_ATTEMPTS_MAX; attempt++) {
        const bit = ~value & (value + 1); // Lowest clear bit.
        const seen = Atomics.compareExchange(r32, bitmap + w, value, value | bit);
        if (seen === value) {
          r32[this.cursor_word[k]!] = w;
          const index = w * 32 + (31 - Math.clz32(bit));
          return this.blocks_offset[k]! + index * this.stride[k]!;
        }
        value = seen;
      }
    }
    return 0;
  }

  /**
   * Frees `block` if its tag is still `(generation, state)`. Returns false (and changes
   * nothing) when the block was already freed or reallocated: a stale release.
   */
  free(block: number, generation: number, state: number): boolean {
    const b = block / WORD_BYTES;
    const r32 = this.r32;
    const expected = block_tag(generation, state);
    const next = block_tag(generation, BlockState.FREE);
    if (Atomics.compareExchange(r32, b + BLOCK_TAG_WORD, expected, next) !== expected) return false;
    const k = r32[b + BLOCK_CLASS_WORD]!;
    const index = (block - this.blocks_offset[k]!) / this.stride[k]!;
    assert(Number.isInteger(index), 'freed block is on a block boundary');
    Atomics.and(r32, this.bitmap_word[k]! + (index >>> 5), ~(1 << (index & 31)));
    return true;
  }

  /** Whether `block` is the byte offset of a block of some class (not a stub or a header). */
  is_block(block: number): boolean {
    for (let k = 0; k < this.class_count; k++) {
      const first = this.blocks_offset[k]!;
      const end = first + this.layout.classes[k]!.block_count * this.stride[k]!;
      if (block >= first && block < end) return (block - first) % this.stride[k]! === 0;
    }
    return false;
  }

  /** The generation in `block`'s tag. */
  generation(block: number): number {
    return block_tag_generation(Atomics.load(this.r32, block / WORD_BYTES + BLOCK_TAG_WORD));
  }

  /** The state in `block`'s tag. */
  state(block: number): number {
    return block_tag_state(Atomics.load(this.r32, block / WORD_BYTES + BLOCK_TAG_WORD));
  }

  /** Data bytes of blocks of `block`'s class. */
  capacity_of(block: number): number {
    return this.block_bytes[this.r32[block / WORD_BYTES + BLOCK_CLASS_WORD]!]!;
  }

  /** Blocks allocated in class `k` (counts bitmap bits; for statistics). */
  in_use(k: number): number {
    const words = this.bitmap_words[k]!;
    const bitmap = this.bitmap_word[k]!;
    let count = 0;
    for (let w = 0; w < words; w++) count += popcount(Atomics.load(this.r32, bitmap + w));
    const padding = words * 32 - this.layout.classes[k]!.block_count;
    return count - padding;
  }

  /** Byte offsets of the blocks of class `k` currently in `state` (for the leak report). */
  blocks_in_state(k: number, state: number): number[] {
    const found: number[] = [];
    const count = this.layout.classes[k]!.block_count;
    for (let i = 0; i < count; i++) {
      const block = this.blocks_offset[k]! + i * this.stride[k]!;
      if (this.state(block) === state) found.push(block);
    }
    return found;
  }
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
