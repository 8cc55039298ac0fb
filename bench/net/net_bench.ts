/**
 * Network benchmark: Lattice's driver over UDP and TCP on
 * loopback against plain `dgram` and plain `net` with the same message sizes, in one run.
 *
 * Every figure is an echo: the client (this thread) keeps `window` messages in flight to an echo
 * server in a worker thread (echo_agent.ts) and sends the next one as each comes back, so both
 * cores work and UDP is never flooded past what the receiver drains. Messages/s counts echoes
 * completed per second; MB/s counts payload bytes echoed per second (one way, 10^6 bytes);
 * round trips are measured with one message in flight. Variants alternate round by round and
 * the medians are reported.
 *
 * - Lattice: `NetDriver.send_nowait` to the agent's node; the agent's driver receives (framing
 *   checks, receive queue), and sends each packet back; this thread's driver receives it.
 * - dgram: one datagram per message, echoed as is.
 * - net: messages framed with a 4-byte length prefix, corked and written once per event-loop
 *   turn, parsed on return; the echo server pipes bytes back without parsing them.
 *
 * - net.udp_64B_metrics_on: the Lattice UDP echo with the client's counters scraped into the
 *   Prometheus text (host/cli/node_metrics.ts) every 100 ms, against the same echo unscraped
 *   (`metrics_off`): what `lattice node --metrics` costs the traffic.
 *
 * The echo machinery is in echo.ts.
 */
import { create_net_driver } from '../../host/net/node_net.js';
import { Proto, type NetDriver } from '../../net/driver.js';
import type { BenchResult } from '../report.js';
import { hostile_conns_bench } from './hostile_conns.js';
import { NodeMetrics } from '../../host/cli/node_metrics.js';
import {
  case_result,
  compare_case,
  dgram_client,
  net_client,
  packet_client,
  rtts,
  start_agent,
  type Agent,
  type Case,
  type EchoTransport,
} from './echo.js';
import { AGENT_NODE, CLIENT_NODE, type EchoKind } from './echo_protocol.js';

