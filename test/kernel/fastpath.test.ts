// The fastpath in one thread. One thread may hold several core attachments, so it can play
// every core and step through interleavings that threads would produce by chance.
import { PerformanceObserver } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { real_env } from '../../kernel/env.js';
import { ConfigError, StatusError, check } from '../../kernel/errors.js';
import { Fastpath, IpcFlags } from '../../kernel/fastpath.js';
import { Tier } from '../../kernel/layout/counter_layout.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory, message_region_bytes, type NodeConfig } from '../../kernel/node_memory.js';
import { fastpath_stats } from '../../kernel/stats.js';
import { Status } from '../../kernel/status.js';

const env = real_env(0, true);
const attached: Fastpath[] = [];

afterEach(() => {
  for (const f of attached.splice(0)) f.detach();
});

function node(config: NodeConfig = {}, with_env = env) {
  const memory = NodeMemory.create(config);
  const core = (c: number) => {
    const f = Fastpath.attach_core(memory, c, with_env);
    attached.push(f);
    return f;
  };
  return { memory, core };
}

function message(m_type: number, bytes: number[] = []): Message {
  const m = new Message();
  m.m_type = m_type;
  m.set_payload(Uint8Array.from(bytes));
  return m;
}

const tiny: NodeConfig = {
  ring_capacity_l1: 2,
  ring_capacity_l2: 2,
  ring_capacity_l3: 2,
  slab_classes: [{ block_bytes: 128, block_count: 3 }],
};

describe('tiers', () => {
  it('enters L1 on the same core, L2 on the same socket, L3 across sockets', () => {
    const { memory, core } = node(); // 2 sockets x 2 cores: cores 0,1 on socket 0; 2,3 on socket 1.
    memory.bind(1, 0);
    memory.bind(2, 0);
    memory.bind(3, 1);
    memory.bind(4, 2);
    const c0 = core(0);
    const c1 = core(1);
    const c2 = core(2);
    const r = new Message();
    expect(c0.send(1, 2, message(10))).toBe(Status.OK);
    expect(c0.send(1, 3, message(11))).toBe(Status.OK);
    expect(c0.send(1, 4, message(12))).toBe(Status.OK);
    expect(c0.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.tier, r.src_pid, r.dst_pid]).toEqual([10, Tier.L1, 1, 2]);
    expect(c1.recv(3, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.tier]).toEqual([11, Tier.L2]);
    expect(c2.recv(4, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.tier]).toEqual([12, Tier.L3]);
    const stats = fastpath_stats(memory);
    expect(stats.cores[0]!.sent).toEqual({ L1: 1, L2: 1, L3: 1, spill: 0 });
    expect(stats.hit_count).toBe(3);
    expect(stats.spill_count).toBe(0);
  });

  it('cascades L1 -> L2 -> L3 -> spill when rings are full, then back-pressures, counting each', () => {
    const { memory, core } = node(tiny);
    memory.bind(1, 0);
    memory.bind(2, 0);
    const c0 = core(0);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(c0.send(1, 2, message(i, [i])));
    // 2 in each ring, 3 spilled blocks, then nothing fits.
    expect(statuses).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0].map((_, i) => (i < 9 ? Status.OK : Status.BACKPRESSURE)));
    const stats = fastpath_stats(memory);
    expect(stats.cores[0]!.sent).toEqual({ L1: 2, L2: 2, L3: 2, spill: 3 });
    expect(stats.cores[0]!.cascaded).toBe(7);
    expect(stats.cores[0]!.backpressured).toBe(1);
    expect(stats.backpressured).toBe(1);
    expect(stats.slab.spilled_blocks).toBe(3);
    const r = new Message();
    const got: [number, number][] = [];
    while (c0.recv(2, r, IpcFlags.NONBLOCK) === Status.OK) got.push([r.m_type, r.tier]);
    expect(got.map((g) => g[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(got.map((g) => g[1])).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 3]);
    const after = fastpath_stats(memory);
    expect(after.cores[0]!.received).toEqual({ L1: 2, L2: 2, L3: 2, spill: 3 });
    expect(after.slab.spilled_blocks).toBe(0);
    expect(after.slab.classes[0]!.in_use).toBe(0);
  });

  it('never lets a later message overtake one that cascaded outward', () => {
    const { memory, core } = node(tiny);
    memory.bind(1, 0);
    memory.bind(2, 0);
    const c0 = core(0);
    const r = new Message();
    c0.send(1, 2, message(0));
    c0.send(1, 2, message(1)); // L1 full now.
    c0.send(1, 2, message(2)); // Cascades to L2.
    expect(c0.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK); // Takes 0 from L1, freeing a slot.
    c0.send(1, 2, message(3)); // Finds room in L1 again, behind 2 which sits in L2.
    const order: number[] = [r.m_type];
    while (c0.recv(2, r, IpcFlags.NONBLOCK) === Status.OK) order.push(r.m_type);
    expect(order).toEqual([0, 1, 2, 3]);
  });
});

