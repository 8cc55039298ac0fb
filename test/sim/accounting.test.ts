// Exact accounting (sim/message_fates.ts): every message sent is delivered, dropped for one named
// reason, lost in a crash, or in flight, message by message; a drop site that forgets which
// message it destroyed fails the run, naming the message and where it was last seen.
import { describe, expect, it } from 'vitest';
import { MessageFates, Stage, type FateLedger } from '../../sim/message_fates.js';
import type { SimResult } from '../../sim/simulator.js';
import { swarm_scenario } from '../../sim/swarm.js';
import { run, scenario, shipped } from './sim_helpers.js';

interface TraceEvent {
  readonly ph: string;
  readonly cat?: string;
  readonly name: string;
  readonly id?: number;
  readonly args?: { readonly id: number; readonly reason: string };
}

/** The equation, term by term, and its terms against the result's own counts. */
function expect_exact(result: SimResult, label: string): void {
  const a = result.accounting;
  expect(a.sent, label).toBe(result.sent);
  expect(a.delivered, label).toBe(result.delivered);
  expect(a.sent, label).toBe(a.delivered + a.dropped_total + a.lost_in_crash + a.in_flight_total);
  expect(
    Object.values(a.dropped).reduce((x, y) => x + y, 0),
    label,
  ).toBe(a.dropped_total);
}

