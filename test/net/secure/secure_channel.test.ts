// The secure channel under attack, on scripted datagrams and manual time: every byte of a
// sealed packet flipped, replays, reordering inside and outside the window, a man in the middle
// with another identity, handshakes cut at every fragment boundary, garbage, downgrades, INIT
// floods, rekeys by count and by time with packets in flight, timeouts, a restarted peer, and no
// key material in anything the channel reports. Deterministic: fixed seeds, no real time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode_frame, header_check } from '../../../net/frame.js';
import { create_init } from '../../../net/secure/handshake.js';
import { fragment } from '../../../net/secure/fragments.js';
import { Identity } from '../../../net/secure/identity.js';
import { seeded_random } from '../../../net/secure/random.js';
import {
  HandshakeKind,
  RECORD_LENGTH_BYTES,
  SEALED_HEADER_BYTES,
  SEALED_MESSAGES,
} from '../../../net/secure/secure_layout.js';
import { AEAD_TAG_BYTES } from '../../../net/secure/suite.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../../net/wire_layout.js';
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

/**
 * How many drops a sealed record refused counts: one per message its header claims (here 1,
 * unless the count itself was changed), once when the bytes could not hold that many.
 */
function claimed_messages(frame: Uint8Array): number {
  const at = FRAME_HEADER_BYTES + SEALED_MESSAGES;
  if (frame.length < FRAME_HEADER_BYTES + SEALED_HEADER_BYTES + AEAD_TAG_BYTES) return 1;
  const messages = frame[at]! | (frame[at + 1]! << 8);
  const plaintext_bytes = frame.length - FRAME_HEADER_BYTES - SEALED_HEADER_BYTES - AEAD_TAG_BYTES;
  return messages * RECORD_LENGTH_BYTES > plaintext_bytes ? 1 : Math.max(1, messages);
}

function total_drops(node: ScriptedNode): number {
  const d = node.driver.stats();
  const s = node.secure.stats();
  const driver_malformed = Object.values(d.malformed).reduce((a, b) => a + b, 0);
  const secure = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  return driver_malformed + secure;
}

describe('a session', () => {
  it("splits handshake messages to fit the driver's MTU by default: one datagram at 1500, two INIT fragments at 1280", async () => {
    const suite = await load_suite();
    for (const [mtu_bytes, init_count, response_count] of [
      [1500, 1, 1],
      [1280, 2, 1],
    ] as const) {
      const timers = new ManualTimers();
      const net = { mtu_bytes };
      const a = await scripted_node(suite, timers, 1, 0xa1, { fragment_bytes: 0 }, 'node-1', net);
      const b = await scripted_node(suite, timers, 2, 0xb2, { fragment_bytes: 0 }, 'node-2', net);
      a.add_remote(2, b.address.host, b.address.port, 'udp', { public_key: b.identity.public_key });
      b.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key });
      a.send(2, packet(1));
      const init = take(a);
      expect(init.length).toBe(init_count);
      expect(init.every((d) => d.length <= mtu_bytes - 48)).toBe(true);
      for (const d of init) deliver(b, a, d);
      const response = take(b);
      expect(response.length).toBe(response_count);
      for (const d of response) deliver(a, b, d);
      expect(a.secure.state(2)).toBe('established');
    }
  });

  it('is set up in one round trip plus confirmation, and carries packets both ways', async () => {
    const { timers, a, b } = await scripted_pair();
    expect(a.send(2, packet(1))).toBe('success'); // Queued: no session yet.
    expect(a.secure.stats().queued).toBe(1);
    const init = take(a);
    expect(init.length).toBe(2); // The 1300-byte INIT in two fragments.
    expect(init.every((d) => d.length <= FRAME_HEADER_BYTES + 12 + 1024)).toBe(true);
    for (const d of init) deliver(b, a, d);
    const response = take(b);
    expect(response.length).toBe(2);
    for (const d of response) deliver(a, b, d);
    expect(a.secure.state(2)).toBe('established');
    expect(b.secure.state(1)).toBe('handshaking'); // Until A's first sealed packet confirms it.
    pump(timers, a, b);
    expect(b.secure.state(1)).toBe('established');
    expect(b.received().map(marker)).toEqual([1]);
    b.send(1, packet(2, 2, 1));
    pump(timers, a, b);
    expect(a.received().map(marker)).toEqual([2]);
    expect(a.secure.stats()).toMatchObject({
      handshakes_started: 1,
      handshakes_completed: 1,
      dropped: {},
      handshakes_failed: {},
    });
    expect(b.secure.stats()).toMatchObject({
      handshakes_started: 0,
      handshakes_completed: 1,
      dropped: {},
      opened_packets: 1,
      opened_records: 2, // The key confirmation (a keepalive), then the record with packet 1.
    });
  });

  it('replays byte for byte from the same seeds', async () => {
    const run = async () => {
      const { timers, a, b } = await scripted_pair();
      const seen: string[] = [];
      const record = () => {
        for (const n of [a, b]) for (const d of n.transport.datagrams) seen.push(Buffer.from(d.bytes).toString('hex'));
      };
      a.send(2, packet(7));
      for (let i = 0; i < 4; i++) {
        record();
        pump(timers, a, b);
      }
      return seen;
    };
    const one = await run();
    expect(one.length).toBeGreaterThan(0);
    expect(await run()).toEqual(one);
  });
});

