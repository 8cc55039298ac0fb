// Calls in the simulator: replies wake their callers through the injected waiter, so calls
// complete in a round trip of virtual time, never by timeout when the server answered; a wake
// dropped on purpose (sabotage) is caught by the liveness check, naming the stuck caller.
import { describe, expect, it } from 'vitest';
import { one_node, run, scenario, shipped } from './sim_helpers.js';

/** The case from the issue: one node, a server on core 0, clients on cores 2 and 3, 500 calls each. */
function one_node_calls(sabotage: Record<string, number> = {}) {
  return one_node(
    [
      {
        kind: 'call_reply',
        server: { node: 1, core: 0, pid: 20 },
        clients: [
          { node: 1, core: 2, pid: 21 },
          { node: 1, core: 3, pid: 22 },
        ],
        calls_per_client: 500,
        payload_bytes: 24,
      },
    ],
    { duration_ms: 2000, drain_ms: 200, faults: { sabotage } },
  );
}

describe('calls in the simulator', () => {
  it('complete in about a round trip: all 1,000 answered, none by timeout', async () => {
    const { result } = await run(one_node_calls(), 1);
    expect(result.violation).toBeNull();
    expect(result.calls).toMatchObject({ completed: 1000, timed_out: 0, timed_out_peer_up: 0, dead_peer: 0 });
    expect(result.delivered).toBe(2000); // Each call and its reply.
  });

  it("a shipped scenario's calls all complete (ping-pong: 2 clients x 500)", async () => {
    const { result } = await run(shipped('ping-pong'), 1);
    expect(result.calls.completed).toBe(1000);
    expect(result.calls.timed_out).toBe(0);
  });

  it('counts ping-pong rounds that waited out their pong: none without faults, some under loss', async () => {
    const clean = await run(shipped('ping-pong'), 1);
    expect(clean.result.calls.answers_waited_out).toBe(0);
    const lossy = await run(
      scenario({
        workloads: [
          {
            kind: 'ping_pong',
            client: { node: 1, core: 0, pid: 20 },
            server: { node: 2, core: 1, pid: 21 },
            rounds: 300,
            payload_bytes: 24,
          },
        ],
        faults: { link: { loss: 0.2 } },
      }),
      3,
    );
    expect(lossy.result.violation).toBeNull();
    expect(lossy.result.calls.answers_waited_out).toBeGreaterThan(0);
    // Loss, not a crash or a partition: the peer was up and reachable each time.
    expect(lossy.result.calls.answers_waited_out_peer_up).toBe(lossy.result.calls.answers_waited_out);
  });

  it('a dropped wake-up (sabotage) fails the liveness check, naming the stuck caller', async () => {
    const { result } = await run(one_node_calls({ drop_wake: 0.2 }), 1);
    expect(result.violation).toMatchObject({ invariant: 'liveness', code: 'ERR_LATTICE_SIM_LIVENESS' });
    expect(result.violation!.message).toMatch(
      /node 1 pid 2[12] waited in a call to pid 20 on its own node from [\d.]+ ms until its 100 ms timeout/,
    );
  });
});
