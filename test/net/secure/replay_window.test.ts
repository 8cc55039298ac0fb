// The RFC 6479 replay window, against a plain model (a set of every number seen and the highest):
// each number is accepted once, reordering inside the window is fine, older ones are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_SIZE, ReplayVerdict, ReplayWindow } from '../../../net/secure/replay_window.js';

describe('ReplayWindow', () => {
  it('covers at least 2048 sequence numbers', () => {
    expect(REPLAY_WINDOW_SIZE).toBeGreaterThanOrEqual(2048);
  });

  it('accepts each number once, in order or not', () => {
    const w = new ReplayWindow();
    expect(w.check_and_update(0)).toBe(ReplayVerdict.OK);
    expect(w.check_and_update(0)).toBe(ReplayVerdict.DUPLICATE);
    expect(w.check_and_update(5)).toBe(ReplayVerdict.OK);
    expect(w.check_and_update(3)).toBe(ReplayVerdict.OK);
    expect(w.check_and_update(3)).toBe(ReplayVerdict.DUPLICATE);
    expect(w.check_and_update(4)).toBe(ReplayVerdict.OK);
    expect(w.highest).toBe(5);
  });

  it('refuses what fell out of the window, and forgets bits the window passed', () => {
    const w = new ReplayWindow();
    w.check_and_update(10);
    w.check_and_update(10 + REPLAY_WINDOW_SIZE);
    expect(w.check_and_update(10)).toBe(ReplayVerdict.STALE);
    expect(w.check_and_update(11)).toBe(ReplayVerdict.OK);
    // A jump far ahead clears everything: old bits cannot make a new number look like a replay.
    w.check_and_update(10 ** 9);
    expect(w.check_and_update(10 ** 9 - 1)).toBe(ReplayVerdict.OK);
    expect(w.check_and_update(10 ** 9 - 4096 * 3)).toBe(ReplayVerdict.STALE);
  });

  it('handles numbers near 2^53', () => {
    const w = new ReplayWindow();
    const big = 2 ** 53 - 10;
    expect(w.check_and_update(big)).toBe(ReplayVerdict.OK);
    expect(w.check_and_update(big)).toBe(ReplayVerdict.DUPLICATE);
    expect(w.check_and_update(big - 1)).toBe(ReplayVerdict.OK);
  });

  it('agrees with the model on any sequence (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(6000), fc.integer({ min: 0, max: 200 })), { maxLength: 600 }), (seqs) => {
        const w = new ReplayWindow();
        const seen = new Set<number>();
        let top = -1;
        for (const seq of seqs) {
          let expected: ReplayVerdict;
          if (seq <= top && top - seq >= REPLAY_WINDOW_SIZE) expected = ReplayVerdict.STALE;
          else if (seen.has(seq)) expected = ReplayVerdict.DUPLICATE;
          else expected = ReplayVerdict.OK;
          expect(w.check_and_update(seq)).toBe(expected);
          if (expected === ReplayVerdict.OK) {
            seen.add(seq);
            top = Math.max(top, seq);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