describe('under attack', () => {
  it('drops a sealed packet changed in any byte, counting each, and delivers the original once', async () => {
    const { a, b } = await established();
    a.send(2, packet(42, 1, 2, 30));
    const [sealed] = take(a);
    for (let i = 0; i < sealed!.length; i++) {
      const before = total_drops(b);
      const bad = sealed!.slice();
      bad[i]! ^= 0x10;
      deliver(b, a, bad);
      expect(b.received(), `byte ${i}`).toEqual([]);
      expect(total_drops(b), `byte ${i}`).toBe(before + claimed_messages(bad));
    }
    for (const cut of [0, 1, 15, 16, 20, 35, sealed!.length - 1]) deliver(b, a, sealed!.subarray(0, cut));
    expect(b.received()).toEqual([]);
    deliver(b, a, sealed!);
    expect(b.received().map(marker)).toEqual([42]);
    expect(b.secure.stats().dropped.auth_failed).toBeGreaterThan(0);
  });

  it('authenticates the whole header: every bit of the frame and sealed headers flipped, the check made right, is dropped and counted once', async () => {
    const { a, b } = await established();
    a.send(2, packet(43, 1, 2, 30));
    const [sealed] = take(a);
    const header_bits = (FRAME_HEADER_BYTES + SEALED_HEADER_BYTES) * 8;
    const all_drops = () => {
      const h = b.secure.stats().handshakes_failed;
      return total_drops(b) + Object.values(h).reduce((x, y) => x + y, 0);
    };
    for (let bit = 0; bit < header_bits; bit++) {
      const bad = sealed!.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const check_byte = bit >> 3 === 6 || bit >> 3 === 7;
      if (!check_byte) {
        // As an attacker would: the unkeyed header check recomputed, so only the keyed checks stand.
        const check = header_check(bad, 0);
        bad[6] = check & 0xff;
        bad[7] = check >>> 8;
      }
      const before = all_drops();
      const flags_before = b.driver.stats().malformed.bad_flags ?? 0;
      deliver(b, a, bad);
      expect(b.received(), `bit ${bit}`).toEqual([]);
      expect(all_drops(), `bit ${bit}`).toBe(before + claimed_messages(bad));
      const flags_bit = bit >> 3 === 4 || bit >> 3 === 5;
      expect(b.driver.stats().malformed.bad_flags ?? 0, `bit ${bit}`).toBe(flags_before + (flags_bit ? 1 : 0));
    }
    expect(b.driver.stats().malformed.bad_flags).toBe(16);
    deliver(b, a, sealed!);
    expect(b.received().map(marker)).toEqual([43]);
  });

  it('enforces reject_after_messages when opening: a packet numbered at or past it is dropped unopened', async () => {
    // A seals under the default limit; B's is 4, so B must refuse what A may still send.
    const suite = await load_suite();
    const timers = new ManualTimers();
    const a = await scripted_node(suite, timers, 1, 0xa1, {}, 'node-1');
    const b = await scripted_node(
      suite,
      timers,
      2,
      0xb2,
      { reject_after_messages: 4, rekey_after_messages: 2 },
      'node-2',
    );
    a.add_remote(2, b.address.host, b.address.port, 'udp', { public_key: b.identity.public_key });
    b.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key });
    a.secure.connect(2);
    pump(timers, a, b);
    expect(b.secure.state(1)).toBe('established');
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      a.send(2, packet(100 + i));
      sent.push(...take(a));
    }
    for (const d of sent) deliver(b, a, d);
    // A's first sealed packet (seq 0) confirmed the session; then 100.. take seqs 1, 2, 3, 4, 5, 6.
    expect(b.received().map(marker)).toEqual([100, 101, 102]);
    expect(b.secure.stats().dropped.exhausted).toBe(3);
  });

  it('drops a replayed packet, delivers reordered ones once each, refuses those older than the window', async () => {
    const { a, b } = await established({ record_bytes_max: 1 }); // One packet per record: one datagram each.
    const count = 300;
    for (let i = 0; i < count; i++) a.send(2, packet(i));
    const sealed = take(a);
    const order = sealed.map((_, i) => i).sort((x, y) => ((x * 7919) % count) - ((y * 7919) % count));
    for (const i of order) deliver(b, a, sealed[i]!);
    expect(
      b
        .received()
        .map(marker)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: count }, (_, i) => i));
    deliver(b, a, sealed[17]!);
    deliver(b, a, sealed[299]!);
    expect(b.received()).toEqual([]);
    expect(b.secure.stats().dropped.replay).toBe(2);
    // Push the window past packet 0's successors, then bring an old one: stale.
    const held = sealed[0]!;
    for (let i = 0; i < 4200; i++) a.send(2, packet(i));
    for (const d of take(a)) deliver(b, a, d);
    b.received();
    deliver(b, a, held);
    expect(b.secure.stats().dropped).toMatchObject({ replay: 2 });
    // Packet 0 was delivered once already: it is refused as too old (stale), not delivered again.
    expect(b.secure.stats().dropped.stale).toBe(1);
  });

  it('gives no session to a man in the middle with another identity', async () => {
    const { suite, timers, a, b } = await scripted_pair();
    // Mallory claims node 1 to B; B pinned A's key.
    const mallory = await scripted_node(suite, timers, 1, 0x66, {}, 'mallory');
    mallory.add_remote(2, b.address.host, b.address.port, 'udp', { public_key: b.identity.public_key });
    mallory.send(2, packet(1));
    for (const d of take(mallory)) deliver(b, mallory, d);
    expect(take(b)).toEqual([]); // No RESPONSE.
    expect(b.secure.stats().handshakes_failed).toEqual({ bad_signature: 1 });
    expect(b.secure.state(1)).toBe('none');
    expect(b.events.some((e) => e.kind === 'handshake_failed' && e.reason === 'bad_signature')).toBe(true);
    // And when A talks to "node 2", Mallory (as node 2, another identity) cannot answer for it.
    const mallory2 = await scripted_node(suite, timers, 2, 0x67, {}, 'mallory2');
    mallory2.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key });
    a.send(2, packet(2));
    for (const d of take(a)) deliver(mallory2, a, d);
    expect(mallory2.secure.stats().handshakes_failed).toEqual({});
    for (const d of take(mallory2)) deliver(a, mallory2, d); // A RESPONSE signed by Mallory's key.
    expect(a.secure.state(2)).toBe('handshaking');
    expect(a.secure.stats().handshakes_failed).toEqual({ bad_signature: 1 });
    expect(b.received()).toEqual([]);
  });

  it('survives handshakes cut at every fragment boundary and every byte, with bounded state', async () => {
    const { suite, timers, a, b } = await scripted_pair({ reassembly_max: 8 });
    for (let round = 0; round < 30; round++) {
      const init = create_init(suite, seeded_random(`cut${round}`), a.identity, 1, 2, 1000 + round, 10 + round);
      const pieces = fragment(HandshakeKind.INIT, 1000 + round, init.message, 300); // 5 fragments.
      const keep = round % pieces.length; // Stop at every boundary in turn.
      for (let i = 0; i < keep; i++)
        b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, pieces[i]!), a.address);
      // And a fragment cut at every byte.
      const last = encode_frame(FrameType.HANDSHAKE, 1, pieces[keep]!);
      for (let cut = 0; cut < last.length; cut += 37) b.transport.events!.on_datagram(last.slice(0, cut), a.address);
      expect(b.secure.stats().reassembling).toBeLessThanOrEqual(8);
    }
    expect(b.secure.state(1)).toBe('none');
    expect(b.secure.stats().reassembly_evicted).toBeGreaterThan(0);
    // The real handshake still works afterwards.
    a.send(2, packet(5));
    pump(timers, a, b);
    expect(b.received().map(marker)).toEqual([5]);
  });

  it('never throws on garbage of any frame type, and counts every piece (fuzz)', async () => {
    const { a, b } = await established();
    fc.assert(
      fc.property(
        fc.constantFrom(FrameType.DATA, FrameType.HANDSHAKE, FrameType.SEALED, FrameType.COOKIE),
        fc.uint8Array({ maxLength: 1500 }),
        (type, body) => {
          const before = total_drops(b) + b.secure.queued;
          b.transport.events!.on_datagram(encode_frame(type, 1, body), a.address);
          // Each piece is dropped and counted, or (a fragment) held in bounded reassembly state.
          expect(total_drops(b) + b.secure.queued + b.secure.stats().reassembling).toBeGreaterThanOrEqual(
            before + (type === FrameType.HANDSHAKE ? 0 : 1),
          );
          expect(b.secure.queued).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses clear data from a secured peer and a downgraded handshake', async () => {
    const { suite, a, b } = await established();
    b.transport.events!.on_datagram(encode_frame(FrameType.DATA, 1, packet(1)), a.address);
    expect(b.received()).toEqual([]);
    expect(b.secure.stats().dropped.downgrade).toBe(1);
    const init = create_init(suite, seeded_random('down'), a.identity, 1, 2, 77, 10 ** 9).message;
    init[0] = 2;
    for (const piece of fragment(HandshakeKind.INIT, 77, init, 1024))
      b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, piece), a.address);
    expect(b.secure.stats().handshakes_failed.downgrade).toBe(1);
    // Nodes with no pinned key get nothing either (allow_clear is off).
    b.transport.events!.on_datagram(encode_frame(FrameType.DATA, 9, packet(1)), { host: 'x', port: 9 });
    expect(b.secure.stats().dropped.unknown_peer).toBe(1);
    expect(b.received()).toEqual([]);
  });

  it('refuses a replayed INIT and rate-limits a flood of fresh ones', async () => {
    const { suite, timers, a, b } = await scripted_pair({ handshake_rate_per_s: 5, handshake_burst: 3 });
    const send_init = (ts: number, seed: string) => {
      const init = create_init(suite, seeded_random(seed), a.identity, 1, 2, 500 + ts, ts).message;
      for (const piece of fragment(HandshakeKind.INIT, 500 + ts, init, 1024))
        b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, piece), a.address);
    };
    send_init(100, 's1');
    expect(take(b).length).toBe(2);
    send_init(100, 's1'); // The same INIT again.
    expect(take(b).length).toBe(0);
    expect(b.secure.stats().handshakes_failed.replayed_init).toBe(1);
    for (let i = 1; i <= 10; i++) send_init(100 + i, `flood${i}`);
    expect(b.secure.stats().dropped.rate_limited).toBe(8); // Burst of 3, one already spent.
    timers.advance(1000); // Five more tokens.
    for (let i = 11; i <= 20; i++) send_init(100 + i, `flood${i}`);
    expect(b.secure.stats().dropped.rate_limited).toBe(8 + 7);
    expect(b.secure.stats().sessions).toBe(1); // Each answered INIT replaced the unconfirmed one.
  });

  it("cannot be starved by INITs forged in a pinned peer's name: they fail the signature before spending its allowance", async () => {
    // Cookies out of the way (below): every forged INIT reaches the signature check.
    const { suite, timers, a, b } = await scripted_pair({
      handshake_rate_per_s: 5,
      handshake_burst: 3,
      cookie_free_inits_per_s: 1000,
    });
    const mallory = Identity.from_seed(suite, new Uint8Array(32).fill(0x66));
    const forge = (ts: number) => {
      const init = create_init(suite, seeded_random(`forged${ts}`), mallory, 1, 2, 900 + ts, ts).message;
      for (const piece of fragment(HandshakeKind.INIT, 900 + ts, init, 1024))
        b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, piece), a.address);
    };
    // A second's worth of a 300-per-second flood, spread over the second, in node 1's name.
    for (let i = 1; i <= 300; i++) {
      forge(1000 + i);
      if (i % 30 === 0) timers.advance(100);
    }
    expect(take(b)).toEqual([]); // Nothing answered.
    expect(b.secure.stats().handshakes_failed.bad_signature).toBe(300);
    expect(b.secure.stats().dropped.rate_limited ?? 0).toBe(0);
    // The real peer's handshake, in the middle of the flood, completes.
    a.secure.connect(2);
    forge(5000);
    pump(timers, a, b);
    expect(a.secure.state(2)).toBe('established');
    expect(b.secure.state(1)).toBe('established');
  });

  it('under load, answers an INIT by UDP with a COOKIE and checks no signature; the real peer comes back with its mac2 and completes', async () => {
    const { suite, timers, a, b } = await scripted_pair({ cookie_free_inits_per_s: 10 });
    const mallory = Identity.from_seed(suite, new Uint8Array(32).fill(0x66));
    const forge = (i: number, mac2: Uint8Array | null) => {
      const init = create_init(suite, seeded_random(`spoofed${i}`), mallory, 1, 2, 7000 + i, 2000 + i).message;
      const message = mac2 === null ? init : new Uint8Array([...init, ...mac2]);
      const kind = mac2 === null ? HandshakeKind.INIT : HandshakeKind.INIT_COOKIE;
      for (const piece of fragment(kind, 7000 + i, message, 1024))
        b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, piece), {
          host: 'spoofed',
          port: 20_000 + i,
        });
    };
    // 300 INITs in node 1's name, each from another (spoofed) address, at one instant.
    for (let i = 0; i < 300; i++) forge(i, null);
    const stats = b.secure.stats();
    expect(stats.handshakes_failed.bad_signature).toBe(10); // The cookie-free burst, and no more.
    expect(stats.dropped.cookie_required).toBe(290);
    expect(stats.cookies_sent).toBe(290);
    const replies = b.transport.datagrams.splice(0);
    expect(replies.length).toBe(290);
    // Each COOKIE went back to the address its INIT claimed (where a spoofer cannot read it), in 40 bytes.
    expect(replies.every((d) => d.to.host === 'spoofed' && d.bytes[3] === FrameType.COOKIE)).toBe(true);
    expect(replies.every((d) => d.bytes.length === FRAME_HEADER_BYTES + 24)).toBe(true);
    // A mac2 that is not the cookie's costs no signature either.
    forge(300, new Uint8Array(16).fill(7));
    expect(b.secure.stats().dropped.bad_cookie).toBe(1);
    expect(b.secure.stats().handshakes_failed.bad_signature).toBe(10);
    b.transport.datagrams.splice(0);
    // Still under load, the real peer: its INIT gets a COOKIE, it sends the INIT again with the
    // cookie's mac2 at once, and the handshake completes with no timer run.
    a.secure.connect(2);
    pump(timers, a, b);
    expect(a.secure.state(2)).toBe('established');
    expect(b.secure.state(1)).toBe('established');
    expect(a.secure.stats()).toMatchObject({ cookies_received: 1, handshakes_started: 1 });
    expect(b.secure.stats()).toMatchObject({ cookies_sent: 292, handshakes_completed: 1 });
    expect(b.secure.stats().handshakes_failed.bad_signature).toBe(10);
  });

  it('a COOKIE frame for the INIT we have out is answered once, with that INIT and its mac2; any other sends nothing', async () => {
    const { a, b } = await scripted_pair();
    const cookie = (id: number) => {
      const payload = new Uint8Array(24).fill(0x5a, 8);
      new DataView(payload.buffer).setUint32(0, id, true);
      a.transport.events!.on_datagram(encode_frame(FrameType.COOKIE, 2, payload), b.address);
    };
    cookie(12345); // No handshake out.
    expect(a.secure.stats().dropped.unexpected_cookie).toBe(1);
    expect(take(a)).toEqual([]);
    a.secure.connect(2);
    // The fragments' data, in order (the scripted pair fragments at 1024 bytes).
    const fragment_at = FRAME_HEADER_BYTES;
    const data_of = (frames: Uint8Array[]) => new Uint8Array(frames.flatMap((f) => [...f.subarray(fragment_at + 12)]));
    const init = take(a);
    expect(init.every((f) => f[fragment_at] === HandshakeKind.INIT)).toBe(true);
    const id = new DataView(init[0]!.buffer).getUint32(fragment_at + 4, true);
    cookie(id + 1); // Another INIT's.
    expect(take(a)).toEqual([]);
    cookie(id);
    const again = take(a);
    expect(again.every((f) => f[fragment_at] === HandshakeKind.INIT_COOKIE)).toBe(true);
    expect(again.every((f) => new DataView(f.buffer).getUint32(fragment_at + 4, true) === id)).toBe(true);
    // The same INIT's bytes, then 16 of mac2.
    const sent = data_of(again);
    expect(sent.length).toBe(1300 + 16);
    expect(sent.subarray(0, 1300)).toEqual(data_of(init));
    cookie(id); // Once per INIT.
    expect(take(a)).toEqual([]);
    expect(a.secure.stats().dropped.unexpected_cookie).toBe(3);
    expect(a.secure.stats().cookies_received).toBe(1);
  });

  it('caps signature checks over all peers (handshake_verify_per_s), counted', async () => {
    const { suite, b, a } = await scripted_pair({ handshake_verify_per_s: 20 });
    const mallory = Identity.from_seed(suite, new Uint8Array(32).fill(0x67));
    for (let i = 1; i <= 50; i++) {
      const init = create_init(suite, seeded_random(`v${i}`), mallory, 1, 2, 700 + i, 2000 + i).message;
      for (const piece of fragment(HandshakeKind.INIT, 700 + i, init, 1024))
        b.transport.events!.on_datagram(encode_frame(FrameType.HANDSHAKE, 1, piece), a.address);
    }
    expect(b.secure.stats().handshakes_failed.bad_signature).toBe(20);
    expect(b.secure.stats().dropped.verify_rate_limited).toBe(30);
  });
});

