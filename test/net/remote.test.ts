// Remote channels: a kernel's sends to another node go through the network driver as
// [src_pid | dst_pid | payload] and poll_network delivers them into the other node, where a
// blocked receive wakes. The spec's example (m_type 42) runs as written, over UDP and TCP;
// payloads in blocks cross intact; every packet that cannot be delivered is counted by reason;
// full rings hold packets back without losing any; and NodeHost runs the same across worker
// threads, a worker's process talking to another node's through the network pid.
import { afterEach, describe, expect, it } from 'vitest';
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { lattice } from '../../kernel/lattice_api.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory, type NodeConfig } from '../../kernel/node_memory.js';
import { fastpath_stats } from '../../kernel/stats.js';
import { Status } from '../../kernel/status.js';
import { node_net_env } from '../../host/net/node_net.js';
import { NodeHost } from '../../host/node_host.js';
import { Proto, type NetDriver } from '../../net/driver.js';
import type { NetworkServer } from '../../net/network_server.js';
import { NodeNetwork } from '../../net/node_network.js';
import { encode_remote } from '../../net/remote_message.js';
import { Identity } from '../../net/secure/identity.js';
import { CryptoSuite } from '../../net/secure/suite.js';

const NODE_CONFIG: NodeConfig = {
  sockets: 1,
  cores_per_socket: 1,
  pids_max: 16,
  channels_max: 64,
  slab_classes: [
    { block_bytes: 128, block_count: 64 },
    { block_bytes: 8192, block_count: 8 },
  ],
};

interface Node {
  readonly memory: NodeMemory;
  readonly kernel: Kernel;
  readonly driver: NetDriver;
  readonly server: NetworkServer;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** A one-core node with pid 1 (and the given others) on core 0, a driver and a network server. */
async function node(
  node_id: number,
  options: { auto_poll?: boolean; config?: NodeConfig; pids?: number[] } = {},
): Promise<Node> {
  const memory = NodeMemory.create(options.config ?? NODE_CONFIG);
  for (const pid of options.pids ?? [1]) memory.bind(pid, 0);
  const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0, true)));
  const network = await NodeNetwork.start({
    kernel,
    env: node_net_env({ interfaces: {}, hostname: 'test-host' }),
    // Loopback's jumbo MTU, so a 5,000-byte block fits one UDP datagram (mtu_bytes − 48).
    config: { node_id, mtu_bytes: 9000 },
    auto_poll: options.auto_poll ?? false,
  });
  cleanup.push(async () => {
    await network.close();
    await kernel.fastpath.close();
  });
  return { memory, kernel, driver: network.driver, server: network.server };
}

/** Two nodes that know each other over `proto`. */
async function pair(
  proto: Proto,
  options: { auto_poll?: boolean; config?: NodeConfig; pids?: number[] } = {},
): Promise<[Node, Node]> {
  const a = await node(100, options);
  const b = await node(101, options);
  a.driver.add_remote(101, '127.0.0.1', b.driver.port, proto);
  b.driver.add_remote(100, '127.0.0.1', a.driver.port, proto);
  return [a, b];
}

/** Resolves when `n` more packets have reached `node`'s server inbox (by its callback, no polling). */
function arrivals(node: Node, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    node.server.inbox.set_callback(() => {
      if (++seen === n) {
        node.server.inbox.set_callback(null);
        resolve();
      }
    });
  });
}

