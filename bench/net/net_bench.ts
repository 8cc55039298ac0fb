/**
 * Network benchmark (issue: "Network driver", Benchmark): Lattice's driver over UDP and TCP on
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
 * UDP may lose a datagram even on loopback: a window that makes no progress for
 * `STALL_MS` is refilled and the missing messages counted as lost (reported, never hidden).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { spawn_worker } from '../../host/spawn_worker.js';
import { create_net_driver } from '../../host/net/node_net.js';
import { Proto, type NetDriver } from '../../net/driver.js';
import { median, percentile, type BenchResult } from '../report.js';
import { LengthPrefixParser, length_prefixed } from './length_prefix.js';
import { AGENT_NODE, CLIENT_NODE, type EchoKind, type EchoToMain, type MainToEcho } from './echo_protocol.js';

/** Milliseconds without an echo after which the UDP window is refilled (lost datagrams). */
const STALL_MS = 50;
/** Milliseconds without an echo after which a TCP run fails (TCP loses nothing). */
const TCP_STALL_MS = 10_000;

interface Run {
  readonly ms: number;
  readonly lost: number;
}

/** One way to send a message and be told when its echo is back. */
interface EchoTransport {
  readonly lossy: boolean;
  /** Sends one message of the size set by `prepare`. */
  send(): void;
  /** Sets the message size; `on_echo` is called once per message back. */
  prepare(size: number, on_echo: () => void): void;
  close(): Promise<void>;
}

/** Runs `total` echoes, `window` in flight; records each round trip (µs) in `rtt` if given. */
function echo_run(transport: EchoTransport, size: number, window: number, total: number, rtt: Float64Array | null = null): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let lost = 0;
    let last_done = -1;
    let sent_at = 0;
    const start = performance.now();
    const send = () => {
      sent++;
      if (rtt !== null) sent_at = performance.now();
      transport.send();
    };
    const finish = () => {
      clearInterval(watchdog);
      resolve({ ms: performance.now() - start, lost });
    };
    const watchdog = setInterval(
      () => {
        if (done !== last_done) {
          last_done = done;
          return;
        }
        if (!transport.lossy) {
          clearInterval(watchdog);
          reject(new Error(`echo stalled at ${done}/${total}`));
          return;
        }
        const missing = sent - done - lost;
        lost += missing;
        if (done + lost >= total) finish();
        else for (let i = 0; i < missing && sent < total; i++) send();
      },
      transport.lossy ? STALL_MS : TCP_STALL_MS,
    );
    transport.prepare(size, () => {
      if (rtt !== null) rtt[done] = (performance.now() - sent_at) * 1000;
      done++;
      if (done + lost >= total) finish();
      else if (sent < total) send();
    });
    for (let i = 0; i < window && i < total; i++) send();
  });
}

// ---------------------------------------------------------------------------------------------
// The echo agents.

interface Agent {
  readonly worker: Worker;
  readonly port: number;
  /** Tells the agent where to send (Lattice agents send back through their own remote). */
  peer(port: number): Promise<void>;
  close(): Promise<void>;
}

function next_message(worker: Worker): Promise<EchoToMain> {
  return new Promise((resolve, reject) => {
    worker.once('message', (message: EchoToMain) => (message.type === 'error' ? reject(new Error(message.message)) : resolve(message)));
    worker.once('error', reject);
  });
}

