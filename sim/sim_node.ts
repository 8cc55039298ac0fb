/**
 * One simulated node: its shared memory, a kernel attached to every core (all on the one
 * simulator thread), its network driver on a `SimTransport`, the secure channel when the
 * scenario seals the network, and the network server with its egress loop: the same assembly
 * `NodeHost` makes on worker threads and real sockets, on the simulator's seams instead.
 *
 * A crash stops everything at once (the incarnation's `alive` flag silences every callback,
 * parked processes never resume); a restart builds a new incarnation, on fresh shared memory or
 * on the same buffers (`memory: 'kept'`: messages already in its rings survive).
 */
import { Fastpath } from '../kernel/fastpath.js';
import { Kernel } from '../kernel/kernel.js';
import { NodeMemory, type NodeShared } from '../kernel/node_memory.js';
import { forget_call } from '../kernel/process_table.js';
import type { SlabClass } from '../kernel/layout/spill_layout.js';
import { fastpath_stats, type FastpathStats } from '../kernel/stats.js';
import { Overflow, type NetDriver, type NetStats, type Proto } from '../net/driver.js';
import type { NetworkServer, NetworkServerStats } from '../net/network_server.js';
import { NodeNetwork, attach_egress } from '../net/node_network.js';
import type { Identity } from '../net/secure/identity.js';
import type { SecureChannel, SecureStats } from '../net/secure/secure_channel.js';
import type { CryptoSuite } from '../net/secure/suite.js';
import { sim_process_context, type ProcessWorld } from './process.js';
import type { Prng } from './prng.js';
import type { Lane } from './scheduler.js';
import { NodeClock, SimWaiter, sim_kernel_env, sim_timers, type Incarnation, type WakeLatency } from './sim_env.js';
import { SIM_PORT, sim_host, type SimNetwork } from './sim_network.js';
import type { ProcessSpec } from './workloads/index.js';

/** The network pid of every simulated node: pid 1 on core 0 (workloads may not use it). */
export const SIM_NET_PID = 1;

export interface SimNodeConfig {
  readonly id: number;
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly pids_max: number;
  readonly slab_classes: readonly SlabClass[] | undefined;
  readonly channels_max: number;
  readonly ring_capacity: number | undefined;
  readonly max_queue: number;
  readonly overflow: 'drop_oldest' | 'drop_newest';
  readonly clock_offset_ms: number;
  readonly clock_drift_ppm: number;
}

/** What every node shares: the run's machinery and the other nodes' identities. */
export interface NodeWorld extends ProcessWorld {
  readonly network: SimNetwork;
  readonly prng: Prng;
  readonly wake: WakeLatency;
  /** Hot-path assertions on every node's kernel (`KernelEnv.debug`; the benchmarks turn them off). */
  readonly debug: boolean;
  readonly peers: readonly number[];
  readonly suite: CryptoSuite | null;
  readonly identities: ReadonlyMap<number, Identity>;
  readonly secure_limits: Record<string, number>;
}

/** Counters of one incarnation, kept when it dies. */
export interface IncarnationStats {
  readonly epoch: number;
  readonly fastpath: FastpathStats;
  readonly driver: NetStats;
  readonly server: NetworkServerStats;
  readonly secure: SecureStats | null;
  readonly wakes: number;
}

export class SimNode {
  readonly config: SimNodeConfig;
  private readonly world: NodeWorld;
  /** The processes this node runs (every incarnation starts them again). */
  readonly processes: readonly ProcessSpec[];
  epoch = 0;
  life: Incarnation = { alive: false, epoch: 0 };
  memory: NodeMemory | null = null;
  kernels: Kernel[] = [];
  /** Bytes of the node's shared memory (control and message regions) of its last boot. */
  memory_bytes = 0;
  network: NodeNetwork | null = null;
  driver: NetDriver | null = null;
  secure: SecureChannel | null = null;
  server: NetworkServer | null = null;
  private waiter: SimWaiter | null = null;
  /** Counters of incarnations that died. */
  readonly past: IncarnationStats[] = [];

  /** Where this node's events run (its own lane, or the global one: see scheduler.ts). */
  readonly lane: Lane;

  constructor(world: NodeWorld, config: SimNodeConfig, processes: readonly ProcessSpec[]) {
    this.world = world;
    this.lane = world.scheduler.add_lane();
    world.network.add_node(config.id, this.lane);
    this.config = config;
    this.processes = processes;
  }

  get alive(): boolean {
    return this.life.alive;
  }

