// The network driver on real loopback sockets: UDP, persistent and transient TCP between two
// drivers in one process; the receive queue's overflow policies with exact counts; malformed
// datagrams and desynchronised TCP streams dropped and counted; EMSGSIZE and ECONNREFUSED;
// local_node's three paths; and shutdown leaving no handle. Waits are on events, never sleeps.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../kernel/errors.js';
import { NetSystemError, Overflow, type NetDriver, type NetConfig } from '../../net/driver.js';
import { encode_frame } from '../../net/frame.js';
import { local_node_id, node_id_hash } from '../../net/node_identity.js';
import { FrameType, UDP_DATAGRAM_BYTES_MAX } from '../../net/wire_layout.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { until } from '../wait.js';

const drivers: NetDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.shutdown();
});

async function start(config: NetConfig): Promise<NetDriver> {
  const d = create_net_driver({ interfaces: {}, hostname: 'test-host' });
  drivers.push(d);
  await d.init(config);
  return d;
}

/** Resolves once `d` has received `n` packets in all (by its callback; no polling). */
function arrivals(d: NetDriver, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    if (n === 0) resolve();
    d.set_recv_callback(() => {
      if (++seen === n) resolve();
    });
  });
}

function drain(d: NetDriver): { src: number; bytes: number[] }[] {
  const out: { src: number; bytes: number[] }[] = [];
  for (let p = d.recv(); p !== null; p = d.recv()) out.push({ src: p.src_node, bytes: Array.from(p.payload) });
  return out;
}

describe('the lifecycle', () => {
  it('close() writes what is in the outboxes first, then stops; sends after it are refused', async () => {
    const a = await start({ node_id: 21 });
    const b = await start({ node_id: 22 });
    a.add_remote(22, '127.0.0.1', b.port, 'tcp');
    const got = arrivals(b, 500);
    for (let i = 0; i < 500; i++) expect(a.send_nowait(22, Uint8Array.of(i & 0xff, i >> 8))).toBe('success');
    const closing = a.close();
    expect(a.send_nowait(22, Uint8Array.of(1))).toBe('not_running');
    await closing;
    await got;
    expect(drain(b).length).toBe(500);
    expect(a.stats().send_errors).toEqual({});
    expect(a.is_running).toBe(false);
    expect(a.close()).toBe(closing); // Idempotent.
  });

  it('destroy() stops at once: what waits to be written fails with ESHUTDOWN', async () => {
    const a = await start({ node_id: 23 });
    a.add_remote(24, '127.0.0.1', 9, 'tcp'); // Nobody listens: frames wait in the outbox.
    const sent = a.send(24, Uint8Array.of(1)).then(
      () => null,
      (error: unknown) => error,
    );
    await a.destroy();
    expect(await sent).toMatchObject({ errno: 'ESHUTDOWN' });
  });

  it('destroy() cuts a close() that waits for an unreachable peer short', async () => {
    const a = await start({ node_id: 25, close_timeout_ms: 60_000 });
    a.add_remote(26, '127.0.0.1', 9, 'tcp');
    const sent = a.send(26, Uint8Array.of(1)).then(
      () => null,
      (error: unknown) => error,
    );
    const closing = a.close();
    await a.destroy();
    await closing;
    expect(await sent).toMatchObject({ errno: 'ESHUTDOWN' });
  });
});

