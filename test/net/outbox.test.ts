// The persistent-TCP outbox: frames encoded back to back, batches taken whole, buffers reused,
// a failed batch retried first and only once, and the byte bound refusing without side effects.
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../net/frame_decoder.js';
import { Outbox, OUTBOX_BYTES_INITIAL } from '../../net/outbox.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../net/wire_layout.js';

/** The first payload byte of every frame in `bytes`. */
function firsts(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const decoder = new FrameDecoder(1 << 24, (header, payload) => {
    expect(header.src_node).toBe(7);
    out.push(payload[0]!);
  });
  expect(decoder.push(bytes)).toBe(0);
  return out;
}

describe('Outbox', () => {
  it('encodes frames back to back and hands them out as one batch', () => {
    const box = new Outbox(1 << 20);
    expect(box.empty).toBe(true);
    expect(box.take()).toBeNull();
    for (let i = 0; i < 5; i++) expect(box.append(FrameType.DATA, 7, Uint8Array.of(i, 9, 9), null)).toBe(true);
    expect(box.pending_bytes).toBe(5 * (FRAME_HEADER_BYTES + 3));
    const batch = box.take()!;
    expect(batch.frames).toBe(5);
    expect(batch.waiters).toBeNull();
    expect(firsts(batch.bytes)).toEqual([0, 1, 2, 3, 4]);
    expect(box.empty).toBe(true);
    expect(box.pending_bytes).toBe(0);
  });

  it('keeps the callbacks of the frames that asked, in order', () => {
    const box = new Outbox(1 << 20);
    const told: number[] = [];
    box.append(FrameType.DATA, 7, Uint8Array.of(1), () => told.push(1));
    box.append(FrameType.DATA, 7, Uint8Array.of(2), null);
    box.append(FrameType.DATA, 7, Uint8Array.of(3), () => told.push(3));
    const batch = box.take()!;
    for (const done of batch.waiters!) done(null);
    expect(told).toEqual([1, 3]);
  });

  it("reuses a written batch's buffer for the next frames (no allocation in the steady state)", () => {
    const box = new Outbox(1 << 20);
    box.append(FrameType.DATA, 7, Uint8Array.of(1), null);
    const first = box.take()!;
    box.append(FrameType.DATA, 7, Uint8Array.of(2), null); // While `first` is in flight: another buffer.
    const second = box.take()!;
    expect(second.buffer).not.toBe(first.buffer);
    box.recycle(first);
    box.append(FrameType.DATA, 7, Uint8Array.of(3), null);
    const third = box.take()!;
    expect(third.buffer).toBe(first.buffer);
    expect(firsts(third.bytes)).toEqual([3]);
  });

  it('grows for big frames, up to its bound, and refuses past it without changing anything', () => {
    const bound = 4 * OUTBOX_BYTES_INITIAL;
    const box = new Outbox(bound);
    const big = new Uint8Array(OUTBOX_BYTES_INITIAL + 100).fill(5);
    expect(box.append(FrameType.DATA, 7, big, null)).toBe(true);
    expect(box.append(FrameType.DATA, 7, big, null)).toBe(true);
    const before = box.pending_bytes;
    expect(box.append(FrameType.DATA, 7, new Uint8Array(bound - before - FRAME_HEADER_BYTES + 1), null)).toBe(false);
    expect(box.pending_bytes).toBe(before);
    expect(box.append(FrameType.DATA, 7, new Uint8Array(bound - before - FRAME_HEADER_BYTES), null)).toBe(true);
    expect(box.pending_bytes).toBe(bound);
    const batch = box.take()!;
    expect(batch.frames).toBe(3);
    expect(batch.bytes.length).toBe(bound);
  });

  it('puts a failed batch first in line, alone, and only once', () => {
    const box = new Outbox(1 << 20);
    box.append(FrameType.DATA, 7, Uint8Array.of(1), null);
    const failed = box.take()!;
    box.append(FrameType.DATA, 7, Uint8Array.of(2), null);
    box.retry(failed);
    expect(box.pending_bytes).toBe(2 * (FRAME_HEADER_BYTES + 1));
    const again = box.take()!;
    expect(again).toBe(failed);
    expect(again.retried).toBe(true);
    expect(firsts(box.take()!.bytes)).toEqual([2]);
    expect(() => box.retry(again)).toThrow(/at most once/);
  });

  it('drains everything waiting, retries first', () => {
    const box = new Outbox(1 << 20);
    box.append(FrameType.DATA, 7, Uint8Array.of(1), null);
    const failed = box.take()!;
    box.retry(failed);
    box.append(FrameType.DATA, 7, Uint8Array.of(2), null);
    box.append(FrameType.DATA, 7, Uint8Array.of(3), null);
    const all = box.drain();
    expect(all.map((b) => firsts(b.bytes))).toEqual([[1], [2, 3]]);
    expect(box.empty).toBe(true);
  });

  it('counts the data frames waiting (retries included), not control frames', () => {
    const box = new Outbox(1 << 20);
    box.append(FrameType.DATA, 7, Uint8Array.of(1), null);
    box.append(FrameType.HANDSHAKE, 7, Uint8Array.of(2), null);
    box.append(FrameType.SEALED, 7, Uint8Array.of(3), null);
    expect(box.pending_data_messages).toBe(2);
    const failed = box.take()!;
    expect(failed.data_messages).toBe(2);
    expect(box.pending_data_messages).toBe(0);
    box.retry(failed);
    box.append(FrameType.COOKIE, 7, Uint8Array.of(4), null);
    box.append(FrameType.DATA, 7, Uint8Array.of(5), null);
    expect(box.pending_data_messages).toBe(3);
    box.drain();
    expect(box.pending_data_messages).toBe(0);
  });
});
