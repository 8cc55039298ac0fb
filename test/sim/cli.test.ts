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

  it('runs a small swarm and reports no failing seed', async () => {
    const r = await lattice('sim', 'ping-pong', '--swarm', '8');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('8 seeds (1..8), 0 failed');
  });
});
