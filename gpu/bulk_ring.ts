/**
 * The bulk path: a ring of GPU buffer sets ("slots") that bulk payloads go through, a BLAKE3
 * digest of every payload computed by the WGSL kernels of blake3_wgsl.ts, and user kernels that
 * transform payloads.
 *
 * Each slot owns, allocated once at `create`:
 *
 *   input     STORAGE | COPY_DST    slot_bytes_max (rounded up to 4)   the payload
 *   cv_a/b    STORAGE | COPY_SRC    32 B × chunks_max                   BLAKE3 chaining values, ping-pong per level
 *   output    STORAGE | COPY_SRC    output_bytes_max                    a user kernel's result
 *   params    UNIFORM | COPY_DST    256 B × (levels_max + 1)            one 256-aligned record per pass
 *   readback  MAP_READ | COPY_DST   32 B + output_bytes_max             digest and output, mapped back
 *
 * `submit` takes a free slot (or returns `BulkStatus.FULL`: back-pressure, never a queue), writes
 * the payload, encodes every pass and the copies into one command buffer, submits it and maps the
 * read-back buffer; the slot is free again when the map resolves and `done` has run. Consecutive
 * payloads on different slots overlap: one uploads while another computes and a third reads
 * back. No GPU buffer is created per message.
 *
 * A user kernel binds only its slot's `input`, `output` and a params record, so it cannot read or
 * write another slot's bytes (WebGPU bounds every access to the binding). Where there is no
 * adapter the ring runs on the CPU: noble's BLAKE3 and the kernel's `cpu` reference; `stats()`
 * says which path ran and why.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { assert } from '../kernel/assert.js';
import {
  BLAKE3_CHUNK_BYTES,
  BLAKE3_OUT_BYTES,
  BLAKE3_WORKGROUP_SIZE,
  blake3_passes,
  blake3_wgsl,
} from './blake3_wgsl.js';
import { BulkError } from './errors.js';
import type { GpuHandle } from './gpu_device.js';

/** Result codes of `submit`. */
export const BulkStatus = {
  OK: 0,
  /** Every slot is in flight: try again when a `done` has run. */
  FULL: -1,
  /** The payload is over `slot_bytes_max`. */
  TOO_LARGE: -2,
  /** The ring is closed. */
  CLOSED: -3,
  /** No kernel has that id. */
  NO_KERNEL: -4,
} as const;
export type BulkStatus = (typeof BulkStatus)[keyof typeof BulkStatus];

/** A user kernel: WGSL that transforms a payload into an output of a declared size. */
export interface BulkKernelSpec {
  readonly name: string;
  /**
   * WGSL source. Its bindings in group 0 must be: 0 `var<storage, read> input: array<u32>` (the
   * payload, zero-padded to 4 bytes), 1 `var<storage, read_write> output: array<u32>`, 2
   * `var<uniform> params: BulkParams` with `struct BulkParams { length: u32, output_length: u32,
   * invocations: u32, pad: u32 }` (bytes in, bytes out, invocations dispatched).
   */
  readonly code: string;
  readonly entry_point: string;
  /** Must equal the entry point's `@workgroup_size` (1 – 128, compatibility mode's limit). */
  readonly workgroup_size: number;
  /** Output bytes for an input of `input_bytes` (a multiple of 4, at most `output_bytes_max`). */
  readonly output_bytes: (input_bytes: number) => number;
  /** Invocations to dispatch (default: one per output word). */
  readonly invocations?: (input_bytes: number) => number;
  /** The same transformation on the CPU, for the fallback path and for tests. */
  readonly cpu?: (input: Uint8Array, output: Uint8Array) => void;
}

/** What a payload came back with. */
export interface BulkResult {
  /** BLAKE3 of the payload (32 bytes). */
  readonly digest: Uint8Array;
  /** The user kernel's output, or null when none ran. */
  readonly output: Uint8Array | null;
  readonly path: 'gpu' | 'cpu';
}

export type BulkDone = (result: BulkResult | BulkError) => void;

