// Opens the WebGPU adapter for the GPU tests. Where none answers the tests are skipped with a
// message, except when LATTICE_REQUIRE_GPU=1 (set by .ci/run, which installs Mesa's software
// adapter): then they fail, so CI never skips them silently.
import { open_node_gpu } from '../../host/gpu/node_webgpu.js';
import type { GpuHandle } from '../../gpu/gpu_device.js';

export async function test_gpu(): Promise<GpuHandle | null> {
  try {
    return await open_node_gpu();
  } catch (error) {
    if (process.env.LATTICE_REQUIRE_GPU === '1') throw error;
    console.warn(`GPU tests skipped: ${(error as Error).message}`);
    return null;
  }
}
