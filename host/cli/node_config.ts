/**
 * The config file of `lattice node`: one real node on UDP/TCP, its topology, its identity and
 * pinned peers for the secure channel, and the processes it runs. Mistakes are reported as
 * `file:line: path: message`, all at once (the simulator's located JSON reader).
 *
 *   {
 *     "node_id": 1,                                   this node's id, [1, 2^31)
 *     "host": "127.0.0.1", "port": 7001,              where it binds (port 0: any free one)
 *     "proto": "tcp",                                 the default for peers (tcp | udp)
 *     "sockets": 1, "cores_per_socket": 2,            topology; core 0 runs the network
 *     "max_queue": 4096, "overflow": "drop_oldest",   the receive queue
 *     "net": { "mtu_bytes": 1500, … },                the driver's limits (NET_LIMIT_NAMES; API.md's NetConfig)
 *     "secure": { "identity_file": "node1.key" },     or false (clear frames; trusted networks only)
 *     "peers": [ { "node_id": 2, "host": "10.0.0.2", "port": 7002, "public_key": "<64 hex>" } ],
 *                                                     a peer's proto defaults to the top-level one;
 *                                                     "tcp_inbound" (no host, port): it dials in
 *     "processes": [ { "pid": 10, "core": 1, "service": "echo" },
 *                    { "pid": 11, "core": 1, "module": "./my_process.ts", "entry": "main", "args": {} } ],
 *     "exit_when_done": false                         close once every process has returned
 *   }
 *
 * Relative paths (identity files, psk files, modules) are relative to the config file.
 */
import { WARNING_LIMIT_NAMES, type WarningLimits } from './node_warnings.js';
import { ErrorCode } from '../../kernel/error_codes.js';
import { dirname, resolve } from 'node:path';
import { describe, JsonFileError, JsonReader, parse_located_file, type Json } from '../../sim/json_lines.js';
import { NET_LIMIT_NAMES } from '../../net/driver.js';
import { SECURE_LIMIT_NAMES } from '../../net/secure/secure_limits.js';
import { SERVICE_PAYLOAD_BYTES_MAX, SERVICES, type ServiceArgs, type ServiceName } from '../node_services.js';

/** Bounds of a config. */
export const NODE_ID_MAX = 0x7fff_ffff;
export const PEERS_MAX = 1024;
export const CONFIG_PROCESSES_MAX = 1024;
export const CONFIG_CORES_MAX = 64;
export const CONFIG_MESSAGES_MAX = 1_000_000_000;
/** The network's pid on every `lattice node` (bound to core 0, the main thread). */
export const NODE_NET_PID = 1;

/** A config file that does not parse or does not check. `errors` are `file:line: path: message`. */
export class NodeConfigError extends JsonFileError {
  constructor(file: string, errors: readonly string[]) {
    super(ErrorCode.NODE_CONFIG, file, errors);
    this.name = 'NodeConfigError';
  }
}

export interface PeerConfig {
  readonly node_id: number;
  /** Where the peer listens ('' and 0 for a `tcp_inbound` peer, which dials in). */
  readonly host: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp' | 'tcp_inbound';
  /** Hex Ed25519 public key (required when secure). */
  readonly public_key: string | null;
  /** Absolute path of a file holding a 32-byte pre-shared key in hex, or null. */
  readonly psk_file: string | null;
}

export type ProcessConfig =
  | { readonly pid: number; readonly core: number; readonly service: ServiceName; readonly args: ServiceArgs }
  | {
      readonly pid: number;
      readonly core: number;
      readonly module: string;
      readonly entry: string;
      readonly args: unknown;
    };

export interface NodeRunConfig {
  readonly file: string;
  readonly node_id: number;
  readonly host: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly max_queue: number;
  readonly overflow: 'drop_oldest' | 'drop_newest';
  /** The driver's limits set in the file (`net`), by name; the driver checks each one's range. */
  readonly net: Partial<Record<(typeof NET_LIMIT_NAMES)[number], number>>;
  /** Null: clear frames. Else the identity file (absolute) and the channel's limits. */
  readonly secure: { readonly identity_file: string; readonly limits: Record<string, number> } | null;
  readonly peers: readonly PeerConfig[];
  readonly processes: readonly ProcessConfig[];
  readonly exit_when_done: boolean;
  /** The warnings' thresholds set in the file (`warnings`; host/cli/node_warnings.ts has the defaults). */
  readonly warnings: Partial<WarningLimits>;
  /** Where to serve `/metrics` (host/cli/node_metrics.ts), or null for nowhere. */
  readonly metrics: { readonly host: string; readonly port: number } | null;
}

