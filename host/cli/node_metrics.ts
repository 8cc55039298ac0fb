/**
 * The metrics endpoint of `lattice node --metrics HOST:PORT` (or the config's `metrics`): the
 * node's counters in the Prometheus text exposition format at `/metrics`, and as prom-client's
 * JSON at `/metrics.json`, on loopback unless another address is given.
 *
 * The families are made from the layers' own stats at each scrape (`MetricsSource`), so a
 * counter added to a layer is exported with no change here and the hot paths pay nothing:
 *
 * - a number field `f` of layer `l` is `lattice_l_f_total` (a counter), or `lattice_l_f` (a
 *   gauge) when it is a level rather than a total (`GAUGE_FIELDS`);
 * - a map of counts by reason, result or errno (`LABELLED_FIELDS`) is one counter with that
 *   label: `lattice_secure_dropped_total{reason="auth_failed"}`; a map of levels by peer
 *   (`GAUGE_LABELLED_FIELDS`) is a gauge: `lattice_peers_established{peer="3"}`;
 * - a nested object of numbers (the server's `calls`) is flattened: `lattice_server_calls_sent_total`;
 * - every family carries the label `node`;
 * - latency histograms (host/latency_slab.ts, merged across the cores at each scrape) are
 *   summaries: `lattice_ping_rtt_seconds{peer,quantile}` for quantiles 0.5, 0.9, 0.99, 0.999
 *   and 1 (the largest value), with `_sum` and `_count`.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, Summary, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import { LatencyKind } from '../../kernel/layout/latency_layout.js';
import { type LatencySlab, type LatencySummary, latency_summary } from '../latency_slab.js';

/** The stats of each layer (`driver`, `server`, `secure`, `fastpath`, …) at the moment of a scrape. */
export type MetricsSource = () => Readonly<Record<string, Readonly<Record<string, unknown>> | null>>;

/** Fields that are levels (what is there now), not totals since start: gauges. */
export const GAUGE_FIELDS = new Set([
  'queued',
  'sessions',
  'reassembling',
  'unproven_bytes',
  'partial_frame_bytes',
  'gathering_bytes',
  'inbound_connections',
  'outbox_data_messages',
  'udp_receive_buffer_bytes',
  'payload_blocks_outstanding',
  'waiting',
  'serving',
]);

/** Maps of counts and the label their keys become. */
export const LABELLED_FIELDS: Readonly<Record<string, string>> = {
  malformed: 'reason',
  dropped: 'reason',
  handshakes_failed: 'reason',
  refused: 'result',
  send_refused: 'result',
  connect_failures: 'errno',
  send_errors: 'errno',
  net_refused: 'pid',
};

/** Maps of levels by peer: gauges with a `peer` label. */
export const GAUGE_LABELLED_FIELDS: Readonly<Record<string, string>> = {
  established: 'peer',
  session_age_seconds: 'peer',
};

/** Fields that name the node rather than count anything (its `node` label says it). */
const IDENTITY_FIELDS = new Set(['node', 'port']);

type Family = Counter<string> | Gauge<string>;

/** A family's name: `lattice_<layer>_<field>`, `_total` on counters. */
export function metric_name(layer: string, field: string, counter: boolean): string {
  const name = `lattice_${layer}_${field}`.replace(/[^a-zA-Z0-9_]/g, '_');
  return counter ? `${name}_total` : name;
}

