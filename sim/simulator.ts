/**
 * The simulator: a whole cluster in one thread, driven by a seed.
 *
 * `new Simulator(scenario, { seed })` builds the nodes (sim_node.ts), the network
 * (sim_network.ts), the ledger and the trace; `run()` boots every node at virtual time 0, plays
 * the fault schedule, lets the workloads send for `duration_ms`, then drains for `drain_ms` with
 * every fault lifted, and checks the end-of-run invariant. The result carries the summary the
 * CLI prints, the data of the HTML report, the trace digest and, when an invariant broke, the
 * violation with the command that replays it.
 *
 * No wall clock, no `Math.random`, no module-level state: a run is a function of the scenario
 * and the seed, and any number of simulators live in one process.
 */
import type { AeadFactory } from '../net/secure/aead.js';
import { ErrorCode } from '../kernel/error_codes.js';
import type { NodeShared } from '../kernel/node_memory.js';
import { Identity } from '../net/secure/identity.js';
import { CryptoSuite } from '../net/secure/suite.js';
import { LINK_FAULTS_NONE, type LinkFaults } from './faults.js';
import { costs_by_tier, type TransferCosts } from './costs.js';
import { type FollowedMessage, type LatencyStats, LATENCY_CLASSES, Ledger } from './ledger.js';
import type { Accounting } from './message_fates.js';
import { SimBootError, SimViolation } from './violation.js';
import { Prng } from './prng.js';
import { call_stats, waiter_key, type CallStats } from './process.js';
import { TRACE_EVENTS_MAX_DEFAULT, type Scenario } from './scenario.js';
import { Scheduler } from './scheduler.js';
import { SimNode, type IncarnationStats, type NodeWorld } from './sim_node.js';
import { SimNetwork, type LinkStats, type SimNetworkStats } from './sim_network.js';
import { Trace } from './trace.js';
import {
  place_workload,
  planned_messages,
  workload_counters,
  type ProcessSpec,
  type WorkloadCounters,
} from './workloads/index.js';

export interface SimOptions {
  readonly seed: number;
  /** Keep trace events for a Chrome trace file (the digest is always computed). */
  readonly trace?: boolean;
  /**
   * Stream the trace file as the run goes (with `trace`): chunks of the JSON, in order, so the
   * trace's memory stays bounded; call `finish_trace()` after `run()` for its end. Without
   * `trace_events_max` in the scenario, every event is kept then.
   */
  readonly trace_sink?: (chunk: string) => void;
  /** Called now and then with the fraction of virtual time done. */
  readonly on_progress?: (fraction: number) => void;
  /** The scenario's path, for the replay command a violation prints. */
  readonly scenario_path?: string;
  /**
   * Hot-path assertions on every node's kernel (`KernelEnv.debug`): default on, as in tests;
   * the benchmarks turn them off.
   */
  readonly debug?: boolean;
  /**
   * The AEAD backend of sealed scenarios (default libsodium's WebAssembly, which runs in every
   * host). Every backend gives the same bytes, so the trace is the same whichever runs.
   */
  readonly aead?: AeadFactory;
}

/** Per node, what the report shows. */
export interface NodeSummary {
  readonly id: number;
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly alive: boolean;
  readonly incarnations: number;
  readonly processes: readonly { pid: number; core: number; role: string }[];
  readonly hit_count: number;
  readonly spill_count: number;
  readonly backpressured: number;
  /** Messages received per tier, summed over cores: L1, L2, L3, spill. */
  readonly received_by_tier: readonly number[];
  readonly cores_received: readonly (readonly number[])[];
  readonly wakes: number;
}

