// The bulk ring on the real adapter: user kernels against CPU references, WGSL errors, slots
// kept apart, back-pressure and slot reuse, the CPU fallback, bulk messages verified between two
// worker threads (each with its own device, payloads in slab blocks) and between two nodes over
// TCP, and close() leaving the process free to exit.
import { spawn } from 'node:child_process';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkRing, BulkStatus, type BulkKernelSpec, type BulkResult } from '../../gpu/bulk_ring.js';
import { encode_bulk, open_bulk, seal_bulk } from '../../gpu/bulk_message.js';
import { BulkError } from '../../gpu/errors.js';
import type { GpuHandle } from '../../gpu/gpu_device.js';
import { NodeHost } from '../../host/node_host.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { Proto } from '../../net/driver.js';
import { test_gpu } from './gpu_adapter.js';

const HEADER = `struct BulkParams { length: u32, output_length: u32, invocations: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: BulkParams;
`;

/** Output word i = input word i XOR key, then multiplied by its index + 1 (mod 2^32). */
const MIX: BulkKernelSpec = {
  name: 'mix',
  entry_point: 'main',
  workgroup_size: 64,
  output_bytes: (n) => Math.ceil(n / 4) * 4,
  code: `${HEADER}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.output_length / 4u) { return; }
  output[id.x] = (input[id.x] ^ 0x9e3779b9u) * (id.x + 1u);
}`,
  cpu(input, output) {
    const padded = new Uint8Array(output.length);
    padded.set(input);
    const words = new Uint32Array(padded.buffer);
    const out = new Uint32Array(output.buffer, output.byteOffset, output.length / 4);
    for (let i = 0; i < words.length; i++) out[i] = Math.imul((words[i]! ^ 0x9e3779b9) >>> 0, i + 1) >>> 0;
  },
};

let gpu: GpuHandle | null = null;
beforeAll(async () => {
  gpu = await test_gpu();
});
afterAll(() => gpu?.close());

const random_bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
};

describe('user kernels', () => {
  it("match the kernel's CPU reference, digest included", async (ctx) => {
    if (gpu === null) return ctx.skip();
    const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 1 << 20 });
    const id = await ring.register_kernel(MIX);
    for (const n of [1, 4, 1000, 65_537, 1 << 20]) {
      const data = random_bytes(n, n);
      const result = (await ring.run(data, id)) as BulkResult;
      const expected = new Uint8Array(MIX.output_bytes(n));
      MIX.cpu!(data, expected);
      expect(result.output, `${n}`).toEqual(expected);
      expect(result.digest).toEqual(blake3(data));
    }
    await ring.close();
  });

  it('report WGSL compile and validation errors with the compiler message', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 1, slot_bytes_max: 4096 });
    const syntax = await ring
      .register_kernel({
        ...MIX,
        name: 'broken',
        code: `${HEADER}\n@compute @workgroup_size(64) fn main() { let x = ; }`,
      })
      .catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(BulkError);
    expect((syntax as BulkError).code).toBe('ERR_LATTICE_WGSL');
    expect((syntax as BulkError).messages.join('\n')).toMatch(/^6:\d+: missing initializer/);
    const entry = await ring
      .register_kernel({ ...MIX, name: 'no entry', entry_point: 'missing' })
      .catch((e: unknown) => e);
    expect((entry as BulkError).code).toBe('ERR_LATTICE_WGSL');
    const size = await ring.register_kernel({ ...MIX, workgroup_size: 256 }).catch((e: unknown) => e);
    expect((size as BulkError).code).toBe('ERR_LATTICE_BAD_KERNEL');
    expect(ring.stats().kernel_errors).toBe(2);
    await ring.close();
  });

  it('cannot write outside its own slot', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 4096 });
    // Writes far past its output (into where another slot's buffers might lie) and its own words.
    const vandal = await ring.register_kernel({
      ...MIX,
      name: 'vandal',
      code: `${HEADER}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  output[id.x + 1048576u] = 0xdeadbeefu;
  output[id.x + params.output_length] = 0xdeadbeefu;
  if (id.x < params.output_length / 4u) { output[id.x] = input[id.x] + 1u; }
}`,
    });
    const mix = await ring.register_kernel(MIX);
    const a = random_bytes(4096, 1);
    const b = random_bytes(4096, 2);
    const [ra, rb] = (await Promise.all([ring.run(a, vandal), ring.run(b, mix)])) as BulkResult[];
    const expected_b = new Uint8Array(4096);
    MIX.cpu!(b, expected_b);
    expect(rb!.output).toEqual(expected_b);
    const words = new Uint32Array(ra!.output!.buffer);
    const input = new Uint32Array(a.buffer);
    for (let i = 0; i < input.length; i++) expect(words[i]).toBe((input[i]! + 1) >>> 0);
    await ring.close();
  });
});

