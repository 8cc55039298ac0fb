/**
 * `lattice node --config FILE`: one real Lattice node, for multi-process and multi-host use. The
 * node's shared memory and a worker thread per core (`NodeHost`), the network driver on real UDP
 * and TCP sockets, the secure channel with this node's identity and its pinned peers, and the
 * processes the config places (built-in services or modules).
 *
 * It speaks JSON lines, one object per line, so scripts and tests can drive it:
 * - stdout, events: `ready` (node id, bound port, public key; every receiving service of the
 *   config listens by then), `peer` (a peer added), `spawned` (a process from stdin is ready to
 *   be sent to), `exited` (a process returned: ok, value or error), `stats` (on request), `error`
 *   (a bad command), `warning` (a peer's handshakes keep failing, a peer unreachable, drops
 *   rising: host/cli/node_warnings.ts; also a line on stderr when it is a terminal), `closed`
 *   (final counters; the last line).
 * - stdin, commands: `{"cmd":"add_remote","node_id":2,"host":"…","port":7002,"proto":"tcp",
 *   "public_key":"…"}`, `{"cmd":"spawn","pid":12,"core":1,"service":"ping","to":{…}}` (a
 *   process as the config writes one), `{"cmd":"stats"}`, `{"cmd":"close"}`.
 *
 * SIGINT, SIGTERM, a `close` command, or (with `exit_when_done`) the last process returning
 * closes the node: `NodeHost.close()` drains, then `closed` is printed. Exit code 0 when every
 * process returned normally, 1 when one failed.
 *
 * `lattice node --keygen FILE` writes a new identity seed (hex, mode 0600) and prints its public
 * key: the value peers pin. Secret keys never appear in output or errors.
 */
import { module_beside } from '../module_url.js';
import { ErrorCode } from '../../kernel/error_codes.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { LatticeError } from '../../kernel/errors.js';
import { Overflow } from '../../net/packet_queue.js';
import { bytes_hex, hex_bytes } from '../../net/secure/hex.js';
import { Identity } from '../../net/secure/identity.js';
import { CryptoSuite } from '../../net/secure/suite.js';
import { NodeHost, type ProcessResult } from '../node_host.js';
import { type NodeWarning, NodeWarnings } from './node_warnings.js';
import { NodeMetrics, latency_table, serve_metrics } from './node_metrics.js';
import { LatencySlab } from '../latency_slab.js';
import { LATENCY_SLOTS_PER_CORE_DEFAULT } from '../../kernel/layout/latency_layout.js';
import type { Server } from 'node:http';
import {
  NODE_NET_PID,
  NodeConfigError,
  parse_node_config,
  parse_process_line,
  parse_metrics_address,
  parse_peer_line,
  type NodeRunConfig,
  type PeerConfig,
  type ProcessConfig,
} from './node_config.js';
import { parse, UsageError, type Command } from './command.js';

const SERVICES_MODULE = module_beside('../node_services', import.meta.url);
/** How long a receiving service may take to listen after it is spawned, and how often to look. */
const LISTEN_WAIT_MS_MAX = 30_000;
const LISTEN_POLL_MS = 2;
/** Bytes of an identity seed and of a pre-shared key. */
const KEY_FILE_BYTES = 32;

export const node_command: Command = {
  name: 'node',
  summary: 'run a real node on UDP/TCP with the secure channel, from a config file',
  help: [
    'usage: lattice node --config FILE',
    '       lattice node --keygen FILE',
    '',
    'Runs one node: worker threads per core, the network driver on real sockets, the secure',
    'channel (XChaCha20-Poly1305 after an ML-KEM-768 + X25519 handshake) with pinned peers, and',
    'the processes of FILE (built-in services echo, sink, ping, stream, or your own modules).',
    'Events are JSON lines on stdout; commands are JSON lines on stdin (add_remote, spawn, stats,',
    'close). SIGINT or SIGTERM closes the node. host/cli/node_config.ts documents the file.',
    '',
    '  --config FILE   the node config (JSON)',
    '  --metrics ADDR  serve /metrics (Prometheus text) and /metrics.json on PORT or HOST:PORT',
    '                  (loopback unless a host is given; port 0: any free one, in the ready event)',
    '  --keygen FILE   write a new identity seed to FILE (mode 0600) and print its public key',
    '',
    'Exit codes: 0 every process returned normally, 1 one failed or the node could not start,',
    '2 bad usage or a config with mistakes (each printed as file:line: path: message).',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(
      argv,
      { config: { type: 'string' }, keygen: { type: 'string' }, metrics: { type: 'string' } },
      0,
    );
    if (values.keygen !== undefined) return keygen(values.keygen);
    if (values.config === undefined) throw new UsageError('--config FILE is required (or --keygen FILE)');
    if (!existsSync(values.config)) throw new UsageError(`no config file '${values.config}'`);
    let config: NodeRunConfig;
    try {
      config = parse_node_config(readFileSync(values.config, 'utf8'), values.config);
    } catch (error) {
      if (error instanceof NodeConfigError) throw new UsageError(error.message);
      throw error;
    }
    if (values.metrics !== undefined) {
      const metrics = parse_metrics_address(values.metrics);
      if (metrics === null) throw new UsageError(`--metrics must be PORT or HOST:PORT, got '${values.metrics}'`);
      config = { ...config, metrics };
    }
    return new RunningNode(config).run();
  },
};

