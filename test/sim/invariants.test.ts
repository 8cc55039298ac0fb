// Each invariant is caught when deliberately broken (sabotage knobs), and the printed seed replays it.
import { describe, expect, it } from 'vitest';
import { run, scenario } from './sim_helpers.js';

const local_stream = [
  { kind: 'fan_in', receiver: { node: 1, core: 1, pid: 10 }, senders: [{ node: 1, core: 0, pid: 11 }, { node: 2, core: 1, pid: 12 }], messages_per_sender: 300, payload_bytes: 40, interval_us: 20 },
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
    const { result } = await run(scenario({ network: { proto: 'udp', secure: true }, workloads: local_stream, faults: { sabotage: { tamper_delivered: 0.05 } } }));
    expect(result.ok).toBe(false);
    expect(result.violation!.invariant).toBe('tamper');
  });

  it('a FIFO break is caught on a channel that promises order', async () => {
    const { result } = await run(scenario({ network: { proto: 'tcp' }, workloads: local_stream, faults: { sabotage: { reorder_delivered: 0.05 } } }));
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
});