describe('two drivers over loopback', () => {
  it('binds UDP and TCP to one ephemeral port and reports it', async () => {
    const a = await start({ node_id: 1 });
    expect(a.port).toBeGreaterThan(0);
    expect(a.local_node()).toBe(1);
    expect(a.local_node_path).toBe('configured');
  });

  for (const proto of ['udp', 'tcp', 'tcp_transient'] as const) {
    it(`delivers packets with their source node over ${proto}`, async () => {
      const a = await start({ node_id: 11 });
      const b = await start({ node_id: 12 });
      a.add_remote(12, '127.0.0.1', b.port, proto);
      const got = arrivals(b, 50);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => a.send(12, Uint8Array.of(i, i + 1))));
      expect(results.every((r) => r === 'success')).toBe(true);
      await got;
      const packets = drain(b);
      expect(packets.every((p) => p.src === 11)).toBe(true);
      const values = packets.map((p) => p.bytes[0]!);
      if (proto === 'tcp')
        expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i)); // In order.
      else expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const stats = a.stats();
      expect(stats.packets_sent).toBe(50);
      expect(proto === 'udp' ? stats.udp_sent : stats.tcp_sent).toBe(50);
      expect(b.stats().packets_received).toBe(50);
    });
  }

  it('refuses a UDP frame over mtu_bytes − 48 (or over a datagram), and any frame over frame_bytes_max', async () => {
    const a = await start({ node_id: 1, frame_bytes_max: 1 << 20 });
    const b = await start({ node_id: 2 });
    a.add_remote(2, '127.0.0.1', b.port, 'udp');
    expect(a.payload_bytes_max(2)).toBe(1500 - 48 - 16);
    expect(await a.send(2, new Uint8Array(1500 - 48 - 16))).toBe('success');
    expect(await a.send(2, new Uint8Array(1500 - 48 - 15))).toBe('message_too_large');
    a.add_remote(2, '127.0.0.1', b.port, 'tcp');
    expect(a.payload_bytes_max(2)).toBe((1 << 20) - 16);
    expect(await a.send(2, new Uint8Array((1 << 20) - 16))).toBe('success');
    expect(await a.send(2, new Uint8Array(1 << 20))).toBe('message_too_large');
    expect(a.stats().refused).toEqual({ message_too_large: 2 });
    expect(a.payload_bytes_max(77)).toBe(0);
    // A loopback node may raise the MTU to 65,535: datagrams of up to 65,487 bytes (under IPv4's 65,507).
    const c = await start({ node_id: 3, mtu_bytes: 65_535 });
    c.add_remote(2, '127.0.0.1', b.port, 'udp');
    expect(await c.send(2, new Uint8Array(65_487 - 16))).toBe('success');
    expect(await c.send(2, new Uint8Array(65_487 - 15))).toBe('message_too_large');
    expect(65_487).toBeLessThan(UDP_DATAGRAM_BYTES_MAX);
    await expect(start({ node_id: 4, mtu_bytes: 1279 })).rejects.toThrow(/mtu_bytes/);
  });

  it('reports ECONNREFUSED as a typed NetSystemError carrying the errno', async () => {
    const a = await start({
      node_id: 1,
      reconnect_attempts_max: 2,
      reconnect_delay_ms_min: 1,
      reconnect_delay_ms_max: 2,
    });
    const vacant = await start({ node_id: 9 });
    const port = vacant.port;
    await vacant.shutdown(); // Nothing listens there now.
    a.add_remote(9, '127.0.0.1', port, 'tcp');
    const error = await a.send(9, Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetSystemError);
    expect((error as NetSystemError).errno).toBe('ECONNREFUSED');
    expect(a.stats().connect_failures).toEqual({ ECONNREFUSED: 2 });
    expect(a.stats().backoffs).toBe(1);
  });
});

