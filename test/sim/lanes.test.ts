// The scheduler's node lanes: each node runs ahead alone for up to the network's shortest delay,
// and every node still sees exactly what one time-ordered agenda would have shown it.
import { TRANSFER_COSTS_DEFAULT } from '../../sim/costs.js';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../kernel/assert.js';
import { Prng } from '../../sim/prng.js';
import { Scheduler } from '../../sim/scheduler.js';
import { TimeHeap } from '../../sim/time_heap.js';
import { lookahead_us, LOOKAHEAD_US_MIN, Simulator } from '../../sim/simulator.js';
import type { Scenario } from '../../sim/scenario.js';
import { swarm_scenario } from '../../sim/swarm.js';
import { scenario, shipped } from './sim_helpers.js';

/**
 * A trace as a sorted list of events, message ids renamed to (sender node, sender pid, nth send
 * of that process): ids are handed out in the order sends run, which lanes change.
 */
/** The fields of a Chrome trace event this check reads (it keeps the rest as they are). */
interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  id?: number | string;
  args: { src_pid?: number; id?: number | string; [key: string]: unknown };
}

function normalized_trace(sim: Simulator): string[] {
  const events = (JSON.parse(sim.trace_json()) as { traceEvents: TraceEvent[] }).traceEvents;
  const names = new Map<number, string>();
  const sends = new Map<string, number>();
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'send') continue;
    const from = `${e.pid}/${e.args.src_pid}`;
    const n = sends.get(from) ?? 0;
    sends.set(from, n + 1);
    names.set(e.args.id as number, `${from}#${n}`);
  }
  const name = (id: number): string => names.get(id) ?? `unsent ${id}`;
  return events
    .map((e) => {
      const c = { ...e };
      if (c.args?.id !== undefined) c.args = { ...c.args, id: name(c.args.id as number) };
      if (c.ph === 's' || c.ph === 'f') c.id = name(c.id as number);
      return JSON.stringify(c);
    })
    .sort();
}

async function run_both(s: Scenario, seed: number) {
  const out = [];
  for (const node_lanes of [true, false]) {
    const sim = new Simulator({ ...s, scheduler: { ...s.scheduler, node_lanes } }, { seed, trace: true });
    const result = await sim.run();
    out.push({ result, trace: normalized_trace(sim) });
  }
  return { lanes: out[0]!, one: out[1]! };
}

/** A hop's host work by default (costs.ts), which the lookahead adds to the shortest link delay. */
const HOP_US = TRANSFER_COSTS_DEFAULT.remote_hop_us;