describe("the spec's example", () => {
  for (const proto of [Proto.UDP, Proto.TCP]) {
    it(`ping (m_type 42) to pid 1 on the other node and back, with poll_network, over ${proto}`, async () => {
      const [a, b] = await pair(proto);
      const A = lattice(a.kernel, () => a.server.poll_network());
      const B = lattice(b.kernel, () => b.server.poll_network());
      expect(A.lattice_listen(1)).toBe(A.OK);
      expect(B.lattice_listen(1)).toBe(B.OK);
      expect(A.lattice_connect(1, 1, 101)).toBeGreaterThanOrEqual(0);
      expect(B.lattice_connect(1, 1, 100)).toBeGreaterThanOrEqual(0);

      const at_b = arrivals(b, 1);
      const ping = new A.message();
      ping.m_type = 42;
      expect(A.lattice_send(1, 1, ping)).toBe(A.OK);
      await at_b;

      // Nothing enters node B before poll_network.
      const got = new B.message();
      expect(B.lattice_recv(1, got, B.IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK);
      expect(B.poll_network()).toBe(1);
      expect(B.lattice_recv(1, got, B.IpcFlags.NONBLOCK)).toBe(B.OK);
      expect([got.m_type, got.src_node, got.src_pid, got.dst_pid]).toEqual([42, 100, 1, 1]);

      const at_a = arrivals(a, 1);
      expect(B.lattice_send(1, 1, got)).toBe(B.OK);
      await at_a;
      // The example's loop: poll the network, then receive (here without blocking: one thread).
      let answered = false;
      for (let i = 0; i < 2 && !answered; i++) {
        A.poll_network();
        answered = A.lattice_recv(1, ping, A.IpcFlags.NONBLOCK) === A.OK;
      }
      expect(answered).toBe(true);
      expect([ping.m_type, ping.src_node]).toEqual([42, 101]);
      expect(a.server.stats()).toMatchObject({ sent: 1, delivered: 1, dropped: {} });
      expect(b.server.stats()).toMatchObject({ sent: 1, delivered: 1, dropped: {} });
    });
  }
});

describe('remote channels', () => {
  it('wake a receive blocked on the other node as the packet arrives (auto_poll)', async () => {
    const [a, b] = await pair(Proto.TCP, { auto_poll: true });
    b.kernel.listen(1);
    const m = new Message();
    const blocked = b.kernel.recv_async(1, m);
    expect(a.kernel.connect(1, 1, 101)).toBeGreaterThanOrEqual(0);
    const ping = new Message();
    ping.m_type = 7;
    ping.length = 3;
    ping.payload.set([1, 2, 3]);
    expect(lattice(a.kernel).lattice_send(1, 1, ping)).toBe(Status.OK);
    expect(await blocked).toBe(Status.OK);
    expect([m.m_type, m.length, ...m.payload.subarray(0, 3)]).toEqual([7, 3, 1, 2, 3]);
  });

  for (const proto of [Proto.UDP, Proto.TCP]) {
    it(`carry a payload in a block, byte for byte, and free the sender's block (${proto})`, async () => {
      const [a, b] = await pair(proto);
      b.kernel.listen(1);
      const A = lattice(a.kernel);
      A.lattice_connect(1, 1, 101);
      const outstanding = () => fastpath_stats(a.memory).slab.payload_blocks_outstanding;
      expect(outstanding()).toBe(0);
      const block = a.kernel.fastpath.alloc_block(5000);
      expect(block).toBeGreaterThan(0);
      const bytes = a.kernel.fastpath.block_bytes(block);
      for (let i = 0; i < 5000; i++) bytes[i] = (i * 7) & 0xff;
      const m = new Message();
      m.m_type = 9;
      m.block_offset = block;
      m.length = 5000;
      const at_b = arrivals(b, 1);
      expect(A.lattice_send(1, 1, m)).toBe(Status.OK);
      expect(outstanding()).toBe(0);
      await at_b;
      expect(b.server.poll_network()).toBe(1);
      const got = new Message();
      expect(b.kernel.recv(1, got, IpcFlags.NONBLOCK)).toBe(Status.OK);
      expect(got.length).toBe(5000);
      const view = b.kernel.fastpath.block_view(got);
      expect(view.every((v, i) => v === ((i * 7) & 0xff))).toBe(true);
      expect(b.kernel.fastpath.release(got)).toBe(Status.OK);
      expect(fastpath_stats(b.memory).slab.payload_blocks_outstanding).toBe(0);
    });
  }

  it('refuse what has no route, and count every packet that cannot be delivered, by reason', async () => {
    const [a, b] = await pair(Proto.TCP, { pids: [1, 2] });
    b.kernel.listen(1);
    // No add_remote for node 555: the send fails at once with NO_ROUTE, counted.
    const to_nowhere = a.kernel.connect(1, 1, 555);
    expect(to_nowhere).toBeGreaterThanOrEqual(0);
    expect(a.kernel.send(1, to_nowhere, new Message())).toBe(Status.NO_ROUTE);
    expect(a.server.stats().send_refused).toEqual({ unknown_node: 1 });
    // Over a slot's inline bytes without a block: TOO_BIG, nothing sent.
    const to_b1 = a.kernel.connect(1, 1, 101);
    const too_long = new Message();
    too_long.length = 1000;
    expect(a.kernel.send(1, to_b1, too_long)).toBe(Status.TOO_BIG);

    const at_b = arrivals(b, 4);
    // pid 2 exists on B but does not listen; pid 9 is not bound there; the third is garbage.
    expect(a.kernel.send(1, a.kernel.connect(1, 2, 101), new Message())).toBe(Status.OK);
    expect(a.kernel.send(1, a.kernel.connect(1, 9, 101), new Message())).toBe(Status.OK);
    expect(await a.driver.send(101, Uint8Array.of(1, 2, 3))).toBe('success');
    const good = new Message();
    good.m_type = 5;
    expect(await a.driver.send(101, encode_remote(1, 1, good, new Uint8Array(0)))).toBe('success');
    await at_b;
    expect(b.server.poll_network()).toBe(1);
    expect(b.server.stats()).toMatchObject({
      delivered: 1,
      dropped: { not_listening: 1, no_such_pid: 1, malformed: 1 },
    });
  });

  it('hold packets back while the receiving rings are full, and lose none', async () => {
    const config: NodeConfig = { ...NODE_CONFIG, ring_capacity_l1: 8, ring_capacity_l2: 8, ring_capacity_l3: 8 };
    const [a, b] = await pair(Proto.TCP, { config });
    b.kernel.listen(1);
    const cap = a.kernel.connect(1, 1, 101);
    const total = 200;
    const at_b = arrivals(b, total);
    const m = new Message();
    for (let i = 0; i < total; i++) {
      m.m_type = i;
      expect(a.kernel.send(1, cap, m)).toBe(Status.OK);
    }
    await at_b;
    const seen: number[] = [];
    const r = new Message();
    for (let round = 0; seen.length < total && round < 1000; round++) {
      b.server.poll_network();
      while (b.kernel.recv(1, r, IpcFlags.NONBLOCK) === Status.OK) seen.push(r.m_type);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    const stats = b.server.stats();
    expect(stats.delivered).toBe(total);
    expect(stats.backpressured).toBeGreaterThan(0);
    expect(stats.dropped).toEqual({});
  });
});

describe('NodeHost with a network', () => {
  for (const [proto, secure] of [
    [Proto.TCP, false],
    [Proto.UDP, false],
    [Proto.TCP, true],
  ] as const) {
    it(`a worker's process exchanges 500 messages with one on another node, blocking in recv (${proto}${secure ? ', sealed' : ''})`, async () => {
      const module = new URL('../fixtures/net_node_processes.ts', import.meta.url);
      const ready = new SharedArrayBuffer(4);
      const count = 500;
      const geometry = { sockets: 1, cores_per_socket: 2, pids_max: 16 };
      const suite = await CryptoSuite.load();
      const id_a = Identity.from_seed(suite, new Uint8Array(32).fill(0xaa));
      const id_b = Identity.from_seed(suite, new Uint8Array(32).fill(0xbb));
      const b = await NodeHost.start({
        node: geometry,
        main_cores: [0],
        network: { core: 0, net_pid: 15, config: { node_id: 201 }, ...(secure ? { secure: { identity: id_b } } : {}) },
        processes: [{ pid: 2, core: 1, module, entry: 'ponger', args: { ready, count } }],
      });
      cleanup.push(() => b.close());
      const a = await NodeHost.start({
        node: geometry,
        main_cores: [0],
        network: { core: 0, net_pid: 15, config: { node_id: 200 }, ...(secure ? { secure: { identity: id_a } } : {}) },
      });
      cleanup.push(() => a.close());
      a.network.add_remote(
        201,
        '127.0.0.1',
        b.network.port,
        proto,
        secure ? { public_key: id_b.public_key } : undefined,
      );
      b.network.add_remote(
        200,
        '127.0.0.1',
        a.network.port,
        proto,
        secure ? { public_key: id_a.public_key } : undefined,
      );
      a.spawn({ pid: 2, core: 1, module, entry: 'pinger', args: { ready, count, node: 201, peer: 2 } });

      const results = [...(await a.join()), ...(await b.join())];
      expect(results.map((r) => [r.ok, r.value, r.error?.message])).toEqual([
        [true, count, undefined],
        [true, count, undefined],
      ]);
      for (const host of [a, b]) {
        const stats = host.network.server.stats();
        expect([stats.sent, stats.egress, stats.delivered, stats.dropped]).toEqual([count, count, count, {}]);
        if (secure)
          expect(host.network.secure!.stats()).toMatchObject({
            opened_packets: count,
            dropped: {},
          });
      }
      await a.close();
      await b.close();
      expect(a.live_workers + b.live_workers).toBe(0);
      expect(a.network.driver.is_running).toBe(false);
    });
  }
});
