/**
 * `lattice stat ADDR`: attaches to a running node's metrics endpoint (`lattice node --metrics`,
 * docs/METRICS.md) and shows its counters, as Aeron's AeronStat does for a media driver.
 *
 * - Live (the default): a table refreshed every `--interval-ms` (1000), in 80 columns: traffic
 *   with rates per second, sessions and handshakes, each pinned peer's session and its age,
 *   and every drop by reason with its change since the last refresh. `--count N` stops after N refreshes (scripts, tests); Ctrl-C stops.
 * - `--once --json`: one snapshot as a JSON object (`node`, then each family's value, or its
 *   values by label), for scripts.
 *
 * A node that cannot be reached is said plainly, with the address and the reason, and exit code 1.
 */
import { ErrorCode } from '../../kernel/error_codes.js';
import { LatticeError } from '../../kernel/errors.js';
import { parse, UsageError, type Command } from './command.js';
import { parse_metrics_address } from './node_config.js';

/** One family as `/metrics.json` gives it (prom-client's JSON). */
interface Family {
  readonly name: string;
  readonly type: string;
  readonly values: readonly { readonly value: number; readonly labels: Readonly<Record<string, string | number>> }[];
}

/** A snapshot: each family's value (no label but `node`), or its values by its other label. */
export interface StatSnapshot {
  readonly node: string | null;
  readonly at_ms: number;
  readonly values: Readonly<Record<string, number | Readonly<Record<string, number>>>>;
}

