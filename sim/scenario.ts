/**
 * Scenarios: what a simulation runs, as a JSON file (sim/scenarios/*.json), checked against the
 * schema below with every mistake reported as `file:line: path: message`.
 *
 * {
 *   "name": "…", "description": "…",
 *   "duration_ms": 200,            // workloads send this long (virtual ms), (0, 3 600 000]
 *   "drain_ms": 2000,              // then every fault lifts and traffic drains, [0, 3 600 000]
 *   "network": { "proto": "tcp" | "udp", "secure": false | { rekey_after_messages, rekey_after_ms, … },
 *                "max_queue": 4096, "overflow": "drop_oldest" | "drop_newest" },
 *   "scheduler": { "step_us_min": 1, "step_us_max": 4, "wake_us_min": 26.1, "wake_us_max": 33.1, "wake_local_us": 2.87,
 *                  "node_lanes": true },   // false: one time-ordered agenda (scheduler.ts)
 *   "costs": { "transfer_l1_us", "transfer_l2_us", "transfer_l3_us", "transfer_spill_us",
 *              "remote_hop_us" },          // the cost model (costs.ts); absent: measured defaults
 *   "nodes": [ { "id": 1, "sockets": 2, "cores_per_socket": 2, "slab": "default" | "small",
 *                "pids_max": 64, "channels_max": 4096, "ring_capacity": 256 } ]
 *          | { "count": 64, "sockets": 2, "cores_per_socket": 4, "slab": "small", … },
 *   "workloads": [ { "kind": "ping_pong" | "call_reply" | "pipeline" | "fan_in" | "all_to_all" | "bulk", … } ],
 *   "faults": { "link": { …LinkFaults }, "clock_skew": { "offset_ms_max", "drift_ppm_max" },
 *               "schedule": [ { "kind": "partition" | "heal" | "crash" | "link", "at_ms", … } ],
 *               "sabotage": { … } },   // tests only
 *   "trace_events_max": 200000   // absent: every event when the trace streams to a file (lattice sim --trace), 200,000 in memory
 * }
 *
 * Endpoints are `{ "node", "core", "pid" }`; `"participants": { "every_core": true, "pid_base": 16 }`
 * places one process per core of every node (pid = pid_base + core).
 */
import { ErrorCode } from '../kernel/error_codes.js';
import type { SlabClass } from '../kernel/layout/spill_layout.js';
import {
  LINK_FAULTS_NONE,
  SABOTAGE_NONE,
  type ClockSkew,
  type LinkFaults,
  type SabotageFaults,
  type ScheduledFault,
} from './faults.js';
import {
  TRANSFER_COSTS_DEFAULT,
  TRANSFER_COST_NAMES,
  WAKE_LOCAL_US_DEFAULT,
  WAKE_US_MAX_DEFAULT,
  WAKE_US_MIN_DEFAULT,
  type TransferCosts,
} from './costs.js';
import { describe, join, JsonFileError, JsonReader as Reader, parse_located_file, type Json } from './json_lines.js';
import { SECURE_LIMIT_NAMES } from '../net/secure/secure_limits.js';
import { SIM_NET_PID } from './sim_node.js';
import { WORKLOAD_KINDS, type Endpoint, type WorkloadSpec } from './workloads/index.js';

/** Bounds of a scenario: most nodes. */
export const NODES_MAX = 256;
/** Most cores in a scenario node. */
export const CORES_PER_NODE_MAX = 64;
/** Longest run, virtual ms. */
export const DURATION_MS_MAX = 3_600_000;
/** Most messages one workload may plan. */
export const MESSAGES_PER_WORKLOAD_MAX = 100_000_000;
/** Most pids in a scenario node. */
export const PIDS_PER_NODE_MAX = 1024;

/** Channel table entries per node unless the scenario says (the kernel's default). */
export const CHANNELS_MAX_DEFAULT = 4096;
/**
 * Bounds of a node's `ring_capacity` (slots of each of a core's three rings; absent, the
 * kernel's 256 / 256 / 512). A large cluster's rings are most of its memory: 64 nodes of 8
 * cores at the defaults cycle through 50 MiB of ring slots, far past the cache.
 */
