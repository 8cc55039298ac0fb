// Records (net/secure/record.ts): the packets one turn sends to one peer and pair of pids are
// sealed together, one AEAD and one sequence number for all of them. On scripted datagrams and
// a scripted TCP stream cut into small reads, with manual time: many packets in one record open
// in order; a record split across reads opens whole; a changed record is dropped and each of its
// packets counted; a lone packet leaves when its turn ends, with no timer; rekeys and replays
// across records; an INIT or RESPONSE of another protocol version is refused at the handshake.
import { describe, expect, it } from 'vitest';
import { create_init } from '../../../net/secure/handshake.js';
import { fragment } from '../../../net/secure/fragments.js';
import { seeded_random } from '../../../net/secure/random.js';
import {
  HandshakeKind,
  INIT_VERSION,
  PROTOCOL_VERSION,
  RESP_VERSION,
  SEALED_MESSAGES,
  get_u32,
} from '../../../net/secure/secure_layout.js';
import { FRAME_HEADER_BYTES, FRAME_TYPE_OFFSET, FrameType } from '../../../net/wire_layout.js';
import { encode_frame } from '../../../net/frame.js';
import { ManualTimers } from '../scripted_network.js';
import {
  deliver,
  established,
  load_suite,
  marker,
  packet,
  pump,
  scripted_node,
  scripted_pair,
  take,
  type ScriptedNode,
} from './scripted_pair.js';
import type { Overrides } from './scripted_pair.js';
import type { NetConfig } from '../../../net/driver.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The message count in the sealed header of a SEALED datagram. */
const messages_of = (datagram: Uint8Array) =>
  datagram[FRAME_HEADER_BYTES + SEALED_MESSAGES]! | (datagram[FRAME_HEADER_BYTES + SEALED_MESSAGES + 1]! << 8);

/**
 * Two nodes over one scripted TCP connection that A dials: every write is delivered to the
 * other side in reads of `read_bytes`, and completed.
 */
async function tcp_pair(read_bytes: number, overrides: Overrides = {}, net: NetConfig = {}) {
  const suite = await load_suite();
  const timers = new ManualTimers();
  const a = await scripted_node(suite, timers, 1, 0xa1, overrides, 'node-1', net);
  const b = await scripted_node(suite, timers, 2, 0xb2, overrides, 'node-2', net);
  a.add_remote(2, b.address.host, b.address.port, 'tcp', { public_key: b.identity.public_key });
  b.add_remote(1, a.address.host, a.address.port, 'tcp', { public_key: a.identity.public_key });
  const B_CONN = 500; // B's id of the connection A dials.
  let a_conn = -1;
  const reads = { a: 0, b: 0 };
  const carry = (from: ScriptedNode, to: ScriptedNode, conn: number, side: 'a' | 'b'): number => {
    let moved = 0;
    for (const w of from.transport.writes.splice(0)) {
      for (let at = 0; at < w.bytes.length; at += read_bytes) {
        to.transport.events!.on_data(conn, w.bytes.slice(at, at + read_bytes));
        reads[side]++;
      }
      w.done(null);
      moved++;
    }
    return moved;
  };
  const flow = () => {
    for (let round = 0; round < 1000; round++) {
      timers.run_deferred();
      if (a_conn === -1 && a.transport.connects.length > 0) {
        a_conn = a.transport.last_conn();
        a.transport.events!.on_open(a_conn, false);
        b.transport.events!.on_open(B_CONN, true, a.address.host);
      }
      expect(b.transport.connects).toEqual([]); // B answers on A's connection: it never dials.
      const moved = carry(a, b, B_CONN, 'b') + (a_conn === -1 ? 0 : carry(b, a, a_conn, 'a'));
      timers.advance(0);
      if (moved === 0 && a.transport.writes.length === 0 && b.transport.writes.length === 0) return;
    }
    throw new Error('tcp_pair: the stream never went quiet');
  };
  return { timers, a, b, flow, reads };
}

