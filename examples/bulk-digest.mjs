// A bulk payload digested with BLAKE3 on the GPU (WGSL on a WebGPU device), on the CPU when there
// is no adapter or the optional `webgpu` package is not installed.
//
//   node examples/bulk-digest.mjs            (npm install webgpu for the GPU path)
//
// `seal_bulk` frames the payload with its digest; `open_bulk` checks the digest where the payload
// landed and returns the payload, or a BulkError when a byte changed on the way.
import { LatticeError } from 'lattice-ipc';
import { BLAKE3_OUT_BYTES, BULK_DIGEST_OFFSET, BulkError, BulkRing, open_bulk, seal_bulk } from 'lattice-ipc/gpu';
import { open_node_gpu } from 'lattice-ipc/node';

let gpu = null;
let backend;
try {
  gpu = await open_node_gpu();
  backend = { kind: 'gpu', handle: gpu };
  console.log(`GPU adapter: ${gpu.adapter.name} (${gpu.adapter.backend})`);
} catch (error) {
  if (!(error instanceof LatticeError)) throw error;
  backend = { kind: 'cpu', reason: error.message };
  console.log(`no GPU (${error.code}): digesting on the CPU`);
}
const ring = await BulkRing.create(backend, { slots: 2, slot_bytes_max: 1 << 20 });
try {
  const payload = new Uint8Array(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const sealed = await seal_bulk(ring, payload);
  const opened = await open_bulk(ring, sealed);
  if (opened instanceof BulkError) throw opened;
  const digest = Buffer.from(sealed.subarray(BULK_DIGEST_OFFSET, BULK_DIGEST_OFFSET + BLAKE3_OUT_BYTES));
  console.log(`1 MiB sealed and opened intact; stats ${JSON.stringify(ring.stats())}`);
  console.log(`digest ${digest.toString('hex')}`);
  sealed[sealed.length - 1] ^= 1; // One flipped bit.
  const tampered = await open_bulk(ring, sealed);
  console.log(`tampered copy: ${tampered instanceof BulkError ? tampered.code : 'accepted?!'}`);
} finally {
  await ring.close();
  gpu?.close();
}