export const RING_CAPACITY_MIN = 4;
export const RING_CAPACITY_MAX = 4096;

/** A small slab for large clusters: 2 MiB of message region per node instead of 12. */
export const SMALL_SLAB: readonly SlabClass[] = [
  { block_bytes: 128, block_count: 1024 },
  { block_bytes: 4096, block_count: 64 },
  { block_bytes: 64 << 10, block_count: 8 },
  { block_bytes: 1 << 20, block_count: 1 },
];

/** One node of a scenario: its id and geometry. */
export interface ScenarioNode {
  readonly id: number;
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly pids_max: number;
  readonly slab_classes: readonly SlabClass[] | undefined;
  /** Channel table entries (a power of two): every channel to, from or on the node takes one. */
  readonly channels_max: number;
  /** Slots of each ring of each core (a power of two), or undefined for the kernel's defaults. */
  readonly ring_capacity: number | undefined;
}

/** A parsed, validated scenario (sim/README.md has every field). */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly duration_ms: number;
  readonly drain_ms: number;
  readonly network: {
    readonly proto: 'udp' | 'tcp';
    readonly secure: false | Record<string, number>;
    readonly max_queue: number;
    readonly overflow: 'drop_oldest' | 'drop_newest';
  };
  readonly scheduler: {
    readonly step_us_min: number;
    readonly step_us_max: number;
    readonly wake_us_min: number;
    readonly wake_us_max: number;
    /** A wake from the sleeper's own core, µs (sim_env.ts). */
    readonly wake_local_us: number;
    /** Whether each node runs ahead in a lane of its own when the network allows it (scheduler.ts); false keeps one time-ordered agenda. */
    readonly node_lanes: boolean;
  };
  /** Virtual-time costs of transfers and remote hops (costs.ts). */
  readonly costs: TransferCosts;
  readonly nodes: readonly ScenarioNode[];
  readonly workloads: readonly WorkloadSpec[];
  readonly faults: {
    readonly link: LinkFaults;
    readonly clock_skew: ClockSkew;
    readonly schedule: readonly ScheduledFault[];
    readonly sabotage: SabotageFaults;
  };
  /** Trace events kept at most; null when the scenario sets none (see `TRACE_EVENTS_MAX_DEFAULT`). */
  readonly trace_events_max: number | null;
}

/** Trace events kept in memory when a scenario sets no `trace_events_max` and the trace does not stream. */
export const TRACE_EVENTS_MAX_DEFAULT = 200_000;

/** A scenario that does not fit the schema; `errors` has every mistake found. */
export class ScenarioError extends JsonFileError {
  constructor(file: string, errors: readonly string[]) {
    super(ErrorCode.SCENARIO, file, errors);
    this.name = 'ScenarioError';
  }
}

