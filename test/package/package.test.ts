// The package as a user gets it: `npm pack`, install the tarball into a fresh project with
// `npm install --omit=dev`, then run every example with plain node (no TypeScript loader),
// type-check a TypeScript consumer against the shipped .d.ts, and run the installed `lattice`
// command. One install without the optional `webgpu` package (the kernel-only install must not
// fetch Dawn), one with it.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lattice } from '../lattice_cli.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = mkdtempSync(join(tmpdir(), 'lattice-package-'));
/** Packed tarball: at most this many bytes (the sources compiled, no tests, no bench results). */
const TARBALL_BYTES_MAX = 1_500_000;
const TIMEOUT_MS = 600_000;

let tarball = '';
let files: string[] = [];

async function sh(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(command, args, {
    cwd,
    env: { ...process.env, ...env, LATTICE_DEBUG: '0' },
    timeout: TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
}

/** A fresh project with the tarball installed (and `extra` packages); returns its folder. */
async function project(name: string, extra: string[]): Promise<string> {
  const dir = join(work, name);
  cpSync(join(root, 'test/package/consumer'), dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  await sh(
    npm,
    [
      'install',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--ignore-scripts=false',
      tarball,
      ...extra,
    ],
    dir,
  );
  return dir;
}

beforeAll(async () => {
  // `npm pack` runs `prepack`, which builds dist/ first.
  const { stdout } = await sh(npm, ['pack', '--json', '--pack-destination', work], root);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  files = packed!.files.map((f) => f.path);
}, TIMEOUT_MS);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarball', () => {
  it('holds the compiled package, the command, docs and examples, and no tests, sources or bench results', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    for (const entry of ['kernel', 'net', 'net/secure', 'sim', 'gpu', 'host']) {
      expect(files).toContain(`dist/${entry}/index.js`);
      expect(files).toContain(`dist/${entry}/index.d.ts`);
    }
    expect(files).toContain('dist/host/core_worker.js');
    expect(files).toContain('dist/sim/scenarios/ping-pong.json');
    expect(files).toContain('bin/lattice.mjs');
    expect(files).toContain('examples/ping-pong/main.mjs');
    expect(files).toContain('LICENSE');
    const stray = files.filter((f) => /^(test|bench|scratch|scripts)\/|\.test\.|results\/|^[a-z]+\/.*\.ts$/.test(f));
    expect(stray.filter((f) => !f.endsWith('.d.ts'))).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(TARBALL_BYTES_MAX);
  });
});

describe('the portable entries', () => {
  it('bundle for a browser (esbuild, platform browser): no Node module is pulled in', async () => {
    const esbuild = await import('esbuild');
    for (const entry of ['kernel', 'net', 'net/secure', 'sim', 'gpu']) {
      const built = await esbuild.build({
        entryPoints: [join(root, 'dist', entry, 'index.js')],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
      });
      expect(built.errors, entry).toEqual([]);
      expect(built.outputFiles[0]!.text).not.toMatch(/from ["']node:/);
    }
  });
});

describe('installed without webgpu (the kernel-only install)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await project('lean', ['@types/node@20.19.8']);
  }, TIMEOUT_MS);

  it('does not fetch Dawn, tsx or esbuild', () => {
    for (const name of ['webgpu', 'tsx', 'esbuild', 'vitest', 'typescript']) {
      expect(existsSync(join(dir, 'node_modules', name)), name).toBe(false);
    }
  });

  it('runs every example with plain node', async () => {
    const examples = join(dir, 'node_modules/lattice-ipc/examples');
    const ping = await sh(process.execPath, [join(examples, 'ping-pong/main.mjs')], dir);
    expect(ping.stdout).toMatch(/^10000 round trips, median [\d.]+ µs$/m);
    const calls = await sh(process.execPath, [join(examples, 'call-reply/main.mjs')], dir);
    expect(calls.stdout).toMatch(/pid 10: \{"answered":2000\}/);
    expect(calls.stdout).toMatch(/pid 20: \{"calls":1000,"total":/);
    const sealed = await sh(process.execPath, [join(examples, 'sealed-nodes.mjs')], dir);
    expect(sealed.stdout).toMatch(/100 calls answered; \d+ packets sealed/);
    const sim = await sh(process.execPath, [join(examples, 'simulator.mjs'), '7'], dir);
    expect(sim.stdout).toMatch(/^seed 7: every invariant held$/m);
    const again = await sh(process.execPath, [join(examples, 'simulator.mjs'), '7'], dir);
    expect(again.stdout).toBe(sim.stdout); // Deterministic.
    const bulk = await sh(process.execPath, [join(examples, 'bulk-digest.mjs')], dir);
    expect(bulk.stdout).toMatch(/no GPU \(ERR_LATTICE_WEBGPU_MISSING\): digesting on the CPU/);
    expect(bulk.stdout).toMatch(/tampered copy: ERR_LATTICE_DIGEST_MISMATCH/);
  });

  it('type-checks a TypeScript consumer (NodeNext, ES2022, skipLibCheck off) against the shipped declarations', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await expect(sh(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], dir)).resolves.toBeDefined();
  });

  it('its lattice command prints the version and the same trace digest as the repository', async () => {
    const bin = join(dir, 'node_modules/.bin/lattice');
    const version = await sh(bin, ['--version'], dir);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const installed = await sh(bin, ['sim', 'ping-pong', '--seed', '1'], dir);
    const repository = await lattice(root, 'sim', 'ping-pong', '--seed', '1');
    const digest = (out: string) => /trace digest ([0-9a-f]{16})/.exec(out)?.[1];
    expect(digest(installed.stdout)).toMatch(/^[0-9a-f]{16}$/);
    expect(digest(installed.stdout)).toBe(digest(repository.stdout));
  });
});

describe('installed with webgpu', () => {
  it('runs the bulk example on a WebGPU adapter (software where there is no GPU)', async () => {
    const dir = await project('gpu', ['webgpu@0.6.2']);
    const bulk = await sh(process.execPath, [join(dir, 'node_modules/lattice-ipc/examples/bulk-digest.mjs')], dir);
    expect(bulk.stdout).toMatch(/^GPU adapter: /m);
    expect(bulk.stdout).toMatch(/"path":"gpu"/);
  });
});
