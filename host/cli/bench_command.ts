/** `lattice bench [AREA] [--json] [--quick]`: runs the benchmarks (all areas, or one). */
import { format_table, make_report, type BenchResult } from '../../bench/report.js';
import { api_bench } from '../../bench/api/api_bench.js';
import { graph_bench } from '../../bench/graph/graph_bench.js';
import { kernel_bench } from '../../bench/kernel/kernel_bench.js';
import { net_bench } from '../../bench/net/net_bench.js';
import { secure_bench } from '../../bench/secure/secure_bench.js';
import { gpu_bench } from '../../bench/gpu/gpu_bench.js';
import { ring_protocols_bench } from '../../bench/rings/ring_protocols.js';
import { sim_bench } from '../../bench/sim/sim_bench.js';
import { spawnSync } from 'node:child_process';
import { UsageError, parse, type Command } from './command.js';

type Area = (options: { quick: boolean; log: (line: string) => void }) => Promise<BenchResult[]>;

const areas: ReadonlyMap<string, Area> = new Map<string, Area>([
  ['kernel', kernel_bench],
  ['graph', graph_bench],
  ['api', api_bench],
  ['rings', ring_protocols_bench],
  ['net', net_bench],
  ['secure', secure_bench],
  ['gpu', gpu_bench],
  ['sim', sim_bench],
]);

export const bench_command: Command = {
  name: 'bench',
  summary: 'run the benchmarks and compare with their baselines',
  help: [
    'usage: lattice bench [AREA] [--json] [--quick]',
    '',
    `  AREA      one of: ${[...areas.keys()].join(', ')} (default: all)`,
    '  --json    print one JSON object { machine, date, results } instead of a table',
    '  --quick   small counts, for a smoke run (figures are not meaningful)',
    '',
    'With no AREA each area runs in a process of its own (as JMH forks a JVM per benchmark): one',
    "area's JIT feedback, heap and native threads do not weigh on the next.",
    '',
    'Run through `npm run bench -- AREA` so that Node has --expose-gc (heap figures need it).',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, quick: { type: 'boolean' } }, 1);
    const wanted = positionals[0];
    if (wanted !== undefined && !areas.has(wanted)) throw new UsageError(`unknown area '${wanted}'`);
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