describe('the ring', () => {
  it('refuses with FULL when every slot is in flight, and reuses slots as they come back', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 1 << 16 });
    const payloads = Array.from({ length: 12 }, (_, i) => random_bytes(1000 + i * 3000, i + 7));
    const digests: Uint8Array[] = [];
    let next = 0;
    let full = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        while (next < payloads.length) {
          const index = next;
          const status = ring.submit(payloads[index]!, -1, (result) => {
            if (result instanceof BulkError) return reject(result);
            digests[index] = result.digest;
            if (digests.filter(Boolean).length === payloads.length) resolve();
            else pump();
          });
          if (status === BulkStatus.FULL) {
            full++;
            return;
          }
          expect(status).toBe(BulkStatus.OK);
          expect(ring.in_flight).toBeLessThanOrEqual(2);
          next++;
        }
      };
      pump();
    });
    for (let i = 0; i < payloads.length; i++) expect(digests[i], `${i}`).toEqual(blake3(payloads[i]!));
    expect(full).toBeGreaterThan(0);
    expect(ring.stats()).toMatchObject({ messages: 12, full, in_flight: 0 });
    expect(ring.submit(new Uint8Array((1 << 16) + 1), -1, () => {})).toBe(BulkStatus.TOO_LARGE);
    expect(ring.submit(new Uint8Array(1), 99, () => {})).toBe(BulkStatus.NO_KERNEL);
    await ring.close();
    await ring.close(); // Idempotent.
    expect(ring.submit(new Uint8Array(1), -1, () => {})).toBe(BulkStatus.CLOSED);
  });

  it('runs on the CPU where there is no adapter, and says so', async () => {
    const ring = await BulkRing.create(
      { kind: 'cpu', reason: 'no adapter in this test' },
      { slots: 2, slot_bytes_max: 1 << 16 },
    );
    const id = await ring.register_kernel(MIX);
    const data = random_bytes(5000, 3);
    const result = (await ring.run(data, id)) as BulkResult;
    const expected = new Uint8Array(5000);
    MIX.cpu!(data, expected);
    expect(result).toMatchObject({ path: 'cpu', digest: blake3(data), output: expected });
    const { cpu: _cpu, ...without } = MIX;
    await expect(ring.register_kernel(without)).rejects.toMatchObject({ code: 'ERR_LATTICE_NO_CPU_KERNEL' });
    expect(ring.stats()).toMatchObject({
      path: 'cpu',
      fallback_reason: 'no adapter in this test',
      fallbacks: 1,
      messages: 1,
    });
    await ring.close();
  });
});

describe('bulk messages', () => {
  it('are verified at the receiving node; a corrupted one is a counted DIGEST_MISMATCH', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const sender_ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 1 << 20 });
    const receiver_ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 1 << 20 });
    const a = create_net_driver();
    const b = create_net_driver();
    try {
      await a.init({ node_id: 1, frame_bytes_max: 2 << 20 });
      await b.init({ node_id: 2, frame_bytes_max: 2 << 20 });
      a.add_remote(2, '127.0.0.1', b.port, Proto.TCP);
      const payload = random_bytes(300_000, 9);
      const good = await seal_bulk(sender_ring, payload);
      const bad = good.slice();
      bad[good.length - 1]! ^= 0x40;
      const arrived: Uint8Array[] = [];
      const both = new Promise<void>((resolve) =>
        b.set_recv_callback(() => {
          for (let p = b.recv(); p !== null; p = b.recv()) arrived.push(p.payload);
          if (arrived.length === 2) resolve();
        }),
      );
      expect(a.send_nowait(2, good)).toBe('success');
      expect(a.send_nowait(2, bad)).toBe('success');
      await both;
      expect(await open_bulk(receiver_ring, arrived[0]!)).toEqual(payload);
      const refused = await open_bulk(receiver_ring, arrived[1]!);
      expect(refused).toBeInstanceOf(BulkError);
      expect((refused as BulkError).code).toBe('ERR_LATTICE_DIGEST_MISMATCH');
      expect(receiver_ring.stats().digest_mismatches).toBe(1);
      expect(((await open_bulk(receiver_ring, good.subarray(0, 20))) as BulkError).code).toBe(
        'ERR_LATTICE_BAD_BULK_MESSAGE',
      );
      expect(() => encode_bulk(payload, new Uint8Array(31))).toThrow(BulkError);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await sender_ring.close();
      await receiver_ring.close();
    }
  });
});

