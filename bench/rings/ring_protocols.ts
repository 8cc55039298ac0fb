/**
 * The ring-protocol experiment behind kernel/ring.ts: where should the consumer of a
 * multi-producer ring of two-line slots poll? Runs the protocols of ring_agent.ts between two
 * workers, interleaved round by round (medians), so that this VM's drift hits all alike. Not a
 * Lattice figure: the evidence for a design choice (docs/PERFORMANCE.md). Measured here: polling
 * a word in the slot's header line beats a separate publish array by about 1.6x, because
 * sixteen publish words share a line that then bounces on every message.
 */
import type { Worker } from 'node:worker_threads';
import { spawn_worker } from '../../host/spawn_worker.js';
import { median, type BenchResult } from '../report.js';
import type { BenchOptions } from '../kernel/agents.js';
import { RING_PROTOCOL_BYTES } from './ring_agent_layout.js';

function next(worker: Worker): Promise<{ ready?: true; done?: true; start?: number; end?: number }> {
  return new Promise((resolve) => worker.once('message', resolve));
}

export async function ring_protocols_bench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  const n = options.quick === true ? 50_000 : 3_000_000;
  const rounds = options.quick === true ? 2 : 7;
  const entry = new URL('./ring_agent.ts', import.meta.url);
  const protocols = ['bare', 'slot_poll', 'array_poll'] as const;
  const rates: Record<string, number[]> = {};
  const buffers = Object.fromEntries(protocols.map((p) => [p, new SharedArrayBuffer(RING_PROTOCOL_BYTES)]));
  log(`rings: ${protocols.join(', ')}, ${rounds} interleaved rounds of ${n} messages`);
  for (let round = 0; round < rounds; round++) {
    for (const protocol of protocols) {
      // A fresh pair of workers and a fresh buffer per run: the positions must start at zero.
      const buffer = new SharedArrayBuffer(RING_PROTOCOL_BYTES);
      buffers[protocol] = buffer;
      const a = spawn_worker(entry, { workerData: { role: 'A', buffer } });
      const b = spawn_worker(entry, { workerData: { role: 'B', buffer } });
      const b_ready = next(b);
      b.postMessage({ protocol, n });
      await b_ready;
      const b_done = next(b);
      const a_done = next(a);
      a.postMessage({ protocol, n });
      const [, result] = await Promise.all([a_done, b_done]);
      (rates[protocol] ??= []).push((n - 1) / ((result.end! - result.start!) / 1000));
      for (const w of [a, b]) w.postMessage({ exit: true });
      await Promise.all([a, b].map((w) => new Promise((resolve) => w.once('exit', resolve))));
    }
  }
  const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  return [
    {
      name: 'rings.slot_poll',
      unit: 'msg/s',
      better: 'higher',
      lattice: m.slot_poll!,
      baselines: { array_poll: m.array_poll!, bare_ring: m.bare! },
      note: 'MPSC, 128-byte slots: consumer polls a word in the slot header (shipped) vs a publish array',
    },
  ];
}
