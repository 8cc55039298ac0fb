/**
 * `npm run bench -- gpu`: BLAKE3 on the WebGPU adapter (the ring's WGSL kernels: upload, chunk
 * and parent passes, read-back) against @noble/hashes' blake3 on the CPU, in the same run, at
 * 64 KiB, 1 MiB and 16 MiB; and the bulk channel's throughput (bulk messages sealed on one ring,
 * sent between two nodes over TCP, verified on the other ring). Prints the adapter; on a machine
 * with no GPU it is Mesa's llvmpipe, a CPU emulation.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { BulkRing, BulkStatus } from '../../gpu/bulk_ring.js';
import { open_bulk, seal_bulk } from '../../gpu/bulk_message.js';
import { BulkError } from '../../gpu/errors.js';
import { open_node_gpu } from '../../host/gpu/node_webgpu.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { Proto } from '../../net/driver.js';
import { median, type BenchResult } from '../report.js';

export interface GpuBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** MB/s of `total` payloads of `size` bytes pushed through the ring, as many in flight as it has slots. */
async function ring_rate(ring: BulkRing, payload: Uint8Array, total: number): Promise<number> {
  let in_flight = 0;
  let done = 0;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (done + in_flight < total) {
        const status = ring.submit(payload, -1, (result) => {
          if (result instanceof BulkError) return reject(result);
          in_flight--;
          done++;
          if (done === total) resolve();
          else pump();
        });
        if (status === BulkStatus.FULL) return;
        if (status !== BulkStatus.OK) {
          reject(new Error(`status ${status}`));
          return;
        }
        in_flight++;
      }
    };
    pump();
  });
  return (total * payload.length) / 1e6 / ((performance.now() - started) / 1000);
}

function noble_rate(payload: Uint8Array, total: number): number {
  const started = performance.now();
  for (let i = 0; i < total; i++) blake3(payload);
  return (total * payload.length) / 1e6 / ((performance.now() - started) / 1000);
}

export async function gpu_bench(options: GpuBenchOptions): Promise<BenchResult[]> {
  const { quick, log } = options;
  const rounds = quick ? 1 : 3;
  const gpu = await open_node_gpu();
  log(`gpu: adapter ${gpu.adapter.name} (${gpu.adapter.backend}${gpu.adapter.software ? ', a CPU emulation' : ''})`);
  const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 4, slot_bytes_max: 16 << 20 });
  const results: BenchResult[] = [];
  const adapter_note = `adapter: ${gpu.adapter.name}${gpu.adapter.software ? ' (software: a CPU emulation)' : ''}`;
  try {
    for (const [name, size, gpu_total, cpu_total] of [
      ['gpu.blake3_64KiB_MBps', 64 << 10, 400, 200],
      ['gpu.blake3_1MiB_MBps', 1 << 20, 64, 16],
      ['gpu.blake3_16MiB_MBps', 16 << 20, 8, 2],
    ] as const) {
      const payload = new Uint8Array(size).map((_, i) => i * 7);
      const n = (k: number) => Math.max(2, Math.round(k * (quick ? 0.1 : 1)));
      log(`gpu: ${name}`);
      await ring_rate(ring, payload, n(gpu_total) / 2); // Warm-up: pipelines compiled, buffers touched.
      noble_rate(payload, 1);
      const g: number[] = [];
      const c: number[] = [];
      for (let r = 0; r < rounds; r++) {
        g.push(await ring_rate(ring, payload, n(gpu_total)));
        c.push(noble_rate(payload, n(cpu_total)));
      }
      results.push({
        name,
        unit: 'MB/s',
        better: 'higher',
        lattice: median(g),
        baselines: { noble_blake3: median(c) },
        note: `BLAKE3 digests, 4 slots in flight; ${adapter_note}`,
      });
    }
    results.push(await bulk_channel_rate(gpu, quick, log, adapter_note));
  } finally {
    await ring.close();
    gpu.close();
  }
  return results;
}

/** 1 MiB bulk messages from node 1 to node 2 over TCP: sealed (digest) on one ring, verified on another. */
async function bulk_channel_rate(
  gpu: Awaited<ReturnType<typeof open_node_gpu>>,
  quick: boolean,
  log: (line: string) => void,
  adapter_note: string,
): Promise<BenchResult> {
  log('gpu: gpu.bulk_channel_MBps');
  const size = 1 << 20;
  const total = quick ? 8 : 64;
  const sender = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 4, slot_bytes_max: size });
  const receiver = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 4, slot_bytes_max: size });
  const a = create_net_driver();
  const b = create_net_driver();
  try {
    await a.init({ node_id: 1, frame_bytes_max: 2 << 20, pending_bytes_max: 64 << 20 });
    await b.init({ node_id: 2, frame_bytes_max: 2 << 20, max_queue: 1024 });
    a.add_remote(2, '127.0.0.1', b.port, Proto.TCP);
    const payload = new Uint8Array(size).map((_, i) => i * 13);
    const run = async (count: number): Promise<number> => {
      let verified = 0;
      const started = performance.now();
      const all = new Promise<void>((resolve, reject) => {
        b.set_recv_callback(() => {
          for (let p = b.recv(); p !== null; p = b.recv()) {
            void open_bulk(receiver, p.payload).then((r) => {
              if (r instanceof BulkError) return reject(r);
              if (++verified === count) resolve();
            });
          }
        });
      });
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) sends.push(seal_bulk(sender, payload).then((m) => void a.send_nowait(2, m)));
      await Promise.all(sends);
      await all;
      return (count * size) / 1e6 / ((performance.now() - started) / 1000);
    };
    await run(4);
    const rates: number[] = [];
    for (let r = 0; r < (quick ? 1 : 3); r++) rates.push(await run(total));
    return {
      name: 'gpu.bulk_channel_MBps',
      unit: 'MB/s',
      better: 'higher',
      lattice: median(rates),
      baselines: {},
      note: `1 MiB bulk messages node to node over TCP, digest computed on the sender's ring and verified on the receiver's; ${adapter_note}`,
    };
  } finally {
    await a.shutdown();
    await b.shutdown();
    await sender.close();
    await receiver.close();
  }
}
