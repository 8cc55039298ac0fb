// The driver's protocol logic on a scripted transport: persistent TCP reconnects and retries a
// failed write once, backs off exponentially on refused connects and gives up with the errno
// after its bound; every counter exact.
import { describe, expect, it } from 'vitest';
import { NetDriver, NetSystemError } from '../../net/driver.js';
import { FrameDecoder } from '../../net/frame_decoder.js';
import { encode_frame } from '../../net/frame.js';
import { RM_HEADER_BYTES } from '../../net/remote_message.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../net/wire_layout.js';
import { ManualTimers, ScriptedTransport } from './scripted_network.js';

const identity = { interfaces: {}, hostname: 'test' };

async function driver(config = {}) {
  const transport = new ScriptedTransport();
  const timers = new ManualTimers();
  const d = new NetDriver({ transport, timers, identity });
  await d.init({
    node_id: 1,
    reconnect_delay_ms_min: 10,
    reconnect_delay_ms_max: 80,
    reconnect_attempts_max: 5,
    ...config,
  });
  d.add_remote(2, '10.0.0.2', 7000, 'tcp');
  return { d, transport, timers };
}

/** The node ids of the frames in a write. */
function frames_of(bytes: Uint8Array): number[] {
  const out: number[] = [];
  new FrameDecoder(1 << 20, (_h, p) => out.push(p[0]!)).push(bytes);
  return out;
}

describe('UDP', () => {
  it('counts every datagram sent, with or without a waiter, and every failed one by errno', async () => {
    const { d, transport } = await driver();
    d.add_remote(3, '10.0.0.3', 7000, 'udp');
    expect(d.send_nowait(3, new Uint8Array(10))).toBe('success'); // Nobody waits: the shared callback.
    expect(await d.send(3, new Uint8Array(20))).toBe('success'); // A waiter: its own record.
    const frame_bytes = transport.datagrams.reduce((sum, g) => sum + g.bytes.length, 0);
    expect(frame_bytes).toBe(2 * FRAME_HEADER_BYTES + 30);
    expect(d.stats()).toMatchObject({ udp_sent: 2, packets_sent: 2, bytes_sent: frame_bytes, send_errors: {} });
    transport.datagram_error = 'ENETUNREACH';
    expect(d.send_nowait(3, new Uint8Array(5))).toBe('success'); // Handed over; it fails later, counted.
    await expect(d.send(3, new Uint8Array(5))).rejects.toBeInstanceOf(NetSystemError);
    expect(d.stats()).toMatchObject({
      udp_sent: 2,
      packets_sent: 2,
      bytes_sent: frame_bytes,
      send_errors: { ENETUNREACH: 2 },
    });
  });
});