/** Parses and checks a scenario. Throws `ScenarioError` (or its syntax error) with lines. */
export function parse_scenario(text: string, file = 'scenario.json'): Scenario {
  const located = parse_located_file(text, file, (errors) => new ScenarioError(file, errors));
  const r = new Reader(file, located.lines);
  const top = r.object(located.value, '', [
    'name',
    'description',
    'duration_ms',
    'drain_ms',
    'network',
    'scheduler',
    'costs',
    'nodes',
    'workloads',
    'faults',
    'trace_events_max',
    '$schema',
  ]);
  if (top === null) throw new ScenarioError(file, r.errors);
  const name = r.string(top, 'name', '');
  const description = r.string(top, 'description', '', '');
  const duration_ms = r.number(top, 'duration_ms', '', 0.001, DURATION_MS_MAX);
  const drain_ms = r.number(top, 'drain_ms', '', 0, DURATION_MS_MAX, 1000);
  const trace_events_max =
    top.trace_events_max === undefined ? null : r.int(top, 'trace_events_max', '', 0, 10_000_000);

  const net = r.object(top.network ?? {}, 'network', ['proto', 'secure', 'max_queue', 'overflow']) ?? {};
  let secure = false as false | Record<string, number>;
  if (net.secure === true) secure = {};
  else if (net.secure !== undefined && net.secure !== false) {
    const s = r.object(net.secure, 'network.secure', SECURE_LIMIT_NAMES);
    secure = {};
    if (s !== null) for (const key of Object.keys(s)) secure[key] = r.number(s, key, 'network.secure', 1, 2 ** 48);
  }
  const network = {
    proto: r.choice(net, 'proto', 'network', ['tcp', 'udp'] as const, 'tcp'),
    secure,
    max_queue: r.int(net, 'max_queue', 'network', 1, 1 << 20, 4096),
    overflow: r.choice(net, 'overflow', 'network', ['drop_oldest', 'drop_newest'] as const, 'drop_oldest'),
  };

  const sch =
    r.object(top.scheduler ?? {}, 'scheduler', [
      'step_us_min',
      'step_us_max',
      'wake_us_min',
      'wake_us_max',
      'wake_local_us',
      'node_lanes',
    ]) ?? {};
  const scheduler = {
    step_us_min: r.number(sch, 'step_us_min', 'scheduler', 0, 1e6, 0.5),
    step_us_max: r.number(sch, 'step_us_max', 'scheduler', 0, 1e6, 3),
    wake_us_min: r.number(sch, 'wake_us_min', 'scheduler', 0, 1e6, WAKE_US_MIN_DEFAULT),
    wake_us_max: r.number(sch, 'wake_us_max', 'scheduler', 0, 1e6, WAKE_US_MAX_DEFAULT),
    wake_local_us: r.number(sch, 'wake_local_us', 'scheduler', 0, 1e6, WAKE_LOCAL_US_DEFAULT),
    node_lanes: r.bool(sch, 'node_lanes', 'scheduler', true),
  };
  if (scheduler.step_us_max < scheduler.step_us_min) r.error('scheduler.step_us_max', 'must be ≥ step_us_min');
  if (scheduler.wake_us_max < scheduler.wake_us_min) r.error('scheduler.wake_us_max', 'must be ≥ wake_us_min');

  const cost_fields = r.object(top.costs ?? {}, 'costs', TRANSFER_COST_NAMES) ?? {};
  const costs = Object.fromEntries(
    TRANSFER_COST_NAMES.map((name) => [
      name,
      r.number(cost_fields, name, 'costs', 0, 1e6, TRANSFER_COSTS_DEFAULT[name]),
    ]),
  ) as unknown as TransferCosts;

  const nodes = read_nodes(r, top.nodes);
  const by_id = new Map(nodes.map((n) => [n.id, n]));
  const workloads: WorkloadSpec[] = [];
  const used = new Map<string, string>();
  r.array(top, 'workloads', '').forEach((w, i) => {
    const spec = read_workload(r, w, `workloads[${i}]`, nodes);
    if (spec === null) return;
    for (const e of endpoints_of(spec)) {
      const p = `workloads[${i}]`;
      const node = by_id.get(e.node);
      if (node === undefined) r.error(p, `names node ${e.node}, which is not in nodes`);
      else if (e.core >= node.sockets * node.cores_per_socket)
        r.error(
          p,
          `places pid ${e.pid} on core ${e.core}; node ${e.node} has ${node.sockets * node.cores_per_socket} cores`,
        );
      else if (e.pid === SIM_NET_PID || e.pid >= node.pids_max)
        r.error(p, `uses pid ${e.pid}: pids are in [2, ${node.pids_max}) (pid ${SIM_NET_PID} is the network's)`);
      const key = `${e.node}:${e.pid}`;
      const owner = used.get(key);
      if (owner !== undefined && owner !== p)
        r.error(p, `uses node ${e.node} pid ${e.pid}, which ${owner} uses already`);
      used.set(key, p);
    }
    workloads.push(spec);
  });

  const faults = read_faults(r, top.faults ?? {}, by_id);
  if (r.errors.length > 0) throw new ScenarioError(file, r.errors);
  return {
    name,
    description,
    duration_ms,
    drain_ms,
    network,
    scheduler,
    costs,
    nodes,
    workloads,
    faults,
    trace_events_max,
  };
}

