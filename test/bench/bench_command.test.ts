// `lattice bench --quick --json`: every area runs (each in a process of its own) and the report is
// one JSON object with the headline names the issues give. Figures are not checked: speed is
// measured, not asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lattice } from '../lattice_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lattice bench', () => {
  it('runs every area in its own process and prints one report with the headline names', async () => {
    const run = await lattice(dir, 'bench', '--quick', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      machine: string;
      date: string;
      results: { name: string; unit: string; better: string; lattice: number; baselines: Record<string, number> }[];
    };
    expect(report.machine).toMatch(/cores/);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    const names = report.results.map((r) => r.name);
    for (const name of [
      'kernel.oneway_64B',
      'graph.add_dep_100k',
      'api.oneway_64B',
      'net.udp_64B',
      'net.hostile_conns_rss_MiB',
      'secure.tcp_64KiB_MBps',
      'gpu.blake3_16MiB_MBps',
      'sim.msgs_per_s_1node',
      'sim.msgs_per_s_64nodes',
      'sim.msgs_per_s_64nodes_encrypted',
    ]) {
      expect(names).toContain(name);
    }
    for (const r of report.results) {
      expect(['higher', 'lower']).toContain(r.better);
      expect(Number.isFinite(r.lattice), r.name).toBe(true);
    }
  }, 180_000);
});
