/**
 * The simulator's pseudo-random generator: xoshiro128** (Blackman and Vigna, "Scrambled linear
 * pseudorandom number generators", 2018), seeded through SplitMix32.
 *
 * Every random choice a simulation makes (interleaving, delays, faults, workload choices, crypto
 * randomness) comes from one of these, forked from the run's seed by a stable label, so a run is
 * a pure function of its scenario and seed. An instance per stream; no module-level state.
 */
import { assert } from '../kernel/assert.js';

/** Seeds are integers in [0, 2^53), so they print and parse exactly. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over a string, for deriving stream seeds from labels. */
function label_hash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The simulator's seeded pseudo-random generator: every random choice of a run comes from one. */
export class Prng {
  /** xoshiro128** state words a, b, c, d (a typed array: the words stay unboxed). */
  private readonly s = new Int32Array(4);

  /** A generator for `seed` (an integer in [0, 2^53)) and an optional stream label. */
  constructor(seed: number, label = '') {
    assert(Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX, 'Prng: seed is an integer in [0, 2^53)');
    const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const state = { s: (seed >>> 0) ^ Math.imul(hi, 0x27d4eb2f) ^ label_hash(label) };
    this.s[0] = splitmix32(state);
    this.s[1] = splitmix32(state) ^ hi;
    this.s[2] = splitmix32(state);
    this.s[3] = splitmix32(state) | 1; // Never the all-zero state.
  }

  /** A new independent stream, named by `label` (the same label gives the same stream). */
  fork(label: string): Prng {
    const child = new Prng(0, label);
    for (let i = 0; i < 3; i++) child.s[i] ^= this.s[i]!;
    child.s[3] ^= this.s[3]! | 1;
    for (let i = 0; i < 4; i++) child.u32();
    return child;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const s = this.s;
    let a = s[0]!;
    let b = s[1]!;
    let c = s[2]!;
    let d = s[3]!;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
    return result;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n), n ≥ 1. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** An exponentially distributed value with mean `mean`. */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'Prng.pick: items is not empty');
    return items[this.int(items.length)]!;
  }

  /** Fills `bytes` (the `Random` interface of net/secure). */
  fill(bytes: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) {
      const w = this.u32();
      bytes[i] = w;
      bytes[i + 1] = w >>> 8;
      bytes[i + 2] = w >>> 16;
      bytes[i + 3] = w >>> 24;
    }
    if (i < bytes.length) {
      let w = this.u32();
      for (; i < bytes.length; i++, w >>>= 8) bytes[i] = w;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
