/// <reference types="@webgpu/types" preserve="true" />
/**
 * What the bulk path needs from its host: a WebGPU device over the standard API, the adapter's
 * description, and a `close()` that owns the device's lifetime. Node opens one with
 * `open_node_gpu()` (host/gpu/node_webgpu.ts); a browser wraps `navigator.gpu` the same way
 * (`open_browser_gpu` below). Nothing in gpu/ imports a Node built-in.
 */

/** The adapter a device came from, for stats and benchmark output. */
export interface AdapterDescription {
  /** Vendor, architecture, device and description, as the adapter reports them. */
  readonly name: string;
  /** Which Dawn backend (or `browser`). */
  readonly backend: string;
  /** True for a CPU emulation (llvmpipe, SwiftShader, lavapipe): speed figures mean little. */
  readonly software: boolean;
}

/** A device and its lifetime. */
export interface GpuHandle {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  /** Destroys the device and drops what keeps it alive; idempotent. */
  close(): void;
}

/** Opens a device through `navigator.gpu` (browsers), or null when there is none. */
export async function open_browser_gpu(gpu: GPU | undefined): Promise<GpuHandle | null> {
  if (gpu === undefined) return null;
  const adapter =
    (await gpu.requestAdapter()) ??
    (await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
  if (adapter === null) return null;
  let device: GPUDevice | null = await adapter.requestDevice();
  const info = adapter.info;
  const description = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return {
    device,
    adapter: {
      name: description.trim() || 'unknown',
      backend: 'browser',
      software: /swiftshader|llvmpipe/i.test(description),
    },
    close() {
      device?.destroy();
      device = null;
    },
  };
}
