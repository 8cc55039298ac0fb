/**
 * Spill region: the node's shared zero-copy area (the spec's `set_message_region`).
 *
 * It holds two things:
 * 1. the payload slab: blocks in a few size classes, each class a bitmap allocator
 *    (bit set = allocated; allocate by compare-and-swap of one bit, free by atomic AND), so
 *    allocation is lock-free and never suffers ABA;
 * 2. one spill queue per receiving core: an intrusive multi-producer single-consumer FIFO
 *    (Vyukov's non-blocking MPSC queue) of blocks that each hold one spilled message slot.
 *
 *   0       +--------------------------------------------------+
 *           | region header (1 line)                           |
 *   64      +--------------------------------------------------+
 *           | spill queue of core 0:                           |
 *           |   tail  (2 lines, producers' exchange)           |
 *           |   head  (2 lines, consumer only)                 |
 *           |   stub  (1 line, a block header that is never    |
 *           |          allocated: the queue's sentinel)        |
 *           | ... one per core                                 |
 *           +--------------------------------------------------+
 *           | class 0 descriptor (2 lines): geometry, cursor   |
 *           | ... one per class                                |
 *           +--------------------------------------------------+
 *           | class 0 bitmap: ceil(block_count/32) words,      |
 *           |   bits past block_count preset to 1, line padded |
 *           | ... one per class                                |
 *           +--------------------------------------------------+
 *           | class 0 blocks: block_count × (64 + block_bytes) |
 *           | ... one per class                                |
 *           +--------------------------------------------------+  region_bytes
 *
 * The header records the geometry, so a worker that is handed the region can rebuild this
 * layout from the header alone and check it.
 */
import { assert, assert_aligned, assert_range } from '../assert.js';
import { CACHE_LINE_BYTES, CONTENDED_BYTES, WORD_BYTES, lines } from './cache_line.js';
import { BLOCK_HEADER_BYTES } from './block_layout.js';
import { SLOT_BYTES } from './slot_layout.js';

/** Magic number of a formatted spill region: "LATS". */
export const SPILL_MAGIC = 0x5354414c;
/** Layout version; a region of another version is refused. */
export const SPILL_VERSION = 1;

// Region header, word offsets.
export const SPILL_HEADER_MAGIC_WORD = 0;
export const SPILL_HEADER_VERSION_WORD = 1;
export const SPILL_HEADER_REGION_BYTES_WORD = 2;
export const SPILL_HEADER_CORES_WORD = 3;
export const SPILL_HEADER_CLASS_COUNT_WORD = 4;
/** Word offset where the class geometry list starts: (block_bytes, block_count) pairs. */
export const SPILL_HEADER_CLASSES_WORD = 5;
/** Size classes the header has room for. */
export const SPILL_CLASSES_MAX = 5;
export const SPILL_HEADER_BYTES = CACHE_LINE_BYTES;

// Spill queue of one core, byte offsets from the queue's start.
let q = 0;
/** Byte offset of the queue tail (byte offset of the last block, exchanged by producers). */
export const SPILL_QUEUE_TAIL = q;
q += CONTENDED_BYTES;
/** Byte offset of the queue head (the consumer's current sentinel). */
export const SPILL_QUEUE_HEAD = q;
q += CONTENDED_BYTES;
/** Byte offset of the queue's stub block header. */
export const SPILL_QUEUE_STUB = q;
q += BLOCK_HEADER_BYTES;
/** Bytes of one core's spill queue. */
export const SPILL_QUEUE_BYTES = q;

// Class descriptor, byte offsets from the descriptor's start.
let c = 0;
export const CLASS_BLOCK_BYTES = c;
c += WORD_BYTES;
export const CLASS_BLOCK_COUNT = c;
c += WORD_BYTES;
/** Byte offset (in the region) of the class's first block. */
export const CLASS_BLOCKS_OFFSET = c;
c += WORD_BYTES;
/** Bytes from one block to the next: header plus data. */
export const CLASS_STRIDE = c;
c += WORD_BYTES;
/** Byte offset (in the region) of the class's bitmap. */
export const CLASS_BITMAP_OFFSET = c;
c += WORD_BYTES;
export const CLASS_BITMAP_WORDS = c;
c += WORD_BYTES;
c = CACHE_LINE_BYTES;
/** Next-fit cursor: the bitmap word to try first. A hint only, written racily by allocators. */
export const CLASS_CURSOR = c;
c += CACHE_LINE_BYTES;
/** Bytes of one class descriptor. */
export const CLASS_DESCRIPTOR_BYTES = c;