/** `PORT` (on loopback) or `HOST:PORT`, as `--metrics` and the config's `metrics` take it; null if malformed. */
export function parse_metrics_address(text: string): { host: string; port: number } | null {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text.trim());
  if (match === null) return null;
  const port = Number(match[2]);
  if (port > 65535) return null;
  return { host: match[1] ?? '127.0.0.1', port };
}

const SECURE_LIMITS = SECURE_LIMIT_NAMES;

/** Parses and checks a node config; throws `NodeConfigError` listing every mistake with its line. */
export function parse_node_config(text: string, file: string): NodeRunConfig {
  const base = dirname(resolve(file));
  const located = parse_located_file(text, file, (errors) => new NodeConfigError(file, errors));
  const r = new JsonReader(file, located.lines);
  const top = r.object(located.value, '', [
    'node_id',
    'host',
    'port',
    'proto',
    'sockets',
    'cores_per_socket',
    'max_queue',
    'overflow',
    'net',
    'secure',
    'peers',
    'processes',
    'exit_when_done',
    'warnings',
    'metrics',
    '$schema',
    'description',
  ]);
  if (top === null) throw new NodeConfigError(file, r.errors);
  const node_id = r.int(top, 'node_id', '', 1, NODE_ID_MAX);
  const host = r.string(top, 'host', '', '127.0.0.1');
  const port = r.int(top, 'port', '', 0, 65535, 0);
  const proto = r.choice(top, 'proto', '', ['tcp', 'udp'] as const, 'tcp');
  const sockets = r.int(top, 'sockets', '', 1, CONFIG_CORES_MAX, 1);
  const cores_per_socket = r.int(top, 'cores_per_socket', '', 1, CONFIG_CORES_MAX, 2);
  const cores = sockets * cores_per_socket;
  if (cores < 2) r.error('cores_per_socket', `the node needs at least 2 cores (core 0 runs the network), got ${cores}`);
  if (cores > CONFIG_CORES_MAX) r.error('sockets', `${cores} cores: at most ${CONFIG_CORES_MAX}`);
  const max_queue = r.int(top, 'max_queue', '', 1, 1 << 20, 4096);
  const overflow = r.choice(top, 'overflow', '', ['drop_oldest', 'drop_newest'] as const, 'drop_oldest');

  const net: Record<string, number> = {};
  if (top.net !== undefined) {
    const n = r.object(top.net, 'net', [...NET_LIMIT_NAMES]);
    if (n !== null)
      for (const key of NET_LIMIT_NAMES) if (n[key] !== undefined) net[key] = r.int(n, key, 'net', 0, 2 ** 31);
  }

  const warnings: Partial<Record<(typeof WARNING_LIMIT_NAMES)[number], number>> = {};
  if (top.warnings !== undefined) {
    const w = r.object(top.warnings, 'warnings', [...WARNING_LIMIT_NAMES]);
    if (w !== null)
      for (const key of WARNING_LIMIT_NAMES)
        if (w[key] !== undefined) warnings[key] = r.int(w, key, 'warnings', 1, 2 ** 31);
  }

  let metrics: NodeRunConfig['metrics'] = null;
  if (top.metrics !== undefined) {
    const text = r.string(top, 'metrics', '');
    metrics = parse_metrics_address(text);
    if (metrics === null) r.error('metrics', `must be PORT or HOST:PORT, got ${JSON.stringify(text)}`);
  }

  let secure: NodeRunConfig['secure'] = null;
  if (top.secure === undefined || top.secure === true) {
    r.error(
      'secure',
      'is required: { "identity_file": "…" } (make one with lattice node --keygen FILE), or false for clear frames',
    );
  } else if (top.secure !== false) {
    const s = r.object(top.secure, 'secure', ['identity_file', ...SECURE_LIMITS]);
    if (s !== null) {
      const limits: Record<string, number> = {};
      for (const key of SECURE_LIMITS) if (s[key] !== undefined) limits[key] = r.int(s, key, 'secure', 1, 2 ** 48);
      secure = { identity_file: resolve(base, r.string(s, 'identity_file', 'secure')), limits };
    }
  }

  const peers: PeerConfig[] = [];
  const peer_ids = new Set<number>();
  const peer_list = r.array(top, 'peers', '', false);
  if (peer_list.length > PEERS_MAX) r.error('peers', `at most ${PEERS_MAX} peers, got ${peer_list.length}`);
  peer_list.forEach((value, i) => {
    const path = `peers[${i}]`;
    const p = r.object(value, path, ['node_id', 'host', 'port', 'proto', 'public_key', 'psk_file']);
    if (p === null) return;
    const peer = read_peer(r, p, path, proto, secure !== null, base);
    if (peer.node_id === node_id) r.error(`${path}.node_id`, `is this node's own id ${node_id}`);
    if (peer_ids.has(peer.node_id)) r.error(`${path}.node_id`, `node ${peer.node_id} is listed twice`);
    peer_ids.add(peer.node_id);
    peers.push(peer);
  });

  const processes: ProcessConfig[] = [];
  const pids = new Set<number>([NODE_NET_PID]);
  const list = r.array(top, 'processes', '', false);
  if (list.length > CONFIG_PROCESSES_MAX)
    r.error('processes', `at most ${CONFIG_PROCESSES_MAX} processes, got ${list.length}`);
  list.forEach((value, i) => {
    const spec = read_process(r, value, `processes[${i}]`, cores, base);
    if (spec === null) return;
    if (pids.has(spec.pid))
      r.error(
        `processes[${i}].pid`,
        spec.pid === NODE_NET_PID ? `pid ${NODE_NET_PID} is the network's` : `pid ${spec.pid} is used twice`,
      );
    pids.add(spec.pid);
    processes.push(spec);
  });
  const exit_when_done = r.bool(top, 'exit_when_done', '', false);
  if (exit_when_done && processes.length === 0) r.error('exit_when_done', 'needs processes to wait for');
  if (r.errors.length > 0) throw new NodeConfigError(file, r.errors);
  return {
    file,
    node_id,
    host,
    port,
    proto,
    sockets,
    cores_per_socket,
    max_queue,
    overflow,
    net,
    secure,
    peers,
    processes,
    exit_when_done,
    warnings,
    metrics,
  };
}

