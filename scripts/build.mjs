#!/usr/bin/env node
// `npm run build`: compiles the package's sources to dist/ (ESM .js, .d.ts, declaration and
// source maps) with tsc (tsconfig.build.json), and copies the files the compiled code reads at
// run time (the shipped scenarios). `prepack` runs it, so `npm pack` always packs a fresh build.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
cpSync(new URL('../sim/scenarios/', import.meta.url), new URL('sim/scenarios/', dist), { recursive: true });
cpSync(new URL('../sim/README.md', import.meta.url), new URL('sim/README.md', dist));
