// The workload payload: what write_payload writes is intact, and every single-bit flip of it is
// not (the ledger relies on this to call a changed byte a violation).
import { describe, expect, it } from 'vitest';
import { PAYLOAD_HEADER_BYTES, get_u32, payload_intact, write_payload } from '../../sim/payload.js';

describe('payload', () => {
  it('names its message and channel sequence, and passes intact', () => {
    const bytes = new Uint8Array(64);
    write_payload(bytes, 32, 123_456, 7);
    expect([get_u32(bytes, 0), get_u32(bytes, 4)]).toEqual([123_456, 7]);
    expect(payload_intact(bytes, 32)).toBe(true);
    expect(payload_intact(bytes, PAYLOAD_HEADER_BYTES - 1)).toBe(false);
    expect(payload_intact(bytes, 65)).toBe(false);
  });

  it('sees every single-bit flip, for header-only, inline and block lengths', () => {
    for (const length of [PAYLOAD_HEADER_BYTES, 32, 64, 1000]) {
      for (const id of [1, 0x7fff_ffff, 0xffff_fffe]) {
        const bytes = new Uint8Array(length);
        write_payload(bytes, length, id, id ^ 0x55);
        for (let bit = 0; bit < length * 8; bit++) {
          bytes[bit >>> 3]! ^= 1 << (bit & 7);
          if (payload_intact(bytes, length)) throw new Error(`flip of bit ${bit} (length ${length}, id ${id}) passed`);
          bytes[bit >>> 3]! ^= 1 << (bit & 7);
        }
        expect(payload_intact(bytes, length)).toBe(true);
      }
    }
  });

  it('tells two messages apart even with the same sequence number', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    write_payload(a, 32, 10, 3);
    write_payload(b, 32, 11, 3);
    expect(a).not.toEqual(b);
    b.set(a.subarray(0, 4)); // b claims a's id with b's body and check.
    expect(payload_intact(b, 32)).toBe(false);
  });
});
