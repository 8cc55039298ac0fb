// Staging and submit: delivery follows the dependency order of the submitted channels, later
// sends never overtake staged ones, closing a parent releases its children and drops (and
// counts) its own staged messages; and a property test over random operation sequences.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcFlags } from '../../kernel/fastpath.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { type TestNode, drain, msg, test_node } from './kernel_helpers.js';

let node: TestNode | null = null;
afterEach(() => {
  node?.close();
  node = null;
});

const small = {
  pids_max: 64,
  channels_max: 64,
  caps_per_pid: 8,
  slab_classes: [{ block_bytes: 128, block_count: 256 }],
};

/** A node where pids 10.. send to pid 1 (core 1), each over its own channel. */
function setup(senders: number) {
  const bindings: Record<number, number> = { 1: 1 };
  for (let i = 0; i < senders; i++) bindings[10 + i] = i % 2 === 0 ? 0 : 2;
  node = test_node(small, bindings);
  const receiver = node.kernel(1);
  receiver.listen(1);
  const caps: number[] = [];
  const chans: number[] = [];
  for (let i = 0; i < senders; i++) {
    const k = node.kernel(i % 2 === 0 ? 0 : 2);
    caps.push(k.connect(10 + i, 1));
    chans.push(k.find(10 + i, 1));
  }
  const send = (i: number, m_type: number, flags: number = IpcFlags.STAGE) =>
    node!.kernel(i % 2 === 0 ? 0 : 2).send(10 + i, caps[i]!, msg(m_type), flags);
  return { k: node.kernel(0), receiver, caps, chans, send };
}

describe('submit', () => {
  it('holds staged messages until submit', () => {
    const { k, receiver, chans, send } = setup(1);
    expect(send(0, 1)).toBe(Status.OK);
    expect(send(0, 2)).toBe(Status.OK);
    expect(drain(receiver, 1)).toEqual([]);
    expect(k.channel_info(chans[0]!)!.staged).toBe(2);
    expect(k.submit(chans[0]!)).toBe(Status.OK);
    expect(drain(receiver, 1)).toEqual([1, 2]);
    expect(k.channel_info(chans[0]!)!.staged).toBe(0);
  });

  it('releases a child only after its parent, whatever order they are submitted in', () => {
    const { k, receiver, chans, send } = setup(2);
    const [parent, child] = chans as [number, number];
    expect(k.add_dep(parent, child)).toBe(Status.OK);
    send(0, 100);
    send(1, 200);
    send(1, 201);
    expect(k.submit(child)).toBe(Status.OK);
    expect(drain(receiver, 1)).toEqual([]); // Its parent has staged messages not yet released.
    expect(k.submit(parent)).toBe(Status.OK);
    expect(drain(receiver, 1)).toEqual([100, 200, 201]);
    const stats = k.stats();
    expect(stats.cores[0]!.staged + stats.cores[2]!.staged).toBe(3);
  });

  it('does not wait for what the parent stages after the child was submitted', () => {
    const { k, receiver, chans, send } = setup(2);
    const [parent, child] = chans as [number, number];
    k.add_dep(parent, child);
    send(1, 200);
    k.submit(child); // The parent had nothing staged: the child goes at once.
    expect(drain(receiver, 1)).toEqual([200]);
    send(0, 100);
    send(1, 201);
    k.submit(child);
    expect(drain(receiver, 1)).toEqual([]); // Now the parent has a staged message first.
    k.submit(parent);
    expect(drain(receiver, 1)).toEqual([100, 201]);
  });

  it('keeps per-channel FIFO: a send after staged ones is staged behind them', () => {
    const { k, receiver, chans, send } = setup(1);
    send(0, 1);
    expect(send(0, 2, IpcFlags.NONE)).toBe(Status.OK); // Not asked to stage, but must not overtake 1.
    expect(drain(receiver, 1)).toEqual([]);
    k.submit(chans[0]!);
    expect(send(0, 3, IpcFlags.NONE)).toBe(Status.OK); // Nothing staged any more: goes straight.
    expect(drain(receiver, 1)).toEqual([1, 2, 3]);
  });

  it('releases a chain in order when its root is submitted last', () => {
    const { k, receiver, chans, send } = setup(4);
    for (let i = 0; i + 1 < 4; i++) expect(k.add_dep(chans[i]!, chans[i + 1]!)).toBe(Status.OK);
    for (let i = 3; i >= 0; i--) {
      send(i, i * 10);
      send(i, i * 10 + 1);
    }
    for (let i = 3; i >= 1; i--) k.submit(chans[i]!);
    expect(drain(receiver, 1)).toEqual([]);
    k.submit(chans[0]!);
    expect(drain(receiver, 1)).toEqual([0, 1, 10, 11, 20, 21, 30, 31]);
  });

  it('closing a parent drops its staged messages (counted) and frees the children to go', () => {
    const { k, receiver, chans, send } = setup(2);
    const [parent, child] = chans as [number, number];
    k.add_dep(parent, child);
    send(0, 100);
    send(0, 101);
    send(1, 200);
    k.submit(child);
    expect(drain(receiver, 1)).toEqual([]);
    expect(k.close(parent)).toBe(Status.OK);
    expect(drain(receiver, 1)).toEqual([200]);
    expect(k.stats().cores[0]!.staged_dropped).toBe(2);
    expect(k.stats().slab.spilled_blocks).toBe(0); // Dropped blocks were freed.
    expect(k.submit(parent)).toBe(Status.STALE_CHANNEL);
  });

  it('back-pressures staging when the slab is full, and stages nothing then', () => {
    node = test_node({ ...small, slab_classes: [{ block_bytes: 128, block_count: 2 }] }, { 1: 0, 2: 0 });
    const k = node.kernel(0);
    k.listen(2);
    const cap = k.connect(1, 2);
    expect(k.send(1, cap, msg(1), IpcFlags.STAGE)).toBe(Status.OK);
    expect(k.send(1, cap, msg(2), IpcFlags.STAGE)).toBe(Status.OK);
    expect(k.send(1, cap, msg(3), IpcFlags.STAGE)).toBe(Status.BACKPRESSURE);
    k.submit(k.find(1, 2));
    expect(drain(k, 2)).toEqual([1, 2]);
  });
});

