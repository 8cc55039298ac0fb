// call/reply (MINIX sendrec) and notify (seL4 notifications) in one thread: the caller uses
// call_async so the same thread can play the server.
import { PerformanceObserver } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcFlags } from '../../kernel/fastpath.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { type TestNode, drain, msg, test_node } from './kernel_helpers.js';

let node: TestNode | null = null;
afterEach(() => {
  node?.close();
  node = null;
});

const small = {
  pids_max: 32,
  channels_max: 64,
  caps_per_pid: 8,
  slab_classes: [{ block_bytes: 128, block_count: 64 }],
};

/** Client pid 1 on core 0, server pid 2 on core 1. */
function setup() {
  node = test_node(small, { 1: 0, 2: 1, 3: 0 });
  const client = node.kernel(0);
  const server = node.kernel(1);
  server.listen(2);
  client.listen(1);
  const cap = client.connect(1, 2, 0, { badge: 3 });
  return { client, server, cap };
}

describe('call and reply', () => {
  it('delivers the request with a one-shot reply capability and returns the reply', async () => {
    const { client, server, cap } = setup();
    const request = msg(10, 4);
    request.payload.set([1, 2, 3, 4]);
    const reply = new Message();
    const pending = client.call_async(1, cap, request, reply, 10_000);
    const r = new Message();
    expect(server.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.flags & SlotFlags.CALL).toBe(SlotFlags.CALL);
    expect([r.m_type, r.badge, r.src_pid]).toEqual([10, 3, 1]);
    expect(server.cap_info(2, r.cap)).toMatchObject({ kind: 'reply', target: 1 });
    const answer = msg(11, 2);
    answer.payload.set([9, 8]);
    expect(server.reply(2, r.cap, answer)).toBe(Status.OK);
    expect(server.reply(2, r.cap, answer)).toBe(Status.NO_CAP); // Consumed once.
    expect(await pending).toBe(Status.OK);
    expect([reply.m_type, reply.length, reply.payload[0], reply.payload[1], reply.src_pid]).toEqual([11, 2, 9, 8, 2]);
    expect(reply.flags & SlotFlags.REPLY).toBe(SlotFlags.REPLY);
    const stats = client.stats();
    expect(stats.cores[0]!.calls).toBe(1);
    expect(stats.cores[1]!.replies).toBe(1);
    expect(stats.cores[1]!.denied.no_cap).toBe(1);
  });

  it('ordinary messages to the caller wait in its queues while it waits for the reply', async () => {
    const { client, server, cap } = setup();
    const to_client = server.connect(2, 1);
    const reply = new Message();
    const pending = client.call_async(1, cap, msg(1), reply, 10_000);
    const r = new Message();
    server.recv(2, r, IpcFlags.NONBLOCK);
    expect(server.send(2, to_client, msg(77))).toBe(Status.OK); // Not the reply.
    server.reply(2, r.cap, msg(2));
    expect(await pending).toBe(Status.OK);
    expect(reply.m_type).toBe(2);
    expect(drain(client, 1)).toEqual([77]);
  });

  it('fails with DEAD_PEER when the server exits without replying, not a hang', async () => {
    const { client, server, cap } = setup();
    const reply = new Message();
    const start = performance.now();
    const pending = client.call_async(1, cap, msg(1), reply, 30_000);
    const r = new Message();
    expect(server.recv(2, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(server.exit(2)).toBe(Status.OK);
    expect(await pending).toBe(Status.DEAD_PEER);
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(server.reply(2, r.cap, msg(2))).toBe(Status.NO_CAP); // The exit took its reply capability.
    expect(client.stats().cores[0]!.dead_peer).toBe(1);
  });

  it('fails with DEAD_PEER at once when calling a process that has exited', () => {
    const { client, server, cap } = setup();
    server.exit(2);
    expect(client.call(1, cap, msg(1), new Message(), 30_000)).toBe(Status.DEAD_PEER);
    expect(server.recv(2, new Message(), IpcFlags.NONBLOCK)).toBe(Status.NOT_LISTENING);
  });

  it('fails with DEAD_PEER when the reply capability is revoked', async () => {
    const { client, server, cap } = setup();
    const pending = client.call_async(1, cap, msg(1), new Message(), 30_000);
    const r = new Message();
    server.recv(2, r, IpcFlags.NONBLOCK);
    expect(server.revoke(2, r.cap)).toBe(Status.OK);
    expect(await pending).toBe(Status.DEAD_PEER);
  });

  it('times out, frees the reply capability, and refuses the late reply', async () => {
    const { client, server, cap } = setup();
    const pending = client.call_async(1, cap, msg(1), new Message(), 20);
    const r = new Message();
    server.recv(2, r, IpcFlags.NONBLOCK);
    expect(await pending).toBe(Status.TIMEOUT);
    expect(server.reply(2, r.cap, msg(2))).toBe(Status.NO_CAP);
    expect(server.cap_list(2)).toEqual([]);
  });

  it('refuses a reply to a caller that gave up, even with a live capability', async () => {
    const { client, server, cap } = setup();
    const reply = new Message();
    const first = client.call_async(1, cap, msg(1), reply, 10_000);
    const r = new Message();
    server.recv(2, r, IpcFlags.NONBLOCK);
    server.reply(2, r.cap, msg(5));
    expect(await first).toBe(Status.OK);
    // A forged reply for the finished call: the capability is gone.
    expect(server.reply(2, r.cap, msg(6))).toBe(Status.NO_CAP);
    expect(reply.m_type).toBe(5);
  });

  it('refuses calls without a capability or over a closed channel', () => {
    const { client, cap } = setup();
    expect(client.call(1, 9999, msg(1), new Message(), 10)).toBe(Status.NO_CAP);
    client.close(client.find(1, 2));
    expect(client.call(1, cap, msg(1), new Message(), 10)).toBe(Status.STALE_CHANNEL);
    expect(client.call(1, cap, msg(1), new Message(), -1)).toBe(Status.BAD_ARGUMENT);
  });
});

describe('notify', () => {
  it('coalesces notifications into one word, seen before ordinary messages', () => {
    node = test_node(small, { 1: 0, 2: 0, 3: 1 });
    const k = node.kernel(0);
    const k1 = node.kernel(1);
    k1.listen(3);
    const a = k.connect(1, 3, 0, { badge: 0b001 });
    const b = k.connect(2, 3, 0, { badge: 0b100 });
    expect(k.send(1, a, msg(50))).toBe(Status.OK);
    expect(k.notify(1, a)).toBe(Status.OK);
    expect(k.notify(2, b)).toBe(Status.OK);
    expect(k.notify(2, b)).toBe(Status.OK);
    const r = new Message();
    expect(k1.recv(3, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect(r.flags & SlotFlags.NOTIFY).toBe(SlotFlags.NOTIFY);
    expect(r.badge).toBe(0b101);
    expect(k1.recv(3, r, IpcFlags.NONBLOCK)).toBe(Status.OK);
    expect([r.m_type, r.flags & SlotFlags.NOTIFY]).toEqual([50, 0]);
    expect(k1.recv(3, r, IpcFlags.NONBLOCK)).toBe(Status.WOULD_BLOCK);
    const stats = k.stats();
    expect(stats.cores[0]!.notifies_sent).toBe(3);
    expect(stats.cores[1]!.notifies_received).toBe(1);
  });

  it('takes explicit bits, refuses zero bits, and wakes a waiting receiver', async () => {
    node = test_node(small, { 1: 0, 3: 1 });
    const k = node.kernel(0);
    const k1 = node.kernel(1);
    k1.listen(3);
    const a = k.connect(1, 3);
    expect(k.notify(1, a)).toBe(Status.BAD_ARGUMENT); // Unbadged and no bits given.
    const r = new Message();
    const waiting = k1.recv_async(3, r, 10_000);
    expect(k.notify(1, a, 1 << 30)).toBe(Status.OK);
    expect(await waiting).toBe(Status.OK);
    expect(r.badge).toBe(1 << 30);
  });

  it('never allocates', async () => {
    node = test_node(small, { 1: 0, 3: 1 });
    const k = node.kernel(0);
    const k1 = node.kernel(1);
    k1.listen(3);
    const a = k.connect(1, 3, 0, { badge: 1 });
    const r = new Message();
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        if (k.notify(1, a) !== Status.OK) throw new Error('notify');
        if (k1.recv(3, r, IpcFlags.NONBLOCK) !== Status.OK) throw new Error('recv');
      }
    };
    run(100_000);
    let collections = 0;
    const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
    observer.observe({ entryTypes: ['gc'] });
    await new Promise((resolve) => setImmediate(resolve));
    collections = 0;
    run(1_000_000);
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    expect(collections).toBe(0);
  });
});
