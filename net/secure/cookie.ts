/**
 * Cookies: proof that an INIT's UDP source address can receive, asked for only under load, so
 * that a flood of INITs from spoofed addresses costs the responder one HMAC each and no
 * signature or ML-KEM work. The idea is WireGuard's (its cookie reply and `mac2`, §5.4.7 of the
 * WireGuard paper), simplified where Lattice differs: every INIT is signed by a pinned
 * identity, so the cookie only has to prove the address, and it travels in the clear.
 *
 *   cookie = HMAC-SHA-256(secret, "LT1 cookie" ‖ node ‖ address)[0..16)
 *   mac2   = HMAC-SHA-256(cookie, INIT)[0..16)
 *
 * `secret` is 32 random bytes, replaced every `cookie_secret_ms`; a cookie made under the
 * previous secret is still accepted (so a cookie lives between one and two periods). The
 * responder keeps no state per address: it recomputes the cookie from the INIT's source.
 * HMAC-SHA-256 is RFC 2104 with SHA-256 (here HKDF-Extract, RFC 5869 §2.2, which is exactly
 * that). Wire layout: docs/SECURITY.md "Cookies".
 */
import { assert } from '../../kernel/assert.js';
import type { Clock } from '../../kernel/env.js';
import { type Random, random_bytes } from './random.js';
import { COOKIE_BYTES } from './secure_layout.js';
import type { CryptoSuite } from './suite.js';

const utf8 = new TextEncoder();
const COOKIE_LABEL = utf8.encode('LT1 cookie');

/** `HMAC-SHA-256(key, message)` cut to a cookie's (or a mac2's) 16 bytes. */
export function cookie_mac(suite: CryptoSuite, key: Uint8Array, message: Uint8Array): Uint8Array {
  return suite.hkdf_extract(key, message).subarray(0, COOKIE_BYTES);
}

/** Constant-time comparison of two byte strings of the same length. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The responder's side: its rotating secret, the cookies it hands out and the mac2s it checks. */
export class CookieSecret {
  private current: Uint8Array;
  private previous: Uint8Array | null = null;
  private rotated_ms: number;

  constructor(
    private readonly suite: CryptoSuite,
    private readonly random: Random,
    private readonly clock: Clock,
    private readonly secret_ms: number,
  ) {
    assert(secret_ms >= 1, 'cookie_secret_ms is positive');
    this.current = random_bytes(random, 32);
    this.rotated_ms = clock.now_ms();
  }

  /** The cookie for an INIT claiming `node` from `address` (the source as text: host and port). */
  cookie(node: number, address: string): Uint8Array {
    this.rotate();
    return this.cookie_under(this.current, node, address);
  }

  /** Whether `mac2` is `init`'s under the cookie of `node` at `address` (current or previous secret). */
  check(init: Uint8Array, mac2: Uint8Array, node: number, address: string): boolean {
    this.rotate();
    assert(mac2.length === COOKIE_BYTES, 'mac2 is 16 bytes');
    if (equal(cookie_mac(this.suite, this.cookie_under(this.current, node, address), init), mac2)) return true;
    const previous = this.previous;
    return previous !== null && equal(cookie_mac(this.suite, this.cookie_under(previous, node, address), init), mac2);
  }

  /** Wipes the secrets. */
  wipe(): void {
    this.current.fill(0);
    this.previous?.fill(0);
  }

  private cookie_under(secret: Uint8Array, node: number, address: string): Uint8Array {
    const text = utf8.encode(`${node >>> 0} ${address}`);
    const message = new Uint8Array(COOKIE_LABEL.length + text.length);
    message.set(COOKIE_LABEL);
    message.set(text, COOKIE_LABEL.length);
    return cookie_mac(this.suite, secret, message);
  }

  /** Replaces the secret once `secret_ms` has passed (looked at on use: no timer). */
  private rotate(): void {
    const now = this.clock.now_ms();
    if (now - this.rotated_ms < this.secret_ms) return;
    this.previous?.fill(0);
    // Two periods or more since the last rotation: the old secret is too old to keep.
    this.previous = now - this.rotated_ms < 2 * this.secret_ms ? this.current : null;
    if (this.previous === null) this.current.fill(0);
    this.current = random_bytes(this.random, 32);
    this.rotated_ms = now;
  }
}
