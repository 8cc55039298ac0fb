/**
 * `lattice sim <scenario>`: runs a scenario in the deterministic simulator and prints its
 * summary; writes the HTML report and the Chrome trace when asked; `--swarm N` runs N seeds with
 * random fault mixes and reports the failing ones. Exit codes: 0 every invariant held, 1 one
 * broke (the seed and the replay command are printed), 2 bad usage or a bad scenario.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_MAX } from '../../sim/prng.js';
import { accounting_equation, dropped_by_reason } from '../../sim/message_fates.js';
import { report_html } from '../../sim/report_html.js';
import { parse_scenario, ScenarioError, type Scenario } from '../../sim/scenario.js';
import { scheduler_summary, Simulator, type SimResult } from '../../sim/simulator.js';
import { shard_seeds, swarm_scenario } from '../../sim/swarm.js';
import { UsageError, parse, type Command } from './command.js';

/** Where the shipped scenarios live. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../sim/scenarios/', import.meta.url));

/** A scenario by path, or by the name of a shipped one ("ping-pong" → sim/scenarios/ping-pong.json). */
export function resolve_scenario(name: string): string {
  if (existsSync(name)) return name;
  const shipped = join(SCENARIOS_DIR, name.endsWith('.json') ? name : `${name}.json`);
  if (existsSync(shipped)) return shipped;
  throw new UsageError(`no scenario '${name}' (a path, or one of sim/scenarios/*.json)`);
}

export function load_scenario(name: string): { path: string; scenario: Scenario } {
  const path = resolve_scenario(name);
  return { path, scenario: parse_scenario(readFileSync(path, 'utf8'), path) };
}

function seed_of(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > SEED_MAX)
    throw new UsageError(`--seed must be an integer in [0, 2^53), got '${text}'`);
  return Number(text);
}

