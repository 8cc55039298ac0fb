// The MPSC ring on its own: empty, full, wrap-around (including the Int32 position wrap),
// batches, and a model-based property test of random claim/publish/consume sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ring_bytes } from '../../kernel/layout/ring_layout.js';
import { SLOT_M_TYPE_WORD } from '../../kernel/layout/slot_layout.js';
import { Ring, ring_format } from '../../kernel/ring.js';

function make_ring(capacity: number, start = 0, zeroed = false): { producer: Ring; consumer: Ring } {
  const i32 = new Int32Array(new SharedArrayBuffer(ring_bytes(capacity)));
  ring_format(i32, 0, capacity, start, zeroed);
  return { producer: new Ring(i32, 0, capacity), consumer: new Ring(i32, 0, capacity) };
}

function push(ring: Ring, value: number): boolean {
  if (!ring.claim(1)) return false;
  ring.i32[ring.slot_word(ring.claimed) + SLOT_M_TYPE_WORD] = value;
  ring.publish(ring.claimed, 1);
  return true;
}

function pop(ring: Ring): number | undefined {
  const w = ring.peek();
  if (w < 0) return undefined;
  const value = ring.i32[w + SLOT_M_TYPE_WORD]!;
  ring.release();
  return value;
}

describe('Ring', () => {
  it('is empty when formatted', () => {
    const { consumer } = make_ring(4);
    expect(consumer.peek()).toBe(-1);
    expect(consumer.occupancy()).toBe(0);
  });

  it('holds exactly capacity messages, then reports full', () => {
    const { producer, consumer } = make_ring(4);
    for (let i = 0; i < 4; i++) expect(push(producer, i)).toBe(true);
    expect(push(producer, 99)).toBe(false);
    expect(consumer.occupancy()).toBe(4);
    expect(pop(consumer)).toBe(0);
    expect(push(producer, 4)).toBe(true);
    expect(push(producer, 5)).toBe(false);
  });

  it('a new (all-zero) buffer at position 0 is an empty ring without a write: full, empty and laps behave as formatted', () => {
    const { producer, consumer } = make_ring(4, 0, true);
    expect(Array.from(producer.i32).every((w) => w === 0)).toBe(true);
    expect(consumer.peek()).toBe(-1);
    for (let lap = 0; lap < 5; lap++) {
      for (let i = 0; i < 4; i++) expect(push(producer, lap * 4 + i)).toBe(true);
      expect(push(producer, -1)).toBe(false);
      for (let i = 0; i < 4; i++) expect(pop(consumer)).toBe(lap * 4 + i);
      expect(pop(consumer)).toBeUndefined();
    }
  });

  it('wraps around many laps in FIFO order', () => {
    const { producer, consumer } = make_ring(2);
    for (let i = 0; i < 1000; i++) {
      expect(push(producer, i)).toBe(true);
      expect(pop(consumer)).toBe(i);
    }
    expect(pop(consumer)).toBeUndefined();
  });

  it('keeps working across the Int32 position wrap', () => {
    const start = 0x7fff_fff0;
    const { producer, consumer } = make_ring(8, start);
    for (let i = 0; i < 100; i++) {
      expect(push(producer, i)).toBe(true);
      if (i % 3 === 0) expect(push(producer, 1000 + i)).toBe(true);
      expect(pop(consumer)).toBe(i);
      if (i % 3 === 0) expect(pop(consumer)).toBe(1000 + i);
    }
    expect(consumer.occupancy()).toBe(0);
  });

  it('claims and publishes a batch at once, and refuses a batch that does not fit', () => {
    const { producer, consumer } = make_ring(8);
    expect(push(producer, 100)).toBe(true);
    expect(producer.claim(8)).toBe(false); // Only 7 free.
    expect(producer.claim(7)).toBe(true);
    const first = producer.claimed;
    for (let k = 0; k < 7; k++) producer.i32[producer.slot_word(first + k) + SLOT_M_TYPE_WORD] = k;
    expect(consumer.peek()).toBeGreaterThanOrEqual(0); // 100 is published.
    expect(pop(consumer)).toBe(100);
    expect(consumer.peek()).toBe(-1); // Claimed but unpublished slots are invisible.
    producer.publish(first, 7);
    for (let k = 0; k < 7; k++) expect(pop(consumer)).toBe(k);
  });

  it('a claimed but unpublished slot blocks the consumer without losing later ones', () => {
    const { producer, consumer } = make_ring(4);
    expect(producer.claim(1)).toBe(true);
    const held = producer.claimed;
    expect(push(producer, 2)).toBe(true);
    expect(consumer.peek()).toBe(-1);
    producer.i32[producer.slot_word(held) + SLOT_M_TYPE_WORD] = 1;
    producer.publish(held, 1);
    expect(pop(consumer)).toBe(1);
    expect(pop(consumer)).toBe(2);
  });

  it('behaves like a bounded FIFO under random operations (model test)', () => {
    type Op = { kind: 'push'; count: number } | { kind: 'pop'; count: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('pop' as const), count: fc.integer({ min: 1, max: 5 }) }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8),
        fc.integer({ min: -5, max: 5 }),
        fc.array(op, { maxLength: 200 }),
        (capacity, start_bias, ops: Op[]) => {
          const { producer, consumer } = make_ring(capacity, start_bias < 0 ? 0x7fff_ffff + start_bias : start_bias);
          const model: number[] = [];
          let next = 0;
          for (const o of ops) {
            if (o.kind === 'push') {
              const fits = model.length + o.count <= capacity;
              expect(producer.claim(o.count)).toBe(fits);
              if (fits) {
                for (let k = 0; k < o.count; k++) {
                  producer.i32[producer.slot_word(producer.claimed + k) + SLOT_M_TYPE_WORD] = next;
                  model.push(next++);
                }
                producer.publish(producer.claimed, o.count);
              }
            } else {
              for (let k = 0; k < o.count; k++) expect(pop(consumer)).toBe(model.shift());
            }
            expect(consumer.occupancy()).toBe(model.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
