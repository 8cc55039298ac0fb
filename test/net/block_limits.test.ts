// The frame limit covers every header: a message carrying a full 1 MiB block crosses the network
// over TCP, clear and sealed, byte for byte, at the default `frame_bytes_max`. What is over a
// limit is refused at the sender with a status the sending process sees (TOO_BIG), counted where
// it was refused, and never queued to fail later: a block to a UDP peer (over `mtu_bytes`), and a
// block over a smaller `frame_bytes_max`, sealed or clear.
import { afterEach, describe, expect, it } from 'vitest';
import { real_env } from '../../kernel/env.js';
import { Fastpath } from '../../kernel/fastpath.js';
import { Kernel } from '../../kernel/kernel.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory, type NodeConfig } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import { node_net_env } from '../../host/net/node_net.js';
import { Proto, type NetConfig } from '../../net/driver.js';
import { NodeNetwork } from '../../net/node_network.js';
import { Identity } from '../../net/secure/identity.js';
import { seeded_random } from '../../net/secure/random.js';
import { FRAME_BYTES_MAX_DEFAULT, PACKET_OVERHEAD_BYTES_MAX } from '../../net/wire_layout.js';
import { RM_CALL_HEADER_BYTES } from '../../net/remote_message.js';
import { RECORD_LENGTH_BYTES, SEALED_HEADER_BYTES } from '../../net/secure/secure_layout.js';
import { AEAD_TAG_BYTES } from '../../net/secure/suite.js';
import { load_suite } from './secure/scripted_pair.js';

const MiB = 1 << 20;
const NODE_CONFIG: NodeConfig = {
  sockets: 1,
  cores_per_socket: 1,
  pids_max: 8,
  channels_max: 32,
  slab_classes: [
    { block_bytes: 128, block_count: 64 },
    { block_bytes: MiB, block_count: 4 },
  ],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

interface Node {
  readonly kernel: Kernel;
  readonly network: NodeNetwork;
  readonly identity: Identity | null;
}

async function node(node_id: number, sealed: boolean, config: NetConfig = {}): Promise<Node> {
  const memory = NodeMemory.create(NODE_CONFIG);
  memory.bind(1, 0);
  const kernel = new Kernel(Fastpath.attach_core(memory, 0, real_env(0, true)));
  const suite = sealed ? await load_suite() : null;
  const identity = suite === null ? null : Identity.from_seed(suite, new Uint8Array(32).fill(node_id));
  const network = await NodeNetwork.start({
    kernel,
    env: node_net_env({ interfaces: {}, hostname: 'test-host' }),
    config: { node_id, ...config },
    secure:
      suite === null || identity === null
        ? null
        : { suite, identity, random: seeded_random(`block/${node_id}`), clock: { now_ms: () => Date.now() } },
  });
  cleanup.push(async () => {
    await network.close();
    await kernel.fastpath.close();
  });
  kernel.listen(1);
  return { kernel, network, identity };
}

async function pair(proto: Proto, sealed: boolean, config: NetConfig = {}): Promise<[Node, Node]> {
  const a = await node(1, sealed, config);
  const b = await node(2, sealed, config);
  const keys = (n: Node) => (n.identity === null ? undefined : { public_key: n.identity.public_key });
  a.network.add_remote(2, '127.0.0.1', b.network.port, proto, keys(b));
  b.network.add_remote(1, '127.0.0.1', a.network.port, proto, keys(a));
  return [a, b];
}

/** A message from pid 1 carrying a block of `bytes` filled with a pattern. */
function block_message(kernel: Kernel, bytes: number): Message {
  const block = kernel.alloc_block(bytes);
  expect(block).toBeGreaterThan(0);
  const view = kernel.block_bytes(block);
  for (let i = 0; i < bytes; i++) view[i] = (i * 31 + (i >>> 8)) & 0xff;
  const m = new Message();
  m.m_type = 7;
  m.block_offset = block;
  m.length = bytes;
  return m;
}

describe('the frame limit', () => {
  it('covers every header around a 1 MiB block: remote call header, sealed header and tag', () => {
    expect(PACKET_OVERHEAD_BYTES_MAX).toBe(
      RM_CALL_HEADER_BYTES + SEALED_HEADER_BYTES + RECORD_LENGTH_BYTES + AEAD_TAG_BYTES,
    );
    expect(FRAME_BYTES_MAX_DEFAULT).toBe(MiB + 104);
  });

  for (const sealed of [false, true]) {
    it(`lets a full 1 MiB block cross over TCP ${sealed ? 'sealed' : 'clear'}, byte for byte`, async () => {
      const [a, b] = await pair(Proto.TCP, sealed);
      const cap = a.kernel.connect(1, 1, 2);
      const m = block_message(a.kernel, MiB);
      expect(a.kernel.send(1, cap, m)).toBe(Status.OK);
      const got = new Message();
      expect(await b.kernel.recv_async(1, got, 10_000)).toBe(Status.OK);
      expect([got.m_type, got.length, got.src_node]).toEqual([7, MiB, 1]);
      const view = b.kernel.block_view(got);
      let wrong = 0;
      for (let i = 0; i < MiB; i++) if (view[i] !== ((i * 31 + (i >>> 8)) & 0xff)) wrong++;
      expect(wrong).toBe(0);
      b.kernel.fastpath.release(got);
      const stats = a.network.stats();
      expect(stats.server.send_refused).toEqual({});
      if (sealed) expect(stats.secure?.dropped).toEqual({});
    });

    it(`refuses a block over the limit at the sender with TOO_BIG (${sealed ? 'sealed' : 'clear'}), counted`, async () => {
      // A UDP peer: a frame is at most mtu_bytes − 48 = 1452 bytes, so a 4 KiB block cannot go.
      const [a] = await pair(Proto.UDP, sealed);
      const cap = a.kernel.connect(1, 1, 2);
      const m = block_message(a.kernel, 4096);
      expect(a.kernel.send(1, cap, m)).toBe(Status.TOO_BIG);
      expect(a.kernel.fastpath.free_block(m.block_offset)).toBe(Status.OK); // Still the sender's.
      expect(a.network.stats().server.send_refused).toEqual({ message_too_large: 1 });
      const port = sealed ? a.network.stats().secure?.refused : a.network.stats().driver.refused;
      expect(port).toEqual({ message_too_large: 1 });
      // Nothing was queued to fail later, and nothing left.
      if (sealed) expect(a.network.stats().secure?.dropped).toEqual({});
      expect(a.network.stats().driver.packets_sent).toBe(0);
    });
  }

  it('refuses, sealed, what the frame limit does not hold before any handshake starts', async () => {
    const [a, b] = await pair(Proto.TCP, true, { frame_bytes_max: 64 * 1024 });
    const cap = a.kernel.connect(1, 1, 2);
    // 64 KiB − 96 fits exactly (a DATA message: 36 + 24 sealed header + 4 record length + 16 tag + 16 frame header); one byte more does not.
    const fits = block_message(a.kernel, 64 * 1024 - 96);
    const over = block_message(a.kernel, 64 * 1024 - 95);
    expect(a.kernel.send(1, cap, over)).toBe(Status.TOO_BIG);
    expect(a.network.stats().secure?.handshakes_started ?? 0).toBe(0);
    expect(a.kernel.send(1, cap, fits)).toBe(Status.OK);
    a.kernel.fastpath.free_block(over.block_offset);
    const got = new Message();
    expect(await b.kernel.recv_async(1, got, 10_000)).toBe(Status.OK);
    expect(got.length).toBe(64 * 1024 - 96);
    b.kernel.fastpath.release(got);
  });
});
