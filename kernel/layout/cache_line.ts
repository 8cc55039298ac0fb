/**
 * Cache-line geometry shared by every shared-memory layout.
 *
 * x86-64 and most ARM64 cores move memory in 64-byte lines, and the adjacent-line prefetcher of
 * Intel cores pulls lines in pairs. A word written by one thread and a word written by another
 * must therefore never share a line ("false sharing"), and the hottest contended words (a
 * ring's producer tail, its consumer head) get a 128-byte pair of lines to themselves.
 */
import { assert } from '../assert.js';

/** Bytes in one cache line. */
export const CACHE_LINE_BYTES = 64;

/** Bytes given to a contended word: two lines, against the adjacent-line prefetcher. */
export const CONTENDED_BYTES = 2 * CACHE_LINE_BYTES;

/** Bytes in one Int32 word: every field of every layout is one or more such words. */
export const WORD_BYTES = 4;

/** Int32 words in one cache line. */
export const CACHE_LINE_WORDS = CACHE_LINE_BYTES / WORD_BYTES;

/** Rounds `value` up to a multiple of `alignment` (a power of two). */
export function align_up(value: number, alignment: number): number {
  assert((alignment & (alignment - 1)) === 0, 'align_up: alignment is a power of two');
  return (value + alignment - 1) & ~(alignment - 1);
}

/** Rounds a byte count up to whole cache lines. */
export function lines(bytes: number): number {
  return align_up(bytes, CACHE_LINE_BYTES);
}
