/**
 * The benchmark areas, by name, in the order `lattice bench` runs them. The command loads this
 * module only when it runs (bench/ is in a clone, not in the installed package).
 */
import { api_bench } from './api/api_bench.js';
import { gpu_bench } from './gpu/gpu_bench.js';
import { graph_bench } from './graph/graph_bench.js';
import { kernel_bench } from './kernel/kernel_bench.js';
import { net_bench } from './net/net_bench.js';
import { type BenchResult, format_table, make_report } from './report.js';
import { ring_protocols_bench } from './rings/ring_protocols.js';
import { secure_bench } from './secure/secure_bench.js';
import { sim_bench } from './sim/sim_bench.js';

/** One area: runs its benchmarks and returns their results. */
export type Area = (options: { quick: boolean; log: (line: string) => void }) => Promise<BenchResult[]>;

export const areas: ReadonlyMap<string, Area> = new Map<string, Area>([
  ['kernel', kernel_bench],
  ['graph', graph_bench],
  ['api', api_bench],
  ['rings', ring_protocols_bench],
  ['net', net_bench],
  ['secure', secure_bench],
  ['gpu', gpu_bench],
  ['sim', sim_bench],
]);

export { format_table, make_report, type BenchResult };