describe('rekeying', () => {
  it('after a number of packets: new sessions under traffic, nothing lost, state bounded', async () => {
    // One packet per record, so that the count of records (what rekey_after_messages counts) is the packets'.
    const { timers, a, b } = await established({ rekey_after_messages: 50, record_bytes_max: 1 });
    const got: number[] = [];
    for (let i = 0; i < 600; i++) {
      expect(a.send(2, packet(i))).toBe('success');
      if (i % 10 === 0) {
        timers.advance(100); // Rekeys spaced in time, as traffic is (INITs are rate-limited per peer).
        pump(timers, a, b);
      }
      got.push(...b.received().map(marker));
      expect(a.secure.stats().sessions).toBeLessThanOrEqual(3);
      expect(b.secure.stats().sessions).toBeLessThanOrEqual(3);
    }
    pump(timers, a, b);
    got.push(...b.received().map(marker));
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(a.secure.stats().rekeys).toBeGreaterThanOrEqual(8);
    expect(b.secure.stats().dropped).toEqual({});
  });

  it('after a time, and packets in flight under the old keys still open for previous_keep_ms', async () => {
    const { timers, a, b } = await established({ rekey_after_ms: 1000, reject_after_ms: 5000, previous_keep_ms: 2000 });
    a.send(2, packet(1));
    const old = take(a); // Sealed under the first session, held back.
    timers.advance(1000);
    a.send(2, packet(2)); // Triggers the rekey, still sealed with the old session.
    pump(timers, a, b);
    expect(a.secure.stats().rekeys).toBe(1);
    expect(b.received().map(marker)).toEqual([2]);
    for (const d of old) deliver(b, a, d); // In flight across the rekey: accepted.
    expect(b.received().map(marker)).toEqual([1]);
    // Past the overlap, the previous session opens nothing.
    const {
      a: a2,
      b: b2,
      timers: t2,
    } = await established({ rekey_after_ms: 1000, reject_after_ms: 5000, previous_keep_ms: 2000 });
    a2.send(2, packet(4));
    const held = take(a2);
    t2.advance(1000);
    a2.send(2, packet(5));
    pump(t2, a2, b2);
    b2.received();
    t2.advance(2500);
    for (const d of held) deliver(b2, a2, d);
    expect(b2.received()).toEqual([]);
    expect(b2.secure.stats().dropped.expired).toBe(1);
  });

  it('refuses to seal past reject-after: packets wait for the new session', async () => {
    const { timers, a, b } = await established({
      rekey_after_ms: 1000,
      reject_after_ms: 2000,
      handshake_retry_ms: 5000,
    });
    timers.advance(2000);
    expect(a.secure.state(2)).toBe('none'); // The session is past reject-after: it seals nothing.
    expect(a.send(2, packet(9))).toBe('success');
    expect(a.secure.state(2)).toBe('handshaking');
    expect(a.secure.stats().queued).toBe(1);
    pump(timers, a, b);
    expect(b.received().map(marker)).toEqual([9]);
    expect(a.secure.stats().queued).toBe(0);
  });
});

