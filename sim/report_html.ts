/**
 * The run's HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched)
 * that shows the topology, hits and spills per tier, the message timeline, drops by reason and
 * the latency histograms. Pure string building: the host writes the file.
 */
import { LATENCY_BUCKETS } from './ledger.js';
import { accounting_equation, dropped_by_reason } from './message_fates.js';
import { scheduler_summary, type SimResult } from './simulator.js';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const TIER_LABELS = ['L1', 'L2', 'L3', 'spill'];
const TIER_COLORS = ['#2e7d32', '#1565c0', '#6a1b9a', '#c62828'];

/** Most nodes whose links the topology draws as lines (beyond, the link table alone shows them). */
const LINK_LINES_NODES_MAX = 16;
/** Links the link table lists, the busiest first. */
const LINK_ROWS_MAX = 20;

function topology(result: SimResult): string {
  const nodes = result.nodes;
  const cols = Math.min(8, nodes.length);
  const cell_w = 150;
  const rows = Math.ceil(nodes.length / cols);
  const max_cores = Math.max(...nodes.map((n) => n.sockets * n.cores_per_socket));
  // One scale for every node's bars, so nodes compare at a glance.
  const max = Math.max(1, ...nodes.flatMap((n) => n.cores_received.map((c) => c.reduce((a, b) => a + b, 0))));
  const crashes_of = new Map<number, SimResult['crashes'][number][]>();
  for (const c of result.crashes) crashes_of.set(c.node, [...(crashes_of.get(c.node) ?? []), c]);
  const crash_lines = Math.max(0, ...[...crashes_of.values()].map((l) => l.length));
  const cell_h = 46 + max_cores * 14 + crash_lines * 12;
  const top = nodes.length <= LINK_LINES_NODES_MAX && result.links.length > 0 ? 70 : 4; // Room for the links' arcs.
  const parts: string[] = [];
  const centre = new Map<number, { x: number; y: number }>();
  nodes.forEach((n, i) => {
    const x = (i % cols) * cell_w + 4;
    const y = top + Math.floor(i / cols) * (cell_h + 8) + 4;
    centre.set(n.id, { x: x + (cell_w - 10) / 2, y: y + cell_h / 2 });
  });
  if (nodes.length <= LINK_LINES_NODES_MAX) parts.push(link_lines(result, centre, cell_h));
  nodes.forEach((n, i) => {
    const x = (i % cols) * cell_w + 4;
    const y = top + Math.floor(i / cols) * (cell_h + 8) + 4;
    const cores = n.sockets * n.cores_per_socket;
    parts.push(
      `<g><rect x="${x}" y="${y}" width="${cell_w - 10}" height="${cell_h}" rx="6" fill="${n.alive ? '#f5f9ff' : '#fdecea'}" stroke="#90a4ae"/>`,
    );
    parts.push(
      `<text x="${x + 8}" y="${y + 16}" class="t">node ${n.id}${n.alive ? '' : ' (down)'}${n.incarnations > 1 ? ` ×${n.incarnations}` : ''}</text>`,
    );
    parts.push(
      `<text x="${x + 8}" y="${y + 30}" class="s">${n.sockets}×${n.cores_per_socket} cores · ${n.processes.length} procs</text>`,
    );
    for (let c = 0; c < cores; c++) {
      const cy = y + 40 + c * 14;
      parts.push(`<text x="${x + 8}" y="${cy + 9}" class="s">c${c}</text>`);
      let cx = x + 28;
      const counts = n.cores_received[c] ?? [0, 0, 0, 0];
      counts.forEach((v, t) => {
        const w = (v / max) * (cell_w - 48);
        if (w > 0)
          parts.push(
            `<rect x="${cx.toFixed(1)}" y="${cy}" width="${w.toFixed(1)}" height="10" fill="${TIER_COLORS[t]}"><title>core ${c} ${TIER_LABELS[t]}: ${fmt(v)}</title></rect>`,
          );
        cx += w;
      });
    }
    (crashes_of.get(n.id) ?? []).forEach((c, k) => {
      parts.push(
        `<text x="${x + 8}" y="${y + 50 + cores * 14 + k * 12}" class="s crash" fill="#c62828">down ${c.at_ms.toFixed(1)}–${c.restart_ms === null ? 'end' : c.restart_ms.toFixed(1)} ms</text>`,
      );
    });
    parts.push('</g>');
  });
  return `<svg width="${cols * cell_w + 8}" height="${top + rows * (cell_h + 8) + 8}" role="img" aria-label="topology">${parts.join('')}</svg>
${partitions(result)}
${link_table(result)}`;
}

