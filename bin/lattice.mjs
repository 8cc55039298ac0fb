#!/usr/bin/env node
// The `lattice` command. Registers tsx so the TypeScript sources run as they are, then hands
// the arguments to the CLI (host/cli/main.ts) and exits with its status.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
