/**
 * `npm run bench -- sim`: simulated messages per wall-clock second for clusters of 1, 8 and 64
 * nodes (2 sockets × 4 cores each, one all_to_all process per core, a tenth of the traffic
 * across nodes over UDP), and 64 nodes with the secure channel. The baseline is the same count
 * of messages sent and received through the raw fastpath in one thread, with no simulator
 * around it: the cost floor of the kernel work each simulated message does. The 64-node figure
 * also names the same run on one time-ordered agenda (`scheduler.node_lanes: false`), so what
 * the scheduler's lanes buy is measured in the same run.
 *
 * The scenarios pin the costs they were first measured with (`PINNED_COSTS`: wakes of 1–10 µs,
 * no transfer or host-work costs), so the headlines measure the simulator on the same workload
 * from version to version. The measured cost model (sim/costs.ts) makes receivers slower, so the
 * same scenario spills about 1 % of its messages and does more work per message; the row
 * `sim.msgs_per_s_64nodes_measured_costs` runs it with those defaults, beside the headline.
 */
import { real_env } from '../../kernel/env.js';
import { Fastpath } from '../../kernel/fastpath.js';
import { Message } from '../../kernel/message.js';
import { NodeMemory } from '../../kernel/node_memory.js';
import { Status } from '../../kernel/status.js';
import { parse_scenario } from '../../sim/scenario.js';
import { Simulator } from '../../sim/simulator.js';
import type { BenchResult } from '../report.js';

/** The costs the bench scenarios had before the cost model: what their headlines are comparable under. */
const PINNED_COSTS = {
  scheduler: { wake_us_min: 1, wake_us_max: 10, wake_local_us: 5.5 },
  costs: { transfer_l1_us: 0, transfer_l2_us: 0, transfer_l3_us: 0, transfer_spill_us: 0, remote_hop_us: 0 },
};

function cluster(nodes: number, per_process: number, secure: boolean, node_lanes = true, pinned = true): string {
  return JSON.stringify({
    name: `bench-${nodes}${secure ? '-sealed' : ''}`,
    duration_ms: 1000,
    drain_ms: 100,
    network: { proto: 'udp', secure },
    // Sized for a large cluster, as scale-64x8.json is: a small slab, 1024 channels (a node here
    // uses about 260) and 64-slot rings, so 64 nodes do not cycle through 50 MiB of ring slots.
    nodes: {
      count: nodes,
      sockets: 2,
      cores_per_socket: 4,
      slab: 'small',
      pids_max: 32,
      channels_max: 1024,
      ring_capacity: 64,
    },
    scheduler: { step_us_min: 1, step_us_max: 3, node_lanes, ...(pinned ? PINNED_COSTS.scheduler : {}) },
    ...(pinned ? { costs: PINNED_COSTS.costs } : {}),
    workloads: [
      {
        kind: 'all_to_all',
        participants: { every_core: true, pid_base: 16 },
        messages_per_process: per_process,
        payload_bytes: 32,
        remote_fraction: nodes === 1 ? 0 : 0.1,
        peers_max: 16,
      },
    ],
    trace_events_max: 0,
  });
}

/** The raw fastpath floor: `count` messages between two cores of one node in one thread. */
function raw_fastpath(count: number): number {
  const memory = NodeMemory.create({ sockets: 2, cores_per_socket: 4 });
  memory.bind(1, 0);
  memory.bind(2, 1);
  const a = Fastpath.attach_core(memory, 0, real_env(0));
  const b = Fastpath.attach_core(memory, 1, real_env(0));
  const m = new Message();
  const r = new Message();
  m.length = 32;
  const t0 = performance.now();
  for (let i = 0; i < count; i += 64) {
    for (let j = 0; j < 64; j++) if (a.send(1, 2, m) !== Status.OK) throw new Error('raw send refused');
    for (let j = 0; j < 64; j++) if (b.try_recv(2, r) !== Status.OK) throw new Error('raw recv missed');
  }
  const s = (performance.now() - t0) / 1000;
  a.detach();
  b.detach();
  return count / s;
}

async function rate(
  nodes: number,
  per_process: number,
  secure: boolean,
  log: (line: string) => void,
  node_lanes = true,
  pinned = true,
): Promise<number> {
  const scenario = parse_scenario(cluster(nodes, per_process, secure, node_lanes, pinned), 'bench');
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  // The debug switch off, as in every benchmark (KernelEnv.debug).
  const result = await new Simulator(scenario, { seed: 1, debug: false }).run();
  const s = (performance.now() - t0) / 1000;
  if (!result.ok) throw new Error(`bench scenario broke an invariant: ${result.violation!.message}`);
  const mib = (process.memoryUsage().rss - before) / 2 ** 20;
  log(
    `  ${nodes} nodes${secure ? ' sealed' : ''}${node_lanes ? '' : ', one agenda'}${pinned ? '' : ', measured costs'}: ${result.sent.toLocaleString('en-US')} messages, ${result.delivered.toLocaleString('en-US')} delivered, ${s.toFixed(2)} s wall, ${result.events.toLocaleString('en-US')} events, +${mib.toFixed(0)} MiB rss`,
  );
  return result.sent / s;
}

export async function sim_bench(options: { quick: boolean; log: (line: string) => void }): Promise<BenchResult[]> {
  const { log, quick } = options;
  const k = quick ? 0.05 : 1;
  log('sim: simulated messages per wall second (2x4 cores per node, all_to_all, 10% across nodes)');
  const floor = raw_fastpath(quick ? 200_000 : 2_000_000);
  const baselines = { raw_fastpath_one_thread: floor };
  const one = await rate(1, Math.round(8000 * k), false, log);
  const eight = await rate(8, Math.round(8000 * k), false, log);
  const sixty_four = await rate(64, Math.round(2000 * k), false, log);
  // The same run on one time-ordered agenda (no lane per node): what the lanes buy.
  const one_agenda = await rate(64, Math.round(2000 * k), false, log, false);
  const sealed = await rate(64, Math.round(500 * k), true, log);
  const measured_costs = await rate(64, Math.round(2000 * k), false, log, true, false);
  const row = (name: string, value: number, note: string): BenchResult => ({
    name,
    unit: 'msg/s',
    better: 'higher',
    lattice: value,
    baselines,
    note,
  });
  return [
    row('sim.msgs_per_s_1node', one, '1 node x 8 cores, 64k messages'),
    row('sim.msgs_per_s_8nodes', eight, '8 nodes x 8 cores, 512k messages'),
    {
      ...row('sim.msgs_per_s_64nodes', sixty_four, '64 nodes x 8 cores, 1M messages (target 500k/s)'),
      baselines: { ...baselines, one_time_ordered_agenda: one_agenda },
    },
    row('sim.msgs_per_s_64nodes_encrypted', sealed, '64 nodes x 8 cores, sealed UDP, 256k messages'),
    row(
      'sim.msgs_per_s_64nodes_measured_costs',
      measured_costs,
      '64 nodes x 8 cores, 1M messages, with the measured cost model (more spills: not the headline workload)',
    ),
  ];
}
