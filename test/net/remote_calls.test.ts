// Calls and notifications across nodes, on real sockets: MINIX's sendrec from one node's process
// to another's and back, over UDP and TCP, clear and sealed, from worker cores (through the
// network pid on both sides) and from the network core itself; every way a call can end: its
// reply, TIMEOUT, DEAD_PEER when the callee exits or the session to its node is lost, the other
// node's refusal (NOT_LISTENING, NOT_BOUND, TABLE_FULL); replies that come late or from the
// wrong node dropped and counted; remote notifications coalescing at the receiving node.
import { afterEach, describe, expect, it } from 'vitest';
import { real_env } from '../../kernel/env.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import { node_net_env } from '../../host/net/node_net.js';
import { NodeHost } from '../../host/node_host.js';
import { Proto } from '../../net/driver.js';
import { NodeNetwork } from '../../net/node_network.js';
import { RemoteKind, encode_kind_into, rm_header_bytes } from '../../net/remote_message.js';
import { Identity } from '../../net/secure/identity.js';
import { seeded_random } from '../../net/secure/random.js';
import { CryptoSuite } from '../../net/secure/suite.js';
import { until } from '../wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

let suite: CryptoSuite | null = null;
async function identity(seed: number): Promise<Identity> {
  suite ??= await CryptoSuite.load();
  return Identity.from_seed(suite, new Uint8Array(32).fill(seed));
}

interface Node {
  readonly id: number;
  readonly kernel: Kernel;
  readonly network: NodeNetwork;
  readonly identity: Identity;
}

/** A one-core node whose pids 1–7 live on core 0 with the network (the direct path: no egress). */
async function node(id: number, sealed: boolean, calls_max?: number): Promise<Node> {
  const memory = NodeMemory.create({ sockets: 1, cores_per_socket: 1, pids_max: 8, channels_max: 64, caps_per_pid: 8 });
  for (let pid = 1; pid < 8; pid++) memory.bind(pid, 0);
  const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0, true)));
  const me = await identity(id);
  const network = await NodeNetwork.start({
    kernel,
    env: node_net_env({ interfaces: {}, hostname: 'test' }),
    config: { node_id: id },
    ...(calls_max === undefined ? {} : { calls_max }),
    secure: sealed ? { identity: me, random: seeded_random(`node-${id}`), clock: { now_ms: () => Date.now() } } : null,
  });
  cleanup.push(async () => {
    await network.close();
    await kernel.fastpath.close();
  });
  return { id, kernel, network, identity: me };
}

/** Nodes that know each other over `proto`. */
async function nodes(count: number, proto: Proto, sealed: boolean, calls_max?: number): Promise<Node[]> {
  const all: Node[] = [];
  for (let i = 0; i < count; i++) all.push(await node(10 + i, sealed, calls_max));
  for (const a of all)
    for (const b of all)
      if (a !== b)
        a.network.add_remote(
          b.id,
          '127.0.0.1',
          b.network.port,
          proto,
          sealed ? { public_key: b.identity.public_key } : undefined,
        );
  return all;
}

/** Serves one call at `pid` of `at`: receives it (async), then lets `answer` reply (or not). */
async function serve_one(at: Node, pid: number, answer: (request: Message) => void): Promise<Message> {
  const m = new Message();
  for (;;) {
    const status = await at.kernel.recv_async(pid, m, 5000);
    if (status === Status.OK) break;
    if (status !== Status.TIMEOUT) throw new Error(`serve: status ${status}`);
  }
  answer(m);
  return m;
}

function request(m_type: number, text: string): Message {
  const m = new Message();
  m.m_type = m_type;
  m.set_payload(new TextEncoder().encode(text));
  return m;
}

