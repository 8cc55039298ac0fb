/**
 * The two agent threads the kernel and API benchmarks run between (agent.ts), and how a phase
 * is driven: the receiver (B) first, the sender (A) once B is ready; variants of a comparison
 * interleaved round by round, medians reported.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import { NodeMemory } from '../../kernel/node_memory.js';
import { spawn_worker } from '../../host/spawn_worker.js';
import { median, percentile } from '../report.js';
import { BARE_RING_BYTES, type AgentInit, type PhaseCommand, type PhaseResult } from './agent_protocol.js';

export interface Agents {
  readonly a: Worker;
  readonly b: Worker;
  /** Stops both agents and waits for them to exit. */
  close(): Promise<void>;
}

/** Where agent B runs, and how its receives wait. */
export interface AgentPlacement {
  /** B's core: 1 (the default) shares socket 0 with A, so messages travel through L2; 2 is on socket 1 (L3). */
  readonly b_core?: number;
  /** Polls before a blocking receive sleeps on its doorbell (0: every receive that finds nothing sleeps). */
  readonly spin_polls?: number;
}

/**
 * Starts agents A (pid 1, core 0) and B (pid 2, core 1 unless `placement` says) on a fresh
 * default node of 2 sockets × 2 cores: cores 0 and 1 share socket 0, so messages between them
 * travel through L2. Pid 3 is bound to core 0 too, for the transfer phases inside A.
 */
export function start_agents(placement: AgentPlacement = {}): Agents {
  const b_core = placement.b_core ?? 1;
  const memory = NodeMemory.create({ ring_capacity_l2: 1024 });
  memory.bind(1, 0);
  memory.bind(2, b_core);
  memory.bind(3, 0);
  const ring = new SharedArrayBuffer(BARE_RING_BYTES);
  const channel = new MessageChannel();
  const entry = new URL('./agent.ts', import.meta.url);
  const base = { shared: memory.shared(), ring, spin_polls: placement.spin_polls ?? 20_000 };
  const init_a: AgentInit = { ...base, role: 'A', core: 0, pid: 1, peer: 2, port: channel.port1 };
  const init_b: AgentInit = { ...base, role: 'B', core: b_core, pid: 2, peer: 1, port: channel.port2 };
  const a = spawn_worker(entry, { workerData: init_a, transferList: [channel.port1] });
  const b = spawn_worker(entry, { workerData: init_b, transferList: [channel.port2] });
  return {
    a,
    b,
    async close() {
      for (const worker of [a, b]) worker.postMessage({ phase: 'exit' });
      await Promise.all([a, b].map((w) => new Promise((resolve) => w.once('exit', resolve))));
    },
  };
}

type Reply = { ready?: true; result?: PhaseResult; error?: string };

function next_message(worker: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const on_message = (message: Reply) => {
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
export async function phase(agents: Agents, command: PhaseCommand): Promise<{ a: PhaseResult; b: PhaseResult }> {
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
export function rate(b: PhaseResult): number {
  return (b.count - 1) / ((b.end_ms - b.start_ms) / 1000);
}

/** Runs the variants of one throughput comparison round-robin `rounds` times; their median rates. */
export async function compare(
  agents: Agents,
  rounds: number,
  variants: Record<string, PhaseCommand>,
): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, command] of Object.entries(variants)) {
      (rates[name] ??= []).push(rate((await phase(agents, command)).b));
    }
  }
  return Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, median(list)]));
}

/** Runs round-trip variants round-robin; median p50 and p99 (µs, timed by the sender). */
export async function compare_rtt(agents: Agents, rounds: number, variants: Record<string, PhaseCommand>) {
  const p50: Record<string, number[]> = {};
  const p99: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, command] of Object.entries(variants)) {
      const samples = (await phase(agents, command)).a.samples!;
      (p50[name] ??= []).push(percentile(samples, 0.5));
      (p99[name] ??= []).push(percentile(samples, 0.99));
    }
  }
  const medians = (table: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(table).map(([name, list]) => [name, median(list)]));
  return { p50: medians(p50), p99: medians(p99) };
}

export interface BenchOptions {
  /** Smaller counts, for a smoke run. */
  readonly quick?: boolean;
  readonly log?: (line: string) => void;
}
