// Each fault knob observably does what it says.
import { describe, expect, it } from 'vitest';
import { base_workloads, run, scenario } from './sim_helpers.js';

describe('fault knobs', () => {
  it('a clean network delivers everything', async () => {
    const { result } = await run(scenario({}));
    expect(result.ok).toBe(true);
    expect(result.undelivered).toBe(0);
    expect(result.drops_total).toBe(0);
  });

  it('loss drops datagrams, counted as network.loss', async () => {
    const { result } = await run(scenario({ faults: { link: { loss: 0.2 } } }));
    expect(result.ok).toBe(true);
    expect(result.drops['network.loss']).toBeGreaterThan(20);
    expect(result.undelivered).toBeGreaterThan(0);
  });

  it('duplication on clear UDP delivers some messages twice', async () => {
    const { result } = await run(scenario({ faults: { link: { duplicate: 0.2 } } }));
    expect(result.ok).toBe(true);
    expect(result.network.duplicated).toBeGreaterThan(20);
    expect(result.duplicates_delivered).toBeGreaterThan(10);
  });

  it('on a sealed network duplicates are refused as replays', async () => {
    const { result } = await run(
      scenario({ network: { proto: 'udp', secure: true }, faults: { link: { duplicate: 0.2 } } }),
    );
    expect(result.ok).toBe(true);
    expect(result.duplicates_delivered).toBe(0);
    expect(result.drops['secure.dropped.replay']).toBeGreaterThan(10);
  });

  it('reordering holds datagrams back', async () => {
    const { result } = await run(scenario({ faults: { link: { reorder: 0.3, reorder_delay_ms: 2 } } }));
    expect(result.ok).toBe(true);
    expect(result.network.reordered).toBeGreaterThan(20);
    expect(result.undelivered).toBe(0);
  });

  it('corruption is caught by the frame check or delivered changed on clear UDP, and never opens when sealed', async () => {
    const clear = (await run(scenario({ faults: { link: { corrupt: 0.3, corrupt_bits_max: 4 } } }))).result;
    expect(clear.ok).toBe(true);
    expect(clear.network.corrupted).toBeGreaterThan(30);
    expect(clear.corrupt_delivered + (clear.drops['driver.malformed.bad_check'] ?? 0)).toBeGreaterThan(0);
    const sealed = (
      await run(
        scenario({ network: { proto: 'udp', secure: true }, faults: { link: { corrupt: 0.05, corrupt_bits_max: 4 } } }),
      )
    ).result;
    expect(sealed.ok).toBe(true);
    expect(sealed.network.corrupted).toBeGreaterThan(5);
    expect(sealed.corrupt_delivered).toBe(0);
    expect(sealed.delivered).toBeGreaterThan(100);
    expect(sealed.drops['secure.dropped.auth_failed'] ?? 0).toBeGreaterThan(0);
  });

  it('a partition drops what crosses it until it heals', async () => {
    const { result } = await run(
      scenario({
        faults: {
          schedule: [
            { kind: 'partition', at_ms: 5, groups: [[1], [2]] },
            { kind: 'heal', at_ms: 20 },
          ],
        },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.drops['network.partition']).toBeGreaterThan(20);
    expect(result.faults.map((f) => f.what)).toContain('heal');
  });

  it('a full link queue drops as queue_full', async () => {
    const { result } = await run(
      scenario({
        faults: { link: { link_queue_packets_max: 1, delay: { distribution: 'fixed', min_ms: 1, max_ms: 1 } } },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.drops['network.queue_full']).toBeGreaterThan(10);
  });

  it('a full receive queue drops, counted by the network server', async () => {
    const burst = {
      kind: 'fan_in',
      receiver: { node: 2, core: 1, pid: 10 },
      senders: [
        { node: 1, core: 0, pid: 11 },
        { node: 1, core: 1, pid: 12 },
      ],
      messages_per_sender: 400,
      payload_bytes: 48,
    };
    const { result } = await run(
      scenario({
        network: { proto: 'udp', max_queue: 2 },
        workloads: [burst],
        faults: { link: { delay: { distribution: 'fixed', min_ms: 0.1, max_ms: 0.1 } } },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.drops['server.queue_dropped_oldest']).toBeGreaterThan(10);
  });

  it('a crash loses what the node held (counted), and the restarted node serves again', async () => {
    const s = scenario({
      network: { proto: 'tcp' },
      duration_ms: 60,
      // A local stream that never lets node 2's rings run dry: the crash catches messages in them.
      workloads: [
        ...base_workloads(),
        {
          kind: 'fan_in',
          receiver: { node: 2, core: 1, pid: 30 },
          senders: [{ node: 2, core: 0, pid: 31 }],
          messages_per_sender: 100_000,
          payload_bytes: 16,
        },
      ],
      faults: { schedule: [{ kind: 'crash', at_ms: 6, node: 2, restart_after_ms: 4, memory: 'lost' }] },
    });
    const { result } = await run(s);
    expect(result.ok).toBe(true);
    expect(result.nodes.find((n) => n.id === 2)!.incarnations).toBe(2);
    expect(result.crash_lost).toBeGreaterThan(0);
    expect(result.undelivered).toBeGreaterThanOrEqual(result.crash_lost);
    expect(result.timeline.delivered.slice(Math.ceil(12 / result.timeline_bucket_ms)).some((v) => v > 0)).toBe(true);
  });

  it('a crash with memory kept delivers what was in the rings after the restart', async () => {
    const s = scenario({
      network: { proto: 'tcp' },
      duration_ms: 60,
      faults: { schedule: [{ kind: 'crash', at_ms: 6, node: 2, restart_after_ms: 4, memory: 'kept' }] },
    });
    const { result } = await run(s);
    expect(result.ok).toBe(true);
    expect(result.nodes.find((n) => n.id === 2)!.incarnations).toBe(2);
  });

  it('clock skew gives every node its own clock, and the run still holds', async () => {
    const s = scenario({
      network: { proto: 'udp', secure: true },
      faults: { clock_skew: { offset_ms_max: 500, drift_ppm_max: 1000 } },
    });
    const { result, sim } = await run(s);
    expect(result.ok).toBe(true);
    expect(result.undelivered).toBe(0);
    const reads = [1, 2].map((id) => sim.nodes.get(id)!.kernels[0]!.fastpath.env.clock.now_ms());
    expect(reads[0]).not.toBe(reads[1]);
    expect(Math.abs(reads[0]! - sim.scheduler.now_us / 1000)).toBeGreaterThan(0);
  });
});