describe('a call to another node', () => {
  for (const [proto, sealed] of [
    [Proto.UDP, false],
    [Proto.TCP, false],
    [Proto.UDP, true],
    [Proto.TCP, true],
  ] as const) {
    it(`gets its reply, from the network core (${proto}${sealed ? ', sealed' : ''})`, async () => {
      const [a, b] = await nodes(2, proto, sealed);
      b.kernel.listen(2);
      const cap = a.kernel.connect(1, 2, b.id, { badge: 77 });
      const reply = new Message();
      for (let i = 0; i < 20; i++) {
        const served = serve_one(b, 2, (m) => {
          expect(m.flags & SlotFlags.CALL).toBe(SlotFlags.CALL);
          expect([m.src_node, m.src_pid, m.badge, m.m_type]).toEqual([a.id, 1, 77, i]);
          expect(b.kernel.cap_info(2, m.cap)?.kind).toBe('remote_reply');
          const r = request(i + 1000, `answer ${i}`);
          expect(b.kernel.reply(2, m.cap, r)).toBe(Status.OK);
          expect(b.kernel.reply(2, m.cap, r)).toBe(Status.NO_CAP); // One-shot, as a local reply.
        });
        const status = await a.kernel.call_async(1, cap, request(i, `call ${i}`), reply, 5000);
        await served;
        expect(status).toBe(Status.OK);
        expect([reply.m_type, reply.src_node, reply.src_pid]).toEqual([i + 1000, b.id, 2]);
        expect(new TextDecoder().decode(reply.payload_bytes())).toBe(`answer ${i}`);
        expect(reply.flags & (SlotFlags.REPLY | SlotFlags.REMOTE)).toBe(SlotFlags.REPLY | SlotFlags.REMOTE);
      }
      expect(a.network.server.stats().calls).toMatchObject({ sent: 20, replies_delivered: 20, waiting: 0 });
      expect(b.network.server.stats().calls).toMatchObject({ served: 20, replies_sent: 20, serving: 0 });
      expect(b.kernel.cap_list(2)).toEqual([]); // Every remote reply capability freed.
      expect(a.network.server.stats().dropped).toEqual({});
      expect(b.network.server.stats().dropped).toEqual({});
    });
  }

  it('tells the caller why the other node refused it: NOT_LISTENING, NOT_BOUND, TABLE_FULL', async () => {
    const [a, b] = await nodes(2, Proto.TCP, false, 1);
    const reply = new Message();
    // Pid 3 of B never listens; pid 20 is bound to no core there.
    const deaf = a.kernel.connect(1, 3, b.id);
    expect(await a.kernel.call_async(1, deaf, request(1, 'x'), reply, 5000)).toBe(Status.NOT_LISTENING);
    const nobody = a.kernel.connect(1, 20, b.id);
    expect(await a.kernel.call_async(1, nobody, request(2, 'x'), reply, 5000)).toBe(Status.NOT_BOUND);
    // B serves one call at a time (calls_max 1): a second caller is refused while the first waits.
    b.kernel.listen(2);
    const first = a.kernel.call_async(1, a.kernel.connect(1, 2, b.id), request(3, 'first'), reply, 5000);
    const held = serve_one(b, 2, () => {});
    const request_in = await held;
    const second_reply = new Message();
    expect(await a.kernel.call_async(4, a.kernel.connect(4, 2, b.id), request(4, 'second'), second_reply, 5000)).toBe(
      Status.TABLE_FULL,
    );
    expect(b.kernel.reply(2, request_in.cap, request(5, 'late but fine'))).toBe(Status.OK);
    expect(await first).toBe(Status.OK);
    expect(b.network.server.stats().dropped).toEqual({ not_listening: 1, no_such_pid: 1, calls_full: 1 });
    expect(b.network.server.stats().calls.refusals_sent).toBe(3);
  });

  it('fails with DEAD_PEER when the callee exits before replying', async () => {
    const [a, b] = await nodes(2, Proto.UDP, false);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id);
    const served = serve_one(b, 2, () => b.kernel.exit(2));
    const started = Date.now();
    expect(await a.kernel.call_async(1, cap, request(1, 'x'), new Message(), 10_000)).toBe(Status.DEAD_PEER);
    await served;
    expect(Date.now() - started).toBeLessThan(5000); // Told, not timed out.
    expect(b.network.server.stats().calls).toMatchObject({ orphans_answered: 1, serving: 0 });
    expect(b.kernel.cap_list(2)).toEqual([]);
  });

  it('fails with DEAD_PEER when its reply right is revoked', async () => {
    const [a, b] = await nodes(2, Proto.UDP, false);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id);
    const served = serve_one(b, 2, (m) => {
      expect(b.kernel.revoke(2, m.cap)).toBe(Status.OK);
      expect(b.kernel.reply(2, m.cap, new Message())).toBe(Status.NO_CAP);
    });
    expect(await a.kernel.call_async(1, cap, request(1, 'x'), new Message(), 10_000)).toBe(Status.DEAD_PEER);
    await served;
  });

  it('times out when no reply comes, and the late reply is dropped and counted', async () => {
    const [a, b] = await nodes(2, Proto.UDP, false);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id);
    let request_in: Message | null = null;
    const served = serve_one(b, 2, (m) => {
      request_in = new Message().copy_from(m);
    });
    expect(await a.kernel.call_async(1, cap, request(1, 'x'), new Message(), 50)).toBe(Status.TIMEOUT);
    await served;
    expect(b.kernel.reply(2, request_in!.cap, request(2, 'too late'))).toBe(Status.OK);
    await until(() => (a.network.server.stats().dropped.late_reply ?? 0) === 1, 'the late reply');
  });

  it('fails with DEAD_PEER at once when the TCP session to the node is lost', async () => {
    const [a, b] = await nodes(2, Proto.TCP, false);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id);
    const served = serve_one(b, 2, () => void b.network.destroy());
    const started = Date.now();
    expect(await a.kernel.call_async(1, cap, request(1, 'x'), new Message(), 30_000)).toBe(Status.DEAD_PEER);
    await served;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(a.network.server.stats().calls.failed_peer_lost).toBe(1);
  });

  it('takes a reply only from the node the call went to', async () => {
    const [a, b, c] = await nodes(3, Proto.UDP, false);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id);
    const reply = new Message();
    const call = a.kernel.call_async(1, cap, request(1, 'x'), reply, 5000);
    let request_in: Message | null = null;
    await serve_one(b, 2, (m) => {
      request_in = new Message().copy_from(m);
    });
    // Node C forges B's answer to pid 1's call number (it can guess it: they count from 1).
    const forged = new Message();
    forged.m_type = 666;
    const bytes = new Uint8Array(rm_header_bytes(RemoteKind.REPLY));
    encode_kind_into(bytes, RemoteKind.REPLY, 2, 1, forged, new Uint8Array(0), 0, 1, 0);
    expect(c.network.driver.send_packet(a.id, 2, 1, bytes)).toBe('success');
    await until(() => (a.network.server.stats().dropped.unexpected_reply ?? 0) === 1, 'the forged reply');
    expect(b.kernel.reply(2, request_in!.cap, request(7, 'real'))).toBe(Status.OK);
    expect(await call).toBe(Status.OK);
    expect(reply.m_type).toBe(7);
  });
});

