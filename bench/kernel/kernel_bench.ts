/**
 * Kernel benchmark: Lattice's fastpath against Node's MessagePort and a bare SAB ring, between
 * the same two worker threads in one run.
 *
 * The variants of each comparison run interleaved, round by round, and each reports its median:
 * this VM's speed drifts between phases, and interleaving makes the drift hit every variant
 * alike. Throughput is the receiver's count over the time from its first message to its last;
 * round trips are timed by the sender. The heap figure comes from a last, warm, 10M-message run.
 */
import type { BenchResult } from '../report.js';
import { median, percentile } from '../report.js';
import { compare, compare_rtt, phase, start_agents, type Agents, type BenchOptions } from './agents.js';

/** Rounds of each throughput comparison (variants interleaved; medians reported). */
const ROUNDS = 5;

export async function kernel_bench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const scale = options.quick === true ? 0.02 : 1;
  const count = (n: number) => Math.max(100, Math.round(n * scale));
  const agents = start_agents();
  try {
    const results: BenchResult[] = [];
    log('kernel: 64-byte messages, one at a time');
    const one = await compare(agents, ROUNDS, {
      MessagePort: { phase: 'mp_oneway', n: count(300_000), bytes: 64 },
      bare_ring: { phase: 'ring_oneway', n: count(3_000_000), batch: 1 },
      lattice: { phase: 'lattice_oneway', n: count(3_000_000) },
    });
    results.push({
      name: 'kernel.oneway_64B',
      unit: 'msg/s',
      better: 'higher',
      lattice: one.lattice!,
      baselines: { MessagePort: one.MessagePort!, bare_ring: one.bare_ring! },
      note: 'one send per message, blocking recv (L2)',
    });

    log('kernel: 64-byte messages, batches of 32');
    const batched = await compare(agents, ROUNDS, {
      bare_ring_batch: { phase: 'ring_oneway', n: count(5_000_000), batch: 32 },
      lattice: { phase: 'lattice_batch', n: count(5_000_000), batch: 32 },
    });
    results.push({
      name: 'kernel.oneway_64B_batch',
      unit: 'msg/s',
      better: 'higher',
      lattice: batched.lattice!,
      baselines: { MessagePort: one.MessagePort!, bare_ring_batch: batched.bare_ring_batch! },
      note: 'send_batch of 32 (one claim, one publish)',
    });

    log('kernel: 4 KiB and 1 MiB payloads');
    const page = await compare(agents, 3, {
      MessagePort: { phase: 'mp_oneway', n: count(100_000), bytes: 4096 },
      lattice: { phase: 'lattice_bulk', n: count(200_000), bytes: 4096 },
    });
    results.push({
      name: 'kernel.oneway_4KiB',
      unit: 'msg/s',
      better: 'higher',
      lattice: page.lattice!,
      baselines: { MessagePort: page.MessagePort! },
      note: 'descriptor (slab block, read in place) vs postMessage copy',
    });
    const mib = 1 << 20;
    const bulk = await compare(agents, 3, {
      MessagePort: { phase: 'mp_oneway', n: count(3_000), bytes: mib },
      lattice: { phase: 'lattice_bulk', n: count(10_000), bytes: mib },
    });
    results.push({
      name: 'kernel.oneway_1MiB',
      unit: 'MiB/s',
      better: 'higher',
      lattice: bulk.lattice!,
      baselines: { MessagePort: bulk.MessagePort! },
      note: 'descriptor vs postMessage copy, 1 MiB each',
    });

    log('kernel: round trips');
    const rtt = await compare_rtt(agents, 3, {
      MessagePort: { phase: 'mp_rtt', n: count(20_000) },
      lattice: { phase: 'lattice_rtt', n: count(50_000) },
    });
    results.push({
      name: 'kernel.rtt_p50_us',
      unit: 'µs',
      better: 'lower',
      lattice: rtt.p50.lattice!,
      baselines: { MessagePort: rtt.p50.MessagePort! },
      note: 'ping-pong, blocking recv (spin, then wait)',
    });
    results.push({
      name: 'kernel.rtt_p99_us',
      unit: 'µs',
      better: 'lower',
      lattice: rtt.p99.lattice!,
      baselines: { MessagePort: rtt.p99.MessagePort! },
    });

    results.push(...(await transfer_costs(agents, count, log)));

    log('kernel: heap growth over 10M messages');
    const heap = await phase(agents, { phase: 'lattice_oneway', n: count(10_000_000) });
    results.push({
      name: 'kernel.heap_growth_10M_bytes',
      unit: 'bytes',
      better: 'lower',
      lattice: Math.max(heap.a.heap_growth_bytes ?? 0, heap.b.heap_growth_bytes ?? 0),
      baselines: {},
      note: `heap growth over ${count(10_000_000)} messages, warm (max of sender, receiver)`,
    });
    return results;
  } finally {
    await agents.close();
  }
}