async function start_agent(kind: EchoKind): Promise<Agent> {
  const worker = spawn_worker(new URL('./echo_agent.ts', import.meta.url), { workerData: { kind }, name: `echo-${kind}` });
  const listening = await next_message(worker);
  if (listening.type !== 'listening') throw new Error(`agent ${kind}: ${listening.type}`);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const post = (message: MainToEcho) => worker.postMessage(message);
  return {
    worker,
    port: listening.port,
    async peer(port) {
      const ready = next_message(worker);
      post({ type: 'peer', port });
      await ready;
    },
    async close() {
      post({ type: 'exit' });
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Clients.

function lattice_client(driver: NetDriver, node: number, lossy: boolean): EchoTransport {
  let payload = new Uint8Array(0);
  return {
    lossy,
    send() {
      const result = driver.send_nowait(node, payload);
      if (result !== 'success') throw new Error(`lattice send: ${result}`);
    },
    prepare(size, on_echo) {
      payload = new Uint8Array(size).fill(0x5a);
      driver.set_recv_callback(() => {
        for (let packet = driver.recv(); packet !== null; packet = driver.recv()) on_echo();
      });
    },
    async close() {
      driver.set_recv_callback(null);
    },
  };
}

async function dgram_client(port: number): Promise<EchoTransport> {
  const socket: UdpSocket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let data = Buffer.alloc(0);
  return {
    lossy: true,
    send() {
      socket.send(data, port, '127.0.0.1');
    },
    prepare(size, on_echo) {
      data = Buffer.alloc(size, 0x5a);
      socket.removeAllListeners('message');
      socket.on('message', on_echo);
    },
    close() {
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}

async function net_client(port: number): Promise<EchoTransport> {
  const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let frame: Buffer = Buffer.alloc(0);
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return {
    lossy: false,
    send() {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(frame);
    },
    prepare(size, on_echo) {
      frame = length_prefixed(new Uint8Array(size).fill(0x5a));
      const parser = new LengthPrefixParser(on_echo);
      socket.removeAllListeners('data');
      socket.on('data', (chunk: Buffer) => parser.push(chunk));
    },
    close() {
      return new Promise((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark.

export interface NetBenchOptions {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

interface Case {
  readonly name: string;
  readonly size: number;
  readonly window: number;
  readonly total: number;
  /** Lattice first, then the baselines, by name. */
  readonly variants: ReadonlyMap<string, EchoTransport>;
  readonly unit: 'msg/s' | 'MB/s';
  readonly note: string;
}

/** Median rate and total losses of every variant over `rounds` rounds (order rotating). */
async function compare_case(c: Case, rounds: number): Promise<Map<string, { rate: number; lost: number }>> {
  const rate = (run: Run) => (c.unit === 'MB/s' ? ((c.total - run.lost) * c.size) / 1e6 : c.total - run.lost) / (run.ms / 1000);
  const names = [...c.variants.keys()];
  const rates = new Map(names.map((n) => [n, [] as number[]]));
  const lost = new Map(names.map((n) => [n, 0]));
  for (const transport of c.variants.values()) await echo_run(transport, c.size, c.window, Math.max(1, Math.floor(c.total / 10)));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const run = await echo_run(c.variants.get(name)!, c.size, c.window, c.total);
      rates.get(name)!.push(rate(run));
      lost.set(name, lost.get(name)! + run.lost);
    }
  }
  return new Map(names.map((n) => [n, { rate: median(rates.get(n)!), lost: lost.get(n)! }]));
}

/** Round-trip p50 and p99 (µs) with one message in flight. */
async function rtt(transport: EchoTransport, size: number, count: number): Promise<{ p50: number; p99: number }> {
  await echo_run(transport, size, 1, Math.max(10, count / 10));
  const samples = new Float64Array(count);
  const run = await echo_run(transport, size, 1, count, samples);
  const kept = samples.subarray(0, count - run.lost);
  return { p50: percentile(kept, 0.5), p99: percentile(kept, 0.99) };
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
    const lattice_udp = lattice_client(driver, AGENT_NODE.lattice_udp, true);
    const lattice_tcp = lattice_client(driver, AGENT_NODE.lattice_tcp, false);
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
      { name: 'net.udp_64B', size: 64, window: 32, total: count(60_000), variants: udp, unit: 'msg/s', note: 'UDP echoes/s, 64 B, 32 in flight' },
      { name: 'net.udp_1200B', size: 1200, window: 32, total: count(50_000), variants: udp, unit: 'msg/s', note: 'UDP echoes/s, 1200 B, 32 in flight' },
      { name: 'net.tcp_64B', size: 64, window: 256, total: count(300_000), variants: tcp, unit: 'msg/s', note: 'TCP echoes/s, 64 B, 256 in flight' },
      { name: 'net.tcp_1200B', size: 1200, window: 256, total: count(150_000), variants: tcp, unit: 'msg/s', note: 'TCP echoes/s, 1200 B, 256 in flight' },
      { name: 'net.tcp_64KiB_MBps', size: 65_536, window: 16, total: count(8_000), variants: tcp, unit: 'MB/s', note: 'TCP payload MB/s echoed, 64 KiB, 16 in flight' },
    ];
    const results: BenchResult[] = [];
    for (const c of cases) {
      log(`net: ${c.name} (${c.total} x ${rounds} rounds)`);
      const r = await compare_case(c, rounds);
      const { lattice, ...baselines } = Object.fromEntries([...r].map(([n, v]) => [n, v.rate]));
      const losses = [...r].filter(([, v]) => v.lost > 0).map(([n, v]) => `${n} lost ${v.lost}`);
      results.push({ name: c.name, unit: c.unit, better: 'higher', lattice: lattice!, baselines, note: [c.note, ...losses].join('; ') });
    }
    const rtt_count = count(20_000);
    for (const [proto, lattice, baseline, baseline_name] of [
      ['udp', lattice_udp, dgram, 'dgram'],
      ['tcp', lattice_tcp, net, 'net'],
    ] as const) {
      log(`net: ${proto} round trips (${rtt_count})`);
      const l = await rtt(lattice, 64, rtt_count);
      const b = await rtt(baseline, 64, rtt_count);
      results.push({ name: `net.${proto}_rtt_p50_us`, unit: 'µs', better: 'lower', lattice: l.p50, baselines: { [baseline_name]: b.p50 }, note: `${proto.toUpperCase()} round trip p50, 64 B, one in flight` });
      results.push({ name: `net.${proto}_rtt_p99_us`, unit: 'µs', better: 'lower', lattice: l.p99, baselines: { [baseline_name]: b.p99 }, note: `${proto.toUpperCase()} round trip p99, 64 B, one in flight` });
    }
    results.push(driver_counters(driver));
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
  const drops = Object.values(stats.malformed).reduce((a, b) => a + b, 0) + stats.queue_dropped_oldest + stats.queue_dropped_newest;
  return { name: 'net.client_drops', unit: 'count', better: 'lower', lattice: drops, baselines: {}, note: 'malformed + queue drops at the client driver over the run' };
}
