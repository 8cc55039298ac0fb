// The bitmap slab allocator: exhaustion with exact counts, class fallback, generations and
// stale frees, and a model-based property test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockState } from '../../kernel/layout/block_layout.js';
import { spill_layout, type SlabClass } from '../../kernel/layout/spill_layout.js';
import { Slab, slab_format } from '../../kernel/slab.js';

function make_slab(classes: SlabClass[]): Slab {
  const layout = spill_layout(1, classes);
  const r32 = new Int32Array(new SharedArrayBuffer(layout.region_bytes));
  slab_format(r32, layout);
  return new Slab(r32, layout);
}

describe('Slab', () => {
  it('hands out every block of a class exactly once, then reports none', () => {
    const slab = make_slab([{ block_bytes: 128, block_count: 37 }]);
    const seen = new Set<number>();
    for (let i = 0; i < 37; i++) {
      const block = slab.alloc(0, BlockState.PAYLOAD, 0, 10);
      expect(block).toBeGreaterThan(0);
      expect(slab.is_block(block)).toBe(true);
      seen.add(block);
    }
    expect(seen.size).toBe(37);
    expect(slab.in_use(0)).toBe(37);
    expect(slab.alloc(0, BlockState.PAYLOAD, 0, 10)).toBe(0);
  });

  it('falls back to a larger class when the asked one is exhausted', () => {
    const slab = make_slab([
      { block_bytes: 128, block_count: 1 },
      { block_bytes: 1024, block_count: 1 },
    ]);
    expect(slab.class_for(100)).toBe(0);
    expect(slab.class_for(129)).toBe(1);
    expect(slab.class_for(1025)).toBe(-1);
    const a = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
    const b = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
    expect(slab.capacity_of(a)).toBe(128);
    expect(slab.capacity_of(b)).toBe(1024);
    expect(slab.alloc(0, BlockState.PAYLOAD, 0, 0)).toBe(0);
  });

  it('bumps the generation on each allocation and refuses stale or double frees', () => {
    const slab = make_slab([
      { block_bytes: 64, block_count: 1 },
      { block_bytes: 128, block_count: 1 },
    ]);
    const block = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
    const generation = slab.generation(block);
    expect(slab.free(block, generation, BlockState.SPILLED)).toBe(false); // Wrong state.
    expect(slab.free(block, generation + 1, BlockState.PAYLOAD)).toBe(false); // Wrong generation.
    expect(slab.free(block, generation, BlockState.PAYLOAD)).toBe(true);
    expect(slab.free(block, generation, BlockState.PAYLOAD)).toBe(false); // Double free.
    const again = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
    expect(again).toBe(block);
    expect(slab.generation(again)).toBe(generation + 1);
    expect(slab.free(block, generation, BlockState.PAYLOAD)).toBe(false); // Stale descriptor.
    expect(slab.in_use(0)).toBe(1);
  });

  it('is not fooled by offsets that are not block starts', () => {
    const slab = make_slab([{ block_bytes: 128, block_count: 4 }]);
    const block = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
    expect(slab.is_block(block + 4)).toBe(false);
    expect(slab.is_block(0)).toBe(false);
    expect(slab.is_block(64)).toBe(false);
  });

  it('matches a set model under random alloc/free (model test)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 300 }), (ops) => {
        const slab = make_slab([{ block_bytes: 128, block_count: 33 }]);
        const held: number[] = [];
        for (const op of ops) {
          if (op === -1 || held.length === 0) {
            const block = slab.alloc(0, BlockState.PAYLOAD, 0, 0);
            if (held.length === 33) expect(block).toBe(0);
            else {
              expect(block).toBeGreaterThan(0);
              expect(held).not.toContain(block);
              held.push(block);
            }
          } else {
            const [block] = held.splice(op % held.length, 1);
            expect(slab.free(block!, slab.generation(block!), BlockState.PAYLOAD)).toBe(true);
          }
          expect(slab.in_use(0)).toBe(held.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
