// Builds scenarios for the simulator tests from a small base, through the real schema.
import { readFileSync } from 'node:fs';
import { parse_scenario, type Scenario } from '../../sim/scenario.js';
import { Simulator, type SimResult } from '../../sim/simulator.js';

/** The base scenario's workloads: a remote fan-in to node 2 and a local ping-pong on it. */
export function base_workloads(): Record<string, unknown>[] {
  return [
    {
      kind: 'fan_in',
      receiver: { node: 2, core: 1, pid: 10 },
      senders: [
        { node: 1, core: 0, pid: 11 },
        { node: 1, core: 1, pid: 12 },
      ],
      messages_per_sender: 300,
      payload_bytes: 48,
      interval_us: 50,
    },
    {
      kind: 'ping_pong',
      client: { node: 2, core: 0, pid: 20 },
      server: { node: 2, core: 1, pid: 21 },
      rounds: 300,
      payload_bytes: 24,
    },
  ];
}

export function scenario(overrides: Record<string, unknown>): Scenario {
  const base = {
    name: 'test',
    duration_ms: 40,
    drain_ms: 1500,
    network: { proto: 'udp' },
    nodes: [
      { id: 1, sockets: 1, cores_per_socket: 2 },
      { id: 2, sockets: 1, cores_per_socket: 2 },
    ],
    workloads: base_workloads(),
    ...overrides,
  };
  return parse_scenario(JSON.stringify(base, null, 2), 'test.json');
}

/** One node of 2 sockets × 2 cores running `workloads`, with `overrides` on top (the base's timing unless they say). */
export function one_node(workloads: Record<string, unknown>[], overrides: Record<string, unknown> = {}): Scenario {
  return scenario({ nodes: [{ id: 1, sockets: 2, cores_per_socket: 2 }], workloads, ...overrides });
}

export function shipped(name: string): Scenario {
  const path = new URL(`../../sim/scenarios/${name}.json`, import.meta.url);
  return parse_scenario(readFileSync(path, 'utf8'), `${name}.json`);
}

export async function run(s: Scenario, seed = 1, trace = false): Promise<{ result: SimResult; sim: Simulator }> {
  const sim = new Simulator(s, { seed, trace });
  const result = await sim.run();
  return { result, sim };
}