async function keygen(file: string): Promise<number> {
  if (existsSync(file)) throw new UsageError(`'${file}' exists: an identity is never overwritten`);
  const suite = await CryptoSuite.load();
  const seed = new Uint8Array(randomBytes(KEY_FILE_BYTES));
  const identity = Identity.from_seed(suite, seed);
  writeFileSync(file, `${bytes_hex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  seed.fill(0);
  process.stdout.write(`${JSON.stringify({ event: 'keygen', file, public_key: bytes_hex(identity.public_key) })}\n`);
  return 0;
}

/** Reads a 32-byte key written as hex; the error names the file, never its contents. */
function read_key_file(file: string, what: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new LatticeError(
      ErrorCode.KEY_FILE,
      `${what} '${file}': ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(text))
    throw new LatticeError(ErrorCode.KEY_FILE, `${what} '${file}' must hold ${KEY_FILE_BYTES} bytes as 64 hex digits`);
  return hex_bytes(text);
}

/**
 * The pinned peers, by node id: `established` (1 when a session seals, 0 otherwise) and, for those
 * that hold one, `session_age_seconds` (since their last completed handshake; seconds, the
 * Prometheus base unit, which promtool insists on in a metric's name).
 */
function peer_table(
  states: readonly { node: number; state: string; session_ms: number | null }[],
  now_ms: number,
): { established: Record<string, number>; session_age_seconds: Record<string, number> } {
  const established: Record<string, number> = {};
  const session_age_seconds: Record<string, number> = {};
  for (const p of states) {
    established[p.node] = p.state === 'established' ? 1 : 0;
    if (p.session_ms !== null) session_age_seconds[p.node] = Math.max(0, Math.round(now_ms - p.session_ms)) / 1000;
  }
  return { established, session_age_seconds };
}

/** How often a running node checks for unreachable peers and rising drops, ms. */
const WARNING_CHECK_MS = 1000;

class RunningNode {
  private host: NodeHost | null = null;
  private readonly results = new Map<number, ProcessResult | null>();
  private closing: Promise<number> | null = null;
  private finished!: (code: number) => void;
  private readonly done = new Promise<number>((resolve) => (this.finished = resolve));
  private input: ReturnType<typeof createInterface> | null = null;
  private readonly on_signal = () => void this.close();
  private readonly warnings: NodeWarnings;
  private warning_timer: ReturnType<typeof setInterval> | null = null;
  private metrics_server: Server | null = null;
  /** The node's latency histograms, written by its cores (ping round trips). */
  private latency: LatencySlab | null = null;

  constructor(private readonly config: NodeRunConfig) {
    this.warnings = new NodeWarnings(() => Date.now(), config.warnings);
  }

  /** A warning: a JSON-line event, and a line for a person on stderr when it is a terminal. */
  private warn(warning: NodeWarning): void {
    this.say({ event: 'warning', ...warning });
    if (process.stderr.isTTY)
      process.stderr.write(`lattice node ${this.config.node_id}: warning: ${warning.message}\n`);
  }

  /** The periodic check of the warnings (unreachable peers, rising drops), once a second. */
  private check_warnings(): void {
    const net = this.host!.network;
    const dropped: Record<string, Record<string, number>> = {
      driver: net.driver.stats().malformed,
      server: net.server.stats().dropped,
    };
    if (net.secure !== null) dropped.secure = net.secure.stats().dropped;
    for (const warning of this.warnings.check(dropped)) this.warn(warning);
  }

  private say(event: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }

