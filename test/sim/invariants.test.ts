// Each invariant is caught when deliberately broken (sabotage knobs), and the printed seed replays it.
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../sim/scheduler.js';
import { swarm_scenario } from '../../sim/swarm.js';
import { SimViolation } from '../../sim/violation.js';
import { run, scenario, shipped } from './sim_helpers.js';

const local_stream = [
  {
    kind: 'fan_in',
    receiver: { node: 1, core: 1, pid: 10 },
    senders: [
      { node: 1, core: 0, pid: 11 },
      { node: 2, core: 1, pid: 12 },
    ],
    messages_per_sender: 300,
    payload_bytes: 40,
    interval_us: 20,
  },
];

describe('invariants', () => {
  it('a message dropped without a count is caught as silent_loss, with the replay command', async () => {
    const s = scenario({ workloads: local_stream, faults: { sabotage: { silent_drop: 0.05 } } });
    const { result } = await run(s, 11);
    expect(result.ok).toBe(false);
    expect(result.violation!.invariant).toBe('silent_loss');
    expect(result.violation!.code).toBe('ERR_LATTICE_SIM_SILENT_LOSS');
    expect(result.violation!.replay).toBe('lattice sim test --seed 11');
    expect(result.network.sabotage_silent_drops).toBeGreaterThan(0);
    const again = (await run(s, 11)).result;
    expect(again.violation).toEqual(result.violation);
  });

  it('a send that bypasses capabilities is caught', async () => {
    const { result } = await run(scenario({ workloads: local_stream, faults: { sabotage: { forge_send: 0.05 } } }));
    expect(result.ok).toBe(false);
    expect(result.violation!.invariant).toBe('capability');
  });

  it('a changed byte reaching a process is caught (sealed network and local channels)', async () => {
    const { result } = await run(
      scenario({
        network: { proto: 'udp', secure: true },
        workloads: local_stream,
        faults: { sabotage: { tamper_delivered: 0.05 } },
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.violation!.invariant).toBe('tamper');
  });

  it('a FIFO break is caught on a channel that promises order', async () => {
    const { result } = await run(
      scenario({
        network: { proto: 'tcp' },
        workloads: local_stream,
        faults: { sabotage: { reorder_delivered: 0.05 } },
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.violation!.invariant).toBe('fifo');
  });

  it('with no sabotage the same workloads hold every invariant', async () => {
    for (const proto of ['udp', 'tcp']) {
      const { result } = await run(scenario({ network: { proto }, workloads: local_stream }));
      expect(result.ok).toBe(true);
      expect(result.delivered).toBe(result.sent);
    }
  });

  it('virtual time that stops advancing is caught as a livelock', async () => {
    const scheduler = new Scheduler();
    const again = (): void => void scheduler.global.after(0, again);
    scheduler.global.at(5, again);
    await scheduler.run_until(10);
    expect(scheduler.failed).toBeInstanceOf(SimViolation);
    expect((scheduler.failed as SimViolation).code).toBe('ERR_LATTICE_SIM_LIVELOCK');
    expect(scheduler.now_us).toBe(5);
  });

  // Swarm seeds that once failed: 4 (a frame waiting in a TCP outbox for a reconnect across a
  // partition was not counted as in flight) and 26 (a receive loop spun at one instant on a
  // remainder of time the node's clock rounds to zero).
  it('ping-pong swarm seeds 4 and 26 hold every invariant', async () => {
    for (const seed of [4, 26]) {
      const { result } = await run(swarm_scenario(shipped('ping-pong'), seed), seed);
      expect(result.violation).toBeNull();
      expect(result.delivered).toBeGreaterThan(0);
    }
  });
});

describe('a restart on kept memory', () => {
  // Swarm seed 1 of lab-01 once lost a reply silently: the restarted server answered a call it
  // found in the kept rings, into the reply slot of a client process that had died with the crash.
  it('refuses (and counts) a reply to a call of the crashed incarnation instead of losing it', async () => {
    const { result } = await run(swarm_scenario(shipped('lab-01-name-server'), 1), 1);
    expect(result.faults.map((f) => f.what)).toContain('crash node 1 (memory kept)');
    expect(result.violation).toBeNull();
  });
});

describe('a failing boot', () => {
  it('is reported as itself (the node and its error), not as an error of the result step', async () => {
    const real = globalThis.SharedArrayBuffer;
    // As on a page that is not cross-origin isolated: no SharedArrayBuffer.
    (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer = undefined;
    let result: Awaited<ReturnType<typeof run>>['result'];
    try {
      ({ result } = await run(scenario({ network: { proto: 'udp', secure: false } }), 1));
    } finally {
      globalThis.SharedArrayBuffer = real;
    }
    expect(result.ok).toBe(false);
    expect(result.violation).toMatchObject({ invariant: 'boot', code: 'ERR_LATTICE_SIM_BOOT_FAILED' });
    expect(result.violation!.message).toMatch(/^node 1 failed to boot: TypeError: .*SharedArrayBuffer/);
    expect(result.nodes.map((n) => n.id)).toEqual([1, 2]); // The summary still describes every node.
  });
});