export interface SimResult {
  readonly scenario: string;
  /** The scenario's description, as its file gives it ('' when none). */
  readonly description: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: { invariant: string; code: string; message: string; at_ms: number; replay: string } | null;
  readonly virtual_ms: number;
  readonly events: number;
  /** The scheduler's lookahead, µs: each node ran ahead alone for up to this long (0: one time-ordered agenda). */
  readonly lookahead_us: number;
  /** Windows the scheduler ran (0 with one agenda). */
  readonly windows: number;
  /** Shared memory of the nodes as they end (control and message regions, bytes). */
  readonly node_memory_bytes: number;
  readonly sent: number;
  readonly delivered: number;
  /**
   * The exact accounting, message by message (message_fates.ts): `sent = delivered + Σ
   * dropped[reason] + lost_in_crash + in_flight`.
   */
  readonly accounting: Accounting;
  /** Messages sent and not delivered (`accounting` says what became of each). */
  readonly undelivered: number;
  /** Messages lost with a node that crashed (`accounting.lost_in_crash`). */
  readonly crash_lost: number;
  readonly duplicates_delivered: number;
  readonly corrupt_delivered: number;
  readonly bytes_delivered: number;
  /** Every named drop counter, "layer.reason" → count (data-bearing drops; see `drops_total`). */
  readonly drops: Record<string, number>;
  readonly drops_total: number;
  /** Control-plane drops (handshakes) that the network counted, for the report. */
  readonly control_drops: Record<string, number>;
  readonly network: SimNetworkStats;
  /** Traffic on each link between nodes (datagrams and TCP writes sent, and dropped on the wire). */
  readonly links: readonly LinkStats[];
  /** When the network was partitioned, into which groups (until a heal or the drain; null: to the end). */
  readonly partitions: readonly { from_ms: number; to_ms: number | null; groups: readonly (readonly number[])[] }[];
  /** Each crash: the node, when, and when it restarted (null: it did not). */
  readonly crashes: readonly { node: number; at_ms: number; restart_ms: number | null }[];
  readonly secure: {
    handshakes_completed: number;
    handshakes_started: number;
    rekeys: number;
    /** Messages sealed, in this many records (a record holds what one turn sent to one peer's pair of pids). */
    sealed_packets: number;
    sealed_records: number;
    opened_packets: number;
  } | null;
  readonly nodes: readonly NodeSummary[];
  readonly latency: Record<string, number[]>;
  /** The cost model the run used (costs.ts) and its wake-up costs, µs. */
  readonly costs: TransferCosts;
  readonly wake: { readonly wake_us_min: number; readonly wake_us_max: number; readonly wake_local_us: number };
  /** Count, mean, p50, p99 and max latency of each class (µs; quantiles within 0.2 %). */
  readonly latency_stats: Record<string, LatencyStats>;
  readonly timeline_bucket_ms: number;
  /** Messages per timeline bucket: sent, delivered, and delivered by class (L1, L2, L3 with spill, remote). */
  readonly timeline: { sent: number[]; delivered: number[]; delivered_by_class: Record<string, number[]> };
  readonly faults: readonly { at_ms: number; what: string }[];
  readonly workloads: readonly { kind: string; counters: WorkloadCounters }[];
  readonly trace_digest: string;
  readonly trace_events: number;
  /** How the tracked calls ended: answered, timed out (and of those, with the callee up and reachable), DEAD_PEER. */
  readonly calls: CallStats;
  /** The paths of the first messages (`FOLLOW_MESSAGES_MAX`), for the report's "follow one message". */
  readonly followed: readonly FollowedMessage[];
}

function sum(record: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(record)) n += v;
  return n;
}

function add_into(into: Record<string, number>, prefix: string, record: Record<string, number>): void {
  for (const [k, v] of Object.entries(record)) if (v !== 0) into[`${prefix}.${k}`] = (into[`${prefix}.${k}`] ?? 0) + v;
}

/** When the run's faults happen, µs: each scheduled one, each crash's restart, and the drain that lifts them. */
function fault_times_us(scenario: Scenario): number[] {
  const times: number[] = [];
  for (const f of scenario.faults.schedule) {
    times.push(f.at_ms * 1000);
    if (f.kind === 'crash' && f.restart_after_ms !== undefined) times.push((f.at_ms + f.restart_after_ms) * 1000);
  }
  if (times.length > 0) times.push(scenario.duration_ms * 1000);
  return times;
}

