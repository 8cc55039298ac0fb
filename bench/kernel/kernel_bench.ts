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
import { compare, compare_rtt, phase, start_agents, type BenchOptions } from './agents.js';

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
