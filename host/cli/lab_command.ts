/**
 * `lattice lab [NAME]`: runs a teaching lab (labs/NAME/lab.ts) and checks its outcome; exit
 * code 0 when every check passes. Without NAME, lists the labs.
 */
import { module_beside } from '../module_url.js';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, parse, type Command } from './command.js';

const labs_dir = new URL('../../labs/', import.meta.url);

interface LabCheck {
  readonly what: string;
  readonly ok: boolean;
}

function labs(): string[] {
  return readdirSync(labs_dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export const lab_command: Command = {
  name: 'lab',
  summary: 'run a teaching lab and check it (lattice lab 01)',
  help: [
    'usage: lattice lab [NAME]',
    '',
    '  NAME   a lab in labs/, by its full name or its number (01); none: list the labs',
    '',
    "Each lab has a tutorial in docs/tutorials/. Edit the lab's processes, run this again, and",
    'the checks tell you whether your change works.',
  ].join('\n'),
  async run(argv) {
    const { positionals } = parse(argv, {}, 1);
    const all = labs();
    const wanted = positionals[0];
    if (wanted === undefined) {
      process.stdout.write(`labs in ${fileURLToPath(labs_dir)}:\n${all.map((name) => `  ${name}`).join('\n')}\n`);
      return 0;
    }
    const name = all.find((lab) => lab === wanted || lab.startsWith(`${wanted}-`));
    if (name === undefined) throw new UsageError(`no lab '${wanted}' (labs: ${all.join(', ')})`);
    const module = (await import(module_beside(`../../labs/${name}/lab`, import.meta.url).href)) as {
      run(out: (line?: string) => void): Promise<LabCheck[]>;
    };
    const out = (line = '') => process.stdout.write(`${line}\n`);
    const checks = await module.run(out);
    out();
    for (const check of checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${check.what}`);
    const passed = checks.filter((c) => c.ok).length;
    out(`${passed} of ${checks.length} checks passed`);
    return passed === checks.length ? 0 : 1;
  },
};
