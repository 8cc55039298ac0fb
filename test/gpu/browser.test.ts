// The bulk path in a browser: the same gpu/ code, bundled for a page and run in headless Chromium
// on navigator.gpu (its SwiftShader adapter where there is no GPU). Digests must equal noble's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3 } from '@noble/hashes/blake3.js';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium_available, chromium_evaluate } from '../chromium.js';
import { browser_payload } from '../fixtures/browser_payload.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe.skipIf(!chromium_available)('bulk path in Chromium', () => {
  it('hashes on navigator.gpu bit-identical to noble, and verifies a bulk message', async () => {
    const bundle = await build({
      entryPoints: [new URL('../fixtures/browser_bulk.ts', import.meta.url).pathname],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
    });
    const script = bundle.outputFiles[0]!.text;
    expect(script).not.toMatch(/require\(["']node:/); // Nothing of Node's reaches the page.
    const lengths = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3072, (1 << 20) + 5];
    const file = join(dir, 'bulk.html');
    writeFileSync(
      file,
      `<!doctype html><html><body><pre id="out" data-lengths="${JSON.stringify(lengths)}">pending</pre><script>${script.replace(/<\/script/gi, '<\\/script')}</script></body></html>`,
    );
    const page = (await chromium_evaluate(dir, `file://${file}`, 'globalThis.lattice_result', [
      '--enable-unsafe-webgpu',
    ])) as {
      error?: string;
      adapter: { backend: string; software: boolean; name: string };
      digests: string[];
      roundtrip: boolean;
      refused: string;
      stats: { path: string; messages: number; digest_mismatches: number };
    };
    expect(page.error).toBeUndefined();
    expect(page.adapter.backend).toBe('browser');
    expect(page.digests).toEqual(lengths.map((n) => hex(blake3(browser_payload(n, n + 1)))));
    expect(page.roundtrip).toBe(true);
    expect(page.refused).toBe('ERR_LATTICE_DIGEST_MISMATCH');
    expect(page.stats).toMatchObject({ path: 'gpu', messages: lengths.length + 3, digest_mismatches: 1 });
  }, 150_000);
});
