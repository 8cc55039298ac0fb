// Handshake fragments: split and reassembled in any order; duplicates ignored; every malformed
// fragment refused by name; truncation at every fragment boundary leaves bounded state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fragment, Reassembler, type Reassembled } from '../../../net/secure/fragments.js';
import {
  FRAG_COUNT,
  FRAG_HEADER_BYTES,
  FRAG_OFFSET,
  FRAG_TOTAL,
  HandshakeKind,
  INIT_BYTES,
  RESP_BYTES,
  put_u16,
} from '../../../net/secure/secure_layout.js';

const init = Uint8Array.from({ length: INIT_BYTES }, (_, i) => (i * 13) & 0xff);

describe('fragment and Reassembler', () => {
  it('splits an INIT under the fragment size and puts it back together in any order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1400 }), fc.nat(), (size, shuffle_seed) => {
        const pieces = fragment(HandshakeKind.INIT, 77, init, size);
        expect(pieces.every((p) => p.length <= FRAG_HEADER_BYTES + size)).toBe(true);
        const order = pieces
          .map((_, i) => i)
          .sort((a, b) => ((a * 7919 + shuffle_seed) % 101) - ((b * 7919 + shuffle_seed) % 101));
        const r = new Reassembler(4, 1000);
        let whole: Reassembled | null = null;
        for (const i of order) {
          const result = r.add(5, pieces[i]!, 0);
          expect(typeof result).not.toBe('string');
          if (result !== null && typeof result !== 'string') whole = result;
        }
        expect(whole?.message).toEqual(init);
        expect([whole?.kind, whole?.handshake_id]).toEqual([HandshakeKind.INIT, 77]);
        expect(r.size).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('ignores a duplicate fragment', () => {
    const [a, b] = fragment(HandshakeKind.RESPONSE, 9, new Uint8Array(RESP_BYTES).fill(4), 800);
    const r = new Reassembler(4, 1000);
    expect(r.add(1, a!, 0)).toBeNull();
    expect(r.add(1, a!, 0)).toBeNull();
    expect((r.add(1, b!, 0) as Reassembled).message.length).toBe(RESP_BYTES);
  });

  it('refuses fragments that lie about their message', () => {
    const r = new Reassembler(4, 1000);
    const [first] = fragment(HandshakeKind.INIT, 1, init, 700);
    const lie = (mutate: (b: Uint8Array) => void) => {
      const bad = first!.slice();
      mutate(bad);
      return r.add(2, bad, 0);
    };
    expect(lie((b) => (b[0] = 9))).toBe('bad_fragment'); // Unknown kind.
    expect(lie((b) => put_u16(b, FRAG_TOTAL, INIT_BYTES + 1))).toBe('bad_fragment'); // Not an INIT's size.
    expect(lie((b) => (b[FRAG_COUNT] = 0))).toBe('bad_fragment');
    expect(lie((b) => (b[FRAG_COUNT] = 17))).toBe('bad_fragment');
    expect(lie((b) => put_u16(b, FRAG_OFFSET, INIT_BYTES - 10))).toBe('bad_fragment'); // Runs past the end.
    expect(lie((b) => (b[3] = 1))).toBe('bad_fragment'); // Reserved byte.
    expect(r.add(2, first!.subarray(0, FRAG_HEADER_BYTES), 0)).toBe('bad_fragment');
    // Two fragments of one message that disagree on the count.
    expect(r.add(2, first!, 0)).toBeNull();
    const [, second] = fragment(HandshakeKind.INIT, 1, init, 500);
    expect(r.add(2, second!, 0)).toBe('inconsistent_fragment');
    expect(r.size).toBe(0);
  });

  it('keeps state bounded when handshakes stop at every fragment boundary', () => {
    const r = new Reassembler(8, 1000);
    const pieces_of = (id: number) => fragment(HandshakeKind.INIT, id, init, 200); // 7 fragments.
    let id = 0;
    for (let delivered = 0; delivered < 7; delivered++) {
      for (let n = 0; n < 20; n++) {
        const pieces = pieces_of(++id);
        for (let i = 0; i < delivered; i++) r.add(3, pieces[i]!, 0);
        expect(r.size).toBeLessThanOrEqual(8);
      }
    }
    expect(r.evicted).toBeGreaterThan(0);
    // Time-outs clear what is left.
    r.add(3, pieces_of(++id)[0]!, 5000);
    expect(r.expired).toBeGreaterThan(0);
    expect(r.size).toBe(1);
  });

  it('never throws on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1200 }), { maxLength: 30 }), (chunks) => {
        const r = new Reassembler(4, 1000);
        for (const chunk of chunks) r.add(1, chunk, 0);
        expect(r.size).toBeLessThanOrEqual(4);
      }),
      { numRuns: 200 },
    );
  });
});
