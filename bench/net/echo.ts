/**
 * The echo machinery of the network benchmarks (net_bench.ts, secure_bench.ts): a client on this
 * thread keeps `window` messages in flight to an echo agent in a worker thread (echo_agent.ts)
 * and sends the next as each comes back; variants of a case rotate round by round and report
 * medians. UDP may lose a datagram even on loopback: a window that makes no progress for
 * `STALL_MS` is refilled and the missing messages counted as lost (reported, never hidden).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { spawn_worker } from '../../host/spawn_worker.js';
import { Overflow, PacketInbox } from '../../net/packet_inbox.js';
import type { PacketPort } from '../../net/packet_port.js';
import { median, percentile, type BenchResult } from '../report.js';
import { LengthPrefixParser, length_prefixed } from './length_prefix.js';
import type { EchoInit, EchoKind, EchoToMain, MainToEcho } from './echo_protocol.js';

/** Milliseconds without an echo after which the UDP window is refilled (lost datagrams). */
const STALL_MS = 50;
/** Milliseconds without an echo after which a TCP run fails (TCP loses nothing). */
const TCP_STALL_MS = 10_000;

export interface Run {
  readonly ms: number;
  readonly lost: number;
}

/** One way to send a message and be told when its echo is back. */
export interface EchoTransport {
  readonly lossy: boolean;
  /** Sends one message of the size set by `prepare`. */
  send(): void;
  /** Sets the message size; `on_echo` is called once per message back. */
  prepare(size: number, on_echo: () => void): void;
  close(): Promise<void>;
}