describe('scheduler lanes', () => {
  it('runs each lane in time order, a window at a time, with global events as barriers', async () => {
    const scheduler = new Scheduler({ lookahead_us: 10 });
    const a = scheduler.add_lane();
    const b = scheduler.add_lane();
    expect(a.index).toBe(1);
    expect(b.index).toBe(2);
    const seen: string[] = [];
    const note = (what: string) => (): void => void seen.push(`${what}@${scheduler.now_us}`);
    for (const t of [0, 4, 9, 12, 25]) a.at(t, note(`a${t}`));
    for (const t of [1, 3, 11, 30]) b.at(t, note(`b${t}`));
    scheduler.global.at(20, note('G20'));
    await scheduler.run_until(Infinity);
    // Window [0, 10): lane a, then lane b; [11, 20), cut short by the global event; G20; [25, 35).
    expect(seen).toEqual(['a0@0', 'a4@4', 'a9@9', 'b1@1', 'b3@3', 'a12@12', 'b11@11', 'G20@20', 'a25@25', 'b30@30']);
    expect(scheduler.windows_run).toBe(3);
  });

  it('refuses an event posted into another lane before the window ends (a delay below the lookahead)', async () => {
    const scheduler = new Scheduler({ lookahead_us: 10 });
    const a = scheduler.add_lane();
    const b = scheduler.add_lane();
    let posted = false;
    a.at(2, () => {
      b.after(10, () => void (posted = true)); // 12: the window [2, 12) has ended by then.
      b.after(5, () => undefined);
    });
    await scheduler.run_until(Infinity);
    expect(scheduler.failed).toBeInstanceOf(AssertionError);
    expect(String((scheduler.failed as Error).message)).toContain('before its window ends at 12');
    expect(posted).toBe(false);
  });

  it("a link counts what it has in flight at the sender's own time (TimeHeap against a sorted list)", () => {
    const heap = new TimeHeap();
    const rng = new Prng(3, 'time-heap');
    let reference: number[] = [];
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      now += rng.float() * 4;
      const t = now + (rng.chance(0.2) ? 50 : rng.float() * 200); // Ties, and growth past the start capacity.
      heap.push(t);
      reference.push(t);
      if (rng.chance(0.3)) {
        reference = reference.filter((x) => x > now);
        expect(heap.drop_due(now)).toBe(reference.length);
        expect(heap.peek()).toBe(reference.length === 0 ? Infinity : Math.min(...reference));
      }
    }
    expect(heap.drop_due(Infinity)).toBe(0);
    expect(heap.peek()).toBe(Infinity);
  });

  it('keeps every node on the global lane with lookahead 0', () => {
    const scheduler = new Scheduler();
    expect(scheduler.add_lane()).toBe(scheduler.global);
  });

  it('takes the lookahead from the shortest delay, and uses one lane for TCP, one node, or when asked', () => {
    const udp = scenario({});
    // LINK_FAULTS_NONE: uniform 0.05–0.2 ms, and every datagram pays a hop's host work on top.
    expect(lookahead_us(udp)).toBe(50 + HOP_US);
    expect(lookahead_us(scenario({ costs: { remote_hop_us: 0 } }))).toBe(50);
    expect(lookahead_us(scenario({ network: { proto: 'tcp' } }))).toBe(0);
    expect(lookahead_us(scenario({ scheduler: { node_lanes: false } }))).toBe(0);
    expect(
      lookahead_us(
        scenario({
          faults: { link: { delay: { distribution: 'fixed', min_ms: LOOKAHEAD_US_MIN / 2000, max_ms: 1 } } },
          costs: { remote_hop_us: 0 },
        }),
      ),
    ).toBe(0);
    expect(
      lookahead_us(
        scenario({
          faults: {
            schedule: [
              { kind: 'link', at_ms: 5, set: { delay: { distribution: 'uniform', min_ms: 0.02, max_ms: 0.1 } } },
            ],
          },
        }),
      ),
    ).toBe(20 + HOP_US);
    const one = scenario({
      nodes: [{ id: 1, sockets: 1, cores_per_socket: 2 }],
      workloads: [
        { kind: 'ping_pong', client: { node: 1, core: 0, pid: 20 }, server: { node: 1, core: 1, pid: 21 }, rounds: 10 },
      ],
    });
    expect(lookahead_us(one)).toBe(0);
  });

  it('every node sees what one time-ordered agenda shows it, under loss, duplicates, reordering, partitions, crashes and skew', async () => {
    const s = scenario({
      duration_ms: 60,
      drain_ms: 200,
      nodes: [
        { id: 1, sockets: 1, cores_per_socket: 2 },
        { id: 2, sockets: 1, cores_per_socket: 2 },
        { id: 3, sockets: 2, cores_per_socket: 1 },
      ],
      workloads: [
        {
          kind: 'all_to_all',
          participants: [
            { node: 1, core: 0, pid: 20 },
            { node: 2, core: 0, pid: 21 },
            { node: 3, core: 0, pid: 22 },
          ],
          messages_per_process: 400,
          payload_bytes: 24,
          interval_us: 40,
        },
        {
          kind: 'pipeline',
          stages: [
            { node: 1, core: 1, pid: 10 },
            { node: 2, core: 1, pid: 11 },
            { node: 3, core: 1, pid: 12 },
          ],
          messages: 600,
          payload_bytes: 32,
          interval_us: 30,
        },
      ],
      faults: {
        link: {
          loss: 0.03,
          duplicate: 0.03,
          reorder: 0.1,
          reorder_delay_ms: 0.5,
          delay: { distribution: 'exponential', min_ms: 0.03, mean_ms: 0.2, max_ms: 2 },
        },
        clock_skew: { offset_ms_max: 20, drift_ppm_max: 200 },
        schedule: [
          { kind: 'partition', at_ms: 10, groups: [[1, 2], [3]] },
          { kind: 'heal', at_ms: 18 },
          { kind: 'crash', at_ms: 25, node: 2, restart_after_ms: 6, memory: 'kept' },
          { kind: 'crash', at_ms: 40, node: 3, restart_after_ms: 4, memory: 'lost' },
        ],
      },
    });
    expect(lookahead_us(s)).toBe(30 + HOP_US);
    for (const seed of [1, 2]) {
      const { lanes, one } = await run_both(s, seed);
      expect(lanes.result.ok).toBe(true);
      expect(one.result.ok).toBe(true);
      expect(lanes.result.lookahead_us).toBe(30 + HOP_US);
      expect(lanes.result.windows).toBeGreaterThan(700);
      expect(one.result.windows).toBe(0);
      expect(lanes.result.sent).toBeGreaterThan(1500);
      expect(lanes.result.drops['network.loss']).toBeGreaterThan(0);
      expect(lanes.result.drops['network.partition']).toBeGreaterThan(0);
      expect(lanes.result.crash_lost + (lanes.result.drops['network.node_down'] ?? 0)).toBeGreaterThan(0);
      // Same counts, drops, latencies and timeline, and the same events at the same instants.
      for (const key of [
        'sent',
        'delivered',
        'undelivered',
        'crash_lost',
        'duplicates_delivered',
        'drops',
        'network',
        'latency',
        'timeline',
        'events',
      ] as const) {
        expect(lanes.result[key], key).toEqual(one.result[key]);
      }
      // Mean latencies are sums taken in a different order of nodes: equal to rounding.
      const rounded = (stats: typeof one.result.latency_stats) =>
        Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { ...v, mean_us: v.mean_us.toFixed(6) }]));
      expect(rounded(lanes.result.latency_stats)).toEqual(rounded(one.result.latency_stats));
      expect(lanes.trace.length).toBe(one.trace.length);
      expect(lanes.trace).toEqual(one.trace);
    }
  });

  it('and so does the sealed shipped scenario under four swarm fault mixes', async () => {
    const base = shipped('lossy-secure-udp');
    for (const seed of [1, 2, 3, 4]) {
      const s = swarm_scenario(base, seed);
      const { lanes, one } = await run_both(s, seed);
      expect(lanes.result.ok).toBe(true);
      expect(lanes.result.lookahead_us).toBeGreaterThan(0);
      for (const key of ['sent', 'delivered', 'drops', 'secure', 'latency', 'timeline', 'events'] as const)
        expect(lanes.result[key], `seed ${seed}: ${key}`).toEqual(one.result[key]);
      expect(lanes.trace).toEqual(one.trace);
    }
  });
});
