// The intrusive MPSC spill queue: FIFO order, the stub re-push at the last element, a
// producer caught between its exchange and its link, and a model-based property test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_DATA, BLOCK_NEXT_WORD, BlockState } from '../../kernel/layout/block_layout.js';
import { SPILL_QUEUE_TAIL, spill_layout } from '../../kernel/layout/spill_layout.js';
import { Slab, slab_format } from '../../kernel/slab.js';
import { SpillQueue, spill_queue_format } from '../../kernel/spill_queue.js';

function make_queue() {
  const layout = spill_layout(1, [{ block_bytes: 128, block_count: 64 }]);
  const r32 = new Int32Array(new SharedArrayBuffer(layout.region_bytes));
  slab_format(r32, layout);
  spill_queue_format(r32, layout.queues_offset);
  const slab = new Slab(r32, layout);
  const queue = new SpillQueue(r32, layout.queues_offset);
  const enqueue = (value: number) => {
    const block = slab.alloc(0, BlockState.SPILLED, 0, 0);
    r32[(block + BLOCK_DATA) / 4] = value;
    queue.push(block);
    return block;
  };
  const dequeue = (): number | undefined => {
    const block = queue.peek();
    if (block === 0) return undefined;
    const value = r32[(block + BLOCK_DATA) / 4]!;
    expect(queue.pop(block)).toBe(true);
    slab.free(block, slab.generation(block), BlockState.SPILLED);
    return value;
  };
  return { r32, layout, slab, queue, enqueue, dequeue };
}

describe('SpillQueue', () => {
  it('starts empty', () => {
    const { queue, dequeue } = make_queue();
    expect(queue.is_empty()).toBe(true);
    expect(dequeue()).toBeUndefined();
  });

  it('is FIFO, including the last element (stub re-push)', () => {
    const { queue, enqueue, dequeue } = make_queue();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) enqueue(round * 10 + i);
      expect(queue.is_empty()).toBe(false);
      for (let i = 0; i < 3; i++) expect(dequeue()).toBe(round * 10 + i);
      expect(dequeue()).toBeUndefined();
      expect(queue.is_empty()).toBe(true);
    }
  });

  it('does not unlink the last block while a producer is between exchange and link', () => {
    const { r32, layout, slab, queue, enqueue, dequeue } = make_queue();
    enqueue(1);
    // A producer exchanges its block into the tail but has not linked it yet.
    const late = slab.alloc(0, BlockState.SPILLED, 0, 0);
    r32[(late + BLOCK_DATA) / 4] = 2;
    r32[late / 4 + BLOCK_NEXT_WORD] = 0;
    const previous = Atomics.exchange(r32, (layout.queues_offset + SPILL_QUEUE_TAIL) / 4, late);
    const first = queue.peek();
    expect(first).toBe(previous);
    expect(queue.pop(first)).toBe(false); // Cannot unlink yet: the chain is broken behind it.
    Atomics.store(r32, previous / 4 + BLOCK_NEXT_WORD, late); // The producer links.
    expect(queue.pop(first)).toBe(true);
    expect(dequeue()).toBe(2);
    expect(dequeue()).toBeUndefined();
  });

  it('matches an array model under random push/pop (model test)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (ops) => {
        const { enqueue, dequeue } = make_queue();
        const model: number[] = [];
        let next = 0;
        for (const is_push of ops) {
          if (is_push && model.length < 60) {
            enqueue(next);
            model.push(next++);
          } else {
            expect(dequeue()).toBe(model.shift());
          }
        }
        while (model.length > 0) expect(dequeue()).toBe(model.shift());
        expect(dequeue()).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