  async run(): Promise<number> {
    const config = this.config;
    let identity: Identity | null = null;
    if (config.secure !== null)
      identity = Identity.from_seed(
        await CryptoSuite.load(),
        read_key_file(config.secure.identity_file, 'identity file'),
      );
    const host = await NodeHost.start({
      node: { sockets: config.sockets, cores_per_socket: config.cores_per_socket },
      main_cores: [0],
      network: {
        core: 0,
        net_pid: NODE_NET_PID,
        config: {
          node_id: config.node_id,
          host: config.host,
          port: config.port,
          max_queue: config.max_queue,
          overflow: config.overflow === 'drop_oldest' ? Overflow.DROP_OLDEST : Overflow.DROP_NEWEST,
          ...config.net,
        },
        ...(identity === null ? {} : { secure: { identity, ...config.secure!.limits } }),
      },
    });
    this.host = host;
    this.latency = LatencySlab.create(config.sockets * config.cores_per_socket, LATENCY_SLOTS_PER_CORE_DEFAULT);
    host.network.secure?.set_event_listener((event) => {
      const warning = this.warnings.on_secure_event(event);
      if (warning !== null) this.warn(warning);
    });
    this.warning_timer = setInterval(() => this.check_warnings(), WARNING_CHECK_MS);
    this.warning_timer.unref();
    try {
      for (const peer of config.peers) this.add_peer(peer);
      for (const spec of config.processes) this.spawn(spec);
      // `ready` means ready to be sent to: every receiving service listens by then.
      await Promise.all(config.processes.map((spec) => this.listening(spec)));
    } catch (error) {
      clearInterval(this.warning_timer);
      await host.destroy();
      throw error;
    }
    let metrics_port: number | null = null;
    if (config.metrics !== null) {
      const metrics = new NodeMetrics(
        config.node_id,
        () => {
          const { net_refused, latency: _latency, ...layers } = this.stats();
          // Per process: what the network refused or lost of each pid's sends, by pid.
          return { ...layers, processes: { net_refused } } as Record<string, Record<string, unknown> | null>;
        },
        this.latency,
      );
      const served = await serve_metrics(metrics, config.metrics.host, config.metrics.port).catch(async (error) => {
        clearInterval(this.warning_timer!);
        await host.destroy();
        throw new LatticeError(
          ErrorCode.NODE_START,
          `metrics on ${config.metrics!.host}:${config.metrics!.port}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      });
      this.metrics_server = served.server;
      metrics_port = served.port;
    }
    this.say({
      event: 'ready',
      node_id: config.node_id,
      metrics: config.metrics === null ? null : { host: config.metrics.host, port: metrics_port },
      host: config.host,
      port: host.network.driver.port,
      proto: config.proto,
      secure: identity !== null,
      public_key: identity === null ? null : bytes_hex(identity.public_key),
      aead: host.network.secure?.aead_backend ?? null,
      processes: config.processes.map((p) => p.pid),
    });
    process.on('SIGINT', this.on_signal);
    process.on('SIGTERM', this.on_signal);
    this.input = createInterface({ input: process.stdin });
    this.input.on('line', (line) => this.command(line));
    return this.done;
  }

  private add_peer(peer: PeerConfig): void {
    const net = this.host!.network;
    if (net.secure !== null) {
      if (peer.public_key === null)
        throw new LatticeError(
          ErrorCode.NODE_COMMAND,
          `peer ${peer.node_id}: a public_key is required on a secure node`,
        );
      const psk = peer.psk_file === null ? undefined : read_key_file(peer.psk_file, 'psk file');
      net.add_remote(peer.node_id, peer.host, peer.port, peer.proto, {
        public_key: hex_bytes(peer.public_key),
        ...(psk === undefined ? {} : { psk }),
      });
    } else {
      net.add_remote(peer.node_id, peer.host, peer.port, peer.proto);
    }
    this.say({ event: 'peer', node_id: peer.node_id, host: peer.host, port: peer.port, proto: peer.proto });
  }

  private spawn(spec: ProcessConfig): void {
    const host = this.host!;
    const is_service = 'service' in spec;
    host.spawn({
      pid: spec.pid,
      core: spec.core,
      module: is_service ? SERVICES_MODULE : spec.module,
      entry: is_service ? spec.service : spec.entry,
      args:
        is_service && spec.service === 'ping'
          ? { ...(spec.args as object), latency: { slab: this.latency!.buffer, node_id: this.config.node_id } }
          : spec.args,
    });
    this.results.set(spec.pid, null);
    void host.join([spec.pid]).then(([result]) => this.exited(result!));
  }

  /**
   * Resolves once `spec`'s process listens, when it is a service that receives (echo, sink,
   * ping); at once for the others (a module says for itself when it is ready). Polls the process
   * table in shared memory, bounded by `LISTEN_WAIT_MS_MAX` and by the process ending first.
   */
  private async listening(spec: ProcessConfig): Promise<void> {
    if (!('service' in spec) || spec.service === 'stream') return;
    const kernel = this.host!.network.kernel;
    const deadline = performance.now() + LISTEN_WAIT_MS_MAX;
    while (!kernel.listening(spec.pid)) {
      if (this.results.get(spec.pid) !== null) return; // It ended (an `exited` event says how).
      if (performance.now() > deadline)
        throw new LatticeError(
          ErrorCode.NODE_START,
          `pid ${spec.pid} (${spec.service}) did not listen within ${LISTEN_WAIT_MS_MAX} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, LISTEN_POLL_MS));
    }
  }

  private exited(result: ProcessResult): void {
    this.results.set(result.pid, result);
    this.say({
      event: 'exited',
      pid: result.pid,
      core: result.core,
      ok: result.ok,
      ...(result.ok ? { value: result.value } : { error: result.error }),
    });
    if (this.config.exit_when_done && [...this.results.values()].every((r) => r !== null)) void this.close();
  }

  private command(line: string): void {
    if (line.trim() === '') return;
    try {
      let message: { cmd?: unknown };
      try {
        message = JSON.parse(line) as { cmd?: unknown };
      } catch {
        throw new LatticeError(ErrorCode.NODE_COMMAND, 'a command is one JSON object per line');
      }
      const { cmd, ...rest } = message;
      const text = JSON.stringify(rest);
      if (cmd === 'add_remote') this.add_peer(parse_peer_line(text, this.config));
      else if (cmd === 'spawn') this.spawn_command(parse_process_line(text, this.config, [...this.results.keys()]));
      else if (cmd === 'stats') this.say({ event: 'stats', ...this.stats() });
      else if (cmd === 'close') void this.close();
      else
        throw new LatticeError(
          ErrorCode.NODE_COMMAND,
          `unknown command ${JSON.stringify(cmd)} (add_remote, spawn, stats, close)`,
        );
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.say({ event: 'error', code: e.code ?? ErrorCode.NODE_COMMAND, message: e.message ?? String(error) });
    }
  }

  /** `spawn` from stdin: starts the process, then says `spawned` once it is ready to be sent to. */
  private spawn_command(spec: ProcessConfig): void {
    this.spawn(spec);
    this.listening(spec).then(
      () => this.say({ event: 'spawned', pid: spec.pid, core: spec.core }),
      (error: unknown) =>
        this.say({
          event: 'error',
          code: (error as { code?: string }).code ?? ErrorCode.NODE_START,
          message: (error as Error).message,
        }),
    );
  }

  private stats(): Record<string, unknown> {
    const host = this.host!;
    const fastpath = host.stats();
    const net = host.network;
    return {
      fastpath: {
        hit_count: fastpath.hit_count,
        spill_count: fastpath.spill_count,
        backpressured: fastpath.backpressured,
        payload_blocks_outstanding: fastpath.slab.payload_blocks_outstanding,
      },
      driver: net.driver.stats(),
      server: net.server.stats(),
      secure: net.secure?.stats() ?? null,
      warnings: { given: this.warnings.given, suppressed: this.warnings.suppressed },
      peers: net.secure === null ? null : peer_table(net.secure.peer_states(), Date.now()),
      latency: latency_table(this.latency!),
      // Per process: messages its sends handed over (OK) that the network then refused or lost.
      net_refused: Object.fromEntries(
        [...this.results.keys()].map((pid) => [pid, net.kernel.net_refused(pid)]).filter(([, n]) => n !== 0),
      ),
    };
  }

  /** Drains and stops the node (idempotent); resolves to the exit code. */
  close(): Promise<number> {
    this.closing ??= (async () => {
      const host = this.host!;
      process.off('SIGINT', this.on_signal);
      process.off('SIGTERM', this.on_signal);
      if (this.warning_timer !== null) clearInterval(this.warning_timer);
      const metrics_server = this.metrics_server;
      if (metrics_server !== null) {
        metrics_server.closeAllConnections();
        await new Promise<void>((resolve) => metrics_server.close(() => resolve()));
      }
      this.input?.close();
      process.stdin.destroy(); // A paused stdin pipe would keep the process alive.
      await host.close();
      const stats = this.stats(); // The final counters: everything drained.
      const results = [...this.results.values()];
      const failed = results.filter((r) => r !== null && !r.ok).length;
      this.say({ event: 'closed', failed, forced_terminations: host.forced_terminations, ...stats });
      const code = failed === 0 ? 0 : 1;
      this.finished(code);
      return code;
    })();
    return this.closing;
  }
}