describe('exact accounting', () => {
  it('holds message by message on a sealed network with loss, corruption, duplicates and a partition', async () => {
    const { result } = await run(shipped('lossy-secure-udp'), 1);
    expect(result.violation).toBeNull();
    expect_exact(result, 'lossy-secure-udp');
    // Every message not delivered is named under the drop that destroyed it.
    expect(result.accounting.dropped_total).toBe(result.undelivered);
    expect(result.accounting.dropped['network.partition']).toBeGreaterThan(0);
    expect(result.accounting.dropped['network.loss']).toBeGreaterThan(0);
    expect(result.accounting.dropped['network.corrupted']).toBeGreaterThan(0);
    // The layers' counters count packets (handshakes and replayed duplicates too), not messages.
    expect(result.drops['secure.dropped.replay']).toBeGreaterThan(0);
    expect(result.accounting.dropped['secure.replay']).toBeUndefined();
  });

  it('follows a message through the network layers and the wire, to its delivery or its drop', async () => {
    const { result } = await run(shipped('lossy-secure-udp'), 1);
    const remote = result.followed.filter((m) => m.from.split(' pid')[0] !== m.to.split(' pid')[0]);
    const delivered = remote.find((m) => m.delivered_ms !== null)!;
    expect(delivered.path.map((p) => p.what)).toEqual([
      "taken by its sender's network server",
      'on the wire',
      "arrived at its receiver's network layers",
      "entered its receiver's kernel",
    ]);
    const times = delivered.path.map((p) => p.at_ms);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(delivered.sent_ms);
    expect(times[3]).toBeLessThanOrEqual(delivered.delivered_ms!);
    const dropped = remote.find((m) => m.delivered_ms === null)!;
    expect(dropped.outcome).toMatch(/^dropped at [\d.]+ ms: network\./);
    expect(dropped.path[dropped.path.length - 1]!.what).toMatch(/^dropped: network\./);
  });

  it("ends each dropped message's flow in the trace at its drop, with its id and reason", async () => {
    const { result, sim } = await run(shipped('lossy-secure-udp'), 1, true);
    const events = (JSON.parse(sim.trace_json()) as { traceEvents: TraceEvent[] }).traceEvents;
    const drops = events.filter((e) => e.cat === 'drop');
    // A drop event per message dropped (the layers' packet drops, replays and handshakes, are not
    // messages), and one more at most per copy the network made: a copy dropped at the receiver
    // while the other went on.
    expect(drops.length).toBeGreaterThanOrEqual(result.accounting.dropped_total);
    expect(drops.length).toBeLessThanOrEqual(result.accounting.dropped_total + result.network.duplicated);
    expect(result.accounting.dropped_total).toBeGreaterThan(100);
    const ends = new Set(events.filter((e) => e.ph === 'f').map((e) => e.id));
    const sent = new Set(events.filter((e) => e.ph === 's').map((e) => e.id));
    for (const d of drops) {
      expect(d.name).toBe(`drop: ${d.args!.reason}`);
      expect(sent.has(d.args!.id)).toBe(true); // The flow began at its send ...
      expect(ends.has(d.args!.id)).toBe(true); // ... and ends here.
    }
  });

  it('counts what a crash on fresh memory takes with it, and nothing twice', async () => {
    const { result } = await run(shipped('crash-restart'), 1);
    expect(result.violation).toBeNull();
    expect_exact(result, 'crash-restart');
    expect(result.accounting.lost_in_crash).toBeGreaterThan(0);
    expect(result.crash_lost).toBe(result.accounting.lost_in_crash);
  });

  it('holds on a swarm of fault mixes, with losses in every run', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const { result } = await run(swarm_scenario(shipped('remote-calls'), seed), seed);
      expect(result.violation, `seed ${seed}`).toBeNull();
      expect_exact(result, `seed ${seed}`);
      expect(result.accounting.dropped_total + result.accounting.lost_in_crash, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it('fails when a drop site counts a drop but forgets which message it destroyed', async () => {
    const s = shipped('cluster');
    const forgetful = { ...s, faults: { ...s.faults, sabotage: { ...s.faults.sabotage, forget_drop: 0.05 } } };
    const { result } = await run(forgetful, 1);
    // The layers' counters still cover every loss (the inequality checked before would hold) ...
    expect(result.drops_total).toBeGreaterThanOrEqual(result.undelivered - result.crash_lost);
    // ... but some messages are placed where no count holds them: the check names one, and where it was.
    expect(result.violation?.invariant).toBe('silent_loss');
    expect(result.violation?.message).toMatch(
      /in node \d's network layers, which hold \d+; the oldest there: id \d+ node \d pid \d+ → node \d pid \d+ .*last seen in its (sender|receiver)'s network layers \(node \d\) since [\d.]+ ms/,
    );
    // The wire itself is the simulator's: the sabotage leaves its reports alone.
    const lossy = {
      network: { proto: 'udp', secure: true },
      faults: { link: { loss: 0.1 }, sabotage: { forget_drop: 1 } },
    };
    const wire_only = (await run(scenario(lossy), 3)).result;
    expect(wire_only.violation).toBeNull();
    expect(wire_only.accounting.dropped['network.loss']).toBeGreaterThan(10);
  });
});

/** A ledger of `n` committed messages from node 1 to node 2 (pid 10). */
function fake_ledger(n: number): FateLedger {
  return {
    next_id_value: n + 1,
    committed: (id) => id >= 1 && id <= n,
    sent_at_us: () => 0,
    src_node_of: () => 1,
    dst_node_of: () => 2,
    dst_pid_of: () => 10,
    by_reply_of: () => false,
  };
}

describe('message fates', () => {
  const clock = { now_us: 0 };

  it('follows the first copy of a duplicate; a ghost copy changes nothing', () => {
    const f = new MessageFates(fake_ledger(1), clock);
    f.committed(1);
    f.taken(1);
    f.on_wire(1, 2);
    expect(f.stage_of(1)).toBe(Stage.WIRE);
    f.arrived(1);
    expect(f.stage_of(1)).toBe(Stage.NET_DST);
    f.wire_lost(1, 'loss'); // The second copy is lost: the message is not.
    expect(f.stage_of(1)).toBe(Stage.NET_DST);
    f.entered(1);
    f.delivered(1);
    f.lost(1, 'server', 'queue_dropped_oldest'); // A ghost dropped after the delivery.
    expect(f.stage_of(1)).toBe(Stage.DELIVERED);
  });

  it('a drop counts only where the message is: a copy dropped at the receiver once the message entered its kernel changes nothing', () => {
    const f = new MessageFates(fake_ledger(2), clock);
    for (const id of [1, 2]) {
      f.committed(id);
      f.taken(id);
      f.on_wire(id, 2);
      f.arrived(id);
    }
    f.entered(1);
    f.lost_at(2, 1, 'server', 'late_reply'); // The second copy, at node 2: message 1 is in the kernel.
    expect(f.stage_of(1)).toBe(Stage.KERNEL_DST);
    f.lost_at(1, 2, 'server', 'queue_dropped_oldest'); // Reported by the wrong node: not where it is.
    expect(f.stage_of(2)).toBe(Stage.NET_DST);
    f.lost_at(2, 2, 'server', 'queue_dropped_oldest');
    expect(f.stage_of(2)).toBe(Stage.DROPPED);
  });

  it('loses a message on the wire only with its last copy, under the first reason', () => {
    const f = new MessageFates(fake_ledger(1), clock);
    f.committed(1);
    f.taken(1);
    f.on_wire(1, 2);
    f.wire_lost(1, 'loss');
    expect(f.stage_of(1)).toBe(Stage.WIRE);
    f.wire_lost(1, 'partition');
    expect(f.stage_of(1)).toBe(Stage.DROPPED);
    f.lost(1, 'secure', 'auth_failed');
    expect(f.account(2, () => true).dropped).toEqual({ 'network.partition': 1 });
  });

  it('takes a failed TCP write back to the sender, and a copy that arrives later gives a second chance', () => {
    const f = new MessageFates(fake_ledger(1), clock);
    f.committed(1);
    f.taken(1);
    f.on_wire(1, 1);
    f.wire_returned(1);
    expect(f.stage_of(1)).toBe(Stage.NET_SRC);
    f.on_wire(1, 1);
    f.arrived(1);
    f.lost(1, 'server', 'no_such_pid');
    f.arrived(1); // A retried batch's copy.
    expect(f.stage_of(1)).toBe(Stage.NET_DST);
  });

  it('a changed copy that enters after its message was lost does not bring it back', () => {
    const f = new MessageFates(fake_ledger(1), clock);
    f.committed(1);
    f.taken(1);
    f.lost(1, 'network', 'corrupted');
    f.entered(1);
    expect(f.stage_of(1)).toBe(Stage.DROPPED);
  });

  it('a crash takes what the node held: its network layers always, its kernel unless the memory is kept', () => {
    const f = new MessageFates(fake_ledger(4), clock);
    for (let id = 1; id <= 4; id++) f.committed(id);
    f.taken(2); // In node 1's network layers.
    f.taken(3);
    f.on_wire(3, 1); // On the wire: not in node 1.
    f.taken(4);
    f.on_wire(4, 1);
    f.arrived(4); // In node 2.
    expect(f.crash(1, true, 5)).toBe(1); // Kept memory: message 1 stays in the rings.
    expect([1, 2, 3, 4].map((id) => f.stage_of(id))).toEqual([
      Stage.KERNEL_SRC,
      Stage.CRASHED,
      Stage.WIRE,
      Stage.NET_DST,
    ]);
    expect(f.crash(1, false, 5)).toBe(1);
    expect(f.stage_of(1)).toBe(Stage.CRASHED);
    const a = f.account(5, (node) => node !== 2); // Node 2 is down at the end: message 4 is lost with it.
    expect(a).toMatchObject({ sent: 4, lost_in_crash: 3, in_flight: { kernel: 0, network: 0, wire: 1 } });
  });
});
