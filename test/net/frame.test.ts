// The frame codec and the TCP stream decoder: round trips, every header corruption detected,
// datagram length checks, and fuzzing (random bytes, truncations, huge lengths, a stream of
// frames split at every offset): never a crash, every bad frame reported.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameHeader,
  FrameStatus,
  encode_frame,
  header_check,
  read_datagram,
  read_header,
  write_header,
} from '../../net/frame.js';
import { ASSEMBLY_START_BYTES, FrameDecoder } from '../../net/frame_decoder.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../net/wire_layout.js';

const MAX = 4096 + FRAME_HEADER_BYTES;

describe('frame header', () => {
  it('round-trips type, node and length, little-endian', () => {
    const frame = encode_frame(FrameType.DATA, 0x01020304, Uint8Array.of(9, 8, 7));
    expect(Array.from(frame.subarray(0, 4))).toEqual([0x4c, 0x54, 1, FrameType.DATA]);
    expect(Array.from(frame.subarray(8, 12))).toEqual([4, 3, 2, 1]);
    const header = new FrameHeader();
    expect(read_header(frame, 0, frame.length, MAX, header)).toBe(FrameStatus.OK);
    expect([header.type, header.src_node, header.length]).toEqual([FrameType.DATA, 0x01020304, 3]);
    expect(read_datagram(frame, MAX, header)).toBe(FrameStatus.OK);
  });

  it('detects a change to any header byte', () => {
    const frame = encode_frame(FrameType.DATA, 77, new Uint8Array(10));
    const header = new FrameHeader();
    for (let byte = 0; byte < FRAME_HEADER_BYTES; byte++) {
      for (const bit of [0, 3, 7]) {
        const bad = frame.slice();
        bad[byte]! ^= 1 << bit;
        const status = read_header(bad, 0, bad.length, MAX, header);
        expect(status, `byte ${byte} bit ${bit}`).not.toBe(FrameStatus.OK);
      }
    }
  });

  it('names each kind of bad header', () => {
    const header = new FrameHeader();
    const good = encode_frame(FrameType.DATA, 5, new Uint8Array(4));
    const with_byte = (at: number, value: number, fix = true) => {
      const bad = good.slice();
      bad[at] = value;
      if (fix) recheck(bad); // Keep the check right, so the reason is the field.
      return read_header(bad, 0, bad.length, MAX, header);
    };
    expect(with_byte(0, 0, false)).toBe(FrameStatus.BAD_MAGIC);
    expect(with_byte(2, 2, false)).toBe(FrameStatus.BAD_VERSION);
    expect(with_byte(3, 9)).toBe(FrameStatus.BAD_TYPE);
    expect(with_byte(8, 0, false)).toBe(FrameStatus.BAD_CHECK);
    // The reserved flags, each bit alone, with the check made right: refused as themselves.
    for (let bit = 0; bit < 16; bit++)
      expect(with_byte(4 + (bit >> 3), 1 << (bit & 7)), `bit ${bit}`).toBe(FrameStatus.BAD_FLAGS);
    const huge = good.slice();
    write_header(huge, 0, FrameType.DATA, 5, 1 << 30);
    expect(read_header(huge, 0, huge.length, MAX, header)).toBe(FrameStatus.OVERSIZED);
    expect(read_header(good, 0, 10, MAX, header)).toBe(FrameStatus.SHORT);
  });

  it('refuses datagrams whose bytes do not match their length', () => {
    const header = new FrameHeader();
    const frame = encode_frame(FrameType.DATA, 5, new Uint8Array(8));
    expect(read_datagram(frame.subarray(0, frame.length - 1), MAX, header)).toBe(FrameStatus.BAD_LENGTH);
    const longer = new Uint8Array(frame.length + 1);
    longer.set(frame);
    expect(read_datagram(longer, MAX, header)).toBe(FrameStatus.BAD_LENGTH);
    expect(read_datagram(new Uint8Array(5), MAX, header)).toBe(FrameStatus.BAD_LENGTH);
  });
});

/** Recomputes the check of a header whose fields a test changed by hand. */
function recheck(bytes: Uint8Array): void {
  const check = header_check(bytes, 0);
  bytes[6] = check & 0xff;
  bytes[7] = check >>> 8;
}