export interface NetBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export async function net_bench(options: NetBenchOptions): Promise<BenchResult[]> {
  const { quick, log } = options;
  const scale = quick ? 0.05 : 1;
  const rounds = quick ? 1 : 5;
  const kinds: EchoKind[] = ['lattice_udp', 'lattice_tcp', 'dgram', 'net', 'net_framed'];
  const agents = new Map<EchoKind, Agent>();
  const driver = create_net_driver({ interfaces: {}, hostname: 'bench' });
  const transports: EchoTransport[] = [];
  try {
    for (const kind of kinds) agents.set(kind, await start_agent(kind));
    await driver.init({ node_id: CLIENT_NODE, max_queue: 65_536, pending_bytes_max: 64 << 20 });
    driver.add_remote(AGENT_NODE.lattice_udp, '127.0.0.1', agents.get('lattice_udp')!.port, Proto.UDP);
    driver.add_remote(AGENT_NODE.lattice_tcp, '127.0.0.1', agents.get('lattice_tcp')!.port, Proto.TCP);
    for (const agent of agents.values()) await agent.peer(driver.port);
    const lattice_udp = packet_client(driver, AGENT_NODE.lattice_udp, true);
    const lattice_tcp = packet_client(driver, AGENT_NODE.lattice_tcp, false);
    const dgram = await dgram_client(agents.get('dgram')!.port);
    const net = await net_client(agents.get('net')!.port);
    const net_framed = await net_client(agents.get('net_framed')!.port);
    transports.push(lattice_udp, lattice_tcp, dgram, net, net_framed);
    const udp = new Map([
      ['lattice', lattice_udp],
      ['dgram', dgram],
    ]);
    const tcp = new Map([
      ['lattice', lattice_tcp],
      ['net', net],
      ['net_framed', net_framed],
    ]);

    const count = (n: number) => Math.max(100, Math.round(n * scale));
    const cases: Case[] = [
      {
        name: 'net.udp_64B',
        size: 64,
        window: 32,
        total: count(60_000),
        variants: udp,
        unit: 'msg/s',
        note: 'UDP echoes/s, 64 B, 32 in flight',
      },
      {
        name: 'net.udp_1200B',
        size: 1200,
        window: 32,
        total: count(50_000),
        variants: udp,
        unit: 'msg/s',
        note: 'UDP echoes/s, 1200 B, 32 in flight',
      },
      {
        name: 'net.tcp_64B',
        size: 64,
        window: 256,
        total: count(300_000),
        variants: tcp,
        unit: 'msg/s',
        note: 'TCP echoes/s, 64 B, 256 in flight',
      },
      {
        name: 'net.tcp_1200B',
        size: 1200,
        window: 256,
        total: count(150_000),
        variants: tcp,
        unit: 'msg/s',
        note: 'TCP echoes/s, 1200 B, 256 in flight',
      },
      {
        name: 'net.tcp_64KiB_MBps',
        size: 65_536,
        window: 16,
        total: count(8_000),
        variants: tcp,
        unit: 'MB/s',
        note: 'TCP payload MB/s echoed, 64 KiB, 16 in flight',
      },
    ];
    // The metrics endpoint's cost: the same UDP echo, with the client's counters scraped into
    // the Prometheus text every 100 ms (ten times Prometheus's usual rate) and without.
    const scraper = metrics_scraper(driver, 100);
    cases.push({
      name: 'net.udp_64B_metrics_on',
      size: 64,
      window: 32,
      total: count(60_000),
      variants: new Map([
        ['lattice', while_scraped(lattice_udp, scraper, true)],
        ['metrics_off', while_scraped(lattice_udp, scraper, false)],
      ]),
      unit: 'msg/s',
      note: 'UDP echoes/s, 64 B, 32 in flight, the counters scraped every 100 ms (lattice) or not (metrics_off)',
    });
    const results: BenchResult[] = [];
    for (const c of cases) {
      log(`net: ${c.name} (${c.total} x ${rounds} rounds)`);
      results.push(case_result(c, await compare_case(c, rounds)));
    }
    const rtt_count = count(20_000);
    for (const [proto, lattice, baseline, baseline_name] of [
      ['udp', lattice_udp, dgram, 'dgram'],
      ['tcp', lattice_tcp, net, 'net'],
    ] as const) {
      log(`net: ${proto} round trips (${rtt_count})`);
      const measured = await rtts(
        new Map([
          ['lattice', lattice],
          [baseline_name, baseline],
        ]),
        64,
        rtt_count,
      );
      const l = measured.get('lattice')!;
      const b = measured.get(baseline_name)!;
      results.push({
        name: `net.${proto}_rtt_p50_us`,
        unit: 'µs',
        better: 'lower',
        lattice: l.p50,
        baselines: { [baseline_name]: b.p50 },
        note: `${proto.toUpperCase()} round trip p50, 64 B, one in flight`,
      });
      results.push({
        name: `net.${proto}_rtt_p99_us`,
        unit: 'µs',
        better: 'lower',
        lattice: l.p99,
        baselines: { [baseline_name]: b.p99 },
        note: `${proto.toUpperCase()} round trip p99, 64 B, one in flight`,
      });
    }
    scraper.stop();
    if (scraper.scrapes === 0) throw new Error('net.udp_64B_metrics_on: the counters were never scraped');
    results.push(driver_counters(driver));
    log('  hostile connections: headers that claim 1 MiB, with a ping stream beside them');
    results.push(...(await hostile_conns_bench(quick ? 500 : 5000, count(20_000))));
    return results;
  } finally {
    for (const t of transports) await t.close();
    await driver.shutdown();
    for (const agent of agents.values()) await agent.close();
  }
}

/** Malformed frames and queue drops seen by the client driver over the whole run (should be 0). */
function driver_counters(driver: NetDriver): BenchResult {
  const stats = driver.stats();
  const drops =
    Object.values(stats.malformed).reduce((a, b) => a + b, 0) + stats.queue_dropped_oldest + stats.queue_dropped_newest;
  return {
    name: 'net.client_drops',
    unit: 'count',
    better: 'lower',
    lattice: drops,
    baselines: {},
    note: 'malformed + queue drops at the client driver over the run',
  };
}

/** Scrapes `driver`'s counters into the Prometheus text every `period_ms` while started. */
function metrics_scraper(driver: NetDriver, period_ms: number) {
  const metrics = new NodeMetrics(CLIENT_NODE, () => ({
    driver: driver.stats() as unknown as Record<string, unknown>,
  }));
  let timer: ReturnType<typeof setInterval> | null = null;
  let scrapes = 0;
  return {
    start() {
      if (timer !== null) return;
      const scrape = () => void metrics.text().then(() => scrapes++);
      scrape(); // At once, then every period: a short run (--quick) is scraped too.
      timer = setInterval(scrape, period_ms);
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    get scrapes() {
      return scrapes;
    },
  };
}

/** `transport`, with the scraper running (`on`) or stopped during its runs. */
function while_scraped(
  transport: EchoTransport,
  scraper: ReturnType<typeof metrics_scraper>,
  on: boolean,
): EchoTransport {
  return {
    lossy: transport.lossy,
    send: () => transport.send(),
    prepare(size, on_echo) {
      if (on) scraper.start();
      else scraper.stop();
      transport.prepare(size, on_echo);
    },
    close: async () => {},
  };
}