describe('the receive queue', () => {
  for (const overflow of [Overflow.DROP_OLDEST, Overflow.DROP_NEWEST]) {
    it(`keeps max_queue packets and counts each drop (${overflow})`, async () => {
      const a = await start({ node_id: 1 });
      const b = await start({ node_id: 2, max_queue: 10, overflow });
      a.add_remote(2, '127.0.0.1', b.port, 'tcp');
      for (let i = 0; i < 25; i++) a.send_nowait(2, Uint8Array.of(i));
      // Dropped packets never reach the callback, so wait on the counter.
      await until(() => b.stats().packets_received === 25, '25 arrivals');
      const kept = drain(b).map((p) => p.bytes[0]!);
      const stats = b.stats();
      if (overflow === Overflow.DROP_OLDEST) {
        expect(kept).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
        expect([stats.queue_dropped_oldest, stats.queue_dropped_newest]).toEqual([15, 0]);
      } else {
        expect(kept).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect([stats.queue_dropped_oldest, stats.queue_dropped_newest]).toEqual([0, 15]);
      }
    });
  }

  it('reset() clears the queue and counts what it discarded', async () => {
    const a = await start({ node_id: 1 });
    const b = await start({ node_id: 2 });
    a.add_remote(2, '127.0.0.1', b.port, 'tcp');
    const got = arrivals(b, 5);
    for (let i = 0; i < 5; i++) a.send_nowait(2, Uint8Array.of(i));
    await got;
    b.reset();
    expect(b.recv()).toBeNull();
    expect(b.stats().reset_discarded).toBe(5);
  });
});

