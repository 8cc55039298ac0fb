/**
 * One attachment's counter block (layout/counter_layout.ts): 64-bit counters, each a low and a
 * high Uint32 word, written by the attached thread only, so a count is two plain stores and no
 * atomics. The fastpath counts straight on these words (`Fastpath.count`, on the hot path);
 * `stats.ts` reads every block of the node into one snapshot.
 */
import { assert_range } from './assert.js';
import { COUNTER_BLOCK_BYTES, COUNTER_COUNT } from './layout/counter_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import type { NodeMemory } from './node_memory.js';

export class CounterBlock {
  private readonly u32: Uint32Array;
  /** Word index of the block's first counter (counter `i` is words `first_word + 2i`, low then high). */
  readonly first_word: number;

  /** The counter block of `block`: a core's index, or `cores + producer slot`. */
  constructor(memory: NodeMemory, block: number) {
    assert_range(block, 0, memory.cores + memory.geometry.producers_max - 1, 'counter block');
    this.u32 = memory.u32;
    this.first_word = (memory.layout.counter_blocks + block * COUNTER_BLOCK_BYTES) / WORD_BYTES;
  }

  /** Counter `index` (tests and tools; snapshots read through stats.ts). */
  get(index: number): number {
    assert_range(index, 0, COUNTER_COUNT - 1, 'counter index');
    const w = this.first_word + index * 2;
    return this.u32[w + 1]! * 2 ** 32 + this.u32[w]!;
  }
}