/** Runs `total` echoes, `window` in flight; records each round trip (µs) in `rtt` if given. */
export function echo_run(
  transport: EchoTransport,
  size: number,
  window: number,
  total: number,
  rtt: Float64Array | null = null,
): Promise<Run> {
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

export interface Agent {
  readonly worker: Worker;
  readonly port: number;
  /** Tells the agent where to send (Lattice agents send back through their own remote). */
  peer(port: number): Promise<void>;
  /** Makes the agent answer with the first `ack_bytes` bytes of each message (0: all of it). */
  mode(ack_bytes: number): Promise<void>;
  /** Stops the agent's worker (every agent started with it: `close` on any of them is enough, and idempotent). */
  close(): Promise<void>;
}

function next_message(worker: Worker): Promise<EchoToMain> {
  return new Promise((resolve, reject) => {
    worker.once('message', (message: EchoToMain) =>
      message.type === 'error' ? reject(new Error(message.message)) : resolve(message),
    );
    worker.once('error', reject);
  });
}

/** Starts one worker running an echo server of each kind in `init.kinds`; an agent for each. */
export async function start_agents(init: EchoInit): Promise<Map<EchoKind, Agent>> {
  const name = `echo-${init.kinds.join('+')}`;
  const worker = spawn_worker(new URL('./echo_agent.ts', import.meta.url), { workerData: init, name });
  const listening = await next_message(worker);
  if (listening.type !== 'listening') throw new Error(`agent ${name}: ${listening.type}`);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const post = (message: MainToEcho) => worker.postMessage(message);
  let closing: Promise<void> | null = null;
  const agents = new Map<EchoKind, Agent>();
  for (const kind of init.kinds) {
    agents.set(kind, {
      worker,
      port: listening.ports[kind]!,
      async peer(port) {
        const ready = next_message(worker);
        post({ type: 'peer', kind, port });
        await ready;
      },
      async mode(ack_bytes) {
        const ready = next_message(worker);
        post({ type: 'mode', kind, ack_bytes });
        await ready;
      },
      close() {
        if (closing === null) {
          post({ type: 'exit' });
          closing = exited;
        }
        return closing;
      },
    });
  }
  return agents;
}

/** Starts an echo server of `kind` in a worker of its own. */
export async function start_agent(kind: EchoKind, certificate?: EchoInit['certificate']): Promise<Agent> {
  return (await start_agents({ kinds: [kind], certificate })).get(kind)!;
}

// ---------------------------------------------------------------------------------------------
// Clients.

/**
 * A Lattice client: sends through `port` (a driver, or a secure channel sealing for it) to
 * `node` and counts what comes back into an inbox of its own (queued and drained, as a network
 * server drains its inbox). The bench's packets are between no pair of pids (-1).
 */
export function packet_client(port: PacketPort, node: number, lossy: boolean): EchoTransport {
  let payload = new Uint8Array(0);
  const inbox = new PacketInbox(65_536, Overflow.DROP_OLDEST);
  return {
    lossy,
    send() {
      const result = port.send_packet(node, -1, -1, payload);
      if (result !== 'success') throw new Error(`lattice send: ${result}`);
    },
    prepare(size, on_echo) {
      payload = new Uint8Array(size).fill(0x5a);
      inbox.set_callback(() => {
        for (let packet = inbox.recv(); packet !== null; packet = inbox.recv()) on_echo();
      });
      port.set_packet_receiver(inbox);
    },
    async close() {
      inbox.set_callback(null);
      port.set_packet_receiver(null);
    },
  };
}

export async function dgram_client(port: number): Promise<EchoTransport> {
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

export async function net_client(port: number): Promise<EchoTransport> {
  const socket: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return length_prefixed_client(socket);
}

/**
 * Length-prefixed messages over a connected stream (plain `net`, or `tls`): writes corked for
 * the turn (uncorked on the next tick), every message back parsed.
 */
export function length_prefixed_client(socket: Socket): EchoTransport {
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

export interface Case {
  readonly name: string;
  readonly size: number;
  readonly window: number;
  readonly total: number;
  /** Lattice first, then the baselines, by name. */
  readonly variants: ReadonlyMap<string, EchoTransport>;
  readonly unit: 'msg/s' | 'MB/s';
  readonly note: string;
  /**
   * Warm each variant up for at least this long first (default: one tenth of `total` messages).
   * WebAssembly (libsodium) starts on a baseline compiler and needs a few seconds of work to be
   * optimised: measured cold, sealed traffic runs at half speed.
   */
  readonly warm_ms?: number;
}

/** Median rate and total losses of every variant over `rounds` rounds (order rotating). */
/** The bench result of one compared case: Lattice's rate, each baseline's, and any losses in the note. */
export function case_result(c: Case, r: Map<string, { rate: number; lost: number }>): BenchResult {
  const { lattice, ...baselines } = Object.fromEntries([...r].map(([n, v]) => [n, v.rate]));
  const losses = [...r].filter(([, v]) => v.lost > 0).map(([n, v]) => `${n} lost ${v.lost}`);
  return {
    name: c.name,
    unit: c.unit,
    better: 'higher',
    lattice: lattice!,
    baselines,
    note: [c.note, ...losses].join('; '),
  };
}

export async function compare_case(c: Case, rounds: number): Promise<Map<string, { rate: number; lost: number }>> {
  const rate = (run: Run) =>
    (c.unit === 'MB/s' ? ((c.total - run.lost) * c.size) / 1e6 : c.total - run.lost) / (run.ms / 1000);
  const names = [...c.variants.keys()];
  const rates = new Map(names.map((n) => [n, [] as number[]]));
  const lost = new Map(names.map((n) => [n, 0]));
  const warm = Math.max(1, Math.floor(c.total / 10));
  for (const transport of c.variants.values()) {
    const until = performance.now() + (c.warm_ms ?? 0);
    do await echo_run(transport, c.size, c.window, warm);
    while (performance.now() < until);
  }
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

/**
 * Round-trip p50 and p99 (µs) with one message in flight, for each transport: `count` round
 * trips each, taken in `rounds` interleaved rounds (every transport's round, then the next
 * round), so that none is measured only while the machine is in one state (just after a
 * throughput case, or during a collection), and the percentiles of all its samples.
 */
export async function rtts(
  transports: ReadonlyMap<string, EchoTransport>,
  size: number,
  count: number,
  rounds = 20,
): Promise<Map<string, { p50: number; p99: number }>> {
  const per_round = Math.max(10, Math.ceil(count / rounds));
  const samples = new Map<string, number[]>();
  for (const [name, transport] of transports) {
    await echo_run(transport, size, 1, Math.max(10, count / 10)); // Warm.
    samples.set(name, []);
  }
  const round = new Float64Array(per_round);
  for (let r = 0; r < rounds; r++) {
    for (const [name, transport] of transports) {
      const run = await echo_run(transport, size, 1, per_round, round);
      samples.get(name)!.push(...round.subarray(0, per_round - run.lost));
    }
  }
  return new Map(
    [...samples].map(([name, kept]) => [name, { p50: percentile(kept, 0.5), p99: percentile(kept, 0.99) }]),
  );
}