describe('persistent TCP', () => {
  it("connects on first send, batches the turn's frames into one write", async () => {
    const { d, transport, timers } = await driver();
    const results: string[] = [];
    for (let i = 0; i < 3; i++) d.send(2, Uint8Array.of(i)).then((r) => results.push(r));
    expect(transport.connects.length).toBe(1);
    expect(d.peer_state(2)).toBe('connecting');
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    expect(transport.writes.length).toBe(1);
    expect(frames_of(transport.writes[0]!.bytes)).toEqual([0, 1, 2]);
    transport.writes[0]!.done(null);
    await Promise.resolve();
    expect(results).toEqual(['success', 'success', 'success']);
    expect(d.stats()).toMatchObject({ connects: 1, reconnects: 0, tcp_sent: 3, packets_sent: 3, retries: 0 });
  });

  it('reopens the connection after EPIPE and retries the failed frames exactly once', async () => {
    const { d, transport, timers } = await driver();
    const outcomes: (string | NetSystemError)[] = [];
    const track = (p: Promise<string>) =>
      p.then(
        (r) => outcomes.push(r),
        (e: NetSystemError) => outcomes.push(e),
      );
    track(d.send(2, Uint8Array.of(10)));
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[0]!.done(null);
    track(d.send(2, Uint8Array.of(11)));
    track(d.send(2, Uint8Array.of(12)));
    timers.advance();
    const first_conn = transport.last_conn();
    transport.writes[1]!.done('EPIPE'); // The peer went away under this write.
    expect(transport.destroyed).toContain(first_conn);
    expect(transport.connects.length).toBe(2); // Reopened at once.
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    expect(frames_of(transport.writes[2]!.bytes)).toEqual([11, 12]); // The same frames, in order.
    transport.writes[2]!.done(null);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes).toEqual(['success', 'success', 'success']);
    expect(d.stats()).toMatchObject({ connects: 2, reconnects: 1, retries: 2, send_errors: {} });
  });

  it('fails a frame whose retry fails too, with the errno', async () => {
    const { d, transport, timers } = await driver();
    const outcome = d.send(2, Uint8Array.of(1)).catch((e: NetSystemError) => e);
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[0]!.done('ECONNRESET');
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[1]!.done('ECONNRESET');
    const error = await outcome;
    expect(error).toBeInstanceOf(NetSystemError);
    expect((error as NetSystemError).errno).toBe('ECONNRESET');
    expect((error as NetSystemError).code).toBe('ERR_LATTICE_NET_SYSTEM');
    expect(d.stats()).toMatchObject({ retries: 1, send_errors: { ECONNRESET: 1 } });
  });

  for (const errno of ['ECONNRESET', 'ENOTCONN', 'ECONNABORTED']) {
    it(`reopens and retries once after ${errno}, as after EPIPE`, async () => {
      const { d, transport, timers } = await driver();
      const outcome = d.send(2, Uint8Array.of(7));
      transport.events!.on_open(transport.last_conn(), false);
      timers.advance();
      transport.writes[0]!.done(errno);
      expect(transport.connects.length).toBe(2); // Reopened for the retry.
      transport.events!.on_open(transport.last_conn(), false);
      timers.advance();
      expect(frames_of(transport.writes[1]!.bytes)).toEqual([7]);
      transport.writes[1]!.done(null);
      expect(await outcome).toBe('success');
      expect(d.stats()).toMatchObject({ retries: 1, send_errors: {} });
    });
  }

  it('does not retry other write errors', async () => {
    const { d, transport, timers } = await driver();
    const outcome = d.send(2, Uint8Array.of(1)).catch((e: NetSystemError) => e.errno);
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[0]!.done('EIO');
    expect(await outcome).toBe('EIO');
    expect(d.stats().retries).toBe(0);
    expect(transport.connects.length).toBe(1);
  });

  it('backs off exponentially on refused connects (bounded), then connects', async () => {
    const { d, transport, timers } = await driver();
    const result = d.send(2, Uint8Array.of(1));
    for (let i = 0; i < 3; i++) {
      transport.events!.on_closed(transport.last_conn(), 'ECONNREFUSED');
      expect(d.peer_state(2)).toBe('backoff');
      timers.advance(1000);
    }
    expect(timers.delays).toEqual([10, 20, 40]);
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[0]!.done(null);
    expect(await result).toBe('success');
    expect(d.stats()).toMatchObject({ backoffs: 3, connect_failures: { ECONNREFUSED: 3 }, connects: 1, reconnects: 0 });
  });

  it('caps the back-off at reconnect_delay_ms_max', async () => {
    const { transport, timers, d } = await driver({ reconnect_delay_ms_max: 40, reconnect_attempts_max: 8 });
    void d.send(2, Uint8Array.of(1)).catch(() => {});
    for (let i = 0; i < 6; i++) {
      transport.events!.on_closed(transport.last_conn(), 'ECONNREFUSED');
      timers.advance(1000);
    }
    expect(timers.delays).toEqual([10, 20, 40, 40, 40, 40]); // Uncapped it would go on 80, 160, 320.
  });

  it('gives up after reconnect_attempts_max refusals: waiting sends fail with ECONNREFUSED', async () => {
    const { d, transport, timers } = await driver();
    const waiting = [d.send(2, Uint8Array.of(1)), d.send(2, Uint8Array.of(2))].map((p) =>
      p.catch((e: NetSystemError) => e),
    );
    for (let i = 0; i < 5; i++) {
      transport.events!.on_closed(transport.last_conn(), 'ECONNREFUSED');
      timers.advance(1000);
    }
    for (const error of await Promise.all(waiting)) {
      expect(error).toBeInstanceOf(NetSystemError);
      expect((error as NetSystemError).errno).toBe('ECONNREFUSED');
      expect((error as NetSystemError).syscall).toBe('connect');
    }
    expect(timers.delays).toEqual([10, 20, 40, 80]); // Capped at reconnect_delay_ms_max.
    expect(d.peer_state(2)).toBe('idle');
    expect(d.stats()).toMatchObject({
      backoffs: 4,
      connect_failures: { ECONNREFUSED: 5 },
      send_errors: { ECONNREFUSED: 2 },
    });
    // The next send starts afresh.
    d.send_nowait(2, Uint8Array.of(3));
    expect(d.peer_state(2)).toBe('connecting');
  });

  it('refuses sends over its outbox bound, and counts each refusal by result', async () => {
    const { d } = await driver({ pending_bytes_max: 1024 });
    expect(d.send_nowait(2, new Uint8Array(900))).toBe('success');
    expect(d.send_nowait(2, new Uint8Array(200))).toBe('would_block');
    expect(d.send_nowait(9, new Uint8Array(1))).toBe('unknown_node');
    expect(d.pending_bytes(2)).toBe(916);
    expect(d.stats().refused).toEqual({ would_block: 1, unknown_node: 1 });
  });

  it('reconnects when an open connection closes with frames waiting', async () => {
    const { d, transport, timers } = await driver();
    d.send_nowait(2, Uint8Array.of(1));
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    transport.writes[0]!.done(null);
    transport.events!.on_closed(transport.last_conn(), null);
    expect(d.peer_state(2)).toBe('idle');
    d.send_nowait(2, Uint8Array.of(2));
    transport.events!.on_open(transport.last_conn(), false);
    expect(d.stats()).toMatchObject({ connects: 2, reconnects: 1 });
  });

  it('shuts down: timers cleared, waiting sends failed, transport closed', async () => {
    const { d, transport } = await driver();
    const waiting = d.send(2, Uint8Array.of(1)).catch((e: NetSystemError) => e.errno);
    await d.shutdown();
    expect(await waiting).toBe('ESHUTDOWN');
    expect(transport.closed).toBe(true);
    expect(d.send_nowait(2, Uint8Array.of(1))).toBe('not_running');
    await d.shutdown(); // Idempotent.
  });
});