function read_peer(
  r: JsonReader,
  p: Json,
  path: string,
  proto: 'tcp' | 'udp',
  secure: boolean,
  base: string,
): PeerConfig {
  const node_id = r.int(p, 'node_id', path, 1, NODE_ID_MAX);
  const peer_proto = r.choice(p, 'proto', path, ['tcp', 'udp', 'tcp_inbound'] as const, proto);
  let host = '';
  let port = 0;
  if (peer_proto === 'tcp_inbound') {
    // A client on an ephemeral port: no address, answered on the connection it dials in on.
    if (!secure) r.error(`${path}.proto`, 'tcp_inbound needs secure (the peer is proved on its connection)');
    if (p.host !== undefined) r.error(`${path}.host`, 'a tcp_inbound peer dials in: it has no host');
    if (p.port !== undefined) r.error(`${path}.port`, 'a tcp_inbound peer dials in: it has no port');
  } else {
    host = r.string(p, 'host', path);
    port = r.int(p, 'port', path, 1, 65535);
  }
  let public_key: string | null = null;
  if (p.public_key !== undefined || secure) {
    public_key = r.string(p, 'public_key', path);
    if (!/^[0-9a-f]{64}$/i.test(public_key))
      r.error(
        `${path}.public_key`,
        `must be 64 hex digits (an Ed25519 public key), got ${describe(public_key.length > 80 ? `${public_key.slice(0, 80)}…` : public_key)}`,
      );
  }
  const psk_file = p.psk_file === undefined ? null : resolve(base, r.string(p, 'psk_file', path));
  if (!secure && psk_file !== null) r.error(`${path}.psk_file`, 'needs secure');
  return { node_id, host, port, proto: peer_proto, public_key, psk_file };
}