export interface BulkRingConfig {
  /** Slots in the ring (1 – 64). */
  readonly slots?: number;
  /** Largest payload (bytes, up to 128 MiB: compatibility mode's storage binding limit). */
  readonly slot_bytes_max?: number;
  /** Largest user-kernel output (bytes; default `slot_bytes_max`). */
  readonly output_bytes_max?: number;
  /** Milliseconds, for the GPU-time counter (default `performance.now`). */
  readonly clock?: {
    /** Milliseconds, monotonic. */
    now_ms(): number;
  };
}

/** Counters of a ring. */
export interface BulkStats {
  readonly path: 'gpu' | 'cpu';
  /** Why the CPU path runs (no adapter and the attempts), or '' on the GPU. */
  readonly fallback_reason: string;
  readonly adapter: string;
  messages: number;
  bytes: number;
  /** Milliseconds from submit to results mapped, summed over messages. */
  gpu_ms: number;
  /** Payloads the CPU handled (the whole ring on the CPU path). */
  fallbacks: number;
  /** `submit`s refused because every slot was busy. */
  full: number;
  /** Bulk messages whose digest did not match (see bulk_message.ts). */
  digest_mismatches: number;
  /** Kernels that failed to compile. */
  kernel_errors: number;
  /** Slots in flight now. */
  in_flight: number;
  /** Payload bytes copied through the staging buffer because they lay in shared memory. */
  staged_bytes: number;
}

const PARAMS_STRIDE_BYTES = 256; // minUniformBufferOffsetAlignment's largest allowed value.
const SLOTS_MAX = 64;
/** The staging buffer for payloads in shared memory: 1 MiB (a multiple of 4). */
const STAGING_BYTES_MAX = 1 << 20;
const SLOT_BYTES_MAX = 128 << 20;
const WORKGROUP_SIZE_MAX = 128;
const DISPATCH_WORKGROUPS_MAX = 65_535;

interface Slot {
  readonly index: number;
  readonly input: GPUBuffer;
  readonly cv: readonly [GPUBuffer, GPUBuffer];
  readonly output: GPUBuffer;
  readonly params: GPUBuffer;
  readonly readback: GPUBuffer;
  /** The params records written before each submission (one 256-byte record per pass), reused. */
  readonly records: Uint32Array<ArrayBuffer>;
  /** BLAKE3 bind groups: [0] reads cv[1] writes cv[0]; [1] the reverse. */
  readonly blake3_groups: readonly [GPUBindGroup, GPUBindGroup];
  /** Per user kernel id. */
  readonly kernel_groups: GPUBindGroup[];
  busy: boolean;
}

interface Kernel {
  readonly spec: BulkKernelSpec;
  readonly pipeline: GPUComputePipeline | null;
}

/** Where the CPU fallback came from. */
export type BulkBackend = { kind: 'gpu'; handle: GpuHandle } | { kind: 'cpu'; reason: string };

export class BulkRing {
  readonly slots_count: number;
  readonly slot_bytes_max: number;
  readonly output_bytes_max: number;
  private readonly device: GPUDevice | null;
  private readonly slots: Slot[] = [];
  private readonly kernels: Kernel[] = [];
  private readonly clock: { now_ms(): number };
  private readonly counters: BulkStats;
  private blake3_layout: GPUBindGroupLayout | null = null;
  private kernel_layout: GPUBindGroupLayout | null = null;
  private chunk_pipeline: GPUComputePipeline | null = null;
  private parent_pipeline: GPUComputePipeline | null = null;
  private closed = false;
  private readonly tail = new Uint8Array(4);
  /** Where payloads in shared memory pass on their way to the device (see `upload`). */
  private readonly staging: Uint8Array<ArrayBuffer>;