function read_nodes(r: Reader, value: unknown): ScenarioNode[] {
  const slab = (obj: Json, path: string): readonly SlabClass[] | undefined =>
    r.choice(obj, 'slab', path, ['default', 'small'] as const, 'default') === 'small' ? SMALL_SLAB : undefined;
  const power_of_two = (
    obj: Json,
    key: string,
    path: string,
    lo: number,
    hi: number,
    fallback: number | undefined,
  ): number | undefined => {
    if (obj[key] === undefined && fallback === undefined) return undefined;
    const v = r.int(obj, key, path, lo, hi, fallback);
    if ((v & (v - 1)) !== 0) r.error(join(path, key), `must be a power of two, got ${v}`);
    return v;
  };
  const memory = (obj: Json, path: string) => ({
    pids_max: r.int(obj, 'pids_max', path, 8, PIDS_PER_NODE_MAX, 64),
    slab_classes: slab(obj, path),
    channels_max: power_of_two(obj, 'channels_max', path, 64, 1 << 16, CHANNELS_MAX_DEFAULT)!,
    ring_capacity: power_of_two(obj, 'ring_capacity', path, RING_CAPACITY_MIN, RING_CAPACITY_MAX, undefined),
  });
  const keys = ['sockets', 'cores_per_socket', 'pids_max', 'slab', 'channels_max', 'ring_capacity'];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = r.object(value, 'nodes', ['count', ...keys])!;
    const count = r.int(o, 'count', 'nodes', 1, NODES_MAX);
    const sockets = r.int(o, 'sockets', 'nodes', 1, 16, 2);
    const cps = r.int(o, 'cores_per_socket', 'nodes', 1, 64, 2);
    const shared = memory(o, 'nodes');
    return Array.from({ length: count }, (_, i) => ({ id: i + 1, sockets, cores_per_socket: cps, ...shared }));
  }
  if (!Array.isArray(value)) {
    r.error('nodes', value === undefined ? 'is required' : 'must be an array of nodes or { "count": N, … }');
    return [];
  }
  if (value.length === 0 || value.length > NODES_MAX) r.error('nodes', `must list 1 to ${NODES_MAX} nodes`);
  const ids = new Set<number>();
  return value.map((v, i) => {
    const path = `nodes[${i}]`;
    const o = r.object(v, path, ['id', ...keys]) ?? {};
    const id = r.int(o, 'id', path, 1, 0x7fff_ffff);
    if (ids.has(id)) r.error(`${path}.id`, `node ${id} is listed twice`);
    ids.add(id);
    const sockets = r.int(o, 'sockets', path, 1, 16, 2);
    const cps = r.int(o, 'cores_per_socket', path, 1, 64, 2);
    if (sockets * cps > CORES_PER_NODE_MAX) r.error(path, `has ${sockets * cps} cores; at most ${CORES_PER_NODE_MAX}`);
    return { id, sockets, cores_per_socket: cps, ...memory(o, path) };
  });
}

function read_endpoint(r: Reader, value: unknown, path: string): Endpoint {
  const o = r.object(value, path, ['node', 'core', 'pid']) ?? {};
  return {
    node: r.int(o, 'node', path, 1, 0x7fff_ffff),
    core: r.int(o, 'core', path, 0, CORES_PER_NODE_MAX - 1),
    pid: r.int(o, 'pid', path, 0, PIDS_PER_NODE_MAX - 1),
  };
}

