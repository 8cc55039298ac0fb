// Calls across nodes in the simulator, on the real kernel, driver, secure channel and network
// server: on a clean network every call of every client (on the server's node and on others)
// gets its reply; under loss, duplicates, reordering, a partition and a crash, calls end by
// reply, TIMEOUT or (TCP, a lost session) DEAD_PEER, late replies are dropped and counted, and
// every invariant holds.
import { describe, expect, it } from 'vitest';
import { run, scenario, shipped } from './sim_helpers.js';

const clients = [
  { node: 1, core: 0, pid: 21 },
  { node: 1, core: 1, pid: 22 },
  { node: 2, core: 0, pid: 23 },
];

function calls(proto: 'udp' | 'tcp', secure: boolean, faults: Record<string, unknown> = {}) {
  return scenario({
    duration_ms: 400,
    drain_ms: 2000,
    network: { proto, ...(secure ? { secure: {} } : {}) },
    workloads: [
      {
        kind: 'call_reply',
        server: { node: 2, core: 1, pid: 20 },
        clients,
        calls_per_client: 50,
        payload_bytes: 24,
        timeout_ms: 20,
      },
    ],
    faults,
  });
}

describe('calls across nodes in the simulator', () => {
  for (const [proto, secure] of [
    ['udp', false],
    ['tcp', false],
    ['udp', true],
    ['tcp', true],
  ] as const) {
    it(`every call gets its reply on a clean network (${proto}${secure ? ', sealed' : ''})`, async () => {
      const { result } = await run(calls(proto, secure));
      expect(result.ok).toBe(true);
      expect(result.workloads[0]!.counters.sends_refused).toEqual({});
      expect(result.sent).toBe(2 * 50 * clients.length); // Every request and every reply.
      expect(result.delivered).toBe(result.sent);
    });
  }

  it('under loss and a partition (UDP): timeouts, never a wrong or silent outcome', async () => {
    const { result } = await run(
      calls('udp', false, {
        link: { loss: 0.05, duplicate: 0.02, reorder: 0.05, reorder_delay_ms: 2 },
        schedule: [
          { kind: 'partition', at_ms: 20, groups: [[1], [2]] },
          { kind: 'heal', at_ms: 60 },
        ],
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.workloads[0]!.counters.sends_refused['call_status_-2']).toBeGreaterThan(0); // TIMEOUT
    expect(result.drops['network.loss'] ?? 0).toBeGreaterThan(0);
    expect(result.drops['network.partition'] ?? 0).toBeGreaterThan(0);
  });

  it('over TCP a crash of the server node fails the waiting calls with DEAD_PEER', async () => {
    const { result } = await run(
      calls('tcp', true, { schedule: [{ kind: 'crash', at_ms: 2, node: 2, restart_after_ms: 5, memory: 'lost' }] }),
    );
    expect(result.ok).toBe(true);
    expect(result.workloads[0]!.counters.sends_refused['call_status_-18']).toBeGreaterThan(0); // DEAD_PEER
  });

  it('the shipped remote-calls scenario holds every invariant on several seeds', async () => {
    for (const seed of [1, 2, 3]) {
      const { result } = await run(shipped('remote-calls'), seed);
      expect(result.ok).toBe(true);
      expect(result.delivered).toBeGreaterThan(500);
    }
  });
});