/** The node's metrics: a prom-client registry filled from the layers' stats at each scrape. */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly source: MetricsSource;
  private readonly families = new Map<string, Family>();

  constructor(node_id: number, source: MetricsSource, latency: LatencySlab | null = null) {
    this.source = source;
    this.registry.setDefaultLabels({ node: String(node_id) });
    if (latency !== null) {
      new HdrSummary(
        'lattice_ping_rtt_seconds',
        'round trips of the ping service, by peer: HDR histogram merged across cores (docs/METRICS.md)',
        'peer',
        () => latency_table(latency).ping_rtt_us,
        this.registry,
      );
      new Counter({
        name: 'lattice_latency_unrecorded_total',
        help: 'latency values no histogram slot could hold, summed over cores (docs/METRICS.md)',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(latency.unrecorded_total());
        },
      });
    }
  }

  /** Reads every layer's stats into the families (made the first time each is seen). */
  update(): void {
    for (const [layer, stats] of Object.entries(this.source())) {
      if (stats === null) continue;
      for (const [field, value] of Object.entries(stats)) this.put(layer, field, value);
    }
  }

  /** The exposition text (after `update`). */
  async text(): Promise<string> {
    this.update();
    return this.registry.metrics();
  }

  /** prom-client's JSON of every family (after `update`). */
  async json(): Promise<unknown> {
    this.update();
    return this.registry.getMetricsAsJSON();
  }

  private put(layer: string, field: string, value: unknown, prefix = ''): void {
    if (IDENTITY_FIELDS.has(field) && prefix === '') return;
    const name = prefix + field;
    if (typeof value === 'number') {
      const family = this.family(layer, name, !GAUGE_FIELDS.has(field), null);
      set(family, {}, value);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const level = GAUGE_LABELLED_FIELDS[field];
    const label = level ?? LABELLED_FIELDS[field];
    if (label !== undefined) {
      const family = this.family(layer, name, level === undefined, label);
      family.reset();
      for (const [key, count] of Object.entries(value))
        if (typeof count === 'number') family.inc({ [label]: key }, count);
      return;
    }
    for (const [inner, v] of Object.entries(value)) this.put(layer, inner, v, `${name}_`);
  }

  private family(layer: string, field: string, counter: boolean, label: string | null): Family {
    const name = metric_name(layer, field, counter);
    let family = this.families.get(name);
    if (family === undefined) {
      const options = {
        name,
        help: `${layer} stats field ${field}${label === null ? '' : ` by ${label}`} (docs/METRICS.md)`,
        labelNames: label === null ? [] : [label],
        registers: [this.registry],
      };
      family = counter ? new Counter(options) : new Gauge(options);
      this.families.set(name, family);
    }
    return family;
  }
}

/** Sets a counter or gauge to `value` (a counter is reset and raised to it: the layer keeps the total). */
function set(family: Family, labels: Record<string, string>, value: number): void {
  if (family instanceof Gauge) {
    family.set(labels, value);
    return;
  }
  family.reset();
  if (value > 0) family.inc(labels, value);
}

/**
 * Serves `metrics` on `host:port` (port 0: any free one): `/metrics` and `/metrics.json`, 404
 * for anything else. Resolves to the server and its bound port.
 */
export function serve_metrics(
  metrics: NodeMetrics,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (path === '/metrics')
      metrics.text().then(
        (text) => answer(200, metrics.registry.contentType, text),
        (error: unknown) => answer(500, 'text/plain', String(error)),
      );
    else if (path === '/metrics.json')
      metrics.json().then(
        (json) => answer(200, 'application/json', JSON.stringify(json)),
        (error: unknown) => answer(500, 'text/plain', String(error)),
      );
    else answer(404, 'text/plain', 'not found: /metrics or /metrics.json\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as { port: number }).port });
    });
  });
}

/** Quantiles every latency summary exports; 1 is the largest value recorded. */
export const LATENCY_QUANTILES: readonly (readonly [number, keyof LatencySummary])[] = [
  [0.5, 'p50'],
  [0.9, 'p90'],
  [0.99, 'p99'],
  [0.999, 'p99_9'],
  [1, 'max'],
];

/** The node's latency histograms as summaries, µs, by kind and label (`stats`, `/metrics`). */
export function latency_table(slab: LatencySlab): {
  ping_rtt_us: Record<string, LatencySummary>;
  unrecorded: number;
} {
  const ping_rtt_us: Record<string, LatencySummary> = {};
  for (const [peer, histogram] of slab.merged(LatencyKind.PING_RTT)) ping_rtt_us[peer] = latency_summary(histogram);
  return { ping_rtt_us, unrecorded: slab.unrecorded_total() };
}

/**
 * A Prometheus summary whose quantiles come from an HDR histogram rather than from prom-client's
 * own sampling: `get` reads the summaries (µs) at each scrape and exports them in seconds.
 */
class HdrSummary extends Summary<string> {
  constructor(
    private readonly metric: string,
    help: string,
    private readonly label: string,
    private readonly read: () => Record<string, LatencySummary>,
    registry: Registry,
  ) {
    super({ name: metric, help, labelNames: [label], registers: [registry] });
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const [key, summary] of Object.entries(this.read())) {
      for (const [quantile, field] of LATENCY_QUANTILES)
        values.push({ labels: { [this.label]: key, quantile }, value: summary[field] / 1e6, metricName: this.metric });
      values.push({ labels: { [this.label]: key }, value: summary.sum / 1e6, metricName: `${this.metric}_sum` });
      values.push({ labels: { [this.label]: key }, value: summary.count, metricName: `${this.metric}_count` });
    }
    return { ...(await super.get()), values }; // Its name, help and type; nothing is observed into it.
  }
}
