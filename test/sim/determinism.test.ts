// The same scenario and seed give a byte-identical trace; different seeds differ; a sealed
// scenario's trace is the same on every AEAD backend.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../sim/prng.js';
import { EventQueue } from '../../sim/event_queue.js';
import { node_aead } from '../../host/net/aead_node.js';
import { SizeSplitAead } from '../../net/secure/aead.js';
import { Simulator } from '../../sim/simulator.js';
import { run, scenario, shipped } from './sim_helpers.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('determinism', () => {
  it('two runs of one seed write byte-identical traces; another seed differs', async () => {
    const s = scenario({ faults: { link: { loss: 0.05, duplicate: 0.05, reorder: 0.1, reorder_delay_ms: 1 } } });
    const a = await run(s, 7, true);
    const b = await run(s, 7, true);
    const c = await run(s, 8, true);
    expect(a.result.ok).toBe(true);
    expect(a.result.sent).toBeGreaterThan(500);
    const ha = sha256(a.sim.trace_json());
    expect(sha256(b.sim.trace_json())).toBe(ha);
    expect(b.result.trace_digest).toBe(a.result.trace_digest);
    expect(sha256(c.sim.trace_json())).not.toBe(ha);
    expect(c.result.trace_digest).not.toBe(a.result.trace_digest);
  });

  it('a sealed scenario with crashes replays exactly (handshakes from the seed)', async () => {
    const s = shipped('lossy-secure-udp');
    const a = await run(s, 3);
    const b = await run(s, 3);
    expect(a.result.ok).toBe(true);
    expect(a.result.secure!.handshakes_completed).toBeGreaterThan(0);
    expect(b.result.trace_digest).toBe(a.result.trace_digest);
    expect(b.result.drops).toEqual(a.result.drops);
  });

  it('a sealed scenario gives the same trace on every AEAD backend (they give the same bytes)', async () => {
    const s = shipped('cluster');
    const digests = new Set<string>();
    for (const aead of [undefined, node_aead, (n: number) => new SizeSplitAead(node_aead(n), node_aead(n), 32)]) {
      const sim = new Simulator(s, { seed: 5, trace: true, ...(aead === undefined ? {} : { aead }) });
      const result = await sim.run();
      expect(result.ok).toBe(true);
      expect(result.secure!.sealed_packets).toBeGreaterThan(10_000);
      digests.add(`${result.trace_digest}/${sha256(sim.trace_json())}`);
    }
    expect(digests.size).toBe(1);
  });

  it('the PRNG streams are reproducible and forks are independent', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(new Prng(43).u32()).not.toBe(xs[0]);
    expect(new Prng(42).fork('x').u32()).not.toBe(new Prng(42).fork('y').u32());
    const f = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const v = f.float();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });

  it('the agenda pops by time, then by insertion order, and skips cancelled events', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.push(5, () => seen.push('b'));
    q.push(1, () => seen.push('a'));
    const h = q.push(3, () => seen.push('x'));
    q.push(5, () => seen.push('c'));
    q.cancel(h);
    q.cancel(h); // A second cancel is ignored.
    expect(q.size).toBe(3);
    for (let fn = q.pop(); fn !== null; fn = q.pop()) fn(q.popped_arg);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('the agenda matches a stable sort of (time, insertion) over many pushes, cancels and growth, and passes each event its argument', () => {
    const q = new EventQueue();
    const rng = new Prng(7, 'agenda');
    const record = (arg: number): void => void popped.push(arg);
    const popped: number[] = [];
    const expected: { t: number; i: number }[] = [];
    const handles: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(300) + (rng.chance(0.3) ? 0.5 : 0); // Many ties, some fractions.
      handles.push(q.push(t, record, i));
      expected.push({ t, i });
    }
    const cancelled = new Set<number>();
    for (let k = 0; k < 700; k++) {
      const i = rng.int(5000);
      q.cancel(handles[i]!);
      cancelled.add(i);
    }
    expect(q.size).toBe(5000 - cancelled.size);
    // Pop half, push more (reusing freed slots), then drain.
    let last = -Infinity;
    for (let k = 0; k < 2000 && q.size > 0; k++) {
      last = q.peek_time();
      q.pop()!(q.popped_arg);
    }
    for (let i = 5000; i < 6000; i++) {
      const t = last + rng.int(50);
      q.push(t, record, i);
      expected.push({ t, i });
    }
    for (let fn = q.pop(); fn !== null; fn = q.pop()) fn(q.popped_arg);
    const order = expected
      .filter((e) => !cancelled.has(e.i))
      .sort((a, b) => a.t - b.t || a.i - b.i)
      .map((e) => e.i);
    // Events pushed after the first pops all come no earlier than what was popped: one sorted order.
    expect(popped).toEqual(order);
    expect(q.size).toBe(0);
    // A stale handle (its slot reused) cancels nothing.
    const h = q.push(1, record, -1);
    q.pop();
    const reused = q.push(2, record, -2);
    q.cancel(h);
    expect(q.size).toBe(1);
    q.cancel(reused);
    expect(q.size).toBe(0);
  });

  it('the generator gives the same words as ever for a seed and a label (a change would change every trace)', () => {
    const p = new Prng(123456789012, 'label');
    const f = p.fork('child');
    const words: number[] = [];
    for (let i = 0; i < 3; i++) words.push(p.u32(), f.u32());
    expect(words).toEqual([805457257, 2021734137, 3585837661, 2664088673, 947591517, 3790269399]);
  });
});
