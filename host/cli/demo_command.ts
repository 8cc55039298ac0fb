/** `lattice demo`: placeholder replaced below. */
import type { Command } from './command.js';

export const demo_command: Command = {
  name: 'demo',
  summary: 'run the kernel demo: ping-pong and fan-in across tiers, then per-tier stats',
  help: 'usage: lattice demo',
  async run() {
    return 0;
  },
};
