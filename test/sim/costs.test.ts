// The simulator's cost model (sim/costs.ts): a receipt costs its receiver the transfer of the
// tier that carried it, a remote hop adds its host work, and a wake from the sleeper's own core
// costs less than one from another core. With the measured defaults, the tiers scenario's
// latencies rank L1 < L2 < L3 < spill; changing a tier's cost moves its latency, so the order
// comes from the model and not from the workloads.
import { describe, expect, it } from 'vitest';
import { TRANSFER_COSTS_DEFAULT } from '../../sim/costs.js';
import { base_workloads, one_node, run, scenario, shipped } from './sim_helpers.js';

/** A ping-pong pair on each tier of one node of 2 sockets × 2 cores (the tiers scenario without its burst). */
function three_pairs(costs: Record<string, number> = {}, scheduler: Record<string, number> = {}) {
  const pair = (client_core: number, server_core: number, pid: number) => ({
    kind: 'ping_pong',
    client: { node: 1, core: client_core, pid },
    server: { node: 1, core: server_core, pid: pid + 1 },
    rounds: 400,
    payload_bytes: 32,
  });
  return one_node([pair(0, 0, 10), pair(0, 1, 12), pair(1, 2, 14)], {
    duration_ms: 30,
    drain_ms: 50,
    costs,
    scheduler,
  });
}

describe('the cost model', () => {
  it('ranks the tiers scenario L1 < L2 < L3 < spill with the measured defaults', async () => {
    const s = shipped('tiers');
    expect(s.costs).toEqual(TRANSFER_COSTS_DEFAULT);
    const { result } = await run(s, 1);
    expect(result.violation).toBeNull();
    const { L1, L2, L3, spill } = result.latency_stats;
    for (const tier of [L1, L2, L3, spill]) expect(tier!.count).toBeGreaterThan(500);
    expect(L1!.p50_us).toBeLessThan(L2!.p50_us);
    expect(L2!.p50_us).toBeLessThan(L3!.p50_us);
    expect(L3!.p50_us).toBeLessThan(spill!.p50_us);
    // The histogram the report draws counts the same deliveries.
    expect(result.latency.spill!.reduce((a, b) => a + b, 0)).toBe(spill!.count);
  });

  it('orders L2 and L3 by their transfer costs: swap the costs and the order swaps', async () => {
    const fixed_wake = { wake_us_min: 20, wake_us_max: 20 };
    const as_measured = (await run(three_pairs({}, fixed_wake), 1)).result.latency_stats;
    expect(as_measured.L2!.p50_us).toBeLessThan(as_measured.L3!.p50_us);
    const swapped = (await run(three_pairs({ transfer_l2_us: 3, transfer_l3_us: 0.5 }, fixed_wake), 1)).result
      .latency_stats;
    expect(swapped.L3!.p50_us).toBeLessThan(swapped.L2!.p50_us);
    // Each receipt pays its transfer: 2.5 µs more on L2 shows in its median (wakes are fixed).
    expect(swapped.L2!.p50_us - as_measured.L2!.p50_us).toBeGreaterThan(2);
  });

  it("charges a receipt's transfer to its latency", async () => {
    const slow_l1 = (await run(three_pairs({ transfer_l1_us: 100 }), 1)).result.latency_stats.L1!;
    expect(slow_l1.p50_us).toBeGreaterThan(100);
    const fast_l1 = (await run(three_pairs(), 1)).result.latency_stats.L1!;
    expect(fast_l1.p50_us).toBeLessThan(10); // A local wake (2.87 µs) and the transfer.
  });

  it('wakes from the same core cost wake_local_us, from another core the wake bounds', async () => {
    const local = (await run(three_pairs({}, { wake_local_us: 50 }), 1)).result.latency_stats;
    expect(local.L1!.p50_us).toBeGreaterThan(50);
    expect(local.L2!.p50_us).toBeLessThan(40); // Cross-core wakes stay within 26.1–33.1 µs.
  });

  it("adds a remote hop's host work to each datagram", async () => {
    const remote_p50 = async (remote_hop_us: number) =>
      (await run(scenario({ costs: { remote_hop_us }, workloads: [base_workloads()[0]] }), 1)).result.latency_stats
        .remote!.p50_us;
    const none = await remote_p50(0);
    const hop = await remote_p50(400);
    expect(hop - none).toBeGreaterThan(350);
    expect(hop - none).toBeLessThan(450);
  });

  it('refuses a negative cost, naming the knob', () => {
    expect(() => three_pairs({ transfer_l2_us: -1 })).toThrow(/costs\.transfer_l2_us/);
  });
});

describe('the fine latency buckets', () => {
  it('are monotone, and a bucket names its latencies within 0.2 % (1/512 µs below 1 µs)', async () => {
    const { fine_bucket, fine_value } = await import('../../sim/ledger.js');
    let last = -1;
    for (let v = 0.001; v < 2 ** 31; v *= 1.0007) {
      const b = fine_bucket(v);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
      const middle = fine_value(b);
      if (v < 1) expect(Math.abs(middle - v)).toBeLessThanOrEqual(1 / 512 + 1e-12);
      else expect(Math.abs(middle - v) / v).toBeLessThanOrEqual(1 / 512 + 1e-12);
    }
    expect(fine_bucket(0)).toBe(0);
    expect(fine_bucket(1)).toBe(256);
    expect(fine_bucket(2)).toBe(512);
  });
});
