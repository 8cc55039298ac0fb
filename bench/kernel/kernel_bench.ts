/**
 * Kernel benchmark: Lattice's fastpath against Node's MessagePort and a bare SAB ring, between
 * the same two worker threads in one run (issue: "Kernel fastpath", Benchmark).
 *
 * The variants of each comparison run interleaved, round by round, and each reports its median:
 * this VM's speed drifts between phases, and interleaving makes the drift hit every variant
 * alike. Throughput is the receiver's count over the time from its first message to its last;
 * round trips are timed by the sender. The heap figure comes from a last, warm, 10M-message run.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import { NodeMemory } from '../../kernel/node_memory.js';
import { spawn_worker } from '../../host/spawn_worker.js';
import { median, percentile, type BenchResult } from '../report.js';
import { BARE_RING_BYTES, type AgentInit, type PhaseCommand, type PhaseResult } from './agent_protocol.js';

/** Rounds of each throughput comparison (variants interleaved; medians reported). */
const ROUNDS = 5;

export interface KernelBenchOptions {
  /** Smaller counts, for a smoke run. */
  readonly quick?: boolean;
  readonly log?: (line: string) => void;
}

interface Agents {
  readonly a: Worker;
  readonly b: Worker;
}

function next_message(worker: Worker): Promise<{ ready?: true; result?: PhaseResult; error?: string }> {
  return new Promise((resolve, reject) => {
    const on_message = (message: { ready?: true; result?: PhaseResult; error?: string }) => {
      worker.off('error', on_error);
      resolve(message);
    };
    const on_error = (error: Error) => {
      worker.off('message', on_message);
      reject(error);
    };
    worker.once('message', on_message);
    worker.once('error', on_error);
  });
}

/** Runs one phase: the receiver (B) first, and the sender (A) once B is ready. */
async function phase(agents: Agents, command: PhaseCommand): Promise<{ a: PhaseResult; b: PhaseResult }> {
  const b_ready = next_message(agents.b);
  agents.b.postMessage(command);
  const ready = await b_ready;
  if (ready.error !== undefined) throw new Error(`agent B: ${ready.error}`);
  const b_done = next_message(agents.b);
  const a_done = next_message(agents.a);
  agents.a.postMessage(command);
  const [a, b] = await Promise.all([a_done, b_done]);
  if (a.error !== undefined) throw new Error(`agent A: ${a.error}`);
  if (b.error !== undefined) throw new Error(`agent B: ${b.error}`);
  return { a: a.result!, b: b.result! };
}

/** Messages per second seen by the receiver. */
function rate(b: PhaseResult): number {
  return (b.count - 1) / ((b.end_ms - b.start_ms) / 1000);
}

export async function kernel_bench(options: KernelBenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const scale = options.quick === true ? 0.02 : 1;
  const count = (n: number) => Math.max(100, Math.round(n * scale));
  // Default topology: cores 0 and 1 share socket 0, so messages travel through L2.
  const memory = NodeMemory.create({ ring_capacity_l2: 1024 });
  memory.bind(1, 0);
  memory.bind(2, 1);
  const ring = new SharedArrayBuffer(BARE_RING_BYTES);
  const channel = new MessageChannel();
  const entry = new URL('./agent.ts', import.meta.url);
  const base = { shared: memory.shared(), ring, spin_polls: 20_000 };
  const init_a: AgentInit = { ...base, role: 'A', core: 0, pid: 1, peer: 2, port: channel.port1 };
  const init_b: AgentInit = { ...base, role: 'B', core: 1, pid: 2, peer: 1, port: channel.port2 };
  const agents: Agents = {
    a: spawn_worker(entry, { workerData: init_a, transferList: [channel.port1] }),
    b: spawn_worker(entry, { workerData: init_b, transferList: [channel.port2] }),
  };
  try {
    const results: BenchResult[] = [];
    /** Runs the variants of one comparison round-robin `rounds` times; medians of their rates. */
    const compare = async (rounds: number, variants: Record<string, PhaseCommand>) => {
      const rates: Record<string, number[]> = {};
      for (let round = 0; round < rounds; round++) {
        for (const [name, command] of Object.entries(variants)) {
          (rates[name] ??= []).push(rate((await phase(agents, command)).b));
        }
      }
      return Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, median(list)]));
    };

    log('kernel: 64-byte messages, one at a time');
    const one = await compare(ROUNDS, {
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
    const batched = await compare(ROUNDS, {
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
    const page = await compare(3, {
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
    const bulk = await compare(3, {
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
    const p50: Record<string, number[]> = {};
    const p99: Record<string, number[]> = {};
    for (let round = 0; round < 3; round++) {
      for (const [name, command] of Object.entries({
        MessagePort: { phase: 'mp_rtt', n: count(20_000) },
        lattice: { phase: 'lattice_rtt', n: count(50_000) },
      })) {
        const samples = (await phase(agents, command)).a.samples!;
        (p50[name] ??= []).push(percentile(samples, 0.5));
        (p99[name] ??= []).push(percentile(samples, 0.99));
      }
    }
    results.push({
      name: 'kernel.rtt_p50_us',
      unit: 'µs',
      better: 'lower',
      lattice: median(p50.lattice!),
      baselines: { MessagePort: median(p50.MessagePort!) },
      note: 'ping-pong, blocking recv (spin, then wait)',
    });
    results.push({
      name: 'kernel.rtt_p99_us',
      unit: 'µs',
      better: 'lower',
      lattice: median(p99.lattice!),
      baselines: { MessagePort: median(p99.MessagePort!) },
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
    for (const worker of [agents.a, agents.b]) worker.postMessage({ phase: 'exit' });
    await Promise.all([agents.a, agents.b].map((w) => new Promise((resolve) => w.once('exit', resolve))));
  }
}
