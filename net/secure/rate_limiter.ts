/**
 * A token bucket per source node: how many handshake INITs a node may make this one answer.
 * Answering costs a signature check, an ML-KEM encapsulation, an X25519 and a signature, so a
 * flood of INITs (replayed or from a compromised peer) is cut to `rate_per_s` with bursts of
 * `burst`. Buckets refill lazily from the injected clock; there is one per pinned peer at most.
 */
import { assert } from '../../kernel/assert.js';

interface Bucket {
  tokens: number;
  at_ms: number;
}

export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>();
  private readonly rate_per_ms: number;
  private readonly burst: number;

  constructor(rate_per_s: number, burst: number) {
    assert(rate_per_s > 0 && burst >= 1, `rate ${rate_per_s}/s, burst ${burst}`);
    this.rate_per_ms = rate_per_s / 1000;
    this.burst = burst;
  }

  /** Takes a token for `node` at `now_ms`; false when its bucket is empty. */
  take(node: number, now_ms: number): boolean {
    let bucket = this.buckets.get(node);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at_ms: now_ms };
      this.buckets.set(node, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, now_ms - bucket.at_ms) * this.rate_per_ms);
    bucket.at_ms = now_ms;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  forget(node: number): void {
    this.buckets.delete(node);
  }
}