function read_endpoints(r: Reader, obj: Json, key: string, path: string, nodes: readonly ScenarioNode[]): Endpoint[] {
  const v = obj[key];
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = r.object(v, join(path, key), ['every_core', 'pid_base'])!;
    if (o.every_core !== true)
      r.error(join(path, key), 'must be a list of endpoints or { "every_core": true, "pid_base": N }');
    const base = r.int(o, 'pid_base', join(path, key), 2, PIDS_PER_NODE_MAX - 1, 16);
    const out: Endpoint[] = [];
    for (const n of nodes)
      for (let core = 0; core < n.sockets * n.cores_per_socket; core++)
        out.push({ node: n.id, core, pid: base + core });
    return out;
  }
  const list = r.array(obj, key, path);
  if (list.length === 0) r.error(join(path, key), 'must not be empty');
  return list.map((e, i) => read_endpoint(r, e, `${join(path, key)}[${i}]`));
}

function read_workload(r: Reader, value: unknown, path: string, nodes: readonly ScenarioNode[]): WorkloadSpec | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    r.error(path, `must be an object, got ${describe(value)}`);
    return null;
  }
  const kind = r.choice(value as Json, 'kind', path, WORKLOAD_KINDS);
  const count = (o: Json, key: string) => r.int(o, key, path, 1, MESSAGES_PER_WORKLOAD_MAX);
  const bytes = (o: Json, lo = 12, hi = 64, fallback = 32) => r.int(o, 'payload_bytes', path, lo, hi, fallback);
  const interval = (o: Json) => r.number(o, 'interval_us', path, 0, 1e7, 0);
  switch (kind) {
    case 'ping_pong': {
      const o = r.object(value, path, ['kind', 'client', 'server', 'rounds', 'payload_bytes', 'timeout_ms'])!;
      return {
        kind,
        client: read_endpoint(r, o.client, `${path}.client`),
        server: read_endpoint(r, o.server, `${path}.server`),
        rounds: count(o, 'rounds'),
        payload_bytes: bytes(o),
        timeout_ms: r.number(o, 'timeout_ms', path, 0.001, 60_000, 20),
      };
    }
    case 'call_reply': {
      const o = r.object(value, path, [
        'kind',
        'server',
        'clients',
        'calls_per_client',
        'payload_bytes',
        'timeout_ms',
      ])!;
      return {
        kind,
        server: read_endpoint(r, o.server, `${path}.server`),
        clients: read_endpoints(r, o, 'clients', path, nodes),
        calls_per_client: count(o, 'calls_per_client'),
        payload_bytes: bytes(o),
        timeout_ms: r.number(o, 'timeout_ms', path, 0.001, 60_000, 100),
      };
    }
    case 'pipeline': {
      const o = r.object(value, path, ['kind', 'stages', 'messages', 'payload_bytes', 'interval_us'])!;
      const stages = read_endpoints(r, o, 'stages', path, nodes);
      if (stages.length < 2) r.error(`${path}.stages`, 'needs at least two stages');
      return { kind, stages, messages: count(o, 'messages'), payload_bytes: bytes(o), interval_us: interval(o) };
    }
    case 'fan_in': {
      const o = r.object(value, path, [
        'kind',
        'receiver',
        'senders',
        'messages_per_sender',
        'payload_bytes',
        'interval_us',
      ])!;
      return {
        kind,
        receiver: read_endpoint(r, o.receiver, `${path}.receiver`),
        senders: read_endpoints(r, o, 'senders', path, nodes),
        messages_per_sender: count(o, 'messages_per_sender'),
        payload_bytes: bytes(o),
        interval_us: interval(o),
      };
    }
    case 'all_to_all': {
      const o = r.object(value, path, [
        'kind',
        'participants',
        'messages_per_process',
        'payload_bytes',
        'remote_fraction',
        'peers_max',
        'interval_us',
      ])!;
      const participants = read_endpoints(r, o, 'participants', path, nodes);
      if (participants.length < 2) r.error(`${path}.participants`, 'needs at least two participants');
      const rf = o.remote_fraction === undefined ? undefined : r.number(o, 'remote_fraction', path, 0, 1);
      const peers_max = o.peers_max === undefined ? undefined : r.int(o, 'peers_max', path, 1, 1 << 16);
      return {
        kind,
        participants,
        messages_per_process: count(o, 'messages_per_process'),
        payload_bytes: bytes(o),
        ...(rf === undefined ? {} : { remote_fraction: rf }),
        ...(peers_max === undefined ? {} : { peers_max }),
        interval_us: interval(o),
      };
    }
    case 'bulk': {
      const o = r.object(value, path, ['kind', 'sender', 'receiver', 'transfers', 'payload_bytes', 'interval_us'])!;
      return {
        kind,
        sender: read_endpoint(r, o.sender, `${path}.sender`),
        receiver: read_endpoint(r, o.receiver, `${path}.receiver`),
        transfers: count(o, 'transfers'),
        payload_bytes: bytes(o, 65, 1 << 20, 4096),
        interval_us: interval(o),
      };
    }
  }
}

