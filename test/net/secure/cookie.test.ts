// Cookies (net/secure/cookie.ts): HMAC-SHA-256 against RFC 4231's vector, a cookie bound to its
// node and address, a mac2 bound to its INIT, and the secret's rotation: a cookie is accepted
// for one to two periods, then refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { CookieSecret, cookie_mac } from '../../../net/secure/cookie.js';
import { bytes_hex } from '../../../net/secure/hex.js';
import { seeded_random } from '../../../net/secure/random.js';
import { CryptoSuite } from '../../../net/secure/suite.js';

let suite: CryptoSuite;
beforeAll(async () => {
  suite = await CryptoSuite.load();
});

describe('cookies', () => {
  it('cookie_mac is HMAC-SHA-256 cut to 16 bytes (RFC 4231, test case 2)', () => {
    const key = new TextEncoder().encode('Jefe');
    const data = new TextEncoder().encode('what do ya want for nothing?');
    // The RFC's full tag is 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
    expect(bytes_hex(cookie_mac(suite, key, data))).toBe('5bdcc146bf60754e6a042426089575c7');
  });

  it("accepts a mac2 only under its own node's and address's cookie, over its own INIT", () => {
    const clock = { now_ms: () => 0 };
    const secret = new CookieSecret(suite, seeded_random('cookie'), clock, 120_000);
    const init = new Uint8Array(1300).fill(3);
    const cookie = secret.cookie(1, '10.0.0.1:7001');
    const mac2 = cookie_mac(suite, cookie, init);
    expect(secret.check(init, mac2, 1, '10.0.0.1:7001')).toBe(true);
    expect(secret.check(init, mac2, 2, '10.0.0.1:7001')).toBe(false); // Another node's name.
    expect(secret.check(init, mac2, 1, '10.0.0.1:7002')).toBe(false); // Another port.
    const other = init.slice();
    other[1299] ^= 1;
    expect(secret.check(other, mac2, 1, '10.0.0.1:7001')).toBe(false); // Another INIT.
    expect(bytes_hex(secret.cookie(1, '10.0.0.1:7001'))).toBe(bytes_hex(cookie)); // Stateless: the same again.
    // Another responder (another secret) does not take it.
    const elsewhere = new CookieSecret(suite, seeded_random('elsewhere'), clock, 120_000);
    expect(elsewhere.check(init, mac2, 1, '10.0.0.1:7001')).toBe(false);
    expect(cookie.length).toBe(16);
  });

  it('rotates its secret every cookie_secret_ms and keeps the previous one for one period', () => {
    let now = 0;
    const clock = { now_ms: () => now };
    const secret = new CookieSecret(suite, seeded_random('rotate'), clock, 1000);
    const init = new Uint8Array(1300).fill(9);
    const mac2 = cookie_mac(suite, secret.cookie(5, 'h:1'), init);
    now = 999;
    expect(secret.check(init, mac2, 5, 'h:1')).toBe(true); // The current secret.
    now = 1000;
    expect(secret.check(init, mac2, 5, 'h:1')).toBe(true); // Rotated: the previous secret.
    const fresh = secret.cookie(5, 'h:1');
    expect(bytes_hex(fresh)).not.toBe(bytes_hex(secret.cookie(6, 'h:1'))); // Per node.
    now = 2000;
    expect(secret.check(init, mac2, 5, 'h:1')).toBe(false); // Two rotations on: gone.
    expect(secret.check(init, cookie_mac(suite, fresh, init), 5, 'h:1')).toBe(true); // The one made at 1000.
    now = 5000; // Idle for more than two periods: neither old secret survives.
    expect(secret.check(init, cookie_mac(suite, fresh, init), 5, 'h:1')).toBe(false);
  });
});
