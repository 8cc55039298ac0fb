// The wire layouts, checked against docs/WIRE.md: every offset where the table says, and the
// golden bytes of the spec's example message (the same bytes WIRE.md prints), so a change to the
// format cannot go unnoticed.
import { describe, expect, it } from 'vitest';
import { Message } from '../../kernel/message.js';
import { encode_frame, header_check } from '../../net/frame.js';
import * as rm from '../../net/remote_message.js';
import * as wire from '../../net/wire_layout.js';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('frame layout', () => {
  it('has its fields where docs/WIRE.md puts them, 16 bytes in all', () => {
    expect({
      magic: wire.FRAME_MAGIC_OFFSET,
      version: wire.FRAME_VERSION_OFFSET,
      type: wire.FRAME_TYPE_OFFSET,
      flags: wire.FRAME_FLAGS_OFFSET,
      check: wire.FRAME_CHECK_OFFSET,
      src_node: wire.FRAME_SRC_NODE_OFFSET,
      length: wire.FRAME_LENGTH_OFFSET,
      header: wire.FRAME_HEADER_BYTES,
    }).toEqual({ magic: 0, version: 2, type: 3, flags: 4, check: 6, src_node: 8, length: 12, header: 16 });
    expect([wire.FRAME_MAGIC, wire.FRAME_VERSION]).toEqual([0x544c, 1]);
    expect(wire.FrameType).toEqual({ DATA: 1, HANDSHAKE: 2, SEALED: 3, COOKIE: 4 });
    expect([wire.FRAME_BYTES_LIMIT, wire.FRAME_BYTES_MAX_DEFAULT, wire.UDP_DATAGRAM_BYTES_MAX]).toEqual([
      16 * 1024 * 1024,
      1024 * 1024 + 104,
      65_507,
    ]);
  });

  it('encodes a frame to the golden bytes', () => {
    expect(hex(encode_frame(wire.FrameType.DATA, 0x01020304, Uint8Array.of(9, 8, 7)))).toBe(
      '4c 54 01 01 00 00 31 80 04 03 02 01 03 00 00 00 09 08 07',
    );
    // The check is FNV-1a over bytes 0-5 and 8-15, its halves xored: recomputed by hand here.
    const frame = encode_frame(wire.FrameType.DATA, 100, new Uint8Array(36));
    let h = 0x811c9dc5;
    for (const i of [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15]) h = Math.imul(h ^ frame[i]!, 0x01000193);
    expect(header_check(frame, 0)).toBe(((h >>> 16) ^ h) & 0xffff);
  });
});