function endpoints_of(spec: WorkloadSpec): Endpoint[] {
  switch (spec.kind) {
    case 'ping_pong':
      return [spec.client, spec.server];
    case 'call_reply':
      return [spec.server, ...spec.clients];
    case 'pipeline':
      return [...spec.stages];
    case 'fan_in':
      return [spec.receiver, ...spec.senders];
    case 'all_to_all':
      return [...spec.participants];
    case 'bulk':
      return [spec.sender, spec.receiver];
  }
}

function read_link(r: Reader, value: unknown, path: string, base: LinkFaults): LinkFaults {
  const o = r.object(value, path, Object.keys(LINK_FAULTS_NONE)) ?? {};
  const p = (key: keyof LinkFaults) => r.number(o, key, path, 0, 1, base[key] as number);
  let delay = base.delay;
  if (o.delay !== undefined) {
    const d = r.object(o.delay, `${path}.delay`, ['distribution', 'min_ms', 'mean_ms', 'max_ms']) ?? {};
    const min_ms = r.number(d, 'min_ms', `${path}.delay`, 0, 10_000, base.delay.min_ms);
    const max_ms = r.number(d, 'max_ms', `${path}.delay`, min_ms, 10_000, Math.max(min_ms, base.delay.max_ms));
    delay = {
      distribution: r.choice(
        d,
        'distribution',
        `${path}.delay`,
        ['fixed', 'uniform', 'exponential'] as const,
        base.delay.distribution,
      ),
      min_ms,
      mean_ms: r.number(
        d,
        'mean_ms',
        `${path}.delay`,
        min_ms,
        max_ms,
        Math.min(max_ms, Math.max(min_ms, base.delay.mean_ms)),
      ),
      max_ms,
    };
  }
  return {
    loss: p('loss'),
    duplicate: p('duplicate'),
    reorder: p('reorder'),
    reorder_delay_ms: r.number(o, 'reorder_delay_ms', path, 0, 10_000, base.reorder_delay_ms),
    corrupt: p('corrupt'),
    corrupt_bits_max: r.int(o, 'corrupt_bits_max', path, 1, 64, base.corrupt_bits_max),
    corrupt_tcp: r.bool(o, 'corrupt_tcp', path, base.corrupt_tcp),
    link_queue_packets_max: r.int(o, 'link_queue_packets_max', path, 1, 1 << 20, base.link_queue_packets_max),
    delay,
    tcp_rto_ms: r.number(o, 'tcp_rto_ms', path, 1, 10_000, base.tcp_rto_ms),
    connect_timeout_ms: r.number(o, 'connect_timeout_ms', path, 1, 60_000, base.connect_timeout_ms),
  };
}