describe('failure and recovery', () => {
  it('gives up after handshake_attempts_max INITs, failing what waits', async () => {
    const { timers, a } = await scripted_pair({ handshake_retry_ms: 100, handshake_attempts_max: 3 });
    const failed: [number, number][] = [];
    a.secure.set_packet_receiver({
      on_packet: () => {},
      on_peer_lost: () => {},
      on_send_failed: (src_pid, count) => failed.push([src_pid, count]),
    });
    a.secure.send_packet(2, 1, 2, packet(1));
    a.secure.send_packet(2, 7, 2, packet(2));
    timers.advance(1000);
    expect(failed).toEqual([
      [1, 1],
      [7, 1],
    ]); // Each sender is told.
    expect(take(a).length).toBe(3 * 2); // Three INITs of two fragments, nobody answering.
    expect(a.secure.stats()).toMatchObject({
      handshakes_started: 3,
      handshakes_failed: { timeout: 1 },
      queued: 0,
      dropped: { handshake_timeout: 2 },
    });
    expect(a.events.filter((e) => e.kind === 'handshake_failed')).toEqual([
      { kind: 'handshake_failed', node: 2, reason: 'timeout' },
    ]);
  });

  it('tells the sender of a sealed packet whose datagram failed, from its clear header', async () => {
    const { a } = await established();
    const failed: [number, number][] = [];
    a.secure.set_packet_receiver({
      on_packet: () => {},
      on_peer_lost: () => {},
      on_send_failed: (src_pid, count) => failed.push([src_pid, count]),
    });
    a.transport.datagram_error = 'ENETUNREACH';
    expect(a.secure.send_packet(2, 3, 2, packet(1))).toBe('success');
    expect(a.secure.send_packet(2, 4, 2, packet(2))).toBe('success'); // Another pair of pids: the first record leaves.
    a.timers.run_deferred(); // The turn ends: the second record leaves.
    await Promise.resolve();
    expect(failed).toEqual([
      [3, 1],
      [4, 1],
    ]);
    expect(a.driver.stats().send_errors).toEqual({ ENETUNREACH: 2 });
  });

  it('recovers when the peer lost its sessions (restarted): it offers a new handshake', async () => {
    const { suite, timers, a, b } = await established();
    // B restarts: a new channel on the same driver, same identity, no sessions.
    await b.secure.destroy();
    b.secure = new (a.secure.constructor as typeof import('../../../net/secure/secure_channel.js').SecureChannel)(
      b.driver,
      suite,
      {
        identity: b.identity,
        random: seeded_random('b-restarted'),
        clock: { now_ms: () => timers.now },
        timers,
      },
    );
    b.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key });
    a.send(2, packet(1)); // Sealed under a session B forgot.
    pump(timers, a, b);
    expect(b.secure.stats().dropped.unknown_session).toBe(1);
    expect(b.secure.stats().handshakes_completed).toBe(1);
    a.send(2, packet(2));
    pump(timers, a, b);
    expect(b.received().map(marker)).toEqual([2]);
  });
});