describe('a TCP frame cut by its connection closing', () => {
  it('is counted as cut_frames, and a close between whole frames is not', async () => {
    const { d, transport } = await driver();
    const events = transport.events!;
    const frame = encode_frame(FrameType.DATA, 9, new Uint8Array(RM_HEADER_BYTES + 40));
    events.on_open(101, true);
    events.on_data(101, frame); // Whole.
    events.on_closed(101, null);
    expect(d.stats().cut_frames).toBe(0);
    for (const cut of [3, FRAME_HEADER_BYTES, frame.length - 1]) {
      events.on_open(102 + cut, true);
      events.on_data(102 + cut, frame.subarray(0, cut));
      events.on_closed(102 + cut, 'ECONNRESET');
    }
    expect(d.stats().cut_frames).toBe(3);
    expect(d.stats().packets_received).toBe(1);
  });
});

describe('inbound TCP connections: a limit and two timeouts', () => {
  const frame = () => encode_frame(FrameType.DATA, 9, new Uint8Array(RM_HEADER_BYTES + 40));

  it('at tcp_connections_max, a new connection takes the place of the oldest that sent no whole frame, else is refused', async () => {
    const { d, transport } = await driver({ tcp_connections_max: 3 });
    const events = transport.events!;
    events.on_open(201, true);
    events.on_open(202, true);
    events.on_open(203, true); // Silent.
    events.on_data(201, frame());
    events.on_data(202, frame());
    events.on_open(204, true); // Takes 203's place.
    expect(transport.destroyed).toEqual([203]);
    expect(d.stats().connections_evicted).toBe(1);
    events.on_data(204, frame());
    events.on_open(205, true); // Every one has sent a frame: refused.
    expect(transport.destroyed).toEqual([203, 205]);
    expect(d.stats()).toMatchObject({ connections_refused: 1, connections_evicted: 1, accepted: 4 });
    events.on_closed(201, null);
    events.on_open(206, true);
    expect(d.stats()).toMatchObject({ connections_refused: 1, accepted: 5 });
  });

  it('closes a connection that has sent no whole frame and nothing for tcp_idle_timeout_ms; a quiet peer stays', async () => {
    const { d, transport, timers } = await driver({ tcp_idle_timeout_ms: 1000, frame_assembly_timeout_ms: 0 });
    const events = transport.events!;
    events.on_open(301, true);
    events.on_open(302, true);
    timers.advance(750);
    events.on_data(302, frame()); // 302 is a peer; 301 sends nothing.
    timers.advance(500); // 1,250 ms: 301 idle past the timeout (sweeps every 250 ms).
    expect(transport.destroyed).toEqual([301]);
    expect(d.stats().closed_idle).toBe(1);
    timers.advance(10_000);
    expect(transport.destroyed).toEqual([301]); // Quiet, but it carried a frame: kept.
    expect(d.stats().packets_received).toBe(1);
  });

  it('closes a connection that trickles a frame, or never finishes a header, after frame_assembly_timeout_ms; one completing frames stays', async () => {
    const { d, transport, timers } = await driver({ tcp_idle_timeout_ms: 0, frame_assembly_timeout_ms: 1000 });
    const events = transport.events!;
    const f = frame();
    events.on_open(401, true); // Trickles one frame, a byte every 100 ms.
    events.on_open(402, true); // Sends half a header and stops.
    events.on_open(403, true); // Always holds part of a frame, but completes one every 100 ms.
    events.on_data(402, f.subarray(0, 8));
    const rest_and_next = new Uint8Array([...f.subarray(20), ...f.subarray(0, 20)]);
    events.on_data(403, f.subarray(0, 20));
    for (let t = 0; t < 30; t++) {
      events.on_data(401, f.subarray(t, t + 1));
      timers.advance(100);
      events.on_data(403, rest_and_next);
    }
    expect(transport.destroyed.sort()).toEqual([401, 402]);
    expect(d.stats().closed_assembly_timeout).toBe(2);
    expect(d.stats().cut_frames).toBe(0); // Closed by the timeout, counted there.
    expect(d.stats().packets_received).toBe(30);
  });

  it('at tcp_connections_per_address_max, a new connection from that host takes the place of its oldest unproven one, else is refused; other hosts are not touched', async () => {
    const { d, transport } = await driver({ tcp_connections_per_address_max: 2 });
    const events = transport.events!;
    events.on_open(501, true, '10.9.9.9'); // Unproven, from the crowded host.
    events.on_open(502, true, '10.0.0.2'); // Unproven, from another host: never evicted for 10.9.9.9.
    events.on_open(503, true, '10.9.9.9');
    events.on_open(504, true, '10.9.9.9'); // Takes 501's place, not 502's.
    expect(transport.destroyed).toEqual([501]);
    expect(d.stats()).toMatchObject({ connections_evicted: 1, connections_refused_per_address: 0 });
    events.on_data(503, frame());
    events.on_data(504, frame()); // Both of 10.9.9.9's are proven now (a clear driver: a whole frame).
    events.on_open(505, true, '10.9.9.9'); // Refused: nothing of its host to evict.
    expect(transport.destroyed).toEqual([501, 505]);
    expect(d.stats()).toMatchObject({
      connections_evicted: 1,
      connections_refused_per_address: 1,
      connections_refused: 0,
    });
    events.on_open(506, true, '10.0.0.2'); // Its host has one: accepted.
    events.on_closed(503, null);
    events.on_open(507, true, '10.9.9.9'); // A place came free.
    expect(transport.destroyed).toEqual([501, 505]);
    expect(d.stats()).toMatchObject({ accepted: 6, connections_refused_per_address: 1 });
  });

  it('past tcp_unproven_bytes_max, closes the oldest unproven connections holding bytes until the rest fit; proven ones are never closed for it', async () => {
    const kib = 1024;
    const { d, transport } = await driver({ frame_bytes_max: 64 * kib, tcp_unproven_bytes_max: 64 * kib });
    const events = transport.events!;
    // A header claiming a 60 KiB frame, and 20 KiB of it: gathered in a 40 KiB buffer (twice what came).
    const big = encode_frame(FrameType.DATA, 9, new Uint8Array(60 * kib));
    const part = big.subarray(0, 20 * kib);
    events.on_open(601, true, '10.0.0.7');
    events.on_data(601, frame()); // Proven (a clear driver: a whole frame) ...
    events.on_data(601, part); // ... so its 40 KiB do not count.
    events.on_open(602, true, '10.0.0.8');
    events.on_data(602, part);
    expect(d.stats()).toMatchObject({ unproven_bytes: 40 * kib, closed_over_budget: 0 });
    events.on_open(603, true, '10.0.0.9');
    events.on_data(603, part); // 80 KiB unproven: 602, the oldest holding bytes, goes.
    expect(transport.destroyed).toEqual([602]);
    expect(d.stats()).toMatchObject({ unproven_bytes: 40 * kib, closed_over_budget: 1 });
    events.on_data(603, big.subarray(20 * kib)); // Completes its frame: proven, nothing held.
    expect(d.stats()).toMatchObject({ unproven_bytes: 0, packets_received: 2 });
    events.on_closed(601, null);
    expect(d.stats().cut_frames).toBe(1); // 601's partial frame, thrown away when it closed.
  });

  it('with a frame receiver above it (the secure channel), a whole frame proves nothing: only authenticated() does', async () => {
    const { d, transport } = await driver({ tcp_connections_max: 2 });
    const events = transport.events!;
    d.set_frame_receiver({ on_frame: () => {}, on_peer_state: () => {}, on_frame_failed: () => {} });
    events.on_open(701, true, '10.0.0.2');
    events.on_open(702, true, '10.0.0.3');
    events.on_data(701, frame()); // Whole but unauthenticated: still a stranger.
    d.authenticated(2, 702, false); // The layer above opened a packet from node 2 on 702.
    events.on_open(703, true, '10.0.0.4'); // Takes 701's place (the oldest unproven), never 702's.
    expect(transport.destroyed).toEqual([701]);
    events.on_open(704, true, '10.0.0.5'); // Takes 703's.
    expect(transport.destroyed).toEqual([701, 703]);
    expect(d.stats()).toMatchObject({ connections_evicted: 2, connections_refused: 0 });
  });

  it('refuses tcp_unproven_bytes_max below frame_bytes_max (a first frame must fit)', async () => {
    await expect(driver({ frame_bytes_max: 1 << 20, tcp_unproven_bytes_max: 512 << 10 })).rejects.toMatchObject({
      code: 'ERR_LATTICE_BAD_LIMIT',
    });
  });
});

