/**
 * `lattice start` (what `npm start` runs): the default scenario in the simulator, its summary,
 * and the HTML report and Chrome trace written under .lattice/.
 */
import { resolve } from 'node:path';
import { sim_command } from './sim_command.js';
import { parse, type Command } from './command.js';

export const DEFAULT_SCENARIO = 'cluster';

export const start_command: Command = {
  name: 'start',
  summary: `run the default scenario (${DEFAULT_SCENARIO}) and write its report to .lattice/`,
  help: [
    'usage: lattice start [--seed N]',
    '',
    `Runs sim/scenarios/${DEFAULT_SCENARIO}.json in the deterministic simulator, prints the summary and`,
    'writes .lattice/report.html (open it in a browser) and .lattice/trace.json (open it in Perfetto).',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(argv, { seed: { type: 'string' } }, 0);
    const code = await sim_command.run([
      DEFAULT_SCENARIO,
      '--seed',
      values.seed ?? '1',
      '--report',
      '.lattice/report.html',
      '--trace',
      '.lattice/trace.json',
    ]);
    process.stdout.write(`\nOpen the report: file://${resolve('.lattice/report.html')}\n`);
    return code;
  },
};