describe('a notification to another node', () => {
  it('ORs its bits in at the receiving node, where several coalesce into one', async () => {
    const [a, b] = await nodes(2, Proto.TCP, true);
    b.kernel.listen(2);
    const cap = a.kernel.connect(1, 2, b.id, { badge: 0x10 });
    expect(a.kernel.notify(1, cap, 0x1)).toBe(Status.OK);
    expect(a.kernel.notify(1, cap, 0x4)).toBe(Status.OK);
    expect(a.kernel.notify(1, cap)).toBe(Status.OK); // The badge.
    await until(() => b.network.server.stats().notifies_received === 3, 'three notifications');
    const m = new Message();
    expect(b.kernel.recv(2, m, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([m.flags & SlotFlags.NOTIFY, m.badge]).toEqual([SlotFlags.NOTIFY, 0x15]);
    expect(b.kernel.recv(2, m, IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK); // One, not three.
    expect(a.network.server.stats().notifies_sent).toBe(3);
  });

  it('wakes a receiver blocked on the other node', async () => {
    const [a, b] = await nodes(2, Proto.UDP, false);
    b.kernel.listen(2);
    const m = new Message();
    const woken = b.kernel.recv_async(2, m, 10_000);
    expect(a.kernel.notify(1, a.kernel.connect(1, 2, b.id), 0x8)).toBe(Status.OK);
    expect(await woken).toBe(Status.OK);
    expect(m.badge).toBe(0x8);
  });
});

describe('NodeHost: calls between worker cores of two nodes', () => {
  for (const [proto, sealed] of [
    [Proto.UDP, false],
    [Proto.TCP, false],
    [Proto.UDP, true],
    [Proto.TCP, true],
  ] as const) {
    it(`300 calls through both network pids, the last one unanswered (${proto}${sealed ? ', sealed' : ''})`, async () => {
      const module = new URL('../fixtures/net_node_processes.ts', import.meta.url);
      const ready = new SharedArrayBuffer(4);
      const count = 300;
      const geometry = { sockets: 1, cores_per_socket: 2, pids_max: 16 };
      const id_a = await identity(0xaa);
      const id_b = await identity(0xbb);
      const b = await NodeHost.start({
        node: geometry,
        main_cores: [0],
        network: { core: 0, net_pid: 15, config: { node_id: 201 }, ...(sealed ? { secure: { identity: id_b } } : {}) },
        processes: [{ pid: 2, core: 1, module, entry: 'callee', args: { ready, count, exit_unanswered: true } }],
      });
      cleanup.push(() => b.close());
      const a = await NodeHost.start({
        node: geometry,
        main_cores: [0],
        network: { core: 0, net_pid: 15, config: { node_id: 200 }, ...(sealed ? { secure: { identity: id_a } } : {}) },
      });
      cleanup.push(() => a.close());
      a.network.add_remote(
        201,
        '127.0.0.1',
        b.network.port,
        proto,
        sealed ? { public_key: id_b.public_key } : undefined,
      );
      b.network.add_remote(
        200,
        '127.0.0.1',
        a.network.port,
        proto,
        sealed ? { public_key: id_a.public_key } : undefined,
      );
      a.spawn({
        pid: 3,
        core: 1,
        module,
        entry: 'caller',
        args: { ready, count, node: 201, peer: 2, last_dead: true },
      });
      const results = [...(await a.join()), ...(await b.join())];
      expect(results.map((r) => [r.ok, r.value, r.error?.message])).toEqual([
        [true, count - 1, undefined],
        [true, count - 1, undefined],
      ]);
      // Every call and reply crossed a network pid: A's worker → A's server, B's worker → B's server.
      const sa = a.network.server.stats();
      const sb = b.network.server.stats();
      expect(sa.calls).toMatchObject({ sent: count, replies_delivered: count, waiting: 0 });
      expect(sb.calls).toMatchObject({ served: count, replies_sent: count - 1, orphans_answered: 1, serving: 0 });
      expect([sa.egress, sb.egress]).toEqual([count, count - 1]);
      expect([sa.dropped, sb.dropped]).toEqual([{}, {}]);
    });
  }
});
