/**
 * Anti-replay sliding window (RFC 6479, "IPsec Anti-Replay Algorithm without Bit Shifting").
 *
 * The window is a ring of 32-bit blocks. `top` is the highest sequence number accepted so far.
 * A number above `top` slides the window forward by clearing the blocks it passes (never
 * shifting bits); one within `window_size` below `top` is accepted once, when its bit is still
 * clear; anything older is refused. The caller checks only after the packet's tag verified, so a
 * forged packet can never move the window.
 *
 * With `BLOCKS` = 128 the ring holds 4096 bits and the window (RFC 6479 keeps one block as slack)
 * covers 4064 sequence numbers, well above the 2048 the design asks for.
 */

const BLOCK_BITS = 32;
const BLOCKS = 128;
/** Sequence numbers below `top` still accepted (once each). */
export const REPLAY_WINDOW_SIZE = (BLOCKS - 1) * BLOCK_BITS;

/** What `check_and_update` decided. */
export const ReplayVerdict = {
  OK: 0,
  /** Seen before. */
  DUPLICATE: 1,
  /** Older than the window. */
  STALE: 2,
} as const;
export type ReplayVerdict = (typeof ReplayVerdict)[keyof typeof ReplayVerdict];

/** The sliding window of received sequence numbers (RFC 6479 style) that refuses replays. */
export class ReplayWindow {
  private readonly bitmap = new Uint32Array(BLOCKS);
  /** The highest sequence number accepted; -1 before the first. */
  private top = -1;

  /** Accepts `seq` (an integer ≥ 0) once, or says why not. */
  check_and_update(seq: number): ReplayVerdict {
    if (seq > this.top) {
      const block = Math.floor(seq / BLOCK_BITS);
      const top_block = this.top < 0 ? -1 : Math.floor(this.top / BLOCK_BITS);
      const passed = Math.min(block - top_block, BLOCKS);
      for (let i = 1; i <= passed; i++) this.bitmap[(top_block + i) % BLOCKS] = 0;
      this.top = seq;
    } else if (this.top - seq >= REPLAY_WINDOW_SIZE) {
      return ReplayVerdict.STALE;
    }
    const index = Math.floor(seq / BLOCK_BITS) % BLOCKS;
    const bit = 1 << (seq % BLOCK_BITS);
    if ((this.bitmap[index]! & bit) !== 0) return ReplayVerdict.DUPLICATE;
    this.bitmap[index]! |= bit;
    return ReplayVerdict.OK;
  }

  /** The highest sequence number accepted, or -1. */
  get highest(): number {
    return this.top;
  }
}