/** One size class of the payload slab. */
export interface SlabClass {
  /** Data bytes per block: a multiple of 64. */
  readonly block_bytes: number;
  /** Blocks in the class. */
  readonly block_count: number;
}

/** Largest block a class may declare: 64 MiB. */
export const BLOCK_BYTES_MAX = 64 << 20;
/** Most blocks a class may declare. */
export const BLOCK_COUNT_MAX = 1 << 20;
/** Largest spill region: offsets are positive Int32. */
export const SPILL_REGION_BYTES_MAX = 0x7fff_ffc0;

/** Byte offsets of every part of a spill region, computed from its geometry in one place. */
export interface SpillLayout {
  readonly cores: number;
  readonly classes: readonly SlabClass[];
  /** Byte offset of core `i`'s queue is `queues_offset + i * SPILL_QUEUE_BYTES`. */
  readonly queues_offset: number;
  readonly class_descriptors_offset: number;
  readonly bitmap_offsets: readonly number[];
  readonly bitmap_words: readonly number[];
  readonly blocks_offsets: readonly number[];
  readonly strides: readonly number[];
  /** Bytes the region needs. */
  readonly region_bytes: number;
  /** Index of the smallest class that can hold a spilled message slot. */
  readonly spill_class: number;
}

/** Computes the layout of a spill region for `cores` cores and the given size classes. */
export function spill_layout(cores: number, classes: readonly SlabClass[]): SpillLayout {
  assert_range(cores, 1, 4096, 'spill layout cores');
  assert_range(classes.length, 1, SPILL_CLASSES_MAX, 'spill layout class count');
  for (let i = 0; i < classes.length; i++) {
    const k = classes[i]!;
    assert_range(k.block_bytes, CACHE_LINE_BYTES, BLOCK_BYTES_MAX, 'class block_bytes');
    assert_aligned(k.block_bytes, CACHE_LINE_BYTES, 'class block_bytes');
    assert_range(k.block_count, 1, BLOCK_COUNT_MAX, 'class block_count');
    if (i > 0) assert(k.block_bytes > classes[i - 1]!.block_bytes, 'classes sorted by block_bytes');
  }
  let offset = SPILL_HEADER_BYTES;
  const queues_offset = offset;
  offset += cores * SPILL_QUEUE_BYTES;
  const class_descriptors_offset = offset;
  offset += classes.length * CLASS_DESCRIPTOR_BYTES;
  const bitmap_offsets: number[] = [];
  const bitmap_words: number[] = [];
  for (const k of classes) {
    bitmap_offsets.push(offset);
    const words = Math.ceil(k.block_count / 32);
    bitmap_words.push(words);
    offset += lines(words * WORD_BYTES);
  }
  const blocks_offsets: number[] = [];
  const strides: number[] = [];
  for (const k of classes) {
    blocks_offsets.push(offset);
    const stride = BLOCK_HEADER_BYTES + k.block_bytes;
    strides.push(stride);
    offset += k.block_count * stride;
  }
  const spill_class = classes.findIndex((k) => k.block_bytes >= SLOT_BYTES);
  assert(spill_class >= 0, 'some class can hold a spilled slot');
  assert(offset <= SPILL_REGION_BYTES_MAX, 'spill region fits Int32 offsets');
  return {
    cores,
    classes: classes.map((k) => ({ block_bytes: k.block_bytes, block_count: k.block_count })),
    queues_offset,
    class_descriptors_offset,
    bitmap_offsets,
    bitmap_words,
    blocks_offsets,
    strides,
    region_bytes: offset,
    spill_class,
  };
}

/** The default size classes: slots and small payloads, pages, large pages, bulk. ~11.4 MiB. */
export const DEFAULT_SLAB_CLASSES: readonly SlabClass[] = [
  { block_bytes: 128, block_count: 2048 },
  { block_bytes: 4096, block_count: 256 },
  { block_bytes: 64 << 10, block_count: 32 },
  { block_bytes: 1 << 20, block_count: 8 },
];
