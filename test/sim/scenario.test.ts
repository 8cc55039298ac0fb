// Scenario schema errors come with their line numbers; every shipped scenario parses and holds.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse_scenario, ScenarioError } from '../../sim/scenario.js';
import { run, shipped } from './sim_helpers.js';

function errors_of(text: string): readonly string[] {
  try {
    parse_scenario(text, 'bad.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).errors;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario schema', () => {
  it('reports each mistake with its line and path', () => {
    const text = [
      '{',
      '  "name": "x",',
      '  "duration_ms": -5,',
      '  "nodes": [ { "id": 1, "sockets": 2, "colors": 3 } ],',
      '  "workloads": [',
      '    { "kind": "ping_pong", "client": { "node": 1, "core": 9, "pid": 10 },',
      '      "server": { "node": 7, "core": 0, "pid": 11 }, "rounds": 10 }',
      '  ],',
      '  "faults": { "link": { "loss": 2 } }',
      '}',
    ].join('\n');
    const errors = errors_of(text);
    expect(errors).toContain('bad.json:3: duration_ms: must be in [0.001, 3600000], got -5');
    expect(errors).toContain(
      'bad.json:4: nodes[0].colors: unknown field (allowed: id, sockets, cores_per_socket, pids_max, slab, channels_max, ring_capacity)',
    );
    expect(errors.some((e) => e.startsWith('bad.json:6: workloads[0]: places pid 10 on core 9'))).toBe(true);
    expect(errors.some((e) => e.startsWith('bad.json:6: workloads[0]: names node 7'))).toBe(true);
    expect(errors).toContain('bad.json:9: faults.link.loss: must be in [0, 1], got 2');
  });

  it('sizes node memory: channel table and rings are powers of two within bounds, and reach the kernel', async () => {
    const base = { name: 'x', duration_ms: 1, workloads: [] };
    const errors = errors_of(
      JSON.stringify({ ...base, nodes: { count: 2, channels_max: 1000, ring_capacity: 2 } }, null, 1),
    );
    expect(errors).toContain('bad.json:7: nodes.channels_max: must be a power of two, got 1000');
    expect(errors.some((e) => e.startsWith('bad.json:8: nodes.ring_capacity: must be in [4, 4096]'))).toBe(true);
    expect(errors_of(JSON.stringify({ ...base, nodes: [{ id: 1, ring_capacity: 48 }] }, null, 1))).toContain(
      'bad.json:8: nodes[0].ring_capacity: must be a power of two, got 48',
    );
    const scenario = parse_scenario(
      JSON.stringify({ ...base, nodes: { count: 1, channels_max: 512, ring_capacity: 32 } }),
      'ok.json',
    );
    expect(scenario.nodes[0]).toMatchObject({ channels_max: 512, ring_capacity: 32 });
    const { sim } = await run(scenario, 1);
    const g = sim.nodes.get(1)!.memory!.geometry;
    expect([g.channels_max, g.ring_capacity_l1, g.ring_capacity_l2, g.ring_capacity_l3]).toEqual([512, 32, 32, 32]);
    const plain = parse_scenario(JSON.stringify({ ...base, nodes: { count: 1 } }), 'ok.json');
    expect(plain.nodes[0]).toMatchObject({ channels_max: 4096, ring_capacity: undefined });
  });

  it('reports JSON syntax errors with their line', () => {
    const errors = errors_of('{\n  "name": "x",\n  "nodes": [1, 2,,]\n}');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bad\.json:3: column \d+: unexpected ','/);
  });

  it('refuses the network pid and duplicate pids, and takes calls across nodes', () => {
    const base = { name: 'x', duration_ms: 1, nodes: [{ id: 1 }, { id: 2 }] };
    const errors = errors_of(
      JSON.stringify(
        {
          ...base,
          workloads: [
            {
              kind: 'fan_in',
              receiver: { node: 1, core: 0, pid: 1 },
              senders: [{ node: 1, core: 0, pid: 5 }],
              messages_per_sender: 1,
            },
            {
              kind: 'call_reply',
              server: { node: 1, core: 0, pid: 5 },
              clients: [{ node: 2, core: 0, pid: 6 }],
              calls_per_client: 1,
            },
          ],
        },
        null,
        1,
      ),
    );
    expect(errors.some((e) => e.includes('uses pid 1'))).toBe(true);
    expect(errors.some((e) => e.includes('which workloads[0] uses already'))).toBe(true);
    expect(errors.some((e) => e.includes('clients'))).toBe(false); // A client on node 2 of a server on node 1 is fine.
  });

  it('every shipped scenario parses and holds its invariants', async () => {
    const dir = new URL('../../sim/scenarios/', import.meta.url);
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    expect(names).toEqual(
      expect.arrayContaining(['cluster', 'ping-pong', 'lossy-secure-udp', 'crash-restart', 'lab-01-name-server']),
    );
    for (const name of names) {
      parse_scenario(readFileSync(new URL(`${name}.json`, dir), 'utf8'), name);
      if (name === 'scale-64x8') continue; // Run by the bench; too big for the suite.
      const { result } = await run(shipped(name), 1);
      expect(result.violation, name).toBeNull();
      expect(result.delivered, name).toBeGreaterThan(0);
      const acc = result.accounting; // Exact, message by message (test/sim/accounting.test.ts).
      expect(acc.sent, name).toBe(acc.delivered + acc.dropped_total + acc.lost_in_crash + acc.in_flight_total);
    }
  }, 120_000);
});
