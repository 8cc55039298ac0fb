#!/usr/bin/env node
// The `lattice` command: hands the arguments to the CLI (host/cli/main) and exits with its status.
// In the installed package it runs the compiled JavaScript under dist/. In a clone, where the
// TypeScript sources sit beside this folder, it registers tsx (a development dependency) and runs
// them as they are, so `npm start` needs no build step.
import { existsSync } from 'node:fs';

const sources = new URL('../host/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/host/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