/** Which scheduler a run used, in words (the CLI summary and the HTML report show it). */
export function scheduler_summary(r: SimResult): string {
  return r.lookahead_us > 0
    ? `a lane per node, ${r.windows.toLocaleString('en-US')} windows of up to ${r.lookahead_us} µs`
    : 'one time-ordered agenda';
}

/**
 * Shortest lookahead worth a lane per node, µs. Below it windows hold too few events to pay for
 * visiting every lane (and a network that fast is one machine).
 */
export const LOOKAHEAD_US_MIN = 5;

/**
 * The lookahead of a scenario, µs (scheduler.ts): the shortest one-way delay any datagram can
 * have, over the run's link faults and every scheduled change of them, plus a hop's host work; 0 (one lane) for TCP,
 * for a single node, with `scheduler.node_lanes: false`, or below `LOOKAHEAD_US_MIN`.
 */
export function lookahead_us(scenario: Scenario): number {
  if (!scenario.scheduler.node_lanes || scenario.network.proto !== 'udp' || scenario.nodes.length < 2) return 0;
  let min_ms = scenario.faults.link.delay.min_ms;
  for (const f of scenario.faults.schedule)
    if (f.kind === 'link' && f.set.delay !== undefined) min_ms = Math.min(min_ms, f.set.delay.min_ms);
  // Every datagram also pays the hop's host work (costs.ts) on top of its link's delay.
  const us = min_ms * 1000 + scenario.costs.remote_hop_us;
  return us >= LOOKAHEAD_US_MIN ? us : 0;
}

export class Simulator {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly scheduler: Scheduler;
  readonly ledger: Ledger;
  readonly trace: Trace;
  readonly network: SimNetwork;
  readonly nodes = new Map<number, SimNode>();
  private readonly prng: Prng;
  private readonly options: SimOptions;
  private readonly workloads: { kind: string; counters: WorkloadCounters }[] = [];
  private readonly fault_log: { at_ms: number; what: string }[] = [];
  private readonly partitions: { from_ms: number; to_ms: number | null; groups: number[][] }[] = [];
  private readonly crashes: { node: number; at_ms: number; restart_ms: number | null }[] = [];
  private readonly calls: CallStats = call_stats();
  /** The run's accounting, once checked (or taken at the end of a run that failed first). */
  private accounting: Accounting | null = null;
  /** Each process's last wait in a receive (process.ts `recv_async`). */
  private readonly last_waits = new Map<number, [number, number]>();
  private ran = false;

  constructor(scenario: Scenario, options: SimOptions) {
    this.scenario = scenario;
    this.seed = options.seed;
    this.options = options;
    this.prng = new Prng(options.seed, 'lattice-sim');
    const scheduler = (this.scheduler = new Scheduler({ lookahead_us: lookahead_us(scenario) }));
    const planned = scenario.workloads.reduce((sum, w) => sum + planned_messages(w), 0);
    this.ledger = new Ledger(
      scheduler,
      (v) => scheduler.fail(v),
      Math.max(1, Math.round((scenario.duration_ms + scenario.drain_ms) * 10)),
      scenario.network.secure !== false,
      planned,
    );
    const sink = options.trace_sink ?? null;
    const events_max =
      scenario.trace_events_max ?? (sink !== null ? Number.MAX_SAFE_INTEGER : TRACE_EVENTS_MAX_DEFAULT);
    this.trace = new Trace(scheduler, options.trace === true, events_max, fault_times_us(scenario), sink);
    this.network = new SimNetwork(
      scheduler,
      this.prng.fork('network'),
      { ...scenario.faults.link },
      scenario.faults.sabotage,
      scenario.costs.remote_hop_us,
    );
    this.network.fates = this.ledger.fates;
    this.ledger.fates.on_lost = (id, node, reason) => this.trace.drop(node, id, reason);
    const forget = scenario.faults.sabotage.forget_drop;
    if (forget > 0) {
      const prng = this.prng.fork('sabotage/forget_drop');
      this.ledger.fates.forget_drop = { chance: (p) => prng.chance(p), p: forget };
    }
  }