describe('delivery follows the dependency order (property)', () => {
  type Op =
    | { kind: 'stage'; c: number }
    | { kind: 'send'; c: number }
    | { kind: 'submit'; c: number }
    | { kind: 'dep'; p: number; c: number }
    | { kind: 'close'; c: number }
    | { kind: 'drain' };
  const n = 5;
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('stage' as const), c: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('send' as const), c: fc.nat(n - 1) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('submit' as const), c: fc.nat(n - 1) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('dep' as const), p: fc.nat(n - 1), c: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), c: fc.nat(n - 1) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'drain' as const }) },
  );

  it("delivers everything staged on a parent before a child's submit before that child's batch", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { k, receiver, chans, caps } = setup(n);
        const handles = [...chans];
        const sender = (c: number) => node!.kernel(c % 2 === 0 ? 0 : 2);
        // Message ids: channel * 1000 + n-th message of the channel.
        const sent = Array.from({ length: n }, () => [] as number[]);
        const incarnation = Array.from({ length: n }, () => 0);
        const constraints: [number[], number[]][] = []; // [must come first, then these]
        const edges = new Set<string>();
        const delivered: number[] = [];
        let dropped = 0;
        const live = (c: number) => handles[c]! >= 0;
        const drain_all = () => {
          const r = new Message();
          while (receiver.recv(1, r, IpcFlags.NONBLOCK) === Status.OK) delivered.push(r.m_type);
        };
        for (const o of ops) {
          if (o.kind === 'stage' || o.kind === 'send') {
            if (!live(o.c)) continue;
            const id = o.c * 1000 + incarnation[o.c]! * 100 + sent[o.c]!.length;
            const status = sender(o.c).send(
              10 + o.c,
              caps[o.c]!,
              msg(id),
              o.kind === 'stage' ? IpcFlags.STAGE : IpcFlags.NONE,
            );
            expect(status).toBe(Status.OK);
            sent[o.c]!.push(id);
          } else if (o.kind === 'submit') {
            if (!live(o.c)) continue;
            const before: number[] = [];
            for (const e of edges) {
              const [p, c] = e.split('>').map(Number) as [number, number];
              if (c === o.c) before.push(...sent[p]!);
            }
            // The batch is what is staged and unreleased: the channel's last `staged` messages
            // (a message sent while any is staged is staged too, so they are the newest).
            const staged = k.channel_info(handles[o.c]!)!.staged;
            constraints.push([before, sent[o.c]!.slice(sent[o.c]!.length - staged)]);
            expect(k.submit(handles[o.c]!)).toBe(Status.OK);
          } else if (o.kind === 'dep') {
            if (!live(o.p) || !live(o.c)) continue;
            const status = k.add_dep(handles[o.p]!, handles[o.c]!);
            if (status === Status.OK) edges.add(`${o.p}>${o.c}`);
            else expect(status).toBe(Status.CYCLE);
          } else if (o.kind === 'close') {
            if (!live(o.c)) continue;
            drain_all();
            const undelivered = sent[o.c]!.filter((id) => !delivered.includes(id));
            const staged = k.channel_info(handles[o.c]!)!.staged;
            expect(staged).toBeLessThanOrEqual(undelivered.length);
            dropped += staged;
            expect(k.close(handles[o.c]!)).toBe(Status.OK);
            for (const e of [...edges]) if (e.startsWith(`${o.c}>`) || e.endsWith(`>${o.c}`)) edges.delete(e);
            // Reopen as a new incarnation, so the sequence goes on with fresh ids.
            caps[o.c] = sender(o.c).connect(10 + o.c, 1);
            handles[o.c] = k.find(10 + o.c, 1);
            incarnation[o.c]!++;
            sent[o.c] = sent[o.c]!.filter((id) => delivered.includes(id));
          } else {
            drain_all();
          }
        }
        // Submit every channel, parents first (a topological order), and collect the rest.
        const indexes = handles.map((h) => h & 0xfffff);
        for (let round = 0; round < n; round++) for (const h of handles) k.submit(h);
        expect(k.graph.check()).toEqual([]);
        drain_all();
        // Nothing lost: all that was sent on a live incarnation arrived, in order per channel.
        for (let c = 0; c < n; c++) {
          const got = delivered.filter(
            (id) => Math.floor(id / 1000) === c && Math.floor((id % 1000) / 100) === incarnation[c],
          );
          expect(got).toEqual(sent[c]!.filter((id) => Math.floor((id % 1000) / 100) === incarnation[c]));
        }
        expect(k.stats().cores.reduce((s, core) => s + core.staged_dropped, 0)).toBe(dropped);
        // Every constraint recorded at a submit holds in the delivery order.
        const position = new Map(delivered.map((id, i) => [id, i]));
        for (const [first, then] of constraints) {
          for (const a of first) {
            for (const b of then) {
              if (position.has(a) && position.has(b))
                expect(position.get(a)!, `${a} before ${b}`).toBeLessThan(position.get(b)!);
            }
          }
        }
        expect(indexes.length).toBe(n);
        node!.close();
        node = null;
      }),
      { numRuns: 200 },
    );
  });
});