describe('FrameDecoder', () => {
  const frames = fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 });

  it('reassembles frames across any split of the stream (property)', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 30 }), (payloads, cuts) => {
        const stream = concat(payloads.map((p, i) => encode_frame(FrameType.DATA, i + 1, p)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        // Payload views are kept and read only at the end: none may have been reused meanwhile.
        const out: { node: number; payload: Uint8Array }[] = [];
        const decoder = new FrameDecoder(MAX, (h, p) => out.push({ node: h.src_node, payload: p }));
        let start = 0;
        for (const point of [...points, stream.length]) {
          expect(decoder.push(stream.subarray(start, point))).toBe(FrameStatus.OK);
          start = point;
        }
        expect(out.map((o) => ({ node: o.node, payload: Array.from(o.payload) }))).toEqual(
          payloads.map((p, i) => ({ node: i + 1, payload: Array.from(p) })),
        );
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('hands split SEALED frames in buffers of their own (kept, opened in place), others from one reused buffer', () => {
    const stream = concat([
      encode_frame(FrameType.SEALED, 1, new Uint8Array(100).fill(1)),
      encode_frame(FrameType.SEALED, 2, new Uint8Array(100).fill(2)),
      encode_frame(FrameType.HANDSHAKE, 3, new Uint8Array(100).fill(3)),
      encode_frame(FrameType.HANDSHAKE, 4, new Uint8Array(100).fill(4)),
    ]);
    const seen: { node: number; owned: boolean; bytes: number[] }[] = [];
    const kept: Uint8Array[] = [];
    const reused = new Set<ArrayBufferLike>();
    const decoder = new FrameDecoder(MAX, (h, p, owned) => {
      seen.push({ node: h.src_node, owned, bytes: [...new Set(p)] });
      if (owned) kept.push(p);
      else reused.add(p.buffer);
    });
    for (let at = 0; at < stream.length; at += 50) decoder.push(stream.slice(at, at + 50));
    expect(seen).toEqual([
      { node: 1, owned: true, bytes: [1] },
      { node: 2, owned: true, bytes: [2] },
      { node: 3, owned: false, bytes: [3] },
      { node: 4, owned: false, bytes: [4] },
    ]);
    // What was kept is still whole after the frames behind it: nothing of it was reused.
    expect(kept.map((p) => [...new Set(p)])).toEqual([[1], [2]]);
    expect(kept[0]!.buffer).not.toBe(kept[1]!.buffer);
    expect(reused.size).toBe(1);
  });

  it('reassembles a stream split at every single offset', () => {
    const stream = concat([
      encode_frame(1, 1, Uint8Array.of(1, 2, 3)),
      encode_frame(1, 2, new Uint8Array(0)),
      encode_frame(1, 3, new Uint8Array(40).fill(7)),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const nodes: number[] = [];
      const payloads: Uint8Array[] = [];
      const decoder = new FrameDecoder(MAX, (h, p) => {
        nodes.push(h.src_node);
        payloads.push(p);
      });
      const first = stream.slice(0, cut);
      const second = stream.slice(cut);
      decoder.push(first);
      decoder.push(second);
      expect(nodes, `cut at ${cut}`).toEqual([1, 2, 3]);
      expect(decoder.buffered).toBe(0);
      // Every payload stays valid after the calls: the decoder never reuses what it handed out.
      first.fill(0xee);
      second.fill(0xee);
      const ends = [FRAME_HEADER_BYTES + 3, 2 * FRAME_HEADER_BYTES + 3, stream.length];
      const starts = [0, ends[0]!, ends[1]!];
      const whole_in_a_chunk = starts.map((s, i) => ends[i]! <= cut || s >= cut);
      // A frame inside one chunk is a view of it (now overwritten); a split one has its own buffer.
      expect(payloads[0]!.length === 0 || payloads[0]![0] === (whole_in_a_chunk[0] ? 0xee : 1), `cut at ${cut}`).toBe(
        true,
      );
      expect(payloads[2]![0], `cut at ${cut}`).toBe(whole_in_a_chunk[2] ? 0xee : 7);
    }
  });

  it('never throws on random bytes, and a failure is final (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const decoder = new FrameDecoder(MAX, () => {});
        let failed: number = FrameStatus.OK;
        for (const chunk of chunks) {
          const status = decoder.push(chunk);
          if (failed !== FrameStatus.OK) expect(status).toBe(failed);
          if (status !== FrameStatus.OK) failed = status;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('fails on a frame after good ones, whether truncated, oversized or corrupted (fuzz)', () => {
    fc.assert(
      fc.property(frames, fc.nat(15), (payloads, byte) => {
        const good = concat(payloads.map((p, i) => encode_frame(FrameType.DATA, i + 1, p)));
        const bad = encode_frame(FrameType.DATA, 9, Uint8Array.of(1));
        bad[byte]! ^= 0x40;
        let delivered = 0;
        const decoder = new FrameDecoder(MAX, () => delivered++);
        expect(decoder.push(good)).toBe(FrameStatus.OK);
        expect(delivered).toBe(payloads.length);
        const status = decoder.push(bad);
        expect(status).not.toBe(FrameStatus.OK);
        expect(delivered).toBe(payloads.length);
      }),
      { numRuns: 300 },
    );
  });

  it('holds memory by the bytes that arrived, not by the length a header claims', () => {
    for (const type of [FrameType.DATA, FrameType.SEALED, FrameType.HANDSHAKE]) {
      const claimed = (1 << 20) - FRAME_HEADER_BYTES; // The largest frame a node accepts by default.
      const header = new Uint8Array(FRAME_HEADER_BYTES + 1);
      write_header(header, 0, type, 1, claimed);
      const decoder = new FrameDecoder(1 << 20, () => {});
      expect(decoder.push(header)).toBe(FrameStatus.OK);
      expect(decoder.buffered).toBe(FRAME_HEADER_BYTES + 1);
      expect(decoder.gathering_bytes, `type ${type}`).toBe(ASSEMBLY_START_BYTES);
      // Byte by byte, and then in chunks: the buffer stays within twice what arrived.
      const chunk = new Uint8Array(1000);
      for (let sent = 0; sent < 300_000; sent += chunk.length) {
        decoder.push(chunk);
        expect(decoder.gathering_bytes).toBeLessThanOrEqual(Math.max(ASSEMBLY_START_BYTES, 2 * decoder.buffered));
      }
    }
  });

  it('reassembles frames larger than the first gathering buffer across any split, through its growth (property)', () => {
    const big = fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(big, fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (sizes, cuts, sealed) => {
        const payloads = sizes.map((n, i) => new Uint8Array(n).map((_, j) => (i * 31 + j * 7) & 0xff));
        const type = sealed ? FrameType.SEALED : FrameType.DATA;
        const stream = concat(payloads.map((p, i) => encode_frame(type, i + 1, p)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const out: Uint8Array[] = [];
        // The reused buffer of sealed frames keeps the size of the largest it gathered, a frame that arrived whole.
        let largest = 0;
        const decoder = new FrameDecoder(1 << 20, (_h, p) => {
          out.push(p.slice()); // Copied: the sealed frames' buffer is reused.
          largest = Math.max(largest, FRAME_HEADER_BYTES + p.length);
        });
        let start = 0;
        for (const point of [...points, stream.length]) {
          expect(decoder.push(stream.subarray(start, point))).toBe(FrameStatus.OK);
          const bound = Math.max(ASSEMBLY_START_BYTES, 2 * decoder.buffered, sealed ? largest : 0);
          expect(decoder.gathering_bytes).toBeLessThanOrEqual(bound);
          start = point;
        }
        expect(out.length).toBe(payloads.length);
        for (const [i, p] of out.entries()) expect(Buffer.compare(p, payloads[i]!), `frame ${i}`).toBe(0);
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a frame declaring a huge length without buffering it', () => {
    const header = new Uint8Array(FRAME_HEADER_BYTES);
    write_header(header, 0, FrameType.DATA, 1, 0x7fff_fff0);
    const decoder = new FrameDecoder(MAX, () => {});
    expect(decoder.push(header)).toBe(FrameStatus.OVERSIZED);
    expect(decoder.buffered).toBe(0);
  });

  it('random datagrams never crash read_datagram (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const header = new FrameHeader();
        const status = read_datagram(bytes, MAX, header);
        if (status === FrameStatus.OK) expect(FRAME_HEADER_BYTES + header.length).toBe(bytes.length);
      }),
      { numRuns: 1000 },
    );
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