/**
 * The links between nodes as arcs between their boxes, each pair once: width by traffic (log),
 * red and dashed where the wire dropped some of it; the tooltip has both directions' counts.
 */
function link_lines(result: SimResult, centre: Map<number, { x: number; y: number }>, cell_h: number): string {
  const pairs = new Map<string, { a: number; b: number; sent: number; dropped: number; text: string[] }>();
  for (const l of result.links) {
    const [a, b] = l.from < l.to ? [l.from, l.to] : [l.to, l.from];
    const key = `${a}-${b}`;
    const pair = pairs.get(key) ?? { a, b, sent: 0, dropped: 0, text: [] };
    pair.sent += l.sent;
    pair.dropped += l.dropped;
    pair.text.push(`node ${l.from} → node ${l.to}: ${fmt(l.sent)} sent, ${fmt(l.dropped)} dropped on the wire`);
    pairs.set(key, pair);
  }
  const heaviest = Math.max(1, ...[...pairs.values()].map((p) => p.sent));
  const out: string[] = [];
  for (const p of pairs.values()) {
    const from = centre.get(p.a);
    const to = centre.get(p.b);
    if (from === undefined || to === undefined || p.a === p.b) continue;
    // A quadratic arc that rises above the boxes (its peak is halfway to the control point), higher
    // the farther apart its nodes, so links do not run under the boxes between them.
    const mx = (from.x + to.x) / 2;
    const my = Math.min(from.y, to.y);
    const cx = mx;
    const cy = my - cell_h - 24 - Math.abs(to.x - from.x) * 0.08;
    const width = 1 + 4 * (Math.log1p(p.sent) / Math.log1p(heaviest));
    const lossy = p.dropped > 0;
    out.push(
      `<path class="link" d="M${from.x.toFixed(1)},${from.y.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${to.x.toFixed(1)},${to.y.toFixed(1)}" fill="none" stroke="${lossy ? '#c62828' : '#78909c'}" stroke-opacity="0.55" stroke-width="${width.toFixed(1)}"${lossy ? ' stroke-dasharray="6,3"' : ''}><title>${esc(p.text.join('; '))}</title></path>`,
    );
  }
  return out.join('');
}

/** When the network was split, into which groups. */
function partitions(result: SimResult): string {
  if (result.partitions.length === 0) return '<p class="legend" id="partitions">No partitions.</p>';
  const rows = result.partitions.map(
    (p) =>
      `${p.from_ms.toFixed(3)}–${p.to_ms === null ? 'end' : p.to_ms.toFixed(3)} ms: ${p.groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`,
  );
  return `<p class="legend" id="partitions">Partitions (nodes in different groups cannot reach each other): ${rows.map(esc).join('; ')}.</p>`;
}

/** The busiest links, with what the wire dropped on each. */
function link_table(result: SimResult): string {
  if (result.links.length === 0) return '';
  const busiest = [...result.links].sort((a, b) => b.sent - a.sent).slice(0, LINK_ROWS_MAX);
  const rows = busiest.map((l): [string, string] => [
    `node ${l.from} → node ${l.to}`,
    `${fmt(l.sent)} sent, ${fmt(l.dropped)} dropped on the wire (${l.sent === 0 ? '0' : ((100 * l.dropped) / l.sent).toFixed(1)} %)`,
  ]);
  const more =
    result.links.length > LINK_ROWS_MAX ? ` (the ${LINK_ROWS_MAX} busiest of ${fmt(result.links.length)})` : '';
  return `<h3>Links${more}</h3><div id="links">${table(rows, ['link', 'datagrams and TCP writes'])}</div>`;
}

