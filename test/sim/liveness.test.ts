// Liveness of receives (sim/process.ts `recv_async`): a receive that waits out its timeout while
// a message from its own node had been waiting longer than any wake-up takes lost its wake-up,
// and the run fails with `liveness`, naming the process, what it waited for and since when. A
// wake dropped on purpose (the `drop_wake` sabotage: the broken build) is caught this way in a
// one-way workload, where no call would have noticed it.
import { describe, expect, it } from 'vitest';
import { one_node, run, shipped } from './sim_helpers.js';

function local_fan_in(sabotage: Record<string, number> = {}) {
  return one_node(
    [
      {
        kind: 'fan_in',
        receiver: { node: 1, core: 3, pid: 10 },
        senders: [
          { node: 1, core: 0, pid: 11 },
          { node: 1, core: 1, pid: 12 },
        ],
        messages_per_sender: 200,
        payload_bytes: 32,
        interval_us: 50,
      },
    ],
    { duration_ms: 20, drain_ms: 100, faults: { sabotage } },
  );
}

describe('liveness of receives', () => {
  it('holds when every wake-up arrives: everything sent is delivered', async () => {
    const { result } = await run(local_fan_in(), 1);
    expect(result.violation).toBeNull();
    expect(result.delivered).toBe(400);
  });

  it('fails the run when a wake-up is dropped, naming the receiver, since when, and the message left waiting', async () => {
    const { result } = await run(local_fan_in({ drop_wake: 1 }), 1);
    expect(result.violation).not.toBeNull();
    expect(result.violation!.invariant).toBe('liveness');
    expect(result.violation!.code).toBe('ERR_LATTICE_SIM_LIVENESS');
    expect(result.violation!.message).toMatch(
      /^liveness: node 1 pid 10 waited for a message from [\d.]+ ms to [\d.]+ ms \(its timeout [\d.]+ ms\), while message \d+ from pid 1[12] of its own node, sent at [\d.]+ ms, waited for it: its wake-up was lost/,
    );
  });

  it('at the end of the run, names a message left waiting for a receiver that waited since before it was sent', async () => {
    const { Ledger } = await import('../../sim/ledger.js');
    const clock = { now_us: 0 };
    const failures: string[] = [];
    const ledger = new Ledger(clock, (v) => failures.push(v.message), 1000, false);
    const channel = ledger.open_channel(1, 11, 1, 10, 5, { path: 'local', sealed: false });
    clock.now_us = 100;
    ledger.commit(channel, ledger.next_id_value);
    clock.now_us = 5_000;
    const alive = () => true;
    // Waiting since before the send, still waiting at the end: stranded.
    ledger.check_stranded(() => [50, Number.POSITIVE_INFINITY], alive, 40);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /node 1 pid 10 waited for a message from 0\.050 ms, while message 1 from pid 11 of its own node, sent at 0\.100 ms, was never delivered/,
    );
    // Not waiting when it was sent, or stopped waiting before a wake-up was due, or sent just now: not a lost wake-up.
    ledger.check_stranded(() => [150, Number.POSITIVE_INFINITY], alive, 40);
    ledger.check_stranded(() => [50, 120], alive, 40);
    ledger.check_stranded(() => null, alive, 40);
    ledger.check_stranded(() => [50, Number.POSITIVE_INFINITY], alive, 10_000);
    ledger.check_stranded(
      () => [50, Number.POSITIVE_INFINITY],
      () => false,
      40,
    );
    expect(failures).toHaveLength(1);
  });

  it('holds on the shipped scenarios that receive one-way (cluster, tiers)', async () => {
    for (const name of ['cluster', 'tiers']) {
      const { result } = await run(shipped(name), 2);
      expect(result.violation, name).toBeNull();
    }
  });
});