/** Rounds of each transfer measurement (medians of the rounds' medians are reported). */
const TRANSFER_ROUNDS = 5;

async function median_samples(agents: Agents, phase_name: string, n: number): Promise<number> {
  const medians: number[] = [];
  for (let round = 0; round < TRANSFER_ROUNDS; round++) {
    medians.push(percentile((await phase(agents, { phase: phase_name, n })).a.samples!, 0.5));
  }
  return median(medians);
}

async function half_rtt(agents: Agents, n: number): Promise<number> {
  return (await compare_rtt(agents, TRANSFER_ROUNDS, { lattice: { phase: 'lattice_rtt', n } })).p50.lattice! / 2;
}

/** Quartiles and median of half the round trips of `TRANSFER_ROUNDS` rounds (each round's, then their median). */
async function half_rtt_quartiles(agents: Agents, n: number): Promise<{ p25: number; p50: number; p75: number }> {
  const q: Record<'p25' | 'p50' | 'p75', number[]> = { p25: [], p50: [], p75: [] };
  for (let round = 0; round < TRANSFER_ROUNDS; round++) {
    const samples = (await phase(agents, { phase: 'lattice_rtt', n })).a.samples!;
    q.p25.push(percentile(samples, 0.25) / 2);
    q.p50.push(percentile(samples, 0.5) / 2);
    q.p75.push(percentile(samples, 0.75) / 2);
  }
  return { p25: median(q.p25), p50: median(q.p50), p75: median(q.p75) };
}

/**
 * What one message costs from send to receipt through each tier, and what a wake-up adds: the
 * medians the simulator's cost model takes its defaults from (sim/costs.ts).
 *
 * - L1 and spill: one thread sends to a pid on its own core and takes the messages back (the
 *   spill row fills every ring first); µs per message, send and receipt together.
 * - L2: half the median round trip between cores 0 and 1 (one socket), receivers spinning.
 * - L3: the same between cores 0 and 2 (two sockets of the node's topology). On a machine whose
 *   threads all share one socket's caches this measures the same hardware path as L2.
 * - wake: half the round trip with receivers that sleep on their doorbell every time, less the
 *   L2 transfer (median and quartiles); wake_local: a notify to the settling of a `waitAsync`
 *   in the same thread (two processes of one core).
 * The three agent pairs run one after another, not interleaved.
 */
export async function transfer_costs(
  agents: Agents,
  count: (n: number) => number,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  log('kernel: transfer costs per tier (L1, spill, L2)');
  const l1 = await median_samples(agents, 'transfer_l1', count(4_000));
  const spill = await median_samples(agents, 'transfer_spill', count(400));
  const l2 = await half_rtt(agents, count(50_000));
  log('kernel: transfer cost across sockets (L3)');
  const l3 = await with_agents({ b_core: 2 }, (pair) => half_rtt(pair, count(50_000)));
  log('kernel: wake-up cost');
  const wake_local = await median_samples(agents, 'wake_local', count(20_000));
  const sleeping = await with_agents({ spin_polls: 0 }, (pair) => half_rtt_quartiles(pair, count(10_000)));
  const row = (name: string, value: number, note: string): BenchResult => ({
    name,
    unit: 'µs',
    better: 'lower',
    lattice: value,
    baselines: {},
    note,
  });
  return [
    row('kernel.transfer_L1_us', l1, 'send + receipt on one core, through its L1 ring (µs per message)'),
    row('kernel.transfer_L2_us', l2, 'half a round trip between two cores of one socket, spinning'),
    row('kernel.transfer_L3_us', l3, 'half a round trip between cores on two sockets of the topology, spinning'),
    row('kernel.transfer_spill_us', spill, 'send + receipt on one core through the spill region (rings full)'),
    row(
      'kernel.wake_us',
      Math.max(0, sleeping.p50 - l2),
      'half a round trip with sleeping receivers, less the L2 transfer',
    ),
    row('kernel.wake_p25_us', Math.max(0, sleeping.p25 - l2), 'the same, first quartile'),
    row('kernel.wake_p75_us', Math.max(0, sleeping.p75 - l2), 'the same, third quartile'),
    row('kernel.wake_local_us', wake_local, 'Atomics.notify to the settling of a waitAsync in the same thread'),
  ];
}

async function with_agents<T>(
  placement: Parameters<typeof start_agents>[0],
  body: (agents: Agents) => Promise<T>,
): Promise<T> {
  const agents = start_agents(placement);
  try {
    return await body(agents);
  } finally {
    await agents.close();
  }
}
