// The WGSL BLAKE3 against the official BLAKE3 test vectors (input byte i is i mod 251; the
// first 32 bytes of each "hash") and against @noble/hashes' blake3 for every listed length and
// for random data, on the real adapter.
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake3_passes } from '../../gpu/blake3_wgsl.js';
import { BulkRing, type BulkResult } from '../../gpu/bulk_ring.js';
import type { GpuHandle } from '../../gpu/gpu_device.js';
import { bytes_hex } from '../../net/secure/hex.js';
import { test_gpu } from './gpu_adapter.js';

const VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [128, 'f17e570564b26578c33bb7f44643f539624b05df1a76c81f30acd548c44b45ef'],
  [129, '683aaae9f3c5ba37eaaf072aed0f9e30bac0865137bae68b1fde4ca2aebdcb12'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030'],
  [3072, 'b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3'],
  [4096, '015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969'],
  [5121, '628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff'],
  [6145, 'f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f'],
];

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

let gpu: GpuHandle | null = null;
let ring: BulkRing | null = null;
beforeAll(async () => {
  gpu = await test_gpu();
  if (gpu !== null) ring = await BulkRing.create({ kind: 'gpu', handle: gpu }, { slots: 4, slot_bytes_max: 8 << 20 });
});
afterAll(async () => {
  await ring?.close();
  gpu?.close();
});

async function digest(data: Uint8Array): Promise<string> {
  const result = (await ring!.run(data)) as BulkResult;
  expect(typeof result).toBe('object');
  expect(result.path).toBe('gpu');
  return bytes_hex(result.digest);
}

describe('the pass plan', () => {
  it('is one chunk pass, then parent levels down to the root', () => {
    expect(blake3_passes(0)).toEqual([{ kind: 'chunk', count: 1, root: true }]);
    expect(blake3_passes(1024)).toEqual([{ kind: 'chunk', count: 1, root: true }]);
    expect(blake3_passes(1025)).toEqual([
      { kind: 'chunk', count: 2, root: false },
      { kind: 'parent', count: 2, root: true },
    ]);
    expect(blake3_passes(5 * 1024).map((p) => p.count)).toEqual([5, 5, 3, 2]);
  });
});

describe('BLAKE3 in WGSL on the adapter', () => {
  it('matches the official test vectors', async (ctx) => {
    if (ring === null) return ctx.skip();
    for (const [length, hash] of VECTORS) expect(await digest(pattern(length)), `length ${length}`).toBe(hash);
  });

  it('equals noble for 0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3072 bytes and several MiB', async (ctx) => {
    if (ring === null) return ctx.skip();
    for (const length of [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3072, (3 << 20) + 1, 5 << 20, 8 << 20]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + (i >>> 10)) & 0xff);
      expect(await digest(data), `length ${length}`).toBe(bytes_hex(blake3(data)));
    }
  });

  it('equals noble on random data of random lengths', async (ctx) => {
    if (ring === null) return ctx.skip();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40_000 }), async (data) => {
        expect(await digest(data)).toBe(bytes_hex(blake3(data)));
      }),
      { numRuns: 40 },
    );
  });
});
