/**
 * `lattice-ipc/gpu`: the bulk path: payloads in a ring of GPU buffers, each digested with BLAKE3
 * in WGSL on a WebGPU device, with a CPU fallback (@noble/hashes) when there is no adapter.
 * Portable: the device is injected (`open_browser_gpu` in a page, `open_node_gpu` from
 * `lattice-ipc/node`, which loads the optional `webgpu` package).
 */
export {
  BulkRing,
  BulkStatus,
  type BulkBackend,
  type BulkDone,
  type BulkKernelSpec,
  type BulkResult,
  type BulkRingConfig,
  type BulkStats,
} from './bulk_ring.js';
export {
  BULK_DIGEST_OFFSET,
  BULK_HEADER_BYTES,
  encode_bulk,
  open_bulk,
  seal_bulk,
  seal_bulk_in_place,
} from './bulk_message.js';
export { BLAKE3_OUT_BYTES, blake3_wgsl } from './blake3_wgsl.js';
export { BulkError, type BulkErrorCode } from './errors.js';
export { open_browser_gpu, type AdapterDescription, type GpuHandle } from './gpu_device.js';