  private constructor(backend: BulkBackend, config: BulkRingConfig) {
    this.slots_count = config.slots ?? 4;
    this.slot_bytes_max = config.slot_bytes_max ?? 16 << 20;
    this.output_bytes_max = config.output_bytes_max ?? this.slot_bytes_max;
    assert(
      Number.isInteger(this.slots_count) && this.slots_count >= 1 && this.slots_count <= SLOTS_MAX,
      `slots ${this.slots_count}`,
    );
    assert(
      Number.isInteger(this.slot_bytes_max) && this.slot_bytes_max >= 4 && this.slot_bytes_max <= SLOT_BYTES_MAX,
      `slot_bytes_max ${this.slot_bytes_max}`,
    );
    assert(
      Number.isInteger(this.output_bytes_max) && this.output_bytes_max >= 4 && this.output_bytes_max <= SLOT_BYTES_MAX,
      `output_bytes_max ${this.output_bytes_max}`,
    );
    this.clock = config.clock ?? { now_ms: () => performance.now() };
    this.device = backend.kind === 'gpu' ? backend.handle.device : null;
    this.staging = new Uint8Array(
      this.device === null ? 0 : Math.min(STAGING_BYTES_MAX, (this.slot_bytes_max + 3) & ~3),
    );
    this.counters = {
      path: backend.kind,
      fallback_reason: backend.kind === 'cpu' ? backend.reason : '',
      adapter: backend.kind === 'gpu' ? `${backend.handle.adapter.name} (${backend.handle.adapter.backend})` : 'none',
      messages: 0,
      bytes: 0,
      gpu_ms: 0,
      fallbacks: 0,
      full: 0,
      digest_mismatches: 0,
      kernel_errors: 0,
      in_flight: 0,
      staged_bytes: 0,
    };
  }

  /**
   * Makes a ring on `backend` (a device, or the CPU with the reason): compiles BLAKE3 and
   * allocates every slot's buffers now.
   */
  static async create(backend: BulkBackend, config: BulkRingConfig = {}): Promise<BulkRing> {
    const ring = new BulkRing(backend, config);
    if (ring.device !== null) await ring.allocate(ring.device);
    return ring;
  }