describe('records', () => {
  it('seal the packets of one turn to one pair of pids together, and open them in order', async () => {
    const { a, b } = await established();
    const before = a.secure.stats();
    for (let i = 0; i < 60; i++) expect(a.send(2, packet(i))).toBe('success');
    expect(a.transport.datagrams).toEqual([]); // Nothing leaves before the turn ends, or the record is full.
    for (let i = 60; i < 100; i++) expect(a.send(2, packet(i))).toBe('success');
    const sealed = take(a);
    // 100 packets of 16 bytes, each with its 4-byte length: 69 fit one datagram at the default MTU.
    expect(sealed.map(messages_of)).toEqual([69, 31]);
    const after = a.secure.stats();
    expect(after.sealed_records - before.sealed_records).toBe(2);
    expect(after.sealed_packets - before.sealed_packets).toBe(100);
    for (const d of sealed) deliver(b, a, d);
    expect(b.received().map(marker)).toEqual(range(100));
    expect(b.secure.stats()).toMatchObject({ opened_packets: 100, dropped: {} });
  });

  it('keep the order of packets between pairs of pids: a record ends where the pair changes', async () => {
    const { a, b } = await established();
    const pairs = [
      [1, 2],
      [1, 2],
      [3, 2],
      [1, 2],
      [1, 4],
      [1, 4],
    ];
    pairs.forEach(([src, dst], i) => {
      expect(a.secure.send_packet(2, src!, dst!, packet(i))).toBe('success');
    });
    const sealed = take(a);
    expect(sealed.map(messages_of)).toEqual([2, 1, 1, 2]);
    for (const d of sealed) deliver(b, a, d);
    const got: { pids: number[]; n: number }[] = [];
    for (let p = b.secure.recv(); p !== null; p = b.secure.recv())
      got.push({ pids: [p.src_pid, p.dst_pid], n: marker(Array.from(p.payload)) });
    expect(got).toEqual(pairs.map(([src, dst], n) => ({ pids: [src!, dst!], n })));
  });

  it('seal a packet larger than a record alone, and one over record_bytes_max after the record before it', async () => {
    const { a, b } = await established({ record_bytes_max: 256 });
    a.send(2, packet(0));
    a.send(2, packet(1, 1, 2, 600)); // Over 256 bytes: a record of its own, at once.
    expect(a.transport.datagrams.map((d) => messages_of(d.bytes))).toEqual([1, 1]);
    a.send(2, packet(2));
    a.send(2, packet(3));
    const sealed = take(a);
    expect(sealed.map(messages_of)).toEqual([1, 1, 2]);
    for (const d of sealed) deliver(b, a, d);
    expect(b.received().map(marker)).toEqual([0, 1, 2, 3]);
  });

  it('send a lone packet when its turn ends, with no timer: no time passes and none is set', async () => {
    const { timers, a, b } = await established();
    const delays = timers.delays.length;
    const now = timers.now;
    a.send(2, packet(7));
    timers.run_deferred(); // The end of the turn.
    expect(a.transport.datagrams.map((d) => messages_of(d.bytes))).toEqual([1]);
    expect(timers.now).toBe(now);
    expect(timers.delays.length).toBe(delays); // The record asked for no timer.
    for (const d of take(a)) deliver(b, a, d);
    expect(b.received().map(marker)).toEqual([7]);
  });

  it('drop a record changed in any byte of its ciphertext, counting each of its packets, then open the original', async () => {
    const { a, b } = await established();
    for (let i = 0; i < 10; i++) a.send(2, packet(i));
    const [sealed] = take(a);
    expect(messages_of(sealed!)).toBe(10);
    const ciphertext_at = FRAME_HEADER_BYTES + 24;
    for (const i of [ciphertext_at, ciphertext_at + 50, sealed!.length - 1]) {
      const before = b.secure.stats().dropped.auth_failed ?? 0;
      const bad = sealed!.slice();
      bad[i]! ^= 0x01;
      deliver(b, a, bad);
      expect(b.received()).toEqual([]);
      expect(b.secure.stats().dropped.auth_failed, `byte ${i}`).toBe(before + 10);
    }
    deliver(b, a, sealed!);
    expect(b.received().map(marker)).toEqual(range(10));
    // A copy of it again: a replay, dropped once (its packets were delivered, not lost).
    deliver(b, a, sealed!);
    expect(b.received()).toEqual([]);
    expect(b.secure.stats().dropped.replay).toBe(1);
  });

  it('open a record split across TCP reads of 7 bytes, and 1000 packets in records of 16 KiB', async () => {
    const { a, b, flow, reads } = await tcp_pair(7);
    for (let i = 0; i < 1000; i++) expect(a.send(2, packet(i))).toBe('success');
    flow();
    expect(b.received().map(marker)).toEqual(range(1000));
    const stats = a.secure.stats();
    // 1000 × 20 bytes: two records of at most 16 KiB (and the key confirmation before them).
    expect(stats.sealed_records).toBe(3);
    expect(stats.sealed_packets).toBe(1000);
    expect(reads.b).toBeGreaterThan(20_000 / 7);
    // And back: B answers each, in records on A's connection.
    for (let i = 0; i < 300; i++) b.send(1, packet(i, 2, 1));
    flow();
    expect(a.received().map(marker)).toEqual(range(300));
    expect(b.secure.stats().sealed_records).toBeLessThanOrEqual(2);
    expect([a.secure.stats().dropped, b.secure.stats().dropped]).toEqual([{}, {}]);
  });

  it("keep a record within the driver's room: the packet that does not fit is refused to its sender, none is lost", async () => {
    const { a, b, flow } = await tcp_pair(1000, {}, { pending_bytes_max: 4096 });
    a.send(2, packet(0));
    flow(); // Connected and established; the outbox is empty.
    expect(b.received().map(marker)).toEqual([0]);
    // No write completes now: the outbox fills, and a record may hold no more than its room.
    let accepted = 0;
    let result = 'success';
    for (let i = 1; result === 'success' && i < 10_000; i++) {
      result = a.send(2, packet(i));
      if (result === 'success') accepted++;
      if (i % 50 === 0) a.timers.run_deferred(); // Turns end now and then: records go to the outbox.
    }
    expect(result).toBe('would_block');
    expect(accepted).toBeGreaterThan(100); // 4 KiB of 20-byte packets in records, less their headers.
    expect(accepted).toBeLessThan((2 * 4096) / 20); // The outbox's 4 KiB, and the one write in flight.
    expect(a.driver.stats().refused).toEqual({ would_block: 1 });
    let writable = false;
    void a.secure.writable(2).then(() => {
      writable = true;
    });
    await Promise.resolve();
    expect(writable).toBe(false);
    flow();
    await Promise.resolve();
    expect(writable).toBe(true);
    // Every accepted packet arrived, in order; the refused one never left (its sender holds it).
    expect(b.received().map(marker)).toEqual(range(accepted).map((i) => i + 1));
    expect(a.secure.stats().dropped).toEqual({});
  });

  it('keep the order when the session stops sealing within a turn: the record waits for the next session before what follows it', async () => {
    const { timers, a, b } = await established({ rekey_after_ms: 500, reject_after_ms: 1000 });
    a.send(2, packet(0));
    pump(timers, a, b);
    timers.now = 999; // No deferred work runs: one turn.
    a.send(2, packet(1)); // Into the record, under the session still in force.
    timers.now = 1000; // The session reaches reject_after_ms within the turn.
    a.send(2, packet(2)); // No session seals: queued, behind packet 1.
    pump(timers, a, b);
    expect(b.received().map(marker)).toEqual([0, 1, 2]);
    expect([a.secure.stats().dropped, b.secure.stats().dropped]).toEqual([{}, {}]);
  });

  it('seal the record before another frame to the peer: nothing overtakes it, and it takes the room it was promised first', async () => {
    const { a, b } = await established();
    a.send(2, packet(1)); // Into the record; the turn goes on.
    expect(a.transport.datagrams).toEqual([]);
    a.secure.connect(2); // A handshake in the same turn: its INIT goes after the record.
    const types = a.transport.datagrams.map((d) => d.bytes[FRAME_TYPE_OFFSET]);
    expect(types[0]).toBe(FrameType.SEALED);
    expect(types.slice(1).every((t) => t === FrameType.HANDSHAKE)).toBe(true);
    expect(types.length).toBeGreaterThan(1);
    for (const d of take(a)) deliver(b, a, d);
    expect(b.received().map(marker)).toEqual([1]);
  });

  it('rekey across records: a count of records starts a new session, records a turn late still open, older ones are counted', async () => {
    const { timers, a, b } = await established({ rekey_after_messages: 3, handshake_rate_per_s: 1000 });
    const got: number[] = [];
    let late: Uint8Array[] = [];
    let oldest: Uint8Array[] = [];
    let n = 0;
    for (let turn = 0; turn < 12; turn++) {
      for (let i = 0; i < 20; i++) a.send(2, packet(n++));
      const out = take(a);
      const records = out.filter((d) => d[FRAME_TYPE_OFFSET] === FrameType.SEALED && messages_of(d) > 0);
      expect(records.map(messages_of)).toEqual([20]); // The whole turn in one record.
      if (turn === 0) oldest = records.map((d) => d.slice());
      // This turn's record waits a turn, across the rekey it may start; the rest goes now.
      for (const d of out) if (!records.includes(d)) deliver(b, a, d);
      for (const d of late) deliver(b, a, d);
      late = records;
      timers.advance(50);
      pump(timers, a, b);
      got.push(...b.received().map(marker));
    }
    for (const d of late) deliver(b, a, d);
    got.push(...b.received().map(marker));
    expect(got.sort((x, y) => x - y)).toEqual(range(240));
    expect(a.secure.stats().rekeys).toBeGreaterThanOrEqual(3);
    expect(a.secure.stats().sessions).toBeLessThanOrEqual(3);
    expect(b.secure.stats().dropped).toEqual({});
    // A copy of the first record, sealed several sessions ago: its session is gone, its 20 packets counted.
    for (const d of oldest) deliver(b, a, d);
    expect(b.received()).toEqual([]);
    expect(b.secure.stats().dropped).toEqual({ unknown_session: 20 });
  });

  it("refuse an INIT or a RESPONSE of another protocol version at the handshake, and write this one's", async () => {
    const suite = await load_suite();
    const { a, b } = await scripted_pair();
    // Ours: suite 1, version 2. A node of version 1 reads the first four bytes as its suite: not 1.
    const init = create_init(suite, seeded_random('v'), a.identity, 1, 2, 77, 5000).message;
    expect([init[0], init[INIT_VERSION]]).toEqual([1, PROTOCOL_VERSION]);
    expect(get_u32(init, 0)).not.toBe(1);
    // A version-1 INIT (its byte 1 was 0) is refused before any signature is checked.
    const old = init.slice();
    old[INIT_VERSION] = 0;
    for (const f of fragment(HandshakeKind.INIT, 77, old, 2000)) deliver(b, a, encode_frame(FrameType.HANDSHAKE, 1, f));
    expect(b.secure.stats().handshakes_failed).toEqual({ old_version: 1 });
    expect(take(b)).toEqual([]); // No answer.
    // A RESPONSE of another version to our own INIT: refused, our handshake goes on.
    a.secure.connect(2);
    for (const d of take(a)) deliver(b, a, d);
    const response = take(b);
    expect(response.length).toBeGreaterThan(0);
    const changed = response.map((d) => d.slice());
    // The RESPONSE's version byte is in its first fragment, after the frame and fragment headers.
    const first = changed[0]!;
    first[FRAME_HEADER_BYTES + 12 + RESP_VERSION] = 3;
    const check = (await import('../../../net/frame.js')).header_check(first, 0);
    first[6] = check & 0xff;
    first[7] = check >>> 8;
    for (const d of changed) deliver(a, b, d);
    expect(a.secure.stats().handshakes_failed).toEqual({ old_version: 1 });
    expect(a.secure.state(2)).toBe('handshaking');
  });
});