describe('payloads in shared memory', () => {
  it('go to the device through the staging buffer, piece by piece, and hash the same', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 2, slot_bytes_max: 4 << 20 });
    const shared = new Uint8Array(new SharedArrayBuffer((3 << 20) + 64));
    shared.set(random_bytes(shared.length, 5));
    for (const [offset, length] of [
      [0, 0],
      [1, 5],
      [3, (1 << 20) + 3],
      [7, 3 << 20],
    ] as const) {
      const view = shared.subarray(offset, offset + length);
      const result = (await ring.run(view)) as BulkResult;
      expect(result.digest).toEqual(blake3(view.slice()));
    }
    expect(ring.stats().staged_bytes).toBe(5 + (1 << 20) + 3 + (3 << 20));
    await ring.close();
  });
});

describe('bulk messages between worker threads', () => {
  it('travel by descriptor in slab blocks and are verified by the receiving worker on its own device', async () => {
    const lengths = [0, 1, 63, 64, 65, 1023, 1024, 1025, 65_536, 300_000, 3 << 20, 4097];
    const corrupt = [7, 10];
    const ready = new SharedArrayBuffer(4);
    const args = { lengths, corrupt, receiver: 2, ready };
    const module = new URL('../fixtures/bulk_processes.ts', import.meta.url);
    const host = await NodeHost.start({
      node: {
        sockets: 1,
        cores_per_socket: 2,
        slab_classes: [
          { block_bytes: 128, block_count: 64 },
          { block_bytes: 1 << 20, block_count: 4 },
          { block_bytes: 4 << 20, block_count: 2 },
        ],
      },
      processes: [
        { pid: 2, core: 1, module, entry: 'bulk_receiver', args },
        { pid: 1, core: 0, module, entry: 'bulk_sender', args },
      ],
    });
    try {
      const [sender, receiver] = await host.join([1, 2]);
      expect(sender!.error).toBeUndefined();
      expect(receiver!.error).toBeUndefined();
      const got = receiver!.value as {
        verified: number[];
        refused: { index: number; code: string }[];
        wrong_bytes: number;
        stats: { path: string; messages: number; digest_mismatches: number };
      };
      expect(got.verified).toEqual(lengths.map((_, i) => i).filter((i) => !corrupt.includes(i)));
      expect(got.refused).toEqual(corrupt.map((index) => ({ index, code: 'ERR_LATTICE_DIGEST_MISMATCH' })));
      expect(got.wrong_bytes).toBe(0);
      expect(got.stats).toMatchObject({ messages: lengths.length, digest_mismatches: corrupt.length });
      const sent = sender!.value as { path: string; messages: number };
      expect(sent.messages).toBe(lengths.length);
      if (gpu !== null) {
        expect(got.stats.path).toBe('gpu');
        expect(sent.path).toBe('gpu');
        // Slab blocks are shared memory, which writeBuffer does not take: staged, every byte.
        expect((sent as unknown as { staged_bytes: number }).staged_bytes).toBe(lengths.reduce((a, b) => a + b, 0));
      }
      // Every block the sender filled came back: the receiver released each one after verifying.
      const stats = host.stats();
      expect(stats.slab.payload_blocks_outstanding).toBe(0);
      expect(stats.cores[1]!.blocks_released).toBe(lengths.length);
    } finally {
      await host.close();
    }
  }, 120_000);
});

describe('close()', () => {
  it('leaves the process free to exit', async (ctx) => {
    if (gpu === null) return ctx.skip();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('../fixtures/gpu_exit.ts', import.meta.url).pathname],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toBe('hashed\n');
    expect(code).toBe(0);
  }, 60_000);
});