describe('bad input from the network', () => {
  it('drops and counts malformed datagrams by reason', async () => {
    const b = await start({ node_id: 2 });
    const raw = createSocket('udp4');
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve) => raw.send(bytes, b.port, '127.0.0.1', () => resolve()));
    const good = encode_frame(FrameType.DATA, 7, Uint8Array.of(1));
    const bad_version = good.slice();
    bad_version[2] = 9;
    const truncated = good.subarray(0, good.length - 1);
    const got = arrivals(b, 1);
    await send(Uint8Array.of(1, 2, 3));
    await send(bad_version);
    await send(truncated);
    await send(new Uint8Array(100));
    await send(good);
    await got; // The good one arrives after the bad ones (one socket, in order on loopback).
    raw.close();
    const malformed = b.stats().malformed;
    expect(Object.values(malformed).reduce((n, v) => n + v, 0)).toBe(4);
    expect(drain(b)).toEqual([{ src: 7, bytes: [1] }]);
  });

  it('closes a TCP connection whose stream goes bad, and counts it', async () => {
    const b = await start({ node_id: 2 });
    const socket = connect({ port: b.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    const got = arrivals(b, 1);
    socket.write(encode_frame(FrameType.DATA, 5, Uint8Array.of(42)));
    await got;
    socket.write(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    await closed; // The driver hung up on us.
    const stats = b.stats();
    expect(stats.desyncs).toBe(1);
    expect(stats.malformed).toEqual({ bad_magic: 1 });
    expect(drain(b)).toEqual([{ src: 5, bytes: [42] }]);
  });
});

describe('local_node', () => {
  it("uses the configured id, then the first active interface's MAC, then its address, then the host name", () => {
    const eth = { eth0: [{ address: '10.1.2.3', mac: 'aa:bb:cc:dd:ee:ff', internal: false }] };
    const no_mac = { eth0: [{ address: '10.1.2.3', mac: '00:00:00:00:00:00', internal: false }] };
    const loopback_only = { lo: [{ address: '127.0.0.1', mac: '00:00:00:00:00:00', internal: true }] };
    expect(local_node_id(42, { interfaces: eth, hostname: 'h' })).toEqual({ id: 42, path: 'configured' });
    const by_mac = local_node_id(0, { interfaces: { ...loopback_only, ...eth }, hostname: 'h' });
    expect(by_mac).toEqual({ id: node_id_hash('mac:aa:bb:cc:dd:ee:ff'), path: 'interface_mac' });
    expect(local_node_id(0, { interfaces: { ...eth }, hostname: 'other' })).toEqual(by_mac); // Deterministic.
    expect(local_node_id(0, { interfaces: no_mac, hostname: 'h' })).toEqual({
      id: node_id_hash('addr:10.1.2.3'),
      path: 'interface_address',
    });
    expect(local_node_id(0, { interfaces: loopback_only, hostname: 'h' })).toEqual({
      id: node_id_hash('host:h'),
      path: 'hostname',
    });
    for (const text of ['', 'a', 'mac:00', 'host:x']) {
      const id = node_id_hash(text);
      expect(id).toBeGreaterThan(0);
      expect(id).toBeLessThanOrEqual(0x7fff_ffff);
    }
  });

  it('works it out at init when node_id is 0', async () => {
    const d = await start({ node_id: 0 });
    expect(d.local_node()).toBe(node_id_hash('host:test-host'));
    expect(d.local_node_path).toBe('hostname');
  });
});

describe('configuration and lifecycle', () => {
  it('refuses bad configuration with ConfigError codes', async () => {
    const d = create_net_driver();
    for (const config of [
      { max_queue: 0 },
      { port: 70000 },
      { overflow: 'DROP_ALL' as Overflow },
      { frame_bytes_max: 10 },
      { node_id: -1 },
    ]) {
      await expect(d.init(config)).rejects.toBeInstanceOf(ConfigError);
    }
    await d.init({ node_id: 1 });
    drivers.push(d);
    await expect(d.init({ node_id: 1 })).rejects.toMatchObject({ code: 'ERR_LATTICE_NET_RUNNING' });
    expect(() => d.add_remote(0, 'x', 1)).toThrow(ConfigError);
    expect(() => d.add_remote(2, 'x', 0)).toThrow(ConfigError);
    expect(() => d.add_remote(2, 'x', 1, 'sctp' as 'udp')).toThrow(ConfigError);
  });

  it('shutdown() closes every socket and connection and leaves no handle', async () => {
    const before = net_handles();
    const a = await start({ node_id: 1 });
    const b = await start({ node_id: 2 });
    a.add_remote(2, '127.0.0.1', b.port, 'tcp');
    b.add_remote(1, '127.0.0.1', a.port, 'udp');
    const got = arrivals(b, 1);
    await a.send(2, Uint8Array.of(1));
    await b.send(1, Uint8Array.of(2));
    await got;
    expect(net_handles()).toBeGreaterThan(before);
    await a.shutdown();
    await b.shutdown();
    expect(net_handles()).toBe(before);
    expect(a.is_running).toBe(false);
  });
});

function net_handles(): number {
  return process.getActiveResourcesInfo().filter((name) => /TCP|UDP|Pipe(?!Wrap)|Timeout/.test(name)).length;
}

describe('the writable signal', () => {
  it('a sender that met would_block awaits writable() instead of polling, and every frame arrives', async () => {
    const a = await start({ node_id: 41, pending_bytes_max: 4096 });
    const b = await start({ node_id: 42 });
    a.add_remote(42, '127.0.0.1', b.port, 'tcp');
    const frame = new Uint8Array(1000);
    // The connection is still opening: frames wait in the 4 KiB outbox until it is full.
    let queued = 0;
    let result = a.send_nowait(42, frame);
    while (result === 'success') {
      queued++;
      result = a.send_nowait(42, frame);
    }
    expect(result).toBe('would_block');
    expect(queued).toBe(4);
    let released = false;
    const writable = a.writable(42).then(() => {
      released = true;
    });
    await Promise.resolve();
    expect(released).toBe(false);
    await a.writable(43); // No such peer: nothing to wait for.
    const got = arrivals(b, 8);
    await writable; // The outbox went to the socket once the connection opened.
    for (let i = 0; i < 4; i++) expect(a.send_nowait(42, frame)).toBe('success');
    await got;
    expect(drain(b).length).toBe(8);
    expect(a.stats().refused).toEqual({ would_block: 1 });
  });

  it('shutdown releases a pending writable()', async () => {
    const a = await start({ node_id: 43, pending_bytes_max: 1024 });
    a.add_remote(44, '127.0.0.1', 9, 'tcp'); // Nobody listens there.
    while (a.send_nowait(44, new Uint8Array(500)) === 'success') {}
    const writable = a.writable(44);
    await a.shutdown();
    await writable;
  });
});