function legend(): string {
  return `<p class="legend">${TIER_LABELS.map((l, i) => `<span><i style="background:${TIER_COLORS[i]}"></i>${l}</span>`).join(' ')} — messages received per core, by the tier they came through (one scale for every node; a red node is down, ×N counts its boots)</p>`;
}

/** Round step for `n` ticks over [0, max]: 1, 2 or 5 times a power of ten. */
function tick_step(max: number, ticks: number): number {
  const raw = Math.max(1e-9, max / ticks);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
}

/** The series as a chart over the active span of the run: axes with units and ticks, labelled fault lines. */
function timeline(result: SimResult): string {
  const { sent, delivered, delivered_by_class } = result.timeline;
  const bucket_ms = result.timeline_bucket_ms;
  const all = [sent, delivered, ...Object.values(delivered_by_class)];
  const n = Math.max(...all.map((s) => s.length), 1);
  // The active span: from the first bucket with traffic to the last (faults stay in view too).
  let first = n;
  let last = 0;
  for (const series of all)
    for (let i = 0; i < series.length; i++)
      if ((series[i] ?? 0) > 0) {
        first = Math.min(first, i);
        last = Math.max(last, i);
      }
  for (const f of result.faults) {
    first = Math.min(first, Math.floor(f.at_ms / bucket_ms));
    last = Math.max(last, Math.floor(f.at_ms / bucket_ms));
  }
  if (first > last) [first, last] = [0, n - 1];
  const from_ms = first * bucket_ms;
  const to_ms = Math.max(from_ms + bucket_ms, (last + 1) * bucket_ms);
  const w = 760;
  const h = 200;
  const left = 60;
  const bottom = h - 30;
  const top = 24;
  const max = Math.max(1, ...all.flatMap((s) => s.slice(first, last + 1)));
  const x_of = (ms: number) => left + ((ms - from_ms) / (to_ms - from_ms)) * (w - left - 10);
  const y_of = (v: number) => bottom - (v / max) * (bottom - top);
  const line = (series: number[], color: string, label: string) => {
    const pts: string[] = [];
    for (let i = first; i <= last; i++)
      pts.push(`${x_of((i + 0.5) * bucket_ms).toFixed(1)},${y_of(series[i] ?? 0).toFixed(1)}`);
    return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(' ')}"><title>${esc(label)}</title></polyline>`;
  };
  const ticks: string[] = [];
  const xs = tick_step(to_ms - from_ms, 6);
  for (let t = Math.ceil(from_ms / xs) * xs; t <= to_ms + 1e-9; t += xs) {
    const x = x_of(t).toFixed(1);
    ticks.push(
      `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="#999"/><text x="${x}" y="${bottom + 16}" class="s" text-anchor="middle">${Number(t.toPrecision(6))}</text>`,
    );
  }
  const ys = tick_step(max, 4);
  for (let v = 0; v <= max + 1e-9; v += ys) {
    const y = y_of(v).toFixed(1);
    ticks.push(
      `<line x1="${left - 4}" x2="${left}" y1="${y}" y2="${y}" stroke="#999"/><text x="${left - 6}" y="${y}" class="s" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  const faults = result.faults
    .map((f, i) => {
      const at = x_of(f.at_ms);
      const x = at.toFixed(1);
      const anchor = at > w - 160 ? 'end' : 'start';
      return `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="#ef6c00" stroke-dasharray="3,3"/><text x="${x}" y="${top - 6 - (i % 2) * 9}" class="s fault" text-anchor="${anchor}">${esc(f.what)}</text>`;
    })
    .join('');
  const classes = Object.entries(delivered_by_class).filter(([, s]) => s.some((v) => v > 0));
  const class_colors: Record<string, string> = {
    L1: TIER_COLORS[0]!,
    L2: TIER_COLORS[1]!,
    L3: TIER_COLORS[2]!,
    spill: TIER_COLORS[3]!,
    remote: '#00838f',
  };
  const lines = [
    line(sent, '#90a4ae', 'sent'),
    line(delivered, '#263238', 'delivered'),
    ...classes.map(([c, s]) => line(s, class_colors[c] ?? '#777', `delivered via ${c}`)),
  ].join('');
  const legend = [
    '<span><i style="background:#90a4ae"></i>sent</span>',
    '<span><i style="background:#263238"></i>delivered</span>',
    ...classes.map(
      ([c]) =>
        `<span><i style="background:${class_colors[c] ?? '#777'}"></i>delivered via ${c === 'L3' ? 'L3 or spill' : c}</span>`,
    ),
    '<span><i style="background:#ef6c00"></i>fault</span>',
  ].join(' ');
  return `<svg width="${w}" height="${h}" role="img" aria-label="timeline"><line x1="${left}" x2="${w - 10}" y1="${bottom}" y2="${bottom}" stroke="#999"/><line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#999"/>${ticks.join('')}<text x="${(left + w) / 2}" y="${h - 2}" class="s" text-anchor="middle">virtual time (ms)</text><text x="12" y="${(top + bottom) / 2}" class="s" transform="rotate(-90 12 ${(top + bottom) / 2})" text-anchor="middle">messages per ${bucket_ms.toFixed(2)} ms</text>${faults}${lines}</svg><p class="legend">${legend} — ${from_ms.toFixed(1)} to ${to_ms.toFixed(1)} ms, the span with traffic or faults</p>`;
}

function histogram(name: string, buckets: number[]): string {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return '';
  let first = buckets.findIndex((v) => v > 0);
  let last = LATENCY_BUCKETS - 1;
  while (last > first && buckets[last] === 0) last--;
  first = Math.max(0, first);
  const max = Math.max(...buckets);
  const bw = 22;
  const h = 120;
  const bars: string[] = [];
  for (let b = first; b <= last; b++) {
    const x = 10 + (b - first) * bw;
    const bh = ((buckets[b] ?? 0) / max) * (h - 36);
    const label =
      b === 0
        ? '<2'
        : 2 ** b >= 1000
          ? `${2 ** b / 1000 >= 1000 ? `${(2 ** b / 1e6).toFixed(0)}s` : `${(2 ** b / 1000).toFixed(0)}ms`}`
          : `${2 ** b}`;
    bars.push(
      `<rect x="${x}" y="${(h - 22 - bh).toFixed(1)}" width="${bw - 3}" height="${bh.toFixed(1)}" fill="#5c6bc0"><title>[${2 ** b}, ${2 ** (b + 1)}) µs: ${fmt(buckets[b] ?? 0)}</title></rect><text x="${x}" y="${h - 8}" class="s">${label}</text>`,
    );
  }
  return `<div class="hist"><h3>${esc(name)} <small>${fmt(total)} messages</small></h3><svg width="${20 + (last - first + 1) * bw}" height="${h}" role="img" aria-label="latency ${esc(name.split(' ')[0]!)}">${bars.join('')}</svg></div>`;
}

function table(rows: [string, string][], head: [string, string]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr><th>${esc(head[0])}</th><th>${esc(head[1])}</th></tr></thead><tbody>${rows.map(([a, b]) => `<tr><td>${esc(a)}</td><td class="n">${esc(b)}</td></tr>`).join('')}</tbody></table>`;
}

/** The report of `result`, as one HTML document. */
export function report_html(result: SimResult): string {
  const hits = result.nodes.reduce((a, n) => a + n.hit_count, 0);
  const spills = result.nodes.reduce((a, n) => a + n.spill_count, 0);
  const tiers = [0, 1, 2, 3].map((t) => result.nodes.reduce((a, n) => a + (n.received_by_tier[t] ?? 0), 0));
  const verdict = result.ok
    ? `<p class="ok" id="verdict">All invariants held.</p>`
    : `<p class="bad" id="verdict">Invariant broken: <b>${esc(result.violation!.invariant)}</b> — ${esc(result.violation!.message)}<br>Replay: <code>${esc(result.violation!.replay)}</code></p>`;
  const summary: [string, string][] = [
    ['seed', String(result.seed)],
    ['virtual time', `${result.virtual_ms.toFixed(2)} ms`],
    ['events', fmt(result.events)],
    ['scheduler', scheduler_summary(result)],
    ['messages sent', fmt(result.sent)],
    ['delivered', fmt(result.delivered)],
    [
      'delivered by path',
      `${Object.entries(result.latency)
        .map(([c, b]) => `${c} ${fmt(b.reduce((x, y) => x + y, 0))}`)
        .join(' · ')} (the latency histograms below count the same messages)`,
    ],
    [
      'accounting',
      `${accounting_equation(result.accounting)}: exact, message by message (each message is in exactly one term; those in flight are where their node's own counts hold them)`,
    ],
    ['dropped messages, by reason', dropped_by_reason(result.accounting, ' · ')],
    [
      "the layers' drop counters",
      `${fmt(result.drops_total)} packets: they also count handshake packets, replayed duplicates, and a message refused by two layers once by each, so they need not equal the messages dropped`,
    ],
    [
      'calls',
      `${fmt(result.calls.completed)} answered, ${fmt(result.calls.timed_out)} timed out (${fmt(result.calls.timed_out_peer_up)} with the callee up and reachable), ${fmt(result.calls.dead_peer)} DEAD_PEER`,
    ],
    [
      'answers waited out',
      `${fmt(result.calls.answers_waited_out)} ping-pong rounds ended by timeout (${fmt(result.calls.answers_waited_out_peer_up)} with the peer up and reachable: a lost ping or pong)`,
    ],
    ['duplicates delivered (clear UDP)', fmt(result.duplicates_delivered)],
    ['corrupted payloads delivered (clear)', fmt(result.corrupt_delivered)],
    ['ring hits / spills', `${fmt(hits)} / ${fmt(spills)}`],
    ...TIER_LABELS.map((l, i): [string, string] => [
      `received via ${l}`,
      `${fmt(tiers[i]!)}${i === 0 ? " (every message a core took from its rings, the network's own included)" : ''}`,
    ]),
    ["nodes' shared memory", `${(result.node_memory_bytes / 2 ** 20).toFixed(1)} MiB`],
    ['trace digest', result.trace_digest],
  ];
  if (result.secure !== null)
    summary.push([
      'handshakes completed / rekeys',
      `${fmt(result.secure.handshakes_completed)} / ${fmt(result.secure.rekeys)}`,
    ]);
  const drops = Object.entries(result.drops)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]): [string, string] => [k, fmt(v)]);
  const control = Object.entries(result.control_drops).map(([k, v]): [string, string] => [
    `network.control.${k}`,
    fmt(v),
  ]);
  const hists = Object.entries(result.latency)
    .map(([k, v]) => histogram(k === 'remote' ? 'remote (across nodes)' : `local via ${k}`, v))
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lattice sim: ${esc(result.scenario)} (seed ${result.seed})</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:6px 0}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#e8f5e9;padding:8px;border-left:4px solid #2e7d32}.bad{background:#fdecea;padding:8px;border-left:4px solid #c62828}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px}.legend{color:#555;font-size:12px}
svg .t{font-size:12px;font-weight:600}svg .s{font-size:10px;fill:#555}.hist{display:inline-block;margin-right:24px;vertical-align:top}
.none{color:#888}
</style></head><body>
<h1>Lattice simulation: ${esc(result.scenario)}</h1>
${result.description === '' ? '' : `<p id="description">${esc(result.description)}</p>`}
<p>seed <b id="seed">${result.seed}</b> · ${result.nodes.length} nodes · replay with <code>lattice sim ${esc(result.scenario)} --seed ${result.seed}</code></p>
${verdict}
<h2>Summary</h2>
<div id="summary">${table(summary, ['what', 'value'])}</div>
<h2>Topology</h2>
${topology(result)}
${legend()}
<h2>Message timeline</h2>
${timeline(result)}
<h2>Drops by reason</h2>
<div id="drops">${table([...drops, ...control], ['counter', 'count'])}</div>
<h2>Latency</h2>
${latency_table(result)}
<div id="latency">${hists || '<p class="none">no deliveries</p>'}</div>
<h2>Faults</h2>
${table(
  result.faults.map((f): [string, string] => [`${f.at_ms.toFixed(3)} ms`, f.what]),
  ['at', 'what'],
)}
<h2>Follow one message</h2>
${follow(result)}
</body></html>
`;
}

/**
 * Latency by path, from send to receipt: count, mean, p50, p99 and max. Local paths are named by
 * the tier that carried the message; what one costs is the scenario's cost model (sim/costs.ts).
 */
function latency_table(result: SimResult): string {
  const us = (v: number) => (v < 10 ? v.toFixed(2) : fmt(Math.round(v)));
  const rows = Object.entries(result.latency_stats)
    .filter(([, v]) => v.count > 0)
    .map(
      ([k, v]) =>
        `<tr><td>${esc(k === 'remote' ? 'remote (across nodes)' : `local via ${k}`)}</td><td class="n">${fmt(v.count)}</td><td class="n">${us(v.mean_us)}</td><td class="n">${us(v.p50_us)}</td><td class="n">${us(v.p99_us)}</td><td class="n">${us(v.max_us)}</td></tr>`,
    )
    .join('');
  const c = result.costs;
  return `<div id="latency-table"><table><tr><th>path</th><th>messages</th><th>mean µs</th><th>p50 µs</th><th>p99 µs</th><th>max µs</th></tr>${rows}</table>
<p class="legend">Cost model: a transfer costs L1 ${c.transfer_l1_us} µs, L2 ${c.transfer_l2_us} µs, L3 ${c.transfer_l3_us} µs, spill ${c.transfer_spill_us} µs; a remote hop's host work ${c.remote_hop_us} µs; a wake ${result.wake.wake_local_us} µs from the same core, ${result.wake.wake_us_min}–${result.wake.wake_us_max} µs from another (sim/costs.ts). The rest of a latency is waiting: for a wake-up, for the receiver's next step, behind full rings.</p></div>`;
}

/**
 * Pick a message id, see its path: sent by whom to whom and when, delivered when and through
 * which tier (and the network), or what became of it. The first messages' paths are in the page
 * (JSON in a script element, `<` escaped); a few lines of script show the one picked.
 */
function follow(result: SimResult): string {
  const list = result.followed;
  if (list.length === 0) return '<p class="none">no messages</p>';
  const data = JSON.stringify(list).replace(/</g, '\\u003c');
  const first = list[0]!;
  return `<p>Message <input id="follow-id" type="number" min="${first.id}" max="${list[list.length - 1]!.id}" value="${first.id}"> of the first ${fmt(list.length)} the run sent.</p>
<pre id="follow-path"></pre>
<script type="application/json" id="followed">${data}</script>
<script>
(() => {
  const list = JSON.parse(document.getElementById('followed').textContent);
  const by_id = new Map(list.map((m) => [m.id, m]));
  const show = () => {
    const m = by_id.get(Number(document.getElementById('follow-id').value));
    const out = document.getElementById('follow-path');
    if (m === undefined) { out.textContent = 'no such message among those kept'; return; }
    const lines = ['message ' + m.id + (m.reply ? ' (a reply)' : '') + ': ' + m.from + ' → ' + m.to,
      '  ' + m.sent_ms.toFixed(3) + ' ms  sent'];
    for (const step of m.path) if (step.what !== 'delivered') lines.push('  ' + step.at_ms.toFixed(3) + ' ms  ' + step.what);
    if (m.delivered_ms !== null) lines.push('  ' + m.delivered_ms.toFixed(3) + ' ms  delivered via ' + m.via + ' (' + ((m.delivered_ms - m.sent_ms) * 1000).toFixed(1) + ' µs after the send)');
    else lines.push('  ' + m.outcome);
    out.textContent = lines.join('\\n');
  };
  document.getElementById('follow-id').addEventListener('input', show);
  show();
})();
</script>`;
}