  private async allocate(device: GPUDevice): Promise<void> {
    const chunks_max = Math.ceil(this.slot_bytes_max / BLAKE3_CHUNK_BYTES);
    assert(
      Math.ceil(chunks_max / BLAKE3_WORKGROUP_SIZE) <= DISPATCH_WORKGROUPS_MAX,
      `${chunks_max} chunks need too many workgroups`,
    );
    const levels_max = blake3_passes(this.slot_bytes_max).length;
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    this.blake3_layout = device.createBindGroupLayout({
      entries: [
        storage(0, 'read-only-storage'),
        storage(1, 'read-only-storage'),
        storage(2, 'storage'),
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ],
    });
    this.kernel_layout = device.createBindGroupLayout({
      entries: [
        storage(0, 'read-only-storage'),
        storage(1, 'storage'),
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ],
    });
    const module = await compile(device, blake3_wgsl(), 'blake3');
    const layout = device.createPipelineLayout({ bindGroupLayouts: [this.blake3_layout] });
    this.chunk_pipeline = device.createComputePipeline({ layout, compute: { module, entryPoint: 'chunk' } });
    this.parent_pipeline = device.createComputePipeline({ layout, compute: { module, entryPoint: 'parent' } });
    for (let index = 0; index < this.slots_count; index++) {
      const input = device.createBuffer({
        label: `bulk ${index} input`,
        size: round4(this.slot_bytes_max),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      const cv_bytes = chunks_max * BLAKE3_OUT_BYTES;
      const cv = [0, 1].map((k) =>
        device.createBuffer({
          label: `bulk ${index} cv ${k}`,
          size: cv_bytes,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        }),
      ) as [GPUBuffer, GPUBuffer];
      const output = device.createBuffer({
        label: `bulk ${index} output`,
        size: round4(this.output_bytes_max),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
      const params = device.createBuffer({
        label: `bulk ${index} params`,
        size: PARAMS_STRIDE_BYTES * (levels_max + 1),
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      const readback = device.createBuffer({
        label: `bulk ${index} readback`,
        size: BLAKE3_OUT_BYTES + round4(this.output_bytes_max),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const group = (src: GPUBuffer, dst: GPUBuffer) =>
        device.createBindGroup({
          layout: this.blake3_layout!,
          entries: [
            { binding: 0, resource: { buffer: input } },
            { binding: 1, resource: { buffer: src } },
            { binding: 2, resource: { buffer: dst } },
            { binding: 3, resource: { buffer: params, offset: 0, size: 16 } },
          ],
        });
      const records = new Uint32Array((PARAMS_STRIDE_BYTES / 4) * (levels_max + 1));
      this.slots.push({
        index,
        input,
        cv,
        output,
        params,
        readback,
        records,
        blake3_groups: [group(cv[1], cv[0]), group(cv[0], cv[1])],
        kernel_groups: [],
        busy: false,
      });
    }
  }

  /**
   * Compiles and registers a user kernel; resolves to its id. Rejects with `BulkError`
   * `ERR_LATTICE_WGSL` (the compiler's messages in `messages`) or `ERR_LATTICE_BAD_KERNEL`.
   * On the CPU path the kernel needs `cpu`.
   */
  async register_kernel(spec: BulkKernelSpec): Promise<number> {
    if (!Number.isInteger(spec.workgroup_size) || spec.workgroup_size < 1 || spec.workgroup_size > WORKGROUP_SIZE_MAX) {
      throw new BulkError(
        ErrorCode.BAD_KERNEL,
        `kernel ${spec.name}: workgroup_size ${spec.workgroup_size} is outside [1, ${WORKGROUP_SIZE_MAX}]`,
      );
    }
    if (this.device === null) {
      if (spec.cpu === undefined)
        throw new BulkError(
          ErrorCode.NO_CPU_KERNEL,
          `kernel ${spec.name}: no adapter (${this.counters.fallback_reason}) and no cpu reference`,
        );
      this.kernels.push({ spec, pipeline: null });
      return this.kernels.length - 1;
    }
    const device = this.device;
    let pipeline: GPUComputePipeline;
    try {
      const module = await compile(device, spec.code, spec.name);
      device.pushErrorScope('validation');
      pipeline = device.createComputePipeline({
        layout: device.createPipelineLayout({ bindGroupLayouts: [this.kernel_layout!] }),
        compute: { module, entryPoint: spec.entry_point },
      });
      const error = await device.popErrorScope();
      if (error !== null) throw new BulkError(ErrorCode.WGSL, `kernel ${spec.name}: ${error.message}`, [error.message]);
    } catch (error) {
      this.counters.kernel_errors++;
      throw error;
    }
    const id = this.kernels.length;
    this.kernels.push({ spec, pipeline });
    for (const slot of this.slots) {
      slot.kernel_groups[id] = device.createBindGroup({
        layout: this.kernel_layout!,
        entries: [
          { binding: 0, resource: { buffer: slot.input } },
          { binding: 1, resource: { buffer: slot.output } },
          { binding: 2, resource: { buffer: slot.params, offset: 0, size: 16 } },
        ],
      });
    }
    return id;
  }

  /**
   * Sends `payload` through a free slot: its BLAKE3 digest and, with `kernel` (an id from
   * `register_kernel`, or -1 for none), the kernel's output. `done` runs once, later, with the
   * result or a `BulkError`. `payload` must stay unchanged until this returns (it is copied to the
   * device before). Never throws for a full ring: returns `BulkStatus.FULL`.
   */
  submit(payload: Uint8Array, kernel: number, done: BulkDone): BulkStatus {
    if (this.closed) return BulkStatus.CLOSED;
    if (payload.length > this.slot_bytes_max) return BulkStatus.TOO_LARGE;
    if (kernel !== -1 && (kernel < 0 || kernel >= this.kernels.length)) return BulkStatus.NO_KERNEL;
    const spec = kernel === -1 ? null : this.kernels[kernel]!.spec;
    const output_bytes = spec === null ? 0 : spec.output_bytes(payload.length);
    if (spec !== null)
      assert(
        output_bytes % 4 === 0 && output_bytes <= this.output_bytes_max,
        `kernel ${spec.name}: output of ${output_bytes} bytes`,
      );
    if (this.device === null) return this.submit_cpu(payload, spec, output_bytes, done);
    const slot = this.slots.find((s) => !s.busy);
    if (slot === undefined) {
      this.counters.full++;
      return BulkStatus.FULL;
    }
    slot.busy = true;
    this.counters.in_flight++;
    const started = this.clock.now_ms();
    const device = this.device;
    this.upload(device, slot, payload);
    const encoder = device.createCommandEncoder();
    const passes = blake3_passes(payload.length);
    const records = slot.records;
    let parity = 0;
    for (let i = 0; i < passes.length; i++) {
      const pass_info = passes[i]!;
      records.set([payload.length, pass_info.count, pass_info.root ? 1 : 0, 0], i * (PARAMS_STRIDE_BYTES / 4));
      const pass = encoder.beginComputePass();
      pass.setPipeline(pass_info.kind === 'chunk' ? this.chunk_pipeline! : this.parent_pipeline!);
      pass.setBindGroup(0, slot.blake3_groups[parity]!, [i * PARAMS_STRIDE_BYTES]);
      const invocations = pass_info.kind === 'chunk' ? pass_info.count : Math.ceil(pass_info.count / 2);
      pass.dispatchWorkgroups(Math.ceil(invocations / BLAKE3_WORKGROUP_SIZE));
      pass.end();
      parity ^= 1;
    }
    // The digest is in the buffer the last pass wrote: cv[0] after an odd number of passes.
    encoder.copyBufferToBuffer(slot.cv[parity === 1 ? 0 : 1], 0, slot.readback, 0, BLAKE3_OUT_BYTES);
    if (spec !== null) {
      const k = this.kernels[kernel]!;
      const invocations = spec.invocations?.(payload.length) ?? output_bytes / 4;
      const workgroups = Math.ceil(invocations / spec.workgroup_size);
      assert(workgroups <= DISPATCH_WORKGROUPS_MAX, `kernel ${spec.name}: ${workgroups} workgroups`);
      const at = passes.length * (PARAMS_STRIDE_BYTES / 4);
      records.set([payload.length, output_bytes, invocations, 0], at);
      const pass = encoder.beginComputePass();
      pass.setPipeline(k.pipeline!);
      pass.setBindGroup(0, slot.kernel_groups[kernel]!, [passes.length * PARAMS_STRIDE_BYTES]);
      if (workgroups > 0) pass.dispatchWorkgroups(workgroups);
      pass.end();
      if (output_bytes > 0) encoder.copyBufferToBuffer(slot.output, 0, slot.readback, BLAKE3_OUT_BYTES, output_bytes);
    }
    device.queue.writeBuffer(slot.params, 0, records, 0, (passes.length + 1) * (PARAMS_STRIDE_BYTES / 4));
    device.queue.submit([encoder.finish()]);
    const length = payload.length;
    slot.readback.mapAsync(GPUMapMode.READ, 0, BLAKE3_OUT_BYTES + output_bytes).then(
      () => {
        const mapped = new Uint8Array(slot.readback.getMappedRange(0, BLAKE3_OUT_BYTES + output_bytes));
        const digest = mapped.slice(0, BLAKE3_OUT_BYTES);
        const output = spec === null ? null : mapped.slice(BLAKE3_OUT_BYTES, BLAKE3_OUT_BYTES + output_bytes);
        slot.readback.unmap();
        this.release(slot, length, started);
        done({ digest, output, path: 'gpu' });
      },
      (error: unknown) => {
        this.release(slot, length, started);
        done(new BulkError(ErrorCode.GPU, `bulk slot ${slot.index}: ${(error as Error).message}`));
      },
    );
    return BulkStatus.OK;
  }

  /** `submit` as a promise; rejects with a `BulkError`, or resolves to a status code when refused. */
  run(payload: Uint8Array, kernel = -1): Promise<BulkResult | BulkStatus> {
    return new Promise((resolve, reject) => {
      const status = this.submit(payload, kernel, (result) =>
        result instanceof BulkError ? reject(result) : resolve(result),
      );
      if (status !== BulkStatus.OK) resolve(status);
    });
  }

  /** Counts a digest mismatch found by a receiver (bulk_message.ts). */
  count_mismatch(): void {
    this.counters.digest_mismatches++;
  }

  /** A snapshot of the ring's counters. */
  stats(): BulkStats {
    return { ...this.counters };
  }

  /** Resolves when a slot in flight comes back (at once when none is). */
  slot_freed(): Promise<void> {
    if (this.counters.in_flight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  /** Slots in flight. */
  get in_flight(): number {
    return this.counters.in_flight;
  }

  /**
   * Refuses new payloads and destroys the ring's buffers once every slot in flight has come back
   * (its `done` runs first). Idempotent. The device itself is its `GpuHandle`'s to close.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.counters.in_flight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    for (const slot of this.slots) {
      for (const buffer of [slot.input, ...slot.cv, slot.output, slot.params, slot.readback]) buffer.destroy();
    }
    this.slots.length = 0;
  }

  private readonly drained: (() => void)[] = [];

  private release(slot: Slot, bytes: number, started: number): void {
    slot.busy = false;
    this.counters.in_flight--;
    this.counters.messages++;
    this.counters.bytes += bytes;
    this.counters.gpu_ms += this.clock.now_ms() - started;
    for (const resolve of this.drained.splice(0)) resolve();
  }

  /**
   * Writes `payload` to the slot's input; the last 1–3 bytes go through a zero-padded word.
   * WebGPU's `writeBuffer` takes no view of a SharedArrayBuffer (a slab block, say): such a
   * payload is copied through the ring's fixed staging buffer, a piece at a time (`writeBuffer`
   * copies at the call, so the staging buffer is free again at once), and counted.
   */
  private upload(device: GPUDevice, slot: Slot, payload: Uint8Array): void {
    if (!(payload.buffer instanceof ArrayBuffer)) {
      this.upload_staged(device, slot, payload);
      return;
    }
    const aligned = payload.length & ~3;
    if (aligned > 0) device.queue.writeBuffer(slot.input, 0, payload.buffer, payload.byteOffset, aligned);
    if (aligned < payload.length) {
      this.tail.fill(0);
      this.tail.set(payload.subarray(aligned));
      device.queue.writeBuffer(slot.input, aligned, this.tail);
    }
  }

  private upload_staged(device: GPUDevice, slot: Slot, payload: Uint8Array): void {
    const staging = this.staging;
    for (let at = 0; at < payload.length; at += staging.length) {
      const piece = Math.min(staging.length, payload.length - at);
      staging.set(payload.subarray(at, at + piece));
      const padded = (piece + 3) & ~3; // Only the last piece may end off a word: zeros fill it.
      staging.fill(0, piece, padded);
      device.queue.writeBuffer(slot.input, at, staging, 0, padded);
    }
    this.counters.staged_bytes += payload.length;
  }

  private submit_cpu(
    payload: Uint8Array,
    spec: BulkKernelSpec | null,
    output_bytes: number,
    done: BulkDone,
  ): BulkStatus {
    const started = this.clock.now_ms();
    const digest = blake3(payload);
    let output: Uint8Array | null = null;
    if (spec !== null) {
      output = new Uint8Array(output_bytes);
      spec.cpu!(payload, output);
    }
    this.counters.fallbacks++;
    this.counters.messages++;
    this.counters.bytes += payload.length;
    this.counters.gpu_ms += this.clock.now_ms() - started;
    queueMicrotask(() => done({ digest, output, path: 'cpu' }));
    return BulkStatus.OK;
  }
}

function round4(n: number): number {
  return Math.max(4, Math.ceil(n / 4) * 4);
}

/** Compiles WGSL; a compile error becomes `BulkError` `ERR_LATTICE_WGSL` with the compiler's messages. */
async function compile(device: GPUDevice, code: string, name: string): Promise<GPUShaderModule> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code });
  const info = await module.getCompilationInfo();
  const scope = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos}: ${m.message}`);
  if (errors.length > 0 || scope !== null) {
    const messages = errors.length > 0 ? errors : [scope!.message];
    throw new BulkError(ErrorCode.WGSL, `kernel ${name} does not compile: ${messages[0]}`, messages);
  }
  return module;
}
