// The byte arena: views carved from chunks, never handed out twice, zero-filled, aligned; large
// requests get their own buffer; a new chunk when one is full.
import { describe, expect, it } from 'vitest';
import { ByteArena } from '../../net/byte_arena.js';

describe('ByteArena', () => {
  it('hands out disjoint, zero-filled, 8-byte-aligned views of one chunk until it is full', () => {
    const arena = new ByteArena(1024, 256);
    const a = arena.alloc(84);
    const b = arena.alloc(84);
    expect(a.buffer).toBe(b.buffer);
    expect(a.byteOffset % 8).toBe(0);
    expect(b.byteOffset).toBe(88);
    expect([...a, ...b].every((x) => x === 0)).toBe(true);
    a.fill(1);
    expect(b.every((x) => x === 0)).toBe(true);
    for (let i = 0; i < 10; i++) arena.alloc(84);
    expect(arena.chunks).toBe(2);
  });

  it('gives requests over the direct bound a buffer of their own, and copies', () => {
    const arena = new ByteArena(1024, 256);
    const big = arena.alloc(257);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(257);
    const copy = arena.copy(Uint8Array.of(5, 6, 7));
    expect([...copy]).toEqual([5, 6, 7]);
    expect(arena.alloc(0).length).toBe(0);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new ByteArena(100)).toThrow(/chunk_bytes/);
    expect(() => new ByteArena(1024, 2048)).toThrow(/direct_bytes_min/);
  });
});
