// The HTML report, loaded in headless Chromium (Debian's, installed by .ci/run): what it shows.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { report_html } from '../../sim/report_html.js';
import { chromium as run_chromium, chromium_available as available } from '../chromium.js';
import { run, shipped } from './sim_helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chromium = (args: string[]): string => run_chromium(dir, ['--disable-gpu', ...args]);

describe.skipIf(!available)('report in Chromium', () => {
  it('shows the verdict, the seed, the topology, drops by reason and the latency histograms', async () => {
    const { result } = await run(shipped('crash-restart'), 5);
    const file = join(dir, 'report.html');
    const html = report_html(result);
    expect(html).not.toMatch(/https?:\/\/(?!ui\.perfetto)/); // Self-contained: nothing to fetch.
    writeFileSync(file, html);
    const dom = chromium(['--dump-dom', `file://${file}`]);
    expect(dom).toContain('<h1>Lattice simulation: crash-restart</h1>');
    expect(dom).toContain('<b id="seed">5</b>');
    expect(dom).toContain('All invariants held.');
    expect(dom).toContain('aria-label="topology"');
    expect((dom.match(/class="t">node \d+/g) ?? []).length).toBe(3);
    expect(dom).toContain('crash node 2 (memory lost)');
    // Topology: links between the nodes (arcs and the link table), crashes in the node's box, partitions.
    expect(result.links.length).toBeGreaterThan(0);
    expect((dom.match(/class="link"/g) ?? []).length).toBeGreaterThan(0);
    const busiest = [...result.links].sort((a, b) => b.sent - a.sent)[0]!;
    expect(dom).toContain(`<td>node ${busiest.from} → node ${busiest.to}</td>`);
    for (const c of result.crashes)
      expect(dom).toContain(`down ${c.at_ms.toFixed(1)}–${c.restart_ms === null ? 'end' : c.restart_ms.toFixed(1)} ms`);
    expect(result.crashes.length).toBeGreaterThan(0);
    expect(dom).toContain('id="partitions"');
    expect(dom).toContain('aria-label="latency remote"');
    expect(dom).toContain(result.trace_digest);
    for (const name of Object.keys(result.drops)) expect(dom).toContain(name);
    // The timeline: axes with units, labelled faults, deliveries by tier over time.
    expect(dom).toContain('virtual time (ms)');
    expect(dom).toMatch(/messages per [\d.]+ ms/);
    expect(dom).toMatch(/class="s fault"[^>]*>crash node 2 \(memory lost\)</);
    expect(dom).toContain('delivered via remote');
    // Follow one message: the first message's path, rendered by the page's script.
    const m1 = result.followed[0]!;
    expect(dom).toContain(`message 1: ${m1.from} → ${m1.to}`);
    expect(dom).toContain(`${m1.sent_ms.toFixed(3)} ms  sent`);
    if (m1.delivered_ms !== null) expect(dom).toContain(`${m1.delivered_ms.toFixed(3)} ms  delivered via ${m1.via}`);
    for (const step of m1.path) expect(dom).toContain(`${step.at_ms.toFixed(3)} ms  ${step.what}`);
    // Deliveries by path add up to the delivered count (and the histograms count the same).
    const by_path = Object.values(result.latency).reduce((a, b) => a + b.reduce((x, y) => x + y, 0), 0);
    expect(by_path).toBe(result.delivered);
    expect(dom).toContain('the latency histograms below count the same messages');
    // Latency by path, with the cost model that shaped it.
    const remote = result.latency_stats.remote!;
    expect(remote.count).toBeGreaterThan(0);
    expect(dom).toMatch(
      new RegExp(`<td>remote \\(across nodes\\)</td><td class="n">${remote.count.toLocaleString('en-US')}</td>`),
    );
    expect(dom).toContain(`a transfer costs L1 ${result.costs.transfer_l1_us} µs`);
    // The accounting bound and how the calls ended, with the run's own numbers.
    const acc = result.accounting;
    expect(dom).toContain(
      `sent ${acc.sent.toLocaleString('en-US')} = delivered ${acc.delivered.toLocaleString('en-US')} + dropped ${acc.dropped_total.toLocaleString('en-US')} + lost in crashes ${acc.lost_in_crash.toLocaleString('en-US')} + in flight ${acc.in_flight_total.toLocaleString('en-US')}`,
    );
    expect(dom).toContain('dropped messages, by reason');
    expect(dom).toContain(`${result.calls.completed.toLocaleString('en-US')} answered`);
    const png = join(dir, 'report.png');
    chromium([`--screenshot=${png}`, '--window-size=1200,1600', `file://${file}`]);
    expect(existsSync(png)).toBe(true);
    if (process.env.LATTICE_REPORT_SCREENSHOT) copyFileSync(png, process.env.LATTICE_REPORT_SCREENSHOT);
  }, 120_000);

  it('shows a broken invariant with its replay command', async () => {
    const s = shipped('ping-pong');
    const broken = { ...s, faults: { ...s.faults, sabotage: { ...s.faults.sabotage, forge_send: 0.2 } } };
    const { result } = await run(broken, 2);
    expect(result.ok).toBe(false);
    const file = join(dir, 'broken.html');
    writeFileSync(file, report_html(result));
    const dom = chromium(['--dump-dom', `file://${file}`]);
    expect(dom).toContain('Invariant broken: <b>capability</b>');
    expect(dom).toContain('lattice sim ping-pong --seed 2');
  }, 120_000);
});