  /** Boots an incarnation, on `shared` (a kept memory) or fresh memory; starts its processes. */
  async boot(shared: NodeShared | null): Promise<void> {
    const { world, config } = this;
    const epoch = ++this.epoch;
    this.booted = false;
    const life: Incarnation = { alive: true, epoch };
    this.life = life;
    const lane = this.lane;
    const clock = new NodeClock(lane, config.clock_offset_ms, config.clock_drift_ppm);
    const waiter = new SimWaiter(lane, clock, world.prng.fork(`wake/${config.id}/${epoch}`), world.wake, life);
    this.waiter = waiter;
    let memory: NodeMemory;
    if (shared === null) {
      const rings = config.ring_capacity;
      memory = NodeMemory.create({
        sockets: config.sockets,
        cores_per_socket: config.cores_per_socket,
        pids_max: config.pids_max,
        channels_max: config.channels_max,
        ...(rings === undefined ? {} : { ring_capacity_l1: rings, ring_capacity_l2: rings, ring_capacity_l3: rings }),
        ...(config.slab_classes === undefined ? {} : { slab_classes: config.slab_classes }),
      });
      memory.bind(SIM_NET_PID, 0);
      for (const p of this.processes) memory.bind(p.pid, p.core);
    } else {
      memory = NodeMemory.open(shared);
      memory.reclaim_attachments();
      // The crashed incarnation's processes are gone: a call one of them was waiting in is over,
      // so a reply to it (the server may still answer a request it finds in the kept rings) is
      // refused and counted, not written to a slot no process will read.
      for (const p of this.processes) forget_call(memory, p.pid);
    }
    this.memory = memory;
    this.memory_bytes = memory.control.byteLength + memory.region.byteLength;
    this.kernels = [];
    for (let core = 0; core < memory.cores; core++)
      this.kernels.push(
        new Kernel(Fastpath.attach_core(memory, core, sim_kernel_env(clock, waiter.for_core(core), world.debug))),
      );
    for (let core = 1; core < memory.cores; core++) attach_egress(this.kernels[core]!, SIM_NET_PID);

    const timers = sim_timers(lane, clock, life);
    const proto = world.proto as Proto;
    // The server's egress loop is a process of core 0: it parks on the network pid's doorbell.
    lane.resume();
    const network = await NodeNetwork.start({
      kernel: this.kernels[0]!,
      env: {
        transport: world.network.transport(config.id, life),
        timers,
        identity: { interfaces: {}, hostname: sim_host(config.id) },
        tap: world.ledger.fates.tap(config.id),
      },
      config: {
        node_id: config.id,
        host: sim_host(config.id),
        port: SIM_PORT,
        max_queue: config.max_queue,
        overflow: config.overflow === 'drop_newest' ? Overflow.DROP_NEWEST : Overflow.DROP_OLDEST,
      },
      net_pid: SIM_NET_PID,
      secure: world.sealed
        ? {
            identity: world.identities.get(config.id)!,
            random: world.prng.fork(`secure/${config.id}/${epoch}`),
            clock,
            suite: world.suite!,
            ...world.secure_limits,
          }
        : null,
    });
    for (const peer of world.peers) {
      if (peer === config.id) continue;
      const keys = world.sealed ? { public_key: world.identities.get(peer)!.public_key } : undefined;
      network.add_remote(peer, sim_host(peer), SIM_PORT, proto, keys);
    }
    this.network = network;
    this.driver = network.driver;
    this.secure = network.secure;
    this.server = network.server;
    this.booted = true;
    world.trace.node(config.id, memory.cores);

    for (const p of this.processes) {
      const kernel = this.kernels[p.core]!;
      const ctx = sim_process_context(
        world,
        lane,
        kernel,
        config.id,
        life,
        p.pid,
        world.prng.fork(`process/${config.id}/${epoch}/${p.pid}`),
        { role: p.role },
      );
      lane.resume();
      p.body(ctx).then(
        () => {
          if (life.alive) kernel.exit(p.pid);
          lane.park();
        },
        (error: unknown) => {
          lane.fail(error);
          lane.park();
        },
      );
    }
  }

  /** Stops the node at once. Returns its shared memory (for a restart that keeps it). */
  crash(): NodeShared {
    const memory = this.memory!;
    if (this.booted) this.past.push(this.snapshot());
    this.life.alive = false;
    this.waiter!.abandon();
    this.world.network.crash(this.config.id);
    this.kernels = [];
    this.network = null;
    this.driver = null;
    this.secure = null;
    this.server = null;
    return memory.shared();
  }

  /**
   * The counters of the live incarnation. Taken again only once an event has run since the last
   * one (the end of a run reads them several times; each reads the whole slab).
   */
  snapshot(): IncarnationStats {
    const at = this.world.scheduler.events_run;
    if (this.cached !== null && this.cached.at === at && this.cached.stats.epoch === this.epoch)
      return this.cached.stats;
    const stats: IncarnationStats = {
      epoch: this.epoch,
      fastpath: fastpath_stats(this.memory!),
      driver: this.driver!.stats(),
      server: this.server!.stats(),
      secure: this.secure?.stats() ?? null,
      wakes: this.waiter!.wakes,
    };
    this.cached = { at, stats };
    return stats;
  }

  private cached: { readonly at: number; readonly stats: IncarnationStats } | null = null;
  /** Whether the live incarnation finished booting (its memory, driver and server exist). */
  private booted = false;

  /** Every incarnation's counters, the live one last (once it has booted). */
  incarnations(): IncarnationStats[] {
    return this.alive && this.booted ? [...this.past, this.snapshot()] : [...this.past];
  }
}