function read_faults(r: Reader, value: unknown, nodes: ReadonlyMap<number, ScenarioNode>): Scenario['faults'] {
  const o = r.object(value, 'faults', ['link', 'clock_skew', 'schedule', 'sabotage']) ?? {};
  const link = o.link === undefined ? LINK_FAULTS_NONE : read_link(r, o.link, 'faults.link', LINK_FAULTS_NONE);
  const cs = r.object(o.clock_skew ?? {}, 'faults.clock_skew', ['offset_ms_max', 'drift_ppm_max']) ?? {};
  const clock_skew = {
    offset_ms_max: r.number(cs, 'offset_ms_max', 'faults.clock_skew', 0, 3_600_000, 0),
    drift_ppm_max: r.number(cs, 'drift_ppm_max', 'faults.clock_skew', 0, 100_000, 0),
  };
  const sb = r.object(o.sabotage ?? {}, 'faults.sabotage', Object.keys(SABOTAGE_NONE)) ?? {};
  const sabotage: SabotageFaults = {
    silent_drop: r.number(sb, 'silent_drop', 'faults.sabotage', 0, 1, 0),
    forge_send: r.number(sb, 'forge_send', 'faults.sabotage', 0, 1, 0),
    tamper_delivered: r.number(sb, 'tamper_delivered', 'faults.sabotage', 0, 1, 0),
    reorder_delivered: r.number(sb, 'reorder_delivered', 'faults.sabotage', 0, 1, 0),
    drop_wake: r.number(sb, 'drop_wake', 'faults.sabotage', 0, 1, 0),
    forget_drop: r.number(sb, 'forget_drop', 'faults.sabotage', 0, 1, 0),
  };
  const schedule: ScheduledFault[] = [];
  r.array(o, 'schedule', 'faults', false).forEach((f, i) => {
    const path = `faults.schedule[${i}]`;
    if (f === null || typeof f !== 'object' || Array.isArray(f)) {
      r.error(path, `must be an object, got ${describe(f)}`);
      return;
    }
    const kind = r.choice(f as Json, 'kind', path, ['partition', 'heal', 'crash', 'link'] as const);
    const node_ok = (n: number, p: string) => {
      if (!nodes.has(n)) r.error(p, `names node ${n}, which is not in nodes`);
    };
    if (kind === 'partition') {
      const g = r.object(f, path, ['kind', 'at_ms', 'groups'])!;
      const groups = r.array(g, 'groups', path).map((group, j) => {
        if (!Array.isArray(group) || !group.every((n) => Number.isInteger(n))) {
          r.error(`${path}.groups[${j}]`, 'must be an array of node ids');
          return [];
        }
        for (const n of group) node_ok(n as number, `${path}.groups[${j}]`);
        return group as number[];
      });
      schedule.push({ kind, at_ms: r.number(g, 'at_ms', path, 0, DURATION_MS_MAX), groups });
    } else if (kind === 'heal') {
      const g = r.object(f, path, ['kind', 'at_ms'])!;
      schedule.push({ kind, at_ms: r.number(g, 'at_ms', path, 0, DURATION_MS_MAX) });
    } else if (kind === 'crash') {
      const g = r.object(f, path, ['kind', 'at_ms', 'node', 'restart_after_ms', 'memory'])!;
      const node = r.int(g, 'node', path, 1, 0x7fff_ffff);
      node_ok(node, `${path}.node`);
      const restart =
        g.restart_after_ms === undefined ? undefined : r.number(g, 'restart_after_ms', path, 0, DURATION_MS_MAX);
      schedule.push({
        kind,
        at_ms: r.number(g, 'at_ms', path, 0, DURATION_MS_MAX),
        node,
        memory: r.choice(g, 'memory', path, ['kept', 'lost'] as const, 'lost'),
        ...(restart === undefined ? {} : { restart_after_ms: restart }),
      });
    } else {
      const g = r.object(f, path, ['kind', 'at_ms', 'set'])!;
      const set = read_link(r, g.set ?? {}, `${path}.set`, link);
      const given: Partial<LinkFaults> = {};
      for (const key of Object.keys((g.set as object) ?? {}))
        (given as Record<string, unknown>)[key] = set[key as keyof LinkFaults];
      schedule.push({ kind, at_ms: r.number(g, 'at_ms', path, 0, DURATION_MS_MAX), set: given });
    }
  });
  return { link, clock_skew, schedule, sabotage };
}
