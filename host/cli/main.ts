/**
 * The `lattice` command: subcommands, their `--help`, and exit codes.
 *
 *   lattice start                the default scenario in the simulator, with its report (npm start)
 *   lattice sim <scenario> …     a scenario in the deterministic simulator
 *   lattice node --config FILE   a real node on UDP/TCP with the secure channel
 *   lattice demo                 the kernel demo (ping-pong and fan-in across tiers)
 *   lattice lab [NAME]           run a teaching lab and check it
 *   lattice bench [AREA] [--json] [--quick]
 *   lattice --version            the package's version
 *
 * Exit codes: 0 success, 1 the command ran and failed, 2 bad usage.
 */
import { bench_command } from './bench_command.js';
import { demo_command } from './demo_command.js';
import { lab_command } from './lab_command.js';
import { node_command } from './node_command.js';
import { stat_command } from './stat_command.js';
import { sim_command } from './sim_command.js';
import { start_command } from './start_command.js';
import { UsageError, type Command } from './command.js';
import { package_version } from './version.js';

const commands: readonly Command[] = [
  start_command,
  sim_command,
  node_command,
  stat_command,
  demo_command,
  lab_command,
  bench_command,
];

function usage(): string {
  const lines = ['usage: lattice <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push(
    '',
    'options:',
    '  --version  print the version of lattice-ipc and exit',
    '  --help     print this help and exit',
  );
  lines.push('', "run 'lattice <command> --help' for a command's options");
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without the node and script paths); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${package_version()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`lattice: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`lattice ${command.name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `lattice ${command.name}: ${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    return 1;
  }
}
