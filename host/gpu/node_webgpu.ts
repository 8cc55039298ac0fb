/**
 * WebGPU in Node through the `webgpu` package (Google's Dawn), owned in one place.
 *
 * Dawn's sharp edges live here and nowhere else:
 * - the object `create()` returns must stay reachable for as long as any device it made lives,
 *   or the process crashes at a later garbage collection: a `NodeGpu` holds it until `close()`;
 * - a live device keeps the process running: `close()` destroys the device and drops every
 *   reference, after which the process can exit.
 *
 * With no GPU, Dawn runs on Mesa's software rasteriser: its OpenGL ES backend, the adapter asked
 * for with `featureLevel: 'compatibility'`, and `EGL_PLATFORM=surfaceless` (set here when unset,
 * before Dawn loads). `.ci/run` installs Mesa's EGL (libegl1 libegl-dev libegl-mesa0
 * libgl1-mesa-dri). A real GPU is preferred when one answers.
 */
import { ErrorCode } from '../../kernel/error_codes.js';
import { LatticeError } from '../../kernel/errors.js';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuHandle } from '../../gpu/gpu_device.js';

/** How to look for an adapter. */
export interface NodeGpuOptions {
  /**
   * Dawn backends to try, in order: `default` (Vulkan or whatever Dawn picks, core feature level)
   * and `opengles` (compatibility level: Mesa's llvmpipe where there is no GPU). Default both.
   */
  readonly backends?: readonly ('default' | 'opengles')[];
}

/** Why no adapter was found (every attempt's outcome), for stats and messages. */
export class NoAdapterError extends LatticeError {
  constructor(readonly attempts: readonly string[]) {
    super(ErrorCode.NO_GPU_ADAPTER, `no WebGPU adapter: ${attempts.join('; ')}`);
    this.name = 'NoAdapterError';
  }
}

/** The version of the optional `webgpu` package (Dawn) this release is tested with. */
export const WEBGPU_PACKAGE_VERSION = '0.6.2';

/**
 * The optional `webgpu` package is not installed (it is a peer dependency: the kernel, network,
 * secure channel and simulator never need it). The bulk path's CPU fallback still works.
 */
export class WebGpuMissingError extends LatticeError {
  constructor(cause: unknown) {
    super(
      ErrorCode.WEBGPU_MISSING,
      `the optional webgpu package is not installed: run 'npm install webgpu@${WEBGPU_PACKAGE_VERSION}' for the GPU path (the CPU fallback works without it)`,
      { cause },
    );
    this.name = 'WebGpuMissingError';
  }
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/**
 * Opens a WebGPU device in Node. Rejects with `WebGpuMissingError` (`ERR_LATTICE_WEBGPU_MISSING`)
 * when the optional `webgpu` package is not installed, and with `NoAdapterError`
 * (`ERR_LATTICE_NO_GPU_ADAPTER`) when no backend gives an adapter.
 */
export async function open_node_gpu(options: NodeGpuOptions = {}): Promise<GpuHandle> {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  if (process.env.XDG_RUNTIME_DIR === undefined) {
    const dir = join(tmpdir(), `lattice-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir; // Silences Mesa's warning; nothing is written there.
  }
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test((error as Error).message))
      throw new WebGpuMissingError(error);
    throw new NoAdapterError([`the webgpu package did not load: ${(error as Error).message}`]);
  }
  // WebGPU's constants (GPUBufferUsage, GPUMapMode, GPUShaderStage) as the standard names them.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const attempts: string[] = [];
  for (const backend of options.backends ?? ['default', 'opengles']) {
    const gpu = dawn.create(backend === 'opengles' ? ['backend=opengles'] : []);
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter(
        backend === 'opengles' ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : {},
      );
    } catch (error) {
      attempts.push(`${backend}: ${(error as Error).message}`);
      continue;
    }
    if (adapter === null) {
      attempts.push(`${backend}: no adapter`);
      continue;
    }
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    const info = adapter.info;
    // The closure holds `instance` (Dawn's create() object) while the device lives (see above).
    let instance: GPU | null = gpu;
    let live: GPUDevice | null = device;
    return {
      device,
      adapter: {
        name:
          [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' ') ||
          'unknown',
        backend: backend === 'opengles' ? 'opengles (compatibility)' : 'default',
        software: /llvmpipe|swiftshader|lavapipe|software/i.test(
          `${info.description} ${info.device} ${info.architecture}`,
        ),
      },
      close() {
        if (live === null) return;
        live.destroy();
        live = null;
        if (instance !== null) instance = null;
      },
    };
  }
  throw new NoAdapterError(attempts);
}
