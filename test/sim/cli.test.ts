// The lattice sim command: help, exit codes, outputs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lattice as lattice_in } from '../lattice_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lattice = (...args: string[]) => lattice_in(dir, ...args);

describe('lattice sim', () => {
  it('prints help for the command and its subcommands', async () => {
    const top = await lattice('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('sim');
    expect(top.stdout).toContain('--version');
    const sim = await lattice('sim', '--help');
    expect(sim.code).toBe(0);
    expect(sim.stdout).toContain('--swarm N');
  });

  it('prints the package version with --version', async () => {
    const version = await lattice('--version');
    expect(version.code).toBe(0);
    const { version: expected } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(version.stdout).toBe(`${expected}\n`);
  });

  it('runs a scenario, writes the report and the trace, exits 0, and replays byte for byte', async () => {
    const a = await lattice('sim', 'ping-pong', '--seed', '4', '--report', 'r.html', '--trace', 't.json');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('all invariants held');
    expect(a.stdout).toMatch(/simulated msg\/s/);
    expect(a.stdout).toMatch(/memory +\d+ MiB +nodes' shared memory; process peak RSS \d+ MiB/);
    expect(a.stdout).toMatch(/scheduler +[\d,]+ +events; one time-ordered agenda/); // TCP: one lane.
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('<!doctype html>');
    const trace = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { traceEvents: { ph: string }[] };
    expect(trace.traceEvents.some((e) => e.ph === 's')).toBe(true);
    expect(trace.traceEvents.some((e) => e.ph === 'f')).toBe(true);
    const first = readFileSync(join(dir, 't.json'));
    const b = await lattice('sim', 'ping-pong', '--seed', '4', '--trace', 't2.json');
    expect(b.code).toBe(0);
    expect(readFileSync(join(dir, 't2.json')).equals(first)).toBe(true);
  });

  it('exits 1 with the seed and the replay command when an invariant breaks', async () => {
    const s = JSON.parse(readFileSync(new URL('../../sim/scenarios/ping-pong.json', import.meta.url), 'utf8'));
    s.faults = { sabotage: { forge_send: 0.3 } };
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(s, null, 2));
    const r = await lattice('sim', 'broken.json', '--seed', '9');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('INVARIANT BROKEN');
    expect(r.stdout).toContain('replay: lattice sim broken.json --seed 9');
  });

  it('exits 2 for bad arguments and for a scenario with errors, naming the line', async () => {
    expect((await lattice('sim')).code).toBe(2);
    expect((await lattice('sim', 'ping-pong', '--seed', 'x')).code).toBe(2);
    expect((await lattice('sim', 'no-such-scenario')).code).toBe(2);
    writeFileSync(join(dir, 'bad.json'), '{\n  "name": "bad",\n  "duration_ms": "soon",\n  "nodes": []\n}\n');
    const r = await lattice('sim', 'bad.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json:3: duration_ms: must be a number, got "soon"');
  });

  it('says whether the trace file holds every event or where trace_events_max cut it; receives carry latencies', async () => {
    const full = await lattice('sim', 'ping-pong', '--seed', '2', '--trace', 'full.json');
    expect(full.stdout).toMatch(/trace: .*full\.json .*: every event$/m);
    const trace = JSON.parse(readFileSync(join(dir, 'full.json'), 'utf8')) as {
      otherData: { events_skipped: number; events_total: number };
      traceEvents: { name: string; ph: string; cat?: string; args?: { latency_us?: number } }[];
    };
    expect(trace.otherData.events_skipped).toBe(0);
    // Every event of the run is in the file: one slice per send and receive, one instant per
    // drop and fault, one process name per node.
    const kinds = trace.traceEvents.filter(
      (e) => e.ph === 'X' || e.cat === 'drop' || e.cat === 'fault' || e.name === 'process_name',
    );
    expect(kinds.length).toBe(trace.otherData.events_total);
    const recvs = trace.traceEvents.filter((e) => e.name === 'recv');
    expect(recvs.length).toBeGreaterThan(1000);
    expect(recvs.every((e) => (e.args?.latency_us ?? 0) > 0)).toBe(true);
    const scenario = JSON.parse(readFileSync(new URL('../../sim/scenarios/ping-pong.json', import.meta.url), 'utf8'));
    writeFileSync(join(dir, 'capped.json'), JSON.stringify({ ...scenario, trace_events_max: 500 }));
    const capped = await lattice('sim', 'capped.json', '--seed', '2', '--trace', 'cut.json');
    expect(capped.stdout).toMatch(/the first 50\d events; [\d,]+ after [\d.]+ ms were cut by trace_events_max \(500\)/);
    const cut = JSON.parse(readFileSync(join(dir, 'cut.json'), 'utf8')) as {
      otherData: { events_skipped: number; events_in_file: number; cut_at_ms: number; events_total: number };
    };
    expect(cut.otherData.events_in_file).toBeGreaterThanOrEqual(500); // The cap, and the nodes' track names.
    expect(cut.otherData.events_in_file).toBeLessThan(510);
    expect(cut.otherData.events_skipped).toBeGreaterThan(0);
    expect(cut.otherData.cut_at_ms).toBeGreaterThan(0);
    expect(cut.otherData.events_total).toBe(trace.otherData.events_total); // Same run, same events.
  });

  it("keeps a capped trace's events around every fault, and no two slices on one thread overlap", async () => {
    const scenario = JSON.parse(
      readFileSync(new URL('../../sim/scenarios/crash-restart.json', import.meta.url), 'utf8'),
    );
    writeFileSync(join(dir, 'crash-capped.json'), JSON.stringify({ ...scenario, trace_events_max: 2000 }));
    const r = await lattice('sim', 'crash-capped.json', '--seed', '3', '--trace', 'crash.json');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/and [\d,]+ within 1 ms of its \d+ faults; [\d,]+ after/);
    const file = JSON.parse(readFileSync(join(dir, 'crash.json'), 'utf8')) as {
      otherData: { cut_at_ms: number; events_near_faults: number };
      traceEvents: { ph: string; cat?: string; ts: number; dur?: number; pid: number; tid: number }[];
    };
    const faults = file.traceEvents.filter((e) => e.cat === 'fault').map((e) => e.ts);
    expect(faults.length).toBeGreaterThan(0);
    const late = faults.filter((ts) => ts / 1000 > file.otherData.cut_at_ms);
    expect(late.length).toBeGreaterThan(0); // Faults after the cut…
    const slices = file.traceEvents.filter((e) => e.ph === 'X');
    for (const at of late) {
      // …still have message events around them.
      expect(slices.some((e) => Math.abs(e.ts - at) <= 1000)).toBe(true);
    }
    const by_thread = new Map<string, { ts: number; dur: number }[]>();
    for (const e of slices) {
      const key = `${e.pid}/${e.tid}`;
      by_thread.set(key, [...(by_thread.get(key) ?? []), { ts: e.ts, dur: e.dur ?? 0 }]);
    }
    for (const list of by_thread.values()) {
      list.sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < list.length; i++)
        expect(list[i]!.ts).toBeGreaterThanOrEqual(list[i - 1]!.ts + list[i - 1]!.dur - 1e-6);
    }
  });

  it('runs a small swarm and reports no failing seed', async () => {
    const r = await lattice('sim', 'ping-pong', '--swarm', '8');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 seeds (1..8), 0 failed');
  });

  it('spreads a swarm over shards: --shard I/K slices are disjoint, their --json lines make the whole swarm', async () => {
    const lines = async (shard: string) => {
      const r = await lattice('sim', 'ping-pong', '--swarm', '5', '--seed', '3', '--shard', shard, '--json');
      expect(r.code).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { seed: number; ok: boolean; trace_digest: string });
    };
    const [a, b] = [await lines('1/2'), await lines('2/2')];
    expect(a.map((l) => l.seed)).toEqual([3, 5, 7]);
    expect(b.map((l) => l.seed)).toEqual([4, 6]);
    expect([...a, ...b].every((l) => l.ok && /^[0-9a-f]{16}$/.test(l.trace_digest))).toBe(true);
    // The same seed in a shard and alone gives the same run.
    const whole = await lattice('sim', 'ping-pong', '--swarm', '5', '--seed', '3', '--json');
    const by_seed = new Map(
      whole.stdout
        .trim()
        .split('\n')
        .map((l) => [JSON.parse(l).seed, JSON.parse(l).trace_digest]),
    );
    for (const l of [...a, ...b]) expect(by_seed.get(l.seed)).toBe(l.trace_digest);
    expect(by_seed.size).toBe(5);
    expect((await lattice('sim', 'ping-pong', '--swarm', '5', '--shard', '3/2')).code).toBe(2);
    expect((await lattice('sim', 'ping-pong', '--shard', '1/2')).code).toBe(2);
  });
});
