// The secure channel on real sockets: two drivers in one process over UDP and TCP; a rekey every
// 300 packets under continuous TCP traffic with nothing lost; a TCP peer restarted on the same
// port, after which a new session is made before data flows; the spec's example through the
// network server with every packet sealed; and two OS processes that complete a handshake and
// exchange 10,000 messages over UDP and over TCP; at the connection limit, strangers that sent
// whole frames give way to a pinned peer whose connection its sealed packets proved; one
// connection per peer pair: a dial-in is answered on its connection, and a simultaneous dial
// keeps the lower node id's connection on both sides with nothing lost.
import { connect as tcp_connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { real_env } from '../../../kernel/env.js';
import { Fastpath } from '../../../kernel/fastpath.js';
import { Kernel } from '../../../kernel/kernel.js';
import { lattice } from '../../../kernel/lattice_api.js';
import { NodeMemory } from '../../../kernel/node_memory.js';
import { create_net_driver, node_timers } from '../../../host/net/node_net.js';
import type { NetConfig, NetDriver, Proto } from '../../../net/driver.js';
import { encode_frame } from '../../../net/frame.js';
import { fragment } from '../../../net/secure/fragments.js';
import { create_init } from '../../../net/secure/handshake.js';
import { HandshakeKind } from '../../../net/secure/secure_layout.js';
import { FrameType } from '../../../net/wire_layout.js';
import { NetworkServer } from '../../../net/network_server.js';
import { bytes_hex } from '../../../net/secure/hex.js';
import { Identity } from '../../../net/secure/identity.js';
import { seeded_random } from '../../../net/secure/random.js';
import { remote_dst_pid, remote_src_pid } from '../../../net/remote_message.js';
import { SecureChannel, type SecureConfig } from '../../../net/secure/secure_channel.js';
import { until } from '../../wait.js';
import { PeerProcess } from '../peer_process.js';
import { load_suite } from './scripted_pair.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const clock = { now_ms: () => Date.now() };

interface Node {
  readonly driver: NetDriver;
  readonly secure: SecureChannel;
  readonly identity: Identity;
}

/** Registers `to` with `node`'s driver and pins its key with `node`'s channel. */
function add_remote(node: Node, to: number, port: number, proto: Proto, public_key: Uint8Array): void {
  node.driver.add_remote(to, '127.0.0.1', port, proto);
  node.secure.pin(to, { public_key });
}

/** Sends a kernel-message-like packet (its pids at bytes 0 and 4) through `node`'s channel. */
function send(node: Node, to: number, bytes: Uint8Array): string {
  return node.secure.send_packet(to, remote_src_pid(bytes), remote_dst_pid(bytes), bytes);
}

async function node(
  node_id: number,
  seed: number,
  options: Partial<SecureConfig> = {},
  port = 0,
  net: NetConfig = {},
): Promise<Node> {
  const suite = await load_suite();
  const driver = create_net_driver({ interfaces: {}, hostname: 'test' });
  await driver.init({ node_id, port, max_queue: 1 << 16, ...net });
  const identity = Identity.from_seed(suite, new Uint8Array(32).fill(seed));
  const secure = new SecureChannel(driver, suite, {
    identity,
    random: seeded_random(`n${node_id}/${seed}/${port}`),
    clock,
    timers: node_timers(),
    ...options,
  });
  cleanup.push(async () => {
    await secure.close();
    await driver.close();
  });
  return { driver, secure, identity };
}

async function pair(proto: Proto, options: Partial<SecureConfig> = {}): Promise<[Node, Node]> {
  const a = await node(1, 0xa1, options);
  const b = await node(2, 0xb2, options);
  add_remote(a, 2, b.driver.port, proto, b.identity.public_key);
  add_remote(b, 1, a.driver.port, proto, a.identity.public_key);
  return [a, b];
}

/** Counts distinct markers (bytes 8–9) of what `to` receives. */
function counter(to: Node, total: number) {
  const seen = new Uint8Array(total);
  const state = { distinct: 0, duplicates: 0, in_order: true, last: -1 };
  to.secure.set_recv_callback(() => {
    for (let p = to.secure.recv(); p !== null; p = to.secure.recv()) {
      const n = p.payload[8]! | (p.payload[9]! << 8) | (p.payload[10]! << 16);
      if (seen[n] === 1) state.duplicates++;
      else state.distinct++;
      seen[n] = 1;
      if (n !== state.last + 1) state.in_order = false;
      state.last = n;
    }
  });
  return state;
}

function message(n: number): Uint8Array {
  const bytes = new Uint8Array(24);
  bytes[0] = 1; // src_pid 1
  bytes[4] = 2; // dst_pid 2
  bytes[8] = n & 0xff;
  bytes[9] = (n >>> 8) & 0xff;
  bytes[10] = (n >>> 16) & 0xff;
  return bytes;
}

describe('secure channel on real sockets', () => {
  for (const proto of ['udp', 'tcp'] as const) {
    it(`makes a session and carries 2,000 messages each way over ${proto}`, async () => {
      const [a, b] = await pair(proto);
      const at_b = counter(b, 2000);
      const at_a = counter(a, 2000);
      for (let window = 0; window < 8; window++) {
        for (let i = window * 250; i < (window + 1) * 250; i++) {
          expect(send(a, 2, message(i))).toBe('success');
          expect(send(b, 1, message(i))).toBe('success');
        }
        await until(
          () => at_b.distinct === (window + 1) * 250 && at_a.distinct === (window + 1) * 250,
          `window ${window}`,
        );
      }
      expect([at_a.duplicates, at_b.duplicates]).toEqual([0, 0]);
      for (const n of [a, b]) expect(n.secure.stats()).toMatchObject({ dropped: {}, handshakes_failed: {} });
    });
  }

  it('rekeys every 300 packets under continuous TCP traffic and loses nothing', async () => {
    // One packet per record, so that records (what rekey_after_messages counts) are packets here.
    const [a, b] = await pair('tcp', {
      rekey_after_messages: 300,
      record_bytes_max: 1,
      handshake_rate_per_s: 1000,
      handshake_burst: 100,
    });
    const total = 10_000;
    const at_b = counter(b, total);
    let sent = 0;
    while (sent < total) {
      const window_end = Math.min(total, sent + 500);
      for (; sent < window_end; sent++) expect(send(a, 2, message(sent))).toBe('success');
      await until(() => at_b.distinct === sent, `${sent} delivered`);
    }
    expect(at_b).toMatchObject({ distinct: total, duplicates: 0, in_order: true });
    // A rekey starts at packet 300 of a session and completes a round trip later; windows of 500
    // keep sealing under the old session meanwhile, so a session carries 300 to ~1300 packets.
    expect(a.secure.stats().rekeys).toBeGreaterThanOrEqual(total / 1300 - 1);
    expect(b.secure.stats().dropped).toEqual({});
    expect(a.secure.stats().sessions).toBeLessThanOrEqual(3);
  });

  it('makes a new session after a TCP reconnect to a restarted peer, then delivers', async () => {
    const [a, b] = await pair('tcp');
    const at_b = counter(b, 10);
    send(a, 2, message(0));
    await until(() => at_b.distinct === 1, 'first message');
    // B restarts on the same port, with the same identity and a fresh channel (no sessions).
    const port = b.driver.port;
    await b.secure.close();
    await b.driver.close();
    const b2 = await node(2, 0xb2, {}, port);
    add_remote(b2, 1, a.driver.port, 'tcp', a.identity.public_key);
    const at_b2 = counter(b2, 10);
    const before = a.secure.stats().handshakes_completed;
    // The first send fails on the dead connection and is retried on the new one, sealed under the
    // old session B forgot (dropped there, and B offers a handshake); the reconnect also makes A
    // start one. Messages sent after that wait for the new session.
    send(a, 2, message(1));
    await until(
      () => a.secure.stats().handshakes_completed > before && a.secure.state(2) === 'established',
      'new session',
    );
    for (let i = 2; i < 10; i++) send(a, 2, message(i));
    await until(() => at_b2.distinct >= 8, 'after reconnect');
    expect(a.driver.stats().reconnects).toBe(1);
    expect(b2.secure.stats().handshakes_failed).toEqual({});
  });

  it("runs the spec's example through the network server, every packet sealed", async () => {
    const [a, b] = await pair('udp');
    const kernel_of = (secure: SecureChannel) => {
      const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 1, pids_max: 8, channels_max: 32 });
      memory.bind(1, 0);
      const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0, true)));
      const server = new NetworkServer(kernel, secure, { auto_poll: false });
      cleanup.push(async () => {
        await server.close();
        kernel.fastpath.detach();
      });
      return lattice(kernel, () => server.poll_network());
    };
    const A = kernel_of(a.secure);
    const B = kernel_of(b.secure);
    A.lattice_listen(1);
    B.lattice_listen(1);
    A.lattice_connect(1, 1, 2);
    const ping = new A.message();
    ping.m_type = 42;
    expect(A.lattice_send(1, 1, ping)).toBe(A.OK);
    const got = new B.message();
    await until(() => {
      B.poll_network();
      return B.lattice_recv(1, got, B.IpcFlags.NONBLOCK) === B.OK;
    }, 'ping');
    expect([got.m_type, got.src_node, got.src_pid]).toEqual([42, 1, 1]);
    expect(a.secure.stats().sealed_packets).toBeGreaterThanOrEqual(1); // The ping,
    expect(a.secure.stats().sealed_records).toBeGreaterThanOrEqual(2); // in its record after the confirmation.
    expect(a.driver.stats().packets_sent).toBe(a.secure.stats().sealed_records + 1); // + the INIT, in one datagram at the default MTU.
  });
});