describe('one connection per peer pair (a sealed node: a frame receiver above the driver)', () => {
  const receiver = { on_frame: () => {}, on_peer_state: () => {}, on_frame_failed: () => {} };

  /** A driver as node `node_id` with peer 2 registered by TCP, under a frame receiver. */
  async function sealed(node_id: number) {
    const made = await driver({ node_id });
    made.d.set_frame_receiver(receiver);
    return made;
  }

  it('a proved dial-in is the route: the node never dials, and dials again once it closes', async () => {
    const { d, transport, timers } = await sealed(1);
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, true);
    expect(d.peer_state(2)).toBe('open');
    expect(d.send_nowait(2, Uint8Array.of(7))).toBe('success');
    timers.advance();
    expect(transport.connects).toEqual([]);
    expect(transport.writes.map((w) => w.conn)).toEqual([901]);
    transport.writes[0]!.done(null);
    transport.events!.on_closed(901, null);
    expect(d.peer_state(2)).toBe('idle');
    expect(d.send_nowait(2, Uint8Array.of(8))).toBe('success');
    expect(transport.connects.length).toBe(1); // No dial-in left: its own dial.
    expect(d.stats()).toMatchObject({ inbound_routes: 1, duplicate_connections_closed: 0, inbound_connections: 0 });
  });

  it('an unproved dial-in, or one proved for another node, is not a route', async () => {
    const { d, transport, timers } = await sealed(1);
    d.add_remote(3, '10.0.0.3', 7000, 'udp');
    transport.events!.on_open(901, true, '10.0.0.2');
    transport.events!.on_data(901, encode_frame(FrameType.DATA, 2, new Uint8Array(RM_HEADER_BYTES))); // Claims node 2.
    transport.events!.on_open(902, true, '10.0.0.3');
    d.authenticated(3, 902, true); // A UDP peer: its connection is proved, but routes nothing.
    expect(d.send_nowait(2, Uint8Array.of(7))).toBe('success');
    expect(transport.connects.length).toBe(1);
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    expect(transport.writes.map((w) => w.conn)).toEqual([transport.last_conn()]);
    expect(d.stats()).toMatchObject({ inbound_routes: 0, inbound_connections: 2 });
  });

  it('the lower node keeps its own dial; it takes the dial-in only when its own fails', async () => {
    const { d, transport, timers } = await sealed(1);
    expect(d.send_nowait(2, Uint8Array.of(7))).toBe('success');
    const own = transport.last_conn();
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, true); // Node 2 dialed too; 1 < 2: our connection wins.
    expect(d.peer_state(2)).toBe('connecting');
    transport.events!.on_closed(own, 'ECONNREFUSED'); // ... but it fails: the dial-in is there.
    expect(d.peer_state(2)).toBe('open');
    timers.advance(1000);
    expect(transport.connects.length).toBe(1); // No retry, no back-off.
    expect(transport.writes.map((w) => w.conn)).toEqual([901]);
    expect(d.stats()).toMatchObject({ backoffs: 0, inbound_routes: 1, duplicate_connections_closed: 0 });
  });

  it('the lower node in back-off takes a proved dial-in at once and stops backing off', async () => {
    const { d, transport, timers } = await sealed(1);
    expect(d.send_nowait(2, Uint8Array.of(7))).toBe('success');
    transport.events!.on_closed(transport.last_conn(), 'ECONNREFUSED');
    expect(d.peer_state(2)).toBe('backoff');
    transport.events!.on_open(901, true, '10.0.0.2'); // 2 dialed in meanwhile, and was proved.
    d.authenticated(2, 901, true);
    expect(d.peer_state(2)).toBe('open');
    timers.advance(1000); // The back-off's timer was cleared: no dial.
    expect(transport.connects.length).toBe(1);
    expect(transport.writes.map((w) => w.conn)).toEqual([901]);
    expect(d.stats()).toMatchObject({ backoffs: 1, inbound_routes: 1, duplicate_connections_closed: 0 });
  });

  it('the higher node ends its open connection for the lower one’s dial-in, and writes on the new route only once the old one closed', async () => {
    const { d, transport, timers } = await sealed(3); // Node 3; its peer 2 is the lower.
    expect(d.send_nowait(2, Uint8Array.of(1))).toBe('success');
    const own = transport.last_conn();
    transport.events!.on_open(own, false);
    timers.advance();
    expect(transport.writes.map((w) => w.conn)).toEqual([own]); // In flight.
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, false); // A signature alone (it may be replayed): no route.
    expect(transport.ended).toEqual([]);
    d.authenticated(2, 901, true); // A packet opened under the session's keys.
    expect(transport.ended).toEqual([own]); // Ended at once: its write in flight still goes.
    expect(d.send_nowait(2, Uint8Array.of(2))).toBe('success');
    transport.writes[0]!.done(null);
    timers.advance();
    // The old connection has not closed yet: frame 2 waits, so it cannot overtake frame 1.
    expect(transport.writes.map((w) => w.conn)).toEqual([own]);
    transport.events!.on_closed(own, null); // The peer read it to its end and closed it.
    timers.advance();
    expect(transport.writes.map((w) => w.conn)).toEqual([own, 901]);
    expect(frames_of(transport.writes[1]!.bytes)).toEqual([2]);
    expect(d.peer_state(2)).toBe('open');
    expect(transport.connects.length).toBe(1);
    expect(d.stats()).toMatchObject({ duplicate_connections_closed: 1, inbound_routes: 1, reconnects: 0 });
  });

  it('a retired connection that never closes is destroyed after close_timeout_ms, and the frames go on', async () => {
    const { d, transport, timers } = await sealed(3);
    expect(d.send_nowait(2, Uint8Array.of(1))).toBe('success');
    const own = transport.last_conn();
    transport.events!.on_open(own, false);
    timers.advance();
    transport.writes[0]!.done(null);
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, true);
    expect(d.send_nowait(2, Uint8Array.of(2))).toBe('success');
    timers.advance(1999);
    expect(transport.writes.length).toBe(1);
    timers.advance(1);
    expect(transport.destroyed).toContain(own);
    transport.events!.on_closed(own, null);
    timers.advance();
    expect(transport.writes.map((w) => w.conn)).toEqual([own, 901]);
  });

  it('a write that fails on a dial-in route is retried once on a new dial, not on the dead dial-in', async () => {
    const { d, transport, timers } = await sealed(1);
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, true);
    expect(d.send_nowait(2, Uint8Array.of(7))).toBe('success');
    timers.advance();
    transport.writes[0]!.done('ECONNRESET');
    expect(transport.destroyed).toContain(901);
    expect(transport.connects.length).toBe(1); // Dialed, not back onto 901.
    transport.events!.on_open(transport.last_conn(), false);
    timers.advance();
    expect(transport.writes.map((w) => w.conn)).toEqual([901, transport.last_conn()]);
    expect(frames_of(transport.writes[1]!.bytes)).toEqual([7]);
    expect(d.stats()).toMatchObject({ retries: 1, inbound_routes: 1, inbound_connections: 0 });
  });

  it('the higher node drops its dial still opening, at once', async () => {
    const { d, transport } = await sealed(3);
    expect(d.send_nowait(2, Uint8Array.of(1))).toBe('success');
    const own = transport.last_conn();
    transport.events!.on_open(901, true, '10.0.0.2');
    d.authenticated(2, 901, true);
    expect(transport.destroyed).toEqual([own]);
    transport.events!.on_open(own, false); // Too late: it is not ours any more.
    expect(d.stats()).toMatchObject({ connects: 0, duplicate_connections_closed: 1, inbound_routes: 1 });
    expect(d.peer_state(2)).toBe('open');
  });
});