function progress_bar(label: string): ((f: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (f) => {
    const width = 30;
    const filled = Math.round(f * width);
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%${f >= 1 ? '\n' : ''}`,
    );
  };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The terminal summary of a run; `peak_rss_bytes` (the host's, when known) is shown beside the nodes' shared memory. */
export function summary_lines(r: SimResult, wall_ms: number, peak_rss_bytes: number | null = null): string[] {
  const lines = [
    `scenario ${r.scenario}  seed ${r.seed}  ${r.nodes.length} nodes  ${r.virtual_ms.toFixed(1)} virtual ms in ${(wall_ms / 1000).toFixed(2)} s wall`,
    '',
    `  messages sent        ${n(r.sent).padStart(12)}   (${n(r.sent / Math.max(1e-9, wall_ms / 1000))} simulated msg/s)`,
    `  delivered            ${n(r.delivered).padStart(12)}`,
    `  accounting           ${accounting_equation(r.accounting)}`,
    `  dropped, by reason   ${dropped_by_reason(r.accounting)}`,
    `  memory               ${mib(r.node_memory_bytes).padStart(12)}   nodes' shared memory${peak_rss_bytes === null ? '' : `; process peak RSS ${mib(peak_rss_bytes)}`}`,
    `  scheduler            ${n(r.events).padStart(12)}   events; ${scheduler_summary(r)}`,
  ];
  if (r.duplicates_delivered > 0) lines.push(`  duplicates (clear UDP) ${n(r.duplicates_delivered).padStart(10)}`);
  if (r.corrupt_delivered > 0) lines.push(`  corrupted, clear path ${n(r.corrupt_delivered).padStart(11)}`);
  const tiers = [0, 1, 2, 3].map((t) => r.nodes.reduce((a, x) => a + (x.received_by_tier[t] ?? 0), 0));
  lines.push(
    `  received by tier     L1 ${n(tiers[0]!)}  L2 ${n(tiers[1]!)}  L3 ${n(tiers[2]!)}  spill ${n(tiers[3]!)}`,
  );
  const latency = Object.entries(r.latency_stats).filter(([, v]) => v.count > 0);
  if (latency.length > 0)
    lines.push(
      `  latency p50          ${latency.map(([k, v]) => `${k} ${v.p50_us < 10 ? v.p50_us.toFixed(2) : n(Math.round(v.p50_us))} µs`).join('  ')}`,
    );
  const c = r.calls;
  if (c.completed + c.timed_out + c.dead_peer > 0)
    lines.push(
      `  calls                ${n(c.completed).padStart(12)}   answered; ${n(c.timed_out)} timed out (${n(c.timed_out_peer_up)} with the callee up and reachable), ${n(c.dead_peer)} DEAD_PEER`,
    );
  if (c.answers_waited_out > 0)
    lines.push(
      `  answers waited out  ${n(c.answers_waited_out).padStart(12)}   (ping-pong rounds; ${n(c.answers_waited_out_peer_up)} with the peer up and reachable)`,
    );
  if (r.secure !== null)
    lines.push(
      `  secure channel       ${n(r.secure.handshakes_completed)} handshakes, ${n(r.secure.rekeys)} rekeys, ${n(r.secure.sealed_packets)} sealed`,
    );
  const drops = Object.entries(r.drops).sort((a, b) => b[1] - a[1]);
  if (drops.length > 0) {
    lines.push('', '  drops by reason');
    for (const [k, v] of drops.slice(0, 12)) lines.push(`    ${k.padEnd(40)} ${n(v).padStart(10)}`);
    if (drops.length > 12) lines.push(`    … ${drops.length - 12} more in the report`);
  }
  lines.push('', `  trace digest ${r.trace_digest} (${n(r.trace_events)} events)`);
  lines.push(
    r.ok ? '  all invariants held' : `  INVARIANT BROKEN: ${r.violation!.message}\n  replay: ${r.violation!.replay}`,
  );
  return lines;
}

export const sim_command: Command = {
  name: 'sim',
  summary: 'run a scenario in the deterministic simulator (report, trace, swarm)',
  help: [
    'usage: lattice sim <scenario> [--seed N] [--report FILE] [--trace FILE] [--swarm N [--shard I/K]] [--mix] [--json]',
    '',
    '  <scenario>      a scenario file, or the name of one in sim/scenarios/ (e.g. ping-pong)',
    '  --seed N        the seed (default 1); the same scenario and seed replay exactly',
    '  --report FILE   write the self-contained HTML report there',
    '  --trace FILE    write a Chrome trace-event JSON (open it in Perfetto)',
    '  --swarm N       run N seeds (from --seed on), each with a random fault mix; print failures',
    '  --shard I/K     with --swarm: run only the I-th of K disjoint slices of its seeds (every K-th',
    '                  seed from the I-th), to spread one swarm over K jobs; merge their --json lines',
    '  --mix           add the swarm fault mix of --seed (replays a swarm failure)',
    '  --json          print the result as JSON (with --swarm: one line per seed)',
    '',
    'Exit codes: 0 all invariants held, 1 an invariant broke (the replay command is printed),',
    '2 bad usage or a scenario with errors (each printed as file:line: path: message).',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        seed: { type: 'string' },
        report: { type: 'string' },
        trace: { type: 'string' },
        swarm: { type: 'string' },
        shard: { type: 'string' },
        mix: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      1,
    );
    if (positionals.length === 0) throw new UsageError('a scenario is required');
    const seed = seed_of(values.seed, 1);
    let loaded: ReturnType<typeof load_scenario>;
    try {
      loaded = load_scenario(positionals[0]!);
    } catch (error) {
      if (error instanceof ScenarioError) {
        process.stderr.write(`${error.message}\n`);
        return 2;
      }
      throw error;
    }
    const { scenario } = loaded;
    const shown = positionals[0]!;
    if (values.swarm !== undefined) {
      if (!/^\d+$/.test(values.swarm) || Number(values.swarm) < 1 || Number(values.swarm) > 100_000)
        throw new UsageError(`--swarm must be an integer in [1, 100000], got '${values.swarm}'`);
      const [shard, shards] = shard_of(values.shard);
      return swarm(shown, scenario, shard_seeds(seed, Number(values.swarm), shard, shards), values.json === true);
    }
    if (values.shard !== undefined) throw new UsageError('--shard needs --swarm');
    const run_scenario = values.mix === true ? swarm_scenario(scenario, seed) : scenario;
    const t0 = performance.now();
    const on_progress = progress_bar(scenario.name);
    // The trace streams to its file as the run goes (memory stays bounded; every event is kept
    // unless the scenario sets trace_events_max).
    let trace_fd = -1;
    if (values.trace !== undefined) {
      mkdirSync(dirname(resolve(values.trace)), { recursive: true });
      trace_fd = openSync(values.trace, 'w');
    }
    const sim = new Simulator(run_scenario, {
      seed,
      trace: values.trace !== undefined,
      scenario_path: values.mix === true ? `${shown} --mix` : shown,
      ...(on_progress === undefined ? {} : { on_progress }),
      ...(trace_fd < 0 ? {} : { trace_sink: (chunk: string) => void writeSync(trace_fd, chunk) }),
    });
    let result: SimResult;
    try {
      result = await sim.run();
      if (trace_fd >= 0) sim.finish_trace();
    } finally {
      if (trace_fd >= 0) closeSync(trace_fd);
    }
    const wall_ms = performance.now() - t0;
    if (values.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${summary_lines(result, wall_ms, process.resourceUsage().maxRSS * 1024).join('\n')}\n`);
    if (values.report !== undefined) {
      write(values.report, report_html(result));
      if (values.json !== true) process.stdout.write(`  report: ${resolve(values.report)}\n`);
    }
    if (values.trace !== undefined) {
      if (values.json !== true)
        process.stdout.write(
          `  trace:  ${resolve(values.trace)} (open in https://ui.perfetto.dev): ${sim.trace_completeness()}\n`,
        );
    }
    return result.ok ? 0 : 1;
  },
};

