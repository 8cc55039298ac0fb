/** `lattice bench [AREA] [--json] [--quick]`: runs the benchmarks (all areas, or one). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { module_beside } from '../module_url.js';
import { UsageError, parse, type Command } from './command.js';

/** What bench/report.ts reports (the shape of `--json`'s `results`). */
interface BenchResult {
  readonly name: string;
  readonly [field: string]: unknown;
}

/** bench/areas.ts, loaded when the command runs (the benchmarks are in a clone, not in the installed package). */
interface AreasModule {
  readonly areas: ReadonlyMap<
    string,
    (options: { quick: boolean; log: (line: string) => void }) => Promise<BenchResult[]>
  >;
  make_report(results: readonly BenchResult[]): { machine: string; date: string };
  format_table(results: readonly BenchResult[]): string;
}

/** The areas, in the order they run (bench/areas.ts has the same list). */
const AREA_NAMES = ['kernel', 'graph', 'api', 'rings', 'net', 'secure', 'gpu', 'sim'] as const;

async function load_areas(): Promise<AreasModule> {
  const url = module_beside('../../bench/areas', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new UsageError('the benchmarks run from a clone of the repository (bench/ is not in the installed package)');
  }
  return (await import(url.href)) as AreasModule;
}

export const bench_command: Command = {
  name: 'bench',
  summary: 'run the benchmarks and compare with their baselines (from a clone)',
  help: [
    'usage: lattice bench [AREA] [--json] [--quick]',
    '',
    `  AREA      one of: ${AREA_NAMES.join(', ')} (default: all)`,
    '  --json    print one JSON object { machine, date, results } instead of a table',
    '  --quick   small counts, for a smoke run (figures are not meaningful)',
    '',
    'With no AREA each area runs in a process of its own (as JMH forks a JVM per benchmark): one',
    "area's JIT feedback, heap and native threads do not weigh on the next.",
    '',
    'Run through `npm run bench -- AREA` so that Node has --expose-gc (heap figures need it).',
    'The benchmarks run from a clone of the repository; the installed package does not ship them.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, quick: { type: 'boolean' } }, 1);
    const wanted = positionals[0];
    if (wanted !== undefined && !(AREA_NAMES as readonly string[]).includes(wanted)) {
      throw new UsageError(`unknown area '${wanted}'`);
    }
    const { areas, make_report, format_table } = await load_areas();
    const json = values.json === true;
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const results: BenchResult[] = [];
    for (const [name, area] of areas) {
      if (wanted !== undefined && name !== wanted) continue;
      if (wanted === undefined) results.push(...run_area_alone(name, values.quick === true));
      else results.push(...(await area({ quick: values.quick === true, log })));
    }
    const report = make_report(results);
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${report.machine}\n${report.date}\n\n${format_table(results)}\n`);
    return 0;
  },
};

/** Runs one area as `lattice bench AREA --json` in a new process (same Node flags); its results. */
function run_area_alone(name: string, quick: boolean): BenchResult[] {
  const args = [...process.execArgv, process.argv[1]!, 'bench', name, '--json', ...(quick ? ['--quick'] : [])];
  const child = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0) throw new Error(`bench area ${name} failed (exit ${child.status ?? child.signal})`);
  return (JSON.parse(child.stdout) as { results: BenchResult[] }).results;
}