/** Reads `/metrics.json` at `base` into a snapshot; throws a `LatticeError` naming the address when unreachable. */
export async function read_snapshot(base: string, now_ms: () => number = Date.now): Promise<StatSnapshot> {
  let families: Family[];
  try {
    const response = await fetch(`${base}/metrics.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    families = (await response.json()) as Family[];
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new LatticeError(
      ErrorCode.NODE_UNREACHABLE,
      `cannot reach ${base}/metrics.json (${cause}): is the node running with --metrics at that address?`,
    );
  }
  let node: string | null = null;
  const values: Record<string, number | Record<string, number>> = {};
  for (const family of families) {
    for (const v of family.values) {
      node ??= v.labels.node === undefined ? null : String(v.labels.node);
      const other = Object.entries(v.labels).filter(([k]) => k !== 'node');
      if (other.length === 0) values[family.name] = v.value;
      else {
        const by = (values[family.name] ??= {}) as Record<string, number>;
        by[other.map(([, value]) => String(value)).join(',')] = v.value;
      }
    }
  }
  return { node, at_ms: now_ms(), values };
}

const number = (s: StatSnapshot, name: string) => {
  const v = s.values[name];
  return typeof v === 'number' ? v : 0;
};

/** The live table of `now` (rates and changes against `before`, if any), at most 80 columns wide. */
export function render_table(now: StatSnapshot, before: StatSnapshot | null): string {
  const seconds = before === null ? 0 : (now.at_ms - before.at_ms) / 1000;
  const rate = (name: string) =>
    before === null || seconds <= 0 ? '' : `${Math.round((number(now, name) - number(before, name)) / seconds)}/s`;
  const lines = [`lattice node ${now.node ?? '?'}    ${new Date(now.at_ms).toISOString()}`, ''];
  const row = (label: string, name: string, with_rate = true) =>
    lines.push(
      `  ${label.padEnd(34)}${String(number(now, name)).padStart(16)}${(with_rate ? rate(name) : '').padStart(14)}`,
    );
  lines.push(`  ${'traffic'.padEnd(34)}${'total'.padStart(16)}${'rate'.padStart(14)}`);
  row('frames sent', 'lattice_driver_packets_sent_total');
  row('frames received', 'lattice_driver_packets_received_total');
  row('bytes sent', 'lattice_driver_bytes_sent_total');
  row('bytes received', 'lattice_driver_bytes_received_total');
  row('messages delivered into the node', 'lattice_server_delivered_total');
  row('messages sent out of the node', 'lattice_server_sent_total');
  if (now.values.lattice_secure_sealed_packets_total !== undefined) {
    row('messages sealed', 'lattice_secure_sealed_packets_total');
    row('records sealed', 'lattice_secure_sealed_records_total');
    row('messages opened', 'lattice_secure_opened_packets_total');
    lines.push('');
    row('sessions', 'lattice_secure_sessions', false);
    row('handshakes completed', 'lattice_secure_handshakes_completed_total');
    row('handshakes started', 'lattice_secure_handshakes_started_total');
    row('rekeys', 'lattice_secure_rekeys_total');
  }
  const established = now.values.lattice_peers_established;
  if (established !== undefined && typeof established !== 'number') {
    const ages = now.values.lattice_peers_session_age_seconds;
    lines.push('', `  ${'peers'.padEnd(34)}${'session'.padStart(16)}${'age'.padStart(14)}`);
    for (const [peer, up] of Object.entries(established)) {
      const age = ages !== undefined && typeof ages !== 'number' ? ages[peer] : undefined;
      const shown = age === undefined ? '' : `${age.toFixed(1)} s`;
      lines.push(
        `  ${`node ${peer}`.padEnd(34)}${(up === 1 ? 'established' : 'none').padStart(16)}${shown.padStart(14)}`,
      );
    }
  }
  lines.push('', `  ${'drops and refusals, by reason'.padEnd(34)}${'total'.padStart(16)}${'change'.padStart(14)}`);
  let any = false;
  for (const [name, value] of Object.entries(now.values)) {
    if (typeof value === 'number') continue;
    const family = name.replace(/^lattice_/, '').replace(/_total$/, '');
    for (const [label, count] of Object.entries(value)) {
      if (count === 0) continue;
      any = true;
      const old = before?.values[name];
      const was = old !== undefined && typeof old !== 'number' ? (old[label] ?? 0) : 0;
      const change = before === null ? '' : count - was === 0 ? '·' : `+${count - was}`;
      const what = `${family} ${label}`.slice(0, 34);
      lines.push(`  ${what.padEnd(34)}${String(count).padStart(16)}${change.padStart(14)}`);
    }
  }
  if (!any) lines.push('  none');
  return `${lines.join('\n')}\n`;
}

export const stat_command: Command = {
  name: 'stat',
  summary: "show a running node's counters live, from its --metrics endpoint",
  help: [
    'usage: lattice stat PORT|HOST:PORT [--once --json] [--interval-ms MS] [--count N]',
    '',
    'Attaches to a node started with `lattice node --metrics PORT` and shows its counters:',
    'traffic with rates per second, sessions and handshakes, and every drop by reason with',
    'its change since the last refresh (docs/METRICS.md lists what is there).',
    '',
    '  --once          print one snapshot and exit',
    '  --json          with --once: the snapshot as one JSON object',
    '  --interval-ms   refresh period, ms (default 1000)',
    '  --count N       stop after N refreshes (default: until Ctrl-C)',
    '',
    'Exit codes: 0 done, 1 the node could not be reached, 2 bad usage.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        'interval-ms': { type: 'string' },
        count: { type: 'string' },
      },
      1,
    );
    if (positionals.length === 0)
      throw new UsageError("the address of the node's metrics is required: PORT or HOST:PORT");
    const address = parse_metrics_address(positionals[0]!);
    if (address === null) throw new UsageError(`the address must be PORT or HOST:PORT, got '${positionals[0]}'`);
    if (values.json === true && values.once !== true) throw new UsageError('--json needs --once');
    const interval_ms = Number(values['interval-ms'] ?? 1000);
    if (!(Number.isInteger(interval_ms) && interval_ms >= 50))
      throw new UsageError('--interval-ms must be an integer ≥ 50');
    const count = values.count === undefined ? Number.POSITIVE_INFINITY : Number(values.count);
    if (!(count === Number.POSITIVE_INFINITY || (Number.isInteger(count) && count >= 1)))
      throw new UsageError('--count must be a positive integer');
    const base = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    try {
      if (values.once === true) {
        const snapshot = await read_snapshot(base);
        process.stdout.write(values.json === true ? `${JSON.stringify(snapshot)}\n` : render_table(snapshot, null));
        return 0;
      }
      let before: StatSnapshot | null = null;
      let stop = false;
      const on_signal = () => {
        stop = true;
      };
      process.once('SIGINT', on_signal);
      try {
        for (let shown = 0; shown < count && !stop; shown++) {
          if (shown > 0) await new Promise((resolve) => setTimeout(resolve, interval_ms)); // The refresh period itself.
          const now = await read_snapshot(base);
          const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '';
          process.stdout.write(`${clear}${render_table(now, before)}`);
          before = now;
        }
      } finally {
        process.off('SIGINT', on_signal);
      }
      return 0;
    } catch (error) {
      if (!(error instanceof LatticeError) || error.code !== ErrorCode.NODE_UNREACHABLE) throw error;
      process.stderr.write(`lattice stat: ${error.message}\n`);
      return 1;
    }
  },
};