  /** Runs the scenario once. */
  async run(): Promise<SimResult> {
    if (this.ran) throw new Error('a Simulator runs once; make a new one');
    this.ran = true;
    const scenario = this.scenario;
    const scheduler = this.scheduler;
    const send_until_us = scenario.duration_ms * 1000;
    const end_us = send_until_us + scenario.drain_ms * 1000;
    const sealed = scenario.network.secure !== false;
    const aead = this.options.aead;
    const suite = sealed ? await CryptoSuite.load(aead === undefined ? {} : { aead }) : null;
    const identities = new Map<number, Identity>();
    if (suite !== null) {
      for (const n of scenario.nodes) {
        const seed = new Uint8Array(32);
        this.prng.fork(`identity/${n.id}`).fill(seed);
        identities.set(n.id, Identity.from_seed(suite, seed));
      }
    }
    const skew = scenario.faults.clock_skew;
    const skew_prng = this.prng.fork('clock');
    const world: NodeWorld = {
      scheduler,
      ledger: this.ledger,
      trace: this.trace,
      proto: scenario.network.proto,
      sealed,
      send_until_us,
      end_us,
      tier_costs_us: costs_by_tier(scenario.costs),
      wake_due_us: this.wake_due_us(),
      last_waits: this.last_waits,
      step_us_min: scenario.scheduler.step_us_min,
      step_us_max: scenario.scheduler.step_us_max,
      forge_send: scenario.faults.sabotage.forge_send,
      tamper_delivered: scenario.faults.sabotage.tamper_delivered,
      reorder_delivered: scenario.faults.sabotage.reorder_delivered,
      calls: this.calls,
      peer_up: (from, to) => this.network.reachable(from, to) && (this.nodes.get(to)?.alive ?? false),
      network: this.network,
      prng: this.prng,
      wake: {
        wake_us_min: scenario.scheduler.wake_us_min,
        wake_us_max: scenario.scheduler.wake_us_max,
        wake_local_us: scenario.scheduler.wake_local_us,
        drop_wake: scenario.faults.sabotage.drop_wake,
      },
      peers: scenario.nodes.map((n) => n.id),
      suite,
      identities,
      secure_limits: scenario.network.secure === false ? {} : scenario.network.secure,
      debug: this.options.debug ?? true,
    };
    const placed = new Map<number, ProcessSpec[]>();
    for (const n of scenario.nodes) placed.set(n.id, []);
    for (const w of scenario.workloads) {
      const counters = workload_counters();
      this.workloads.push({ kind: w.kind, counters });
      for (const p of place_workload(w, counters)) placed.get(p.node)!.push(p);
    }
    for (const n of scenario.nodes) {
      const offset = skew.offset_ms_max === 0 ? 0 : (skew_prng.float() * 2 - 1) * skew.offset_ms_max;
      const drift = skew.drift_ppm_max === 0 ? 0 : (skew_prng.float() * 2 - 1) * skew.drift_ppm_max;
      // Offsets are positive so no node's clock reads below zero.
      this.nodes.set(
        n.id,
        new SimNode(
          world,
          {
            ...n,
            max_queue: scenario.network.max_queue,
            overflow: scenario.network.overflow,
            clock_offset_ms: Math.abs(offset),
            clock_drift_ppm: drift,
          },
          placed.get(n.id)!,
        ),
      );
    }

    // Each node boots in its own lane; faults and the drain are global events (barriers).
    for (const node of this.nodes.values()) node.lane.at(0, () => this.boot(node, null));
    for (const fault of scenario.faults.schedule) scheduler.global.at(fault.at_ms * 1000, () => this.apply(fault));
    scheduler.global.at(send_until_us, () => this.begin_drain());

    const step_us = Math.max(1000, end_us / 100);
    for (let t = step_us; ; t += step_us) {
      await scheduler.run_until(Math.min(t, end_us));
      this.options.on_progress?.(Math.min(1, scheduler.now_us / end_us));
      if (scheduler.failed !== null || t >= end_us) break;
    }
    if (scheduler.failed === null)
      this.ledger.check_stranded(
        (node, pid) => this.last_waits.get(waiter_key(node, pid)) ?? null,
        (node) => this.nodes.get(node)?.alive ?? false,
        this.wake_due_us(),
      );
    const nodes = [...this.nodes.keys()];
    if (scheduler.failed === null) this.accounting = this.ledger.check_accounting(nodes, (node) => this.counted(node));
    return this.result();
  }

