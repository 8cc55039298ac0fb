/**
 * Benchmark results: the record every area produces, the machine description, the terminal
 * table and the `--json` object (`{ machine, date, results: [...] }`).
 */
import { cpus, release, totalmem, type } from 'node:os';

/** One headline figure and the baselines it was measured against in the same run. */
export interface BenchResult {
  /** Headline name, e.g. `kernel.oneway_64B`. */
  readonly name: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly lattice: number;
  readonly baselines: Readonly<Record<string, number>>;
  /** What the figure measures, for the table. */
  readonly note?: string;
}

export interface BenchReport {
  readonly machine: string;
  readonly date: string;
  readonly results: readonly BenchResult[];
}

/** CPU model, core count, memory, OS and Node version. */
export function machine_description(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${model}, ${list.length} cores, ${gib} GiB, ${type()} ${release()}, Node ${process.version}`;
}

/** Percentile `q` (0..1) of `values` (sorts a copy). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** Median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

function format_number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function ratio(result: BenchResult, baseline: number): string {
  if (baseline === 0 || !Number.isFinite(baseline)) return '';
  const r = result.better === 'higher' ? result.lattice / baseline : baseline / result.lattice;
  return ` (${r.toFixed(2)}x)`;
}

/** A plain-text table: one line per result, its baselines beside it with the ratio (>1 is better). */
export function format_table(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    `${format_number(r.lattice)} ${r.unit}`,
    Object.entries(r.baselines)
      .map(([name, value]) => `${name} ${format_number(value)}${ratio(r, value)}`)
      .join(', '),
    r.note ?? '',
  ]);
  const header = ['figure', 'lattice', 'baselines (lattice advantage)', 'what'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The report for `--json`. */
export function make_report(results: readonly BenchResult[]): BenchReport {
  return { machine: machine_description(), date: new Date().toISOString(), results };
}