describe('per-channel FIFO under forced cascades and spills (property)', () => {
  it('delivers every message once, in order per channel, whatever the interleaving', () => {
    // Senders: pid 10 on core 0, pid 11 on core 1, pid 12 on core 2, pid 13 on core 0.
    // Receivers: pids 1 and 2, both on core 0 (so mailboxes are exercised too).
    const senders = [10, 11, 12, 13] as const;
    const receivers = [1, 2] as const;
    type Op =
      | { kind: 'send'; sender: number; receiver: number; burst: number }
      | { kind: 'recv'; receiver: number; count: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('send' as const),
        sender: fc.nat(3),
        receiver: fc.nat(1),
        burst: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({ kind: fc.constant('recv' as const), receiver: fc.nat(1), count: fc.integer({ min: 1, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
        const memory = NodeMemory.create({
          ...tiny,
          mailbox_capacity: 2,
          slab_classes: [{ block_bytes: 128, block_count: 6 }],
        });
        const cores = [0, 1, 2].map((c) => Fastpath.attach_core(memory, c, env));
        try {
          memory.bind(1, 0);
          memory.bind(2, 0);
          memory.bind(10, 0);
          memory.bind(11, 1);
          memory.bind(12, 2);
          memory.bind(13, 0);
          const next_to_send = new Map<string, number>();
          const next_to_get = new Map<string, number>();
          let sent = 0;
          let refused = 0;
          let received = 0;
          const m = new Message();
          const r = new Message();
          const receive = (receiver: number) => {
            const status = cores[0]!.recv(receiver, r, IpcFlags.NONBLOCK);
            if (status !== Status.OK) {
              expect(status).toBe(Status.WOULD_BLOCK);
              return false;
            }
            const key = `${r.src_pid}->${r.dst_pid}`;
            expect(r.dst_pid).toBe(receiver);
            expect(r.m_type).toBe(next_to_get.get(key) ?? 0);
            expect(r.payload[0]).toBe(r.m_type & 0xff);
            next_to_get.set(key, r.m_type + 1);
            received++;
            return true;
          };
          for (const o of ops) {
            if (o.kind === 'send') {
              const src = senders[o.sender]!;
              const dst = receivers[o.receiver]!;
              const key = `${src}->${dst}`;
              for (let b = 0; b < o.burst; b++) {
                const n = next_to_send.get(key) ?? 0;
                m.m_type = n;
                m.set_payload(Uint8Array.of(n & 0xff));
                const status = cores[memory.core_of(src)]!.send(src, dst, m);
                if (status === Status.OK) {
                  next_to_send.set(key, n + 1);
                  sent++;
                } else {
                  expect(status).toBe(Status.BACKPRESSURE);
                  refused++;
                }
              }
            } else {
              for (let k = 0; k < o.count; k++) receive(receivers[o.receiver]!);
            }
          }
          for (let guard = 0; guard < 10_000; guard++) {
            const a = receive(1);
            const b = receive(2);
            if (!a && !b) break;
          }
          expect(received).toBe(sent);
          for (const [key, n] of next_to_send) expect(next_to_get.get(key) ?? 0, key).toBe(n);
          const stats = fastpath_stats(memory);
          expect(stats.hit_count + stats.spill_count).toBe(sent);
          expect(stats.backpressured).toBe(refused);
          expect(stats.slab.classes[0]!.in_use).toBe(0);
        } finally {
          for (const c of cores) c.detach();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('mailboxes', () => {
  it("parks messages for the core's other pids and counts a full mailbox as a stall", () => {
    const { memory, core } = node({ mailbox_capacity: 1 });
    memory.bind(1, 0);
    memory.bind(2, 0);
    memory.bind(3, 0);
    memory.bind(9, 1);
    const c0 = core(0);
    const c1 = core(1);
    c1.send(9, 1, message(100));
    c1.send(9, 1, message(101));
    c1.send(9, 2, message(200));
    const r = new Message();
    // pid 2's message is behind two for pid 1: the first goes to pid 1's mailbox, the second stalls.
    expect(c0.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK);
    expect(fastpath_stats(memory).cores[0]!.mailbox_stalls).toBeGreaterThan(0);
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.m_type).toBe(100);
    expect(c0.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.m_type).toBe(200);
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.tier]).toEqual([101, Tier.L2]);
    expect(c0.recv(3, r, IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK);
  });

  it("wakes a pid that went to sleep behind another pid's full mailbox once that pid takes its messages", async () => {
    // Found by the 64-node simulation: the network pid slept with its messages behind a busy
    // process's full mailbox, and nothing rang its core's doorbell again (a 1 s stall).
    const { memory, core } = node({ mailbox_capacity: 1 });
    memory.bind(1, 0);
    memory.bind(2, 0);
    memory.bind(9, 1);
    const c0 = core(0);
    const c1 = core(1);
    const r = new Message();
    const mine = new Message();
    c1.send(9, 1, message(100));
    c1.send(9, 1, message(101));
    // pid 2 sleeps: its poll moves 100 into pid 1's mailbox and stalls on 101.
    const pending = c0.recv_async(2, mine, 10_000);
    c1.send(9, 2, message(200)); // The sender rings, pid 2 polls again and stalls again.
    await Promise.resolve();
    expect(fastpath_stats(memory).cores[0]!.mailbox_stalls).toBeGreaterThan(0);
    const rung = fastpath_stats(memory).cores[0]!.doorbells_rung;
    // pid 1 takes its two messages; the second take unblocks 200, so the doorbell must ring.
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(fastpath_stats(memory).cores[0]!.doorbells_rung).toBeGreaterThan(rung);
    const t0 = performance.now();
    expect(await pending).toBe(Status.OK);
    expect(mine.m_type).toBe(200);
    expect(performance.now() - t0).toBeLessThan(5_000); // Woken, not timed out.
  });
});

describe('payload blocks (zero-copy descriptors)', () => {
  it('sends a large payload by descriptor; the receiver reads it in place and releases it once', () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    memory.bind(2, 3);
    const c0 = core(0);
    const c3 = core(3);
    const bytes = 100_000;
    const block = c0.alloc_block(bytes);
    expect(block).toBeGreaterThan(0);
    const view = c0.block_bytes(block);
    for (let i = 0; i < bytes; i++) view[i] = (i * 7) & 0xff;
    const m = new Message();
    m.m_type = 5;
    m.block_offset = block;
    m.length = bytes;
    expect(c0.send(1, 2, m)).toBe(Status.OK);
    expect(fastpath_stats(memory).slab.payload_blocks_outstanding).toBe(1);
    const r = new Message();
    expect(c3.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.block_offset).toBe(block);
    expect(r.length).toBe(bytes);
    const received = c3.block_view(r);
    expect(received.buffer).toBe(memory.region); // The same memory: zero copy.
    expect(received[99_999]).toBe((99_999 * 7) & 0xff);
    const copy = new Message().copy_from(r);
    expect(c3.release(r)).toBe(Status.OK);
    expect(c3.release(copy)).toBe(Status.STALE_BLOCK);
    const stats = fastpath_stats(memory);
    expect(stats.cores[3]!.blocks_released).toBe(1);
    expect(stats.cores[3]!.stale_releases).toBe(1);
    expect(stats.cores[0]!.descriptor_sends).toBe(1);
    expect(stats.slab.payload_blocks_outstanding).toBe(0);
  });

  it('shows a block that is never released in stats', () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    const c0 = core(0);
    const block = c0.alloc_block(10);
    const m = new Message();
    m.block_offset = block;
    m.length = 10;
    expect(c0.send(1, 1, m)).toBe(Status.OK);
    expect(c0.recv(1, new Message(), IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(fastpath_stats(memory).slab.payload_blocks_outstanding).toBe(1);
  });

  it('refuses payloads over the largest block, over their block, and stale descriptors', () => {
    const { memory, core } = node({
      slab_classes: [
        { block_bytes: 128, block_count: 1 },
        { block_bytes: 1024, block_count: 1 },
      ],
    });
    memory.bind(1, 0);
    const c0 = core(0);
    expect(c0.alloc_block(1025)).toBe(Status.TOO_BIG);
    expect(c0.alloc_block(-1)).toBe(Status.BAD_ARGUMENT);
    const block = c0.alloc_block(1000);
    const m = new Message();
    m.block_offset = block;
    m.length = 2000;
    expect(c0.send(1, 1, m)).toBe(Status.TOO_BIG);
    expect(c0.alloc_block(1000)).toBe(Status.BACKPRESSURE); // 1024 class exhausted, 128 too small.
    expect(c0.free_block(block)).toBe(Status.OK);
    m.length = 10;
    expect(c0.send(1, 1, m)).toBe(Status.STALE_BLOCK); // Freed: its descriptor is stale.
    m.block_offset = 12345;
    expect(c0.send(1, 1, m)).toBe(Status.STALE_BLOCK); // Not a block at all.
    const stats = fastpath_stats(memory).cores[0]!;
    expect(stats.rejected.too_big).toBe(2);
    expect(stats.block_alloc_failed).toBe(1);
  });
});

describe('bad input gets a typed, counted refusal', () => {
  it('refuses unknown pids, unbound pids, the wrong core, and oversized inline payloads', () => {
    const { memory, core } = node({ pids_max: 16 });
    memory.bind(1, 0);
    memory.bind(2, 1);
    const c0 = core(0);
    const m = message(1);
    expect(c0.send(99, 1, m)).toBe(Status.BAD_PID);
    expect(c0.send(-1, 1, m)).toBe(Status.BAD_PID);
    expect(c0.send(1.5, 1, m)).toBe(Status.BAD_PID);
    expect(c0.send(1, 16, m)).toBe(Status.BAD_PID);
    expect(c0.send(3, 1, m)).toBe(Status.NOT_BOUND); // Sender bound to no core.
    expect(c0.send(1, 3, m)).toBe(Status.NOT_BOUND); // Receiver bound to no core.
    expect(c0.send(2, 1, m)).toBe(Status.WRONG_CORE); // pid 2 lives on core 1.
    expect(c0.recv(2, m, IpcFlags.NONBLOCK)).toBe(Status.WRONG_CORE);
    m.length = 65;
    expect(c0.send(1, 1, m)).toBe(Status.TOO_BIG);
    expect(c0.recv(1, m, IpcFlags.NONE, -5)).toBe(Status.BAD_ARGUMENT);
    const rejected = fastpath_stats(memory).cores[0]!.rejected;
    expect(rejected).toEqual({
      bad_pid: 4,
      not_bound: 2,
      too_big: 1,
      wrong_core: 2,
      channel_full: 0,
      bad_argument: 1,
      table_full: 0,
      no_route: 0,
    });
  });

  it('turns statuses into StatusErrors with stable codes', () => {
    expect(() => check(Status.BACKPRESSURE, 'send')).toThrow(StatusError);
    try {
      check(Status.BACKPRESSURE, 'send');
    } catch (error) {
      expect(error).toBeInstanceOf(StatusError);
      expect((error as StatusError).code).toBe('ERR_LATTICE_BACKPRESSURE');
      expect((error as StatusError).retriable).toBe(true);
      expect((error as StatusError).message).toMatch(/^send: /);
    }
    expect(
      (() => {
        try {
          check(Status.BAD_PID);
        } catch (e) {
          return (e as StatusError).retriable;
        }
      })(),
    ).toBe(false);
    expect(check(Status.OK)).toBe(Status.OK);
  });

  it('refuses wrong buffer types, too-small regions and bad configuration with ConfigError codes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).code;
      }
      return 'no error';
    };
    expect(
      code(() => NodeMemory.create({ message_region: new ArrayBuffer(1 << 20) as unknown as SharedArrayBuffer })),
    ).toBe('ERR_LATTICE_BUFFER_TYPE');
    expect(code(() => NodeMemory.create({ message_region: new SharedArrayBuffer(1024) }))).toBe(
      'ERR_LATTICE_REGION_TOO_SMALL',
    );
    expect(code(() => NodeMemory.create({ ring_capacity_l1: 100 }))).toBe('ERR_LATTICE_BAD_GEOMETRY');
    expect(code(() => NodeMemory.create({ sockets: 0 }))).toBe('ERR_LATTICE_BAD_GEOMETRY');
    expect(code(() => NodeMemory.create({ slab_classes: [{ block_bytes: 100, block_count: 1 }] }))).toBe(
      'ERR_LATTICE_BAD_SLAB_CLASSES',
    );
    expect(code(() => NodeMemory.create({ slab_classes: [{ block_bytes: 64, block_count: 1 }] }))).toBe(
      'ERR_LATTICE_BAD_SLAB_CLASSES',
    );
    expect(
      code(() =>
        NodeMemory.open({
          control: new ArrayBuffer(64) as unknown as SharedArrayBuffer,
          region: new SharedArrayBuffer(64),
        }),
      ),
    ).toBe('ERR_LATTICE_BUFFER_TYPE');
    expect(
      code(() => NodeMemory.open({ control: new SharedArrayBuffer(4096), region: new SharedArrayBuffer(4096) })),
    ).toBe('ERR_LATTICE_BAD_REGION');
    const { memory, core } = node({ producers_max: 1 });
    expect(code(() => memory.bind(1, 4))).toBe('ERR_LATTICE_BAD_CORE');
    expect(code(() => memory.bind(256, 0))).toBe('ERR_LATTICE_BAD_PID');
    memory.bind(1, 0);
    expect(code(() => memory.bind(1, 1))).toBe('ERR_LATTICE_PID_BOUND');
    core(0);
    expect(code(() => Fastpath.attach_core(memory, 0, env))).toBe('ERR_LATTICE_CORE_ATTACHED');
    expect(code(() => Fastpath.attach_core(memory, 7, env))).toBe('ERR_LATTICE_BAD_CORE');
    expect(code(() => memory.set_message_region(new SharedArrayBuffer(memory.spill.region_bytes)))).toBe(
      'ERR_LATTICE_REGION_IN_USE',
    );
    attached.push(Fastpath.attach_producer(memory, env));
    expect(code(() => Fastpath.attach_producer(memory, env))).toBe('ERR_LATTICE_NO_PRODUCER_SLOT');
  });

  it('refuses new channels when the channel table is full', () => {
    const { memory, core } = node({ channels_max: 4 });
    for (let pid = 0; pid < 5; pid++) memory.bind(pid, 0);
    const c0 = core(0);
    const m = message(1);
    expect(c0.send(0, 1, m)).toBe(Status.OK);
    expect(c0.send(0, 2, m)).toBe(Status.OK);
    expect(c0.send(0, 3, m)).toBe(Status.OK);
    expect(c0.send(0, 4, m)).toBe(Status.CHANNEL_TABLE_FULL); // One entry always stays free.
    expect(c0.send(0, 1, m)).toBe(Status.OK); // Existing channels still work.
    expect(fastpath_stats(memory).cores[0]!.rejected.channel_full).toBe(1);
  });

  it('returns CLOSED to senders and receivers once the node is closing, after draining', () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    const c0 = core(0);
    c0.send(1, 1, message(1));
    memory.set_closing(env.waiter);
    const r = new Message();
    expect(c0.send(1, 1, message(2))).toBe(Status.CLOSED);
    expect(c0.recv(1, r)).toBe(Status.OK); // What was sent is still delivered.
    expect(c0.recv(1, r, IpcFlags.NONE, 10_000)).toBe(Status.CLOSED); // Returns at once, not after 10 s.
  });
});

describe('the message region', () => {
  it('accepts a user SharedArrayBuffer (set_message_region) and uses it for payloads', () => {
    const region = new SharedArrayBuffer(message_region_bytes(4) + 4096);
    const first = NodeMemory.create();
    const memory = first.set_message_region(region);
    expect(memory.region).toBe(region);
    memory.bind(1, 0);
    const c0 = Fastpath.attach_core(memory, 0, env);
    attached.push(c0);
    const block = c0.alloc_block(5000);
    new Uint8Array(region)[c0.block_data(block)] = 42;
    const m = new Message();
    m.block_offset = block;
    m.length = 5000;
    expect(c0.send(1, 1, m)).toBe(Status.OK);
    const r = new Message();
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(c0.block_view(r)[0]).toBe(42);
    const reopened = NodeMemory.open(memory.shared());
    expect(reopened.spill.region_bytes).toBe(memory.spill.region_bytes);
  });
});

describe('batches', () => {
  it('publishes a batch in order and falls back to single sends when the ring is short', () => {
    const { memory, core } = node({ ring_capacity_l1: 8, ring_capacity_l2: 4 });
    memory.bind(1, 0);
    memory.bind(2, 0);
    const c0 = core(0);
    const batch = Array.from({ length: 10 }, (_, i) => message(i, [i]));
    expect(c0.send_batch(1, 2, batch, 6)).toBe(6); // Fits L1 in one claim.
    expect(c0.send_batch(1, 2, batch.slice(6), 4)).toBe(4); // Only 2 left in L1: singles cascade.
    expect(c0.send_batch(1, 2, batch, 0)).toBe(Status.BAD_ARGUMENT);
    expect(c0.send_batch(1, 2, batch, 11)).toBe(Status.BAD_ARGUMENT);
    const r = new Message();
    const order: number[] = [];
    while (c0.recv(2, r, IpcFlags.NONBLOCK) === Status.OK) order.push(r.m_type);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(fastpath_stats(memory).cores[0]!.sent).toEqual({ L1: 8, L2: 2, L3: 0, spill: 0 });
  });
});

describe("producers (delivery from outside the node's cores)", () => {
  it('delivers a remote message at L3 with its source node', () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    const c0 = core(0);
    const producer = Fastpath.attach_producer(memory, env);
    attached.push(producer);
    const m = message(42, [1, 2, 3]);
    expect(producer.deliver_remote(7, 5, 1, m)).toBe(Status.OK);
    const r = new Message();
    expect(c0.recv(1, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.src_pid, r.src_node, r.tier]).toEqual([42, 5, 7, Tier.L3]);
    expect(fastpath_stats(memory).producers[0]!.sent.L3).toBe(1);
  });
});

describe('blocking receive', () => {
  it('times out after the requested time and counts it', () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    const c0 = core(0);
    const start = performance.now();
    expect(c0.recv(1, new Message(), IpcFlags.NONE, 30)).toBe(Status.TIMEOUT);
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    expect(fastpath_stats(memory).cores[0]!.recv_timeouts).toBe(1);
  });

  it('async receive resolves when a message arrives and times out otherwise', async () => {
    const { memory, core } = node();
    memory.bind(1, 0);
    memory.bind(2, 1);
    const c0 = core(0);
    const c1 = core(1);
    const r = new Message();
    const pending = c0.recv_async(1, r, 10_000);
    expect(c1.send(2, 1, message(77))).toBe(Status.OK);
    expect(await pending).toBe(Status.OK);
    expect(r.m_type).toBe(77);
    expect(await c0.recv_async(1, r, 20)).toBe(Status.TIMEOUT);
  });
});

describe('allocation', () => {
  it('sends and receives two million messages without a single garbage collection', async () => {
    // The production configuration: the debug switch off, as in the benchmarks.
    const { memory, core } = node({}, real_env(0, false));
    memory.bind(1, 0);
    memory.bind(2, 1);
    const c0 = core(0);
    const c1 = core(1);
    const m = message(1, [1, 2, 3, 4, 5, 6, 7, 8]);
    const r = new Message();
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        m.m_type = i;
        if (c0.send(1, 2, m) !== Status.OK) throw new Error('send');
        if (c1.recv(2, r, IpcFlags.NONBLOCK) !== Status.OK) throw new Error('recv');
      }
    };
    run(200_000); // Warm up: compile and settle inline caches.
    let collections = 0;
    const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
    observer.observe({ entryTypes: ['gc'] });
    await new Promise((resolve) => setImmediate(resolve));
    collections = 0;
    const before = process.memoryUsage().heapUsed;
    run(2_000_000);
    const growth = process.memoryUsage().heapUsed - before;
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    expect(collections).toBe(0);
    expect(growth).toBeLessThan(256 * 1024);
  });
});