describe('routes: a client that dials in, a handshake answered the way it came', () => {
  /** Pins `client` on `server` as a peer with no address (it dials in). */
  function pin_inbound(server: Node, client_id: number, public_key: Uint8Array): void {
    server.driver.add_remote(client_id, '', 0, 'tcp_inbound');
    server.secure.pin(client_id, { public_key });
  }

  it('a client on an ephemeral port is answered on its own connection, and again after it dials in anew', async () => {
    const server = await node(1, 0xa1);
    const client = await node(2, 0xb2);
    pin_inbound(server, 2, client.identity.public_key);
    add_remote(client, 1, server.driver.port, 'tcp', server.identity.public_key);
    // Before the client dials in there is no way to it: a sealed send cannot even start.
    expect(server.driver.send_frame(2, 3, new Uint8Array(8))).toBe('not_connected');

    const at_server = counter(server, 200);
    const at_client = counter(client, 200);
    for (let i = 0; i < 100; i++) expect(send(client, 1, message(i))).toBe('success');
    await until(() => at_server.distinct === 100, 'client to server');
    for (let i = 0; i < 100; i++) expect(send(server, 2, message(i))).toBe('success');
    await until(() => at_client.distinct === 100, 'server to client');
    // The server never dialed: its RESPONSE and its data left on the client's connection.
    expect(server.driver.stats()).toMatchObject({
      connects: 0,
      accepted: 1,
      inbound_routes: 1,
      off_route_handshakes: 0,
    });
    expect(server.driver.peer_state(2)).toBe('open');
    expect(client.driver.stats().accepted).toBe(0);

    // The client goes away: the server has no route until it dials in again.
    await client.secure.close();
    await client.driver.close();
    await until(() => server.driver.peer_state(2) === 'idle', 'connection closed');
    expect(send(server, 2, message(100))).toBe('not_connected');

    const again = await node(2, 0xb2);
    add_remote(again, 1, server.driver.port, 'tcp', server.identity.public_key);
    const at_again = counter(again, 200);
    for (let i = 101; i < 111; i++) expect(send(again, 1, message(i))).toBe('success');
    await until(() => at_server.distinct === 110, 'the new connection to the server');
    for (let i = 111; i < 121; i++) expect(send(server, 2, message(i))).toBe('success');
    await until(() => at_again.distinct === 10, 'the server back over the new connection');
    expect(server.driver.stats()).toMatchObject({ connects: 0, accepted: 2, inbound_routes: 2 });
    expect(server.secure.stats().handshakes_failed).toEqual({});
  });

  it("an INIT in a dial-in peer's name, signed by another identity, does not take its route", async () => {
    const server = await node(1, 0xa1);
    const client = await node(2, 0xb2);
    const forger = await node(2, 0xc3); // Claims node 2, holds another key.
    pin_inbound(server, 2, client.identity.public_key);
    add_remote(forger, 1, server.driver.port, 'tcp', server.identity.public_key);
    send(forger, 1, message(0));
    await until(() => Object.keys(server.secure.stats().handshakes_failed).length > 0, 'forged INIT refused');
    expect(server.driver.stats()).toMatchObject({ accepted: 1, inbound_routes: 0 });
    expect(server.driver.peer_state(2)).toBe('idle');
    await forger.secure.destroy(); // Its message never gets a session: do not wait to drain it.
    await forger.driver.destroy();
    // The real client then dials in and is answered.
    add_remote(client, 1, server.driver.port, 'tcp', server.identity.public_key);
    const at_client = counter(client, 10);
    const at_server = counter(server, 10);
    send(client, 1, message(0));
    await until(() => at_server.distinct === 1, 'client to server');
    send(server, 2, message(1));
    await until(() => at_client.distinct === 1, 'server to client');
    expect(server.driver.stats()).toMatchObject({ accepted: 2, inbound_routes: 1 });
  });

  it("an INIT with the peer's valid signature, sent by someone without its keys, proves the connection but takes no route", async () => {
    const server = await node(1, 0xa1);
    const client = await node(2, 0xb2);
    pin_inbound(server, 2, client.identity.public_key);
    // What a replayer has: the peer's signed INIT (made here with its key, as a recording would
    // hold), and no session keys to follow it with.
    const suite = await load_suite();
    const init = create_init(suite, seeded_random('replayed'), client.identity, 2, 1, 77, Date.now());
    const socket = tcp_connect({ host: '127.0.0.1', port: server.driver.port });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', () => {}); // The RESPONSE, which it cannot use.
    cleanup.push(() => {
      socket.destroy();
      return closed;
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    for (const piece of fragment(HandshakeKind.INIT, 77, init.message, 1024))
      socket.write(encode_frame(FrameType.HANDSHAKE, 2, piece));
    await until(() => server.secure.stats().handshakes_completed + server.driver.stats().tcp_sent > 0, 'answered');
    expect(server.secure.stats().handshakes_failed).toEqual({}); // The signature is good ...
    expect(server.driver.stats()).toMatchObject({ accepted: 1, inbound_routes: 0 }); // ... yet no route,
    expect(server.driver.peer_state(2)).toBe('idle');
    expect(server.driver.send_nowait(2, message(0))).toBe('not_connected'); // so nothing for node 2 goes to it.
    // The real client dials in, completes its handshake, and is answered on its own connection.
    add_remote(client, 1, server.driver.port, 'tcp', server.identity.public_key);
    const at_client = counter(client, 10);
    const at_server = counter(server, 10);
    send(client, 1, message(1));
    await until(() => at_server.distinct === 1, 'client to server');
    expect(send(server, 2, message(2))).toBe('success');
    await until(() => at_client.distinct === 1, 'server to client');
    expect(server.driver.stats()).toMatchObject({ accepted: 2, inbound_routes: 1 });
  });

  it("a UDP peer's INIT is answered over UDP by a node that registered it as TCP, and counted", async () => {
    const a = await node(1, 0xa1);
    const b = await node(2, 0xb2);
    add_remote(a, 2, b.driver.port, 'udp', b.identity.public_key);
    add_remote(b, 1, a.driver.port, 'tcp', a.identity.public_key); // The configs disagree.
    const at_b = counter(b, 10);
    const at_a = counter(a, 10);
    for (let i = 0; i < 5; i++) send(a, 2, message(i));
    await until(() => at_b.distinct === 5, 'a to b');
    const b_stats = b.driver.stats();
    // The RESPONSE went back by UDP, where the INIT came from; nothing of it by TCP.
    expect(b_stats.udp_sent).toBeGreaterThan(0);
    expect(b_stats.tcp_sent).toBe(0);
    expect(b_stats.connects).toBe(0);
    expect(b_stats.off_route_handshakes).toBe(1); // A's INIT, one datagram.
    expect(a.driver.stats().off_route_handshakes).toBe(0);
    // B's own data goes by its own route (TCP), and A takes it.
    for (let i = 0; i < 5; i++) send(b, 1, message(i));
    await until(() => at_a.distinct === 5, 'b to a');
    expect(b.driver.stats().connects).toBe(1);
  });
});

describe('one connection per peer pair', () => {
  it('a peer that dials in is answered on its connection: the other side never dials', async () => {
    const [a, b] = await pair('tcp');
    const at_b = counter(b, 100);
    const at_a = counter(a, 100);
    for (let i = 0; i < 100; i++) expect(send(a, 2, message(i))).toBe('success');
    await until(() => at_b.distinct === 100, 'a to b');
    for (let i = 0; i < 100; i++) expect(send(b, 1, message(i))).toBe('success');
    await until(() => at_a.distinct === 100, 'b to a');
    expect(at_a.in_order && at_b.in_order).toBe(true);
    expect(a.driver.stats()).toMatchObject({ connects: 1, accepted: 0, inbound_routes: 0 });
    expect(b.driver.stats()).toMatchObject({
      connects: 0,
      accepted: 1,
      inbound_routes: 1,
      inbound_connections: 1,
      duplicate_connections_closed: 0,
    });
    expect(a.secure.stats().handshakes_completed + b.secure.stats().handshakes_completed).toBe(2);
  });

  // Both nodes dial at once (in the same turn): the connection the lower node id dialed is kept
  // on both sides, whichever node is which; the other closes without losing a message.
  for (const [a_id, b_id] of [
    [1, 2],
    [2, 1],
  ] as const) {
    it(`a simultaneous dial between nodes ${a_id} and ${b_id} resolves to node 1's connection`, async () => {
      const a = await node(a_id, 0xa1);
      const b = await node(b_id, 0xb2);
      add_remote(a, b_id, b.driver.port, 'tcp', b.identity.public_key);
      add_remote(b, a_id, a.driver.port, 'tcp', a.identity.public_key);
      const at_b = counter(b, 400);
      const at_a = counter(a, 400);
      for (let i = 0; i < 200; i++) {
        expect(send(a, b_id, message(i))).toBe('success');
        expect(send(b, a_id, message(i))).toBe('success');
      }
      expect(a.driver.stats().connects + b.driver.stats().connects).toBe(0); // Both dials are in flight.
      await until(() => at_a.distinct === 200 && at_b.distinct === 200, 'both ways');
      const [low, high] = a_id === 1 ? [a, b] : [b, a];
      // The higher node gave its own connection up; the lower one's inbound connection closes.
      await until(() => low.driver.stats().inbound_connections === 0, "the higher node's connection closed");
      expect(high.driver.stats()).toMatchObject({
        connects: 1,
        accepted: 1,
        inbound_routes: 1,
        inbound_connections: 1,
        duplicate_connections_closed: 1,
      });
      expect(low.driver.stats()).toMatchObject({ connects: 1, accepted: 1, duplicate_connections_closed: 0 });
      // From now on both ways go over the one connection: no new dial, nothing lost.
      for (let i = 200; i < 400; i++) {
        expect(send(a, b_id, message(i))).toBe('success');
        expect(send(b, a_id, message(i))).toBe('success');
      }
      await until(() => at_a.distinct === 400 && at_b.distinct === 400, 'both ways, on one connection');
      for (const n of [a, b]) {
        expect(n.driver.stats()).toMatchObject({ connects: 1, accepted: 1, reconnects: 0, cut_frames: 0 });
        expect(n.driver.stats().send_errors).toEqual({});
        expect(n.secure.stats().dropped).toEqual({});
      }
      expect(at_a.duplicates + at_b.duplicates).toBe(0);
      expect(low.driver.stats().inbound_connections).toBe(0);
    });
  }
});

describe('strangers and peers at the connection limit', () => {
  /** A raw TCP connection to `port` that writes one well-formed clear DATA frame; resolves once open. */
  async function stranger(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
    const socket = tcp_connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    cleanup.push(() => {
      socket.destroy();
      return closed;
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(encode_frame(FrameType.DATA, 77, message(0)));
    return { socket, closed };
  }

  it("a connection that sent whole frames but proved nothing gives way to a pinned peer's; a proven one never does", async () => {
    const server = await node(1, 0xa1, {}, 0, { tcp_connections_max: 2 });
    const client = await node(2, 0xb2);
    // The server reaches the client by UDP: the client's TCP connection, when it comes, is its own
    // (a connection the server dialed would carry the client's packets instead).
    add_remote(server, 2, client.driver.port, 'udp', client.identity.public_key);
    add_remote(client, 1, server.driver.port, 'tcp', server.identity.public_key);
    const first = await stranger(server.driver.port);
    const second = await stranger(server.driver.port);
    // Both frames were whole (the channel saw them, from a node it does not know): the limit is full.
    await until(() => server.secure.stats().dropped.unknown_peer === 2, 'the strangers framed');
    // The server starts the session, by UDP: the client's connection carries only sealed
    // packets, and only their opening proves it.
    const at_client = counter(client, 1);
    expect(send(server, 2, message(0))).toBe('success');
    await until(() => at_client.distinct === 1, 'server to client');
    const at_server = counter(server, 100);
    for (let i = 0; i < 50; i++) expect(send(client, 1, message(i))).toBe('success');
    await first.closed; // The client's connection took the oldest stranger's place ...
    await until(() => at_server.distinct === 50, 'client to server');
    expect(server.driver.stats()).toMatchObject({ connections_evicted: 1, connections_refused: 0, accepted: 3 });
    expect(server.secure.stats().handshakes_completed).toBe(1);
    // ... and, proven (its packets opened), it is not the one the next strangers evict.
    const third = await stranger(server.driver.port);
    await second.closed; // Older than the client's.
    await stranger(server.driver.port);
    await third.closed; // Younger than the client's: the client's, older still, is proven.
    for (let i = 50; i < 100; i++) expect(send(client, 1, message(i))).toBe('success');
    await until(() => at_server.distinct === 100, 'client to server, still on its first connection');
    expect(server.driver.stats()).toMatchObject({ connections_evicted: 3, connections_refused: 0, accepted: 5 });
    expect(client.driver.stats()).toMatchObject({ connects: 1, reconnects: 0 });
  });
});

describe('two OS processes', () => {
  for (const proto of ['tcp', 'udp'] as const) {
    it(`complete a handshake and exchange 10,000 messages over ${proto}`, async () => {
      const a = await node(1, 0xa1, { handshake_retry_ms: 500 });
      const child_seed = new Uint8Array(32).fill(0xc3);
      const child_identity = Identity.from_seed(await load_suite(), child_seed);
      const child = new PeerProcess([
        'secure-echo',
        '0',
        '2',
        String(a.driver.port),
        proto,
        bytes_hex(child_seed),
        bytes_hex(a.identity.public_key),
      ]);
      cleanup.push(() => child.kill());
      const { port } = (await child.next('ready')) as { port: number };
      add_remote(a, 2, port, proto, child_identity.public_key);
      const at_a = counter(a, 10_000);
      for (let window = 0; window < 40; window++) {
        for (let i = window * 250; i < (window + 1) * 250; i++) expect(send(a, 2, message(i))).toBe('success');
        if (proto === 'tcp') await until(() => at_a.distinct === (window + 1) * 250, `window ${window}`);
        else await within(3000, () => at_a.distinct === (window + 1) * 250);
      }
      if (proto === 'tcp') expect(at_a.distinct).toBe(10_000);
      else expect(at_a.distinct).toBeGreaterThanOrEqual(9_900); // Loopback UDP: a loss is possible, not likely.
      expect(at_a.duplicates).toBe(0);
      child.send('report');
      const report = (await child.next('echoed')) as {
        secure: { handshakes_completed: number; dropped: Record<string, number> };
      };
      expect(report.secure.handshakes_completed).toBeGreaterThanOrEqual(1);
      expect(report.secure.dropped).toEqual({});
      expect(a.secure.stats()).toMatchObject({ dropped: {}, handshakes_failed: {} });
    }, 60_000);
  }
});

/** Waits until `done()` or `limit_ms` (a bound for traffic that may be lost, not synchronisation). */
async function within(limit_ms: number, done: () => boolean): Promise<void> {
  const deadline = performance.now() + limit_ms;
  while (!done() && performance.now() < deadline) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('the writable signal', () => {
  it('a sender refused by a full handshake queue awaits writable() and goes on once the session is in', async () => {
    const [a, b] = await pair('udp', { pending_packets_max: 8 });
    const at_b = counter(b, 8);
    // No session yet: the first 8 packets wait for the handshake, the 9th is refused.
    for (let i = 0; i < 8; i++) expect(send(a, 2, message(i))).toBe('success');
    expect(send(a, 2, message(8))).toBe('would_block');
    let released = false;
    const writable = a.secure.writable(2).then(() => {
      released = true;
    });
    await Promise.resolve();
    expect(released).toBe(false); // Still waiting for the handshake.
    await writable;
    await until(() => at_b.distinct === 8);
    expect(send(a, 2, message(8))).toBe('success'); // Room again (the session is in now).
    // Nothing blocked now: it resolves at once; a stopped channel releases its waiters too.
    await a.secure.writable(2);
    expect(a.secure.stats().dropped).toEqual({ queue_full: 1 });
  });

  it('close() releases a pending writable()', async () => {
    const [a] = await pair('udp', { pending_packets_max: 1 });
    expect(send(a, 2, message(0))).toBe('success');
    expect(send(a, 2, message(1))).toBe('would_block');
    const writable = a.secure.writable(2);
    await a.secure.destroy();
    await writable; // Released, not left hanging.
    expect(send(a, 2, message(2))).toBe('not_running');
  });
});