function write(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** `--shard I/K` as [I, K] (1 ≤ I ≤ K ≤ 100000); [1, 1] when absent. */
function shard_of(text: string | undefined): [number, number] {
  if (text === undefined) return [1, 1];
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const shard = Number(match?.[1]);
  const shards = Number(match?.[2]);
  if (match === null || shards < 1 || shards > 100_000 || shard < 1 || shard > shards) {
    throw new UsageError(`--shard must be I/K with 1 <= I <= K <= 100000, got '${text}'`);
  }
  return [shard, shards];
}

async function swarm(shown: string, scenario: Scenario, seeds: readonly number[], json: boolean): Promise<number> {
  const failures: { seed: number; message: string }[] = [];
  const bar = json ? undefined : progress_bar(`swarm ${scenario.name}`);
  for (let i = 0; i < seeds.length; i++) {
    const seed = seeds[i]!;
    const result = await new Simulator(swarm_scenario(scenario, seed), { seed, scenario_path: `${shown} --mix` }).run();
    if (!result.ok) failures.push({ seed, message: result.violation!.message });
    if (json) {
      const line = {
        scenario: scenario.name,
        seed,
        ok: result.ok,
        violation: result.violation,
        trace_digest: result.trace_digest,
        sent: result.sent,
        delivered: result.delivered,
        drops_total: result.drops_total,
        replay: `lattice sim ${shown} --seed ${seed} --mix`,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    bar?.((i + 1) / seeds.length);
  }
  if (json) return failures.length === 0 ? 0 : 1;
  const range = seeds.length === 0 ? 'none' : `${seeds[0]}..${seeds[seeds.length - 1]}`;
  process.stdout.write(`swarm ${scenario.name}: ${seeds.length} seeds (${range}), ${failures.length} failed\n`);
  for (const f of failures)
    process.stdout.write(`  seed ${f.seed}: ${f.message}\n  replay: lattice sim ${shown} --seed ${f.seed} --mix\n`);
  return failures.length === 0 ? 0 : 1;
}