  /** The longest a wake-up can take, with a step and a transfer on top, µs (the liveness checks of receives). */
  private wake_due_us(): number {
    const s = this.scenario.scheduler;
    return Math.max(s.wake_us_max, s.wake_local_us) + s.step_us_max + Math.max(...costs_by_tier(this.scenario.costs));
  }

  private boot(node: SimNode, shared: NodeShared | null): void {
    const scheduler = this.scheduler;
    scheduler.resume();
    node.boot(shared).then(
      () => scheduler.park(),
      (error: unknown) => {
        scheduler.fail(error instanceof SimViolation ? error : new SimBootError(node.config.id, error));
        scheduler.park();
      },
    );
  }

  private log(what: string): void {
    this.fault_log.push({ at_ms: this.scheduler.now_us / 1000, what });
    this.trace.fault(what);
  }

  private apply(fault: Scenario['faults']['schedule'][number]): void {
    if (this.scheduler.now_us >= this.scenario.duration_ms * 1000) return; // The drain phase lifts every fault.
    switch (fault.kind) {
      case 'partition':
        this.end_partition();
        this.partitions.push({
          from_ms: this.scheduler.now_us / 1000,
          to_ms: null,
          groups: fault.groups.map((g) => [...g]),
        });
        this.network.partition(fault.groups);
        this.log(`partition ${fault.groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
        return;
      case 'heal':
        this.end_partition();
        this.network.heal();
        this.log('heal');
        return;
      case 'link':
        this.network.faults = { ...this.network.faults, ...fault.set };
        this.log(`link ${JSON.stringify(fault.set)}`);
        return;
      case 'crash': {
        const node = this.nodes.get(fault.node)!;
        if (!node.alive) return;
        const shared = node.crash();
        this.ledger.crash(fault.node);
        this.ledger.fates.crash(
          fault.node,
          fault.memory === 'kept' && fault.restart_after_ms !== undefined,
          this.ledger.next_id_value,
        );
        this.log(`crash node ${fault.node} (memory ${fault.memory})`);
        const crash = { node: fault.node, at_ms: this.scheduler.now_us / 1000, restart_ms: null as number | null };
        this.crashes.push(crash);
        if (fault.restart_after_ms !== undefined) {
          this.scheduler.global.after(fault.restart_after_ms * 1000, () => {
            if (node.alive) return;
            crash.restart_ms = this.scheduler.now_us / 1000;
            this.log(`restart node ${fault.node}`);
            node.lane.after(0, () => this.boot(node, fault.memory === 'kept' ? shared : null));
          });
        }
        return;
      }
    }
  }

  /** The partition in force (if any) ends now. */
  private end_partition(): void {
    const last = this.partitions[this.partitions.length - 1];
    if (last !== undefined && last.to_ms === null) last.to_ms = this.scheduler.now_us / 1000;
  }

  private begin_drain(): void {
    this.end_partition();
    this.network.heal();
    const link: LinkFaults = { ...LINK_FAULTS_NONE, delay: this.network.faults.delay };
    this.network.faults = link;
    this.log('drain: faults lifted');
  }

  private all_incarnations(): IncarnationStats[] {
    const all: IncarnationStats[] = [];
    for (const node of this.nodes.values()) all.push(...node.incarnations());
    return all;
  }

  /** Every named drop counter that can destroy a data message, by "layer.reason". */
  drops(): Record<string, number> {
    const drops: Record<string, number> = {};
    for (const s of this.all_incarnations()) {
      add_into(drops, 'driver.malformed', s.driver.malformed);
      add_into(drops, 'driver.send_errors', s.driver.send_errors);
      add_into(drops, 'driver', {
        queue_dropped_oldest: s.driver.queue_dropped_oldest,
        queue_dropped_newest: s.driver.queue_dropped_newest,
        reset_discarded: s.driver.reset_discarded,
        unhandled_frames: s.driver.unhandled_frames,
      });
      add_into(drops, 'server.dropped', s.server.dropped);
      add_into(drops, 'server', {
        queue_dropped_oldest: s.server.queue_dropped_oldest,
        queue_dropped_newest: s.server.queue_dropped_newest,
        reset_discarded: s.server.reset_discarded,
      });
      if (s.secure !== null) add_into(drops, 'secure.dropped', s.secure.dropped);
    }
    const net = this.network.stats();
    add_into(drops, 'network', net.dropped_data);
    add_into(drops, 'network', { stream_frames_lost: net.stream_frames_lost });
    return drops;
  }

  /**
   * What node `node`'s own counts hold now, for the accounting (null when it is down): messages
   * in its rings and spill queues, and packets in its network layers (receive queues, TCP
   * outboxes, the secure channel's queues for a handshake).
   */
  private counted(node: number): { kernel: number; network: number } | null {
    const n = this.nodes.get(node);
    if (n === undefined || !n.alive) return null;
    const s = n.snapshot();
    let kernel = 0;
    for (const c of s.fastpath.cores) kernel += c.pending.L1 + c.pending.L2 + c.pending.L3 + c.pending.spill;
    const network = s.server.queued + s.driver.queued + s.driver.outbox_data_messages + (s.secure?.queued ?? 0);
    return { kernel, network };
  }

  private result(): SimResult {
    const scheduler = this.scheduler;
    const failure = scheduler.failed;
    let violation: SimResult['violation'] = null;
    if (failure !== null) {
      const v = failure instanceof SimViolation ? failure : null;
      const error = failure as Error;
      violation = {
        invariant: v?.invariant ?? (failure instanceof SimBootError ? 'boot' : 'process_error'),
        code: (error as { code?: string }).code ?? ErrorCode.SIM_PROCESS_ERROR,
        message: error.message ?? String(failure),
        at_ms: (v?.at_us ?? scheduler.now_us) / 1000,
        replay: `lattice sim ${this.options.scenario_path ?? this.scenario.name} --seed ${this.seed}`,
      };
    }
    const nodes: NodeSummary[] = [];
    let handshakes_completed = 0;
    let handshakes_started = 0;
    let rekeys = 0;
    let sealed_packets = 0;
    let sealed_records = 0;
    let opened_packets = 0;
    for (const node of this.nodes.values()) {
      const inc = node.incarnations();
      let hit = 0;
      let spill = 0;
      let bp = 0;
      let wakes = 0;
      const tiers = [0, 0, 0, 0];
      let cores: number[][] = [];
      for (const s of inc) {
        hit += s.fastpath.hit_count;
        spill += s.fastpath.spill_count;
        bp += s.fastpath.backpressured;
        wakes += s.wakes;
        cores = s.fastpath.cores.map((c) => [c.received.L1, c.received.L2, c.received.L3, c.received.spill]);
        for (const c of s.fastpath.cores) {
          tiers[0]! += c.received.L1;
          tiers[1]! += c.received.L2;
          tiers[2]! += c.received.L3;
          tiers[3]! += c.received.spill;
        }
        if (s.secure !== null) {
          handshakes_completed += s.secure.handshakes_completed;
          handshakes_started += s.secure.handshakes_started;
          rekeys += s.secure.rekeys;
          sealed_packets += s.secure.sealed_packets;
          sealed_records += s.secure.sealed_records;
          opened_packets += s.secure.opened_packets;
        }
      }
      const spec = this.scenario.nodes.find((n) => n.id === node.config.id)!;
      nodes.push({
        id: node.config.id,
        sockets: spec.sockets,
        cores_per_socket: spec.cores_per_socket,
        alive: node.alive,
        incarnations: node.epoch,
        processes: node.processes.map((p) => ({ pid: p.pid, core: p.core, role: p.role })),
        hit_count: hit,
        spill_count: spill,
        backpressured: bp,
        received_by_tier: tiers,
        cores_received: cores,
        wakes,
      });
    }
    const accounting =
      this.accounting ??
      this.ledger.fates.account(this.ledger.next_id_value, (node) => this.nodes.get(node)?.alive ?? false);
    const drops = this.drops();
    const latency: Record<string, number[]> = this.ledger.latency_histograms();
    return {
      scenario: this.scenario.name,
      description: this.scenario.description,
      seed: this.seed,
      ok: violation === null,
      violation,
      virtual_ms: scheduler.now_us / 1000,
      events: scheduler.events_run,
      lookahead_us: scheduler.lookahead_us,
      windows: scheduler.windows_run,
      node_memory_bytes: [...this.nodes.values()].reduce((sum, node) => sum + node.memory_bytes, 0),
      sent: this.ledger.sent,
      delivered: this.ledger.delivered,
      accounting,
      undelivered: accounting.sent - accounting.delivered,
      crash_lost: accounting.lost_in_crash,
      duplicates_delivered: this.ledger.duplicates_delivered,
      corrupt_delivered: this.ledger.corrupt_delivered,
      bytes_delivered: this.ledger.bytes_delivered,
      drops,
      drops_total: sum(drops),
      control_drops: this.network.stats().dropped_control,
      network: this.network.stats(),
      links: this.network.links(),
      partitions: this.partitions.map((p) => ({ ...p, groups: p.groups.map((g) => [...g]) })),
      crashes: this.crashes.map((c) => ({ ...c })),
      secure:
        this.scenario.network.secure === false
          ? null
          : { handshakes_completed, handshakes_started, rekeys, sealed_packets, sealed_records, opened_packets },
      nodes,
      latency,
      latency_stats: this.ledger.latency_stats(),
      costs: this.scenario.costs,
      wake: {
        wake_us_min: this.scenario.scheduler.wake_us_min,
        wake_us_max: this.scenario.scheduler.wake_us_max,
        wake_local_us: this.scenario.scheduler.wake_local_us,
      },
      timeline_bucket_ms: this.ledger.timeline_bucket_us / 1000,
      timeline: {
        sent: this.ledger.timeline_sent,
        delivered: this.ledger.timeline_delivered,
        delivered_by_class: Object.fromEntries(LATENCY_CLASSES.map((c, i) => [c, this.ledger.timeline_by_class[i]!])),
      },
      faults: this.fault_log,
      workloads: this.workloads,
      trace_digest: this.trace.digest(),
      trace_events: this.trace.events,
      calls: { ...this.calls },
      followed: this.ledger.follow(),
    };
  }

  /** Whether the trace file holds every event, in words (see `Trace.completeness`). */
  trace_completeness(): string {
    return this.trace.completeness();
  }

  /** With `trace_sink`: hands the sink the end of the trace file (after `run()`). */
  finish_trace(): void {
    this.trace.finish(this.trace_metadata());
  }

  private trace_metadata(): Record<string, unknown> {
    return { scenario: this.scenario.name, seed: this.seed, digest: this.trace.digest() };
  }

  /** The Chrome trace-event JSON of the run (needs `trace: true`, without `trace_sink`). */
  trace_json(): string {
    return this.trace.json(this.trace_metadata());
  }
}