describe('remote message layout', () => {
  it('has its fields where docs/WIRE.md puts them, 36 bytes before the payload', () => {
    expect([
      rm.RM_SRC_PID,
      rm.RM_DST_PID,
      rm.RM_M_TYPE,
      rm.RM_FLAGS,
      rm.RM_BADGE,
      rm.RM_AUX0,
      rm.RM_AUX1,
      rm.RM_AUX2,
      rm.RM_LENGTH,
      rm.RM_HEADER_BYTES,
    ]).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
  });

  it("encodes the spec's example (pid 1 to pid 1, m_type 42, from node 100) to the golden bytes", () => {
    const ping = new Message();
    ping.m_type = 42;
    const frame = encode_frame(wire.FrameType.DATA, 100, rm.encode_remote(1, 1, ping, new Uint8Array(0)));
    expect(hex(frame.subarray(0, 16))).toBe('4c 54 01 01 00 00 91 1a 64 00 00 00 24 00 00 00');
    expect(hex(frame.subarray(16))).toBe(`01 00 00 00 01 00 00 00 2a 00 00 00${' 00'.repeat(24)}`);
    expect(rm.decode_remote(frame.subarray(16))).toEqual({
      kind: rm.RemoteKind.DATA,
      call_seq: 0,
      status: 0,
      src_pid: 1,
      dst_pid: 1,
      m_type: 42,
      flags: 0,
      badge: 0,
      aux0: 0,
      aux1: 0,
      aux2: 0,
      length: 0,
    });
  });

  it('encodes a call and its refusal to the golden bytes of docs/WIRE.md, and decodes them back', () => {
    const call = new Message();
    call.m_type = 7;
    const request = new Uint8Array(rm.rm_header_bytes(rm.RemoteKind.CALL));
    rm.encode_kind_into(request, rm.RemoteKind.CALL, 1, 2, call, new Uint8Array(0), 0, 1, 0);
    expect(hex(encode_frame(wire.FrameType.DATA, 100, request))).toBe(
      '4c 54 01 01 00 00 f7 82 64 00 00 00 2c 00 00 00 01 00 00 00 02 00 00 00 07 00 00 00 00 00 01 00' +
        `${' 00'.repeat(20)} 01 00 00 00 00 00 00 00`,
    );
    const refusal = new Uint8Array(rm.rm_header_bytes(rm.RemoteKind.REPLY));
    rm.encode_kind_into(refusal, rm.RemoteKind.REPLY, 2, 1, new Message(), new Uint8Array(0), 0, 1, -18);
    expect(hex(encode_frame(wire.FrameType.DATA, 200, refusal))).toBe(
      '4c 54 01 01 00 00 6d b0 c8 00 00 00 2c 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00 00 00 02 00' +
        `${' 00'.repeat(20)} 01 00 00 00 ee ff ff ff`,
    );
    expect(rm.decode_remote(request)).toMatchObject({
      kind: rm.RemoteKind.CALL,
      src_pid: 1,
      dst_pid: 2,
      m_type: 7,
      call_seq: 1,
      status: 0,
    });
    expect(rm.decode_remote(refusal)).toMatchObject({ kind: rm.RemoteKind.REPLY, call_seq: 1, status: -18, length: 0 });
  });

  it('refuses an unknown kind, a kind whose header is cut, and a notification with a payload', () => {
    const m = new Message();
    m.badge = 1;
    const notify = new Uint8Array(rm.rm_header_bytes(rm.RemoteKind.NOTIFY) + 1);
    const n = rm.encode_kind_into(notify, rm.RemoteKind.NOTIFY, 1, 2, m, Uint8Array.of(9), 1, 0, 0);
    expect(rm.decode_remote(notify.subarray(0, n))).toBeNull(); // A NOTIFY carries no payload.
    const ok = new Uint8Array(rm.rm_header_bytes(rm.RemoteKind.NOTIFY));
    rm.encode_kind_into(ok, rm.RemoteKind.NOTIFY, 1, 2, m, new Uint8Array(0), 0, 0, 0);
    expect(rm.decode_remote(ok)?.kind).toBe(rm.RemoteKind.NOTIFY);
    expect(rm.decode_remote(ok.subarray(0, rm.RM_HEADER_BYTES))).toBeNull(); // Its header cut.
    const unknown = ok.slice();
    unknown[rm.RM_FLAGS + 2] = 4; // Kind 4.
    expect(rm.decode_remote(unknown)).toBeNull();
  });

  it('refuses a message shorter than its header or whose length does not match', () => {
    const bytes = rm.encode_remote(1, 2, new Message(), Uint8Array.of(1, 2, 3));
    expect(rm.decode_remote(bytes.subarray(0, 35))).toBeNull();
    expect(rm.decode_remote(bytes.subarray(0, bytes.length - 1))).toBeNull();
    expect(rm.decode_remote(bytes)?.length).toBe(3);
  });

  it('encodes into a scratch buffer and decodes into a reused header, signed fields intact', () => {
    const m = new Message();
    m.m_type = -7;
    m.badge = -1;
    m.aux2 = 0x7fff_ffff;
    const scratch = new Uint8Array(200).fill(0xee);
    const n = rm.encode_remote_into(scratch, 3, 4, m, Uint8Array.of(9, 8));
    expect(n).toBe(rm.RM_HEADER_BYTES + 2);
    expect(scratch.subarray(0, n)).toEqual(rm.encode_remote(3, 4, m, Uint8Array.of(9, 8)));
    const header = rm.remote_header();
    expect(rm.decode_remote_into(scratch.subarray(0, n), header)).toBe(true);
    expect(header).toEqual({
      kind: rm.RemoteKind.DATA,
      call_seq: 0,
      status: 0,
      src_pid: 3,
      dst_pid: 4,
      m_type: -7,
      flags: 0,
      badge: -1,
      aux0: 0,
      aux1: 0,
      aux2: 0x7fff_ffff,
      length: 2,
    });
    expect(rm.decode_remote_into(scratch.subarray(0, n + 1), header)).toBe(false);
  });
});