describe('secrets', () => {
  it("never show in events, counters, errors or an identity's printed forms", async () => {
    const psk = new Uint8Array(32).fill(0x5c);
    const { suite, timers, a, b } = await scripted_pair();
    a.add_remote(2, b.address.host, b.address.port, 'udp', { public_key: b.identity.public_key, psk });
    b.add_remote(1, a.address.host, a.address.port, 'udp', { public_key: a.identity.public_key, psk });
    for (let i = 0; i < 20; i++) a.send(2, packet(i));
    pump(timers, a, b);
    a.send(2, packet(99));
    const [sealed] = take(a);
    const bad = sealed!.slice();
    bad[40]! ^= 1;
    deliver(b, a, bad);
    deliver(b, a, sealed!);
    deliver(b, a, sealed!);
    const errors: string[] = [];
    for (const attempt of [
      () => a.add_remote(3, 'x', 1, 'udp', { public_key: new Uint8Array(31) }),
      () => a.add_remote(3, 'x', 1, 'udp', { public_key: a.identity.public_key, psk: psk.subarray(1) }),
    ]) {
      try {
        attempt();
      } catch (error) {
        errors.push(`${String(error)} ${JSON.stringify(error)}`);
      }
    }
    expect(errors.length).toBe(2);
    const reported = [
      JSON.stringify([a.events, b.events, a.secure.stats(), b.secure.stats(), a.driver.stats(), b.driver.stats()]),
      ...errors,
    ];
    for (const text of reported) expect(text).not.toMatch(/[0-9a-f]{48}/i); // No key-sized hex at all.
    const secret_hex = Buffer.from(a.identity.secret_key).toString('hex');
    for (const text of [...reported, JSON.stringify(a.identity), String(a.identity)]) {
      expect(text).not.toContain(secret_hex.slice(0, 16));
      expect(text).not.toContain(Buffer.from(psk).toString('hex').slice(0, 16));
    }
    expect(JSON.stringify(a.identity)).toContain(Buffer.from(a.identity.public_key).toString('hex'));
    const generated = Identity.generate(suite, seeded_random('gen'));
    expect(String(generated)).toMatch(/^Identity\([0-9a-f]{16}\)$/);
  });
});