function read_process(r: JsonReader, value: unknown, path: string, cores: number, base: string): ProcessConfig | null {
  const p = r.object(value, path, [
    'pid',
    'core',
    'service',
    'module',
    'entry',
    'args',
    'count',
    'to',
    'payload_bytes',
    'timeout_ms',
  ]);
  if (p === null) return null;
  const pid = r.int(p, 'pid', path, 2, 0xffff);
  const core = r.int(p, 'core', path, 1, Math.max(1, cores - 1));
  if (p.service !== undefined) {
    if (p.module !== undefined || p.entry !== undefined || p.args !== undefined)
      r.error(path, 'gives both service and module: one or the other');
    const service = r.choice(p, 'service', path, SERVICES);
    const args: { -readonly [K in keyof ServiceArgs]: ServiceArgs[K] } = {};
    if (p.count !== undefined) args.count = r.int(p, 'count', path, 1, CONFIG_MESSAGES_MAX);
    if (p.payload_bytes !== undefined)
      args.payload_bytes = r.int(p, 'payload_bytes', path, 0, SERVICE_PAYLOAD_BYTES_MAX);
    if (p.timeout_ms !== undefined) args.timeout_ms = r.number(p, 'timeout_ms', path, 1, 600_000);
    if (p.to !== undefined) {
      const to = r.object(p.to, `${path}.to`, ['node', 'pid']);
      if (to !== null)
        args.to = {
          node: r.int(to, 'node', `${path}.to`, 0, NODE_ID_MAX),
          pid: r.int(to, 'pid', `${path}.to`, 1, 0xffff),
        };
    }
    if ((service === 'ping' || service === 'stream') && args.to === undefined)
      r.error(`${path}.to`, `is required for ${service}: { "node": N, "pid": P }`);
    if ((service === 'echo' || service === 'sink') && (args.to !== undefined || args.payload_bytes !== undefined))
      r.error(path, `${service} takes only count`);
    return { pid, core, service, args };
  }
  for (const key of ['count', 'to', 'payload_bytes', 'timeout_ms'])
    if (p[key] !== undefined) r.error(`${path}.${key}`, 'belongs to a service, not a module');
  const module = r.string(p, 'module', path);
  const entry = r.string(p, 'entry', path, 'main');
  return { pid, core, module: resolve(base, module), entry, args: p.args ?? {} };
}

/** Parses one peer given on stdin (`add_remote`), checked as the config checks `peers[i]`. */
export function parse_peer_line(text: string, config: NodeRunConfig): PeerConfig {
  const located = parse_located_file(text, 'stdin', (errors) => new NodeConfigError('stdin', errors));
  const r = new JsonReader('stdin', located.lines);
  const p = r.object(located.value, 'add_remote', ['node_id', 'host', 'port', 'proto', 'public_key', 'psk_file']);
  const peer = p === null ? null : read_peer(r, p, 'add_remote', config.proto, config.secure !== null, process.cwd());
  if (peer !== null && peer.node_id === config.node_id)
    r.error('add_remote.node_id', `is this node's own id ${config.node_id}`);
  if (r.errors.length > 0 || peer === null) throw new NodeConfigError('stdin', r.errors);
  return peer;
}

/** Parses one process given on stdin (`spawn`), checked as the config checks `processes[i]`. */
export function parse_process_line(text: string, config: NodeRunConfig, pids_used: readonly number[]): ProcessConfig {
  const located = parse_located_file(text, 'stdin', (errors) => new NodeConfigError('stdin', errors));
  const r = new JsonReader('stdin', located.lines);
  const spec = read_process(r, located.value, 'spawn', config.sockets * config.cores_per_socket, process.cwd());
  if (spec !== null && (spec.pid === NODE_NET_PID || pids_used.includes(spec.pid)))
    r.error('spawn.pid', `pid ${spec.pid} is taken`);
  if (r.errors.length > 0 || spec === null) throw new NodeConfigError('stdin', r.errors);
  return spec;
}
