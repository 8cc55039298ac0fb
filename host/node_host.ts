/**
 * `NodeHost`: one Lattice node on real threads.
 *
 * It creates the node's shared memory, binds every process's pid to its core, starts one
 * `worker_thread` per core (cores may outnumber hardware threads), and runs each process on
 * its core's worker. Cores listed in `main_cores` get no worker: the main thread attaches to
 * them with `attach(core)` and uses the asynchronous receive.
 *
 * With `network`, the node also runs its network on real sockets on the main thread, assembled
 * by net/node_network.ts (driver, secure channel when sealed, network server): the network core
 * is one of `main_cores`, the network pid is bound to it, and every worker core routes messages
 * for other nodes to that pid (`EgressRouter`), whose inbox the server drains onto the wire. Packets from other nodes are
 * delivered into the node as they arrive (or when `poll_network()` is called, without
 * `auto_poll`), waking processes blocked in `recv` on any core.
 *
 * Shutdown follows undici (kernel/lifecycle.ts): `close()` drains (marks the node closing, which
 * wakes every blocked receive, lets each process return, then lets each worker detach and exit,
 * then drains the network) and `destroy()` aborts (terminates the workers at once), cutting a
 * pending `close()` short. Both are idempotent, and after either resolves no worker thread and
 * no handle of the host is left.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { once } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { real_env, SPIN_POLLS_DEFAULT } from '../kernel/env.js';
import { ConfigError, LatticeError } from '../kernel/errors.js';
import { Fastpath } from '../kernel/fastpath.js';
import { Kernel } from '../kernel/kernel.js';
import { NodeMemory, type NodeConfig } from '../kernel/node_memory.js';
import { process_exit } from '../kernel/process_table.js';
import { fastpath_stats, type FastpathStats } from '../kernel/stats.js';
import type { NetConfig } from '../net/driver.js';
import { NodeNetwork } from '../net/node_network.js';
import { CryptoSuite } from '../net/secure/suite.js';
import { node_aead_choice } from './net/aead_choice.js';
import type { SecureConfig } from '../net/secure/secure_channel.js';
import { Lifecycle } from '../kernel/lifecycle.js';
import { node_net_env } from './net/node_net.js';
import { system_random } from './net/system_random.js';
import { module_beside } from './module_url.js';
import { spawn_worker } from './spawn_worker.js';
import type { HostToWorker, ProcessLaunch, SerializedError, WorkerInit, WorkerToHost } from './worker_protocol.js';

/** A process to run: its pid, its core, and the module function that is its body. */
export interface ProcessSpec {
  readonly pid: number;
  readonly core: number;
  /** The module: a URL, a `file:` URL string, or a file path. */
  readonly module: string | URL;
  /** The exported function to run; default `main` (or the default export). */
  readonly entry?: string;
  /** Arguments, structured-cloned into the worker (SharedArrayBuffers are shared). */
  readonly args?: unknown;
  /**
   * Objects in `args` to move into the worker rather than copy (a `MessagePort`, an
   * `ArrayBuffer`), as `postMessage`'s transfer list: after the spawn they are unusable here.
   */
  readonly transfer?: readonly Transferable[];
}

/** How `NodeHost.start` builds a node: geometry, processes, main-thread cores, network, switches. */
export interface NodeHostOptions {
  /** Geometry and regions of the node. */
  readonly node?: NodeConfig;
  /** Processes to start with the node. */
  readonly processes?: readonly ProcessSpec[];
  /** Cores left to the main thread (no worker); attach to them with `attach`. */
  readonly main_cores?: readonly number[];
  /**
   * Pids the main thread's code plays, by core (each one of `main_cores`), bound before any
   * worker starts, so processes may send to them from their first instruction.
   */
  readonly main_pids?: Readonly<Record<number, number>>;
  /** Polls before a blocking receive sleeps (see `KernelEnv.spin_polls`). */
  readonly spin_polls?: number;
  /**
   * Hot-path assertions on every core (`KernelEnv.debug`). Default: on when the environment
   * variable `LATTICE_DEBUG` is `1` (the test suite sets it), off otherwise.
   */
  readonly debug?: boolean;
  /**
   * Hand every process the raw fastpath and the node's memory in `ctx.trusted` (they bypass
   * capability checks). Default false: processes see only the capability-checked kernel.
   */
  readonly trusted?: boolean;
  /** How long `close()` waits for processes to return before terminating workers. Default 10 s. */
  readonly close_timeout_ms?: number;
  /** Connects the node to other nodes (see the header). */
  readonly network?: NodeNetworkOptions;
}

/** The network of a `NodeHost`. */
export interface NodeNetworkOptions {
  /** The driver's configuration (node id, port, queue, limits). */
  readonly config?: NetConfig;
  /** The core the driver and its server run on: one of `main_cores`. */
  readonly core: number;
  /** The network pid, bound to `core`: other cores send to other nodes through it. */
  readonly net_pid: number;
  /** Deliver packets as they arrive (default true); otherwise only in `poll_network()`. */
  readonly auto_poll?: boolean;
  /** Calls from other nodes served at once (default 1024). */
  readonly calls_max?: number;
  /**
   * Seal every packet (net/secure): this node's identity and the channel's limits. Randomness
   * is the system CSPRNG and the clock is wall time unless given. Pin peers with
   * `network.add_remote(node, host, port, proto, { public_key })`.
   */
  readonly secure?: Omit<SecureConfig, 'random' | 'clock' | 'timers'> &
    Partial<Pick<SecureConfig, 'random' | 'clock'>> & {
      /** The crypto suite; default one on this host's fastest AEAD (host/net/aead_choice.ts). */
      readonly suite?: CryptoSuite;
    };
}

export type { NodeNetwork };

/** How a process ended. */
export interface ProcessResult {
  readonly pid: number;
  readonly core: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: SerializedError;
}

interface CoreWorker {
  readonly core: number;
  readonly worker: Worker;
  readonly exited: Promise<void>;
  closed: boolean;
}

interface Pending {
  readonly core: number;
  readonly done: Promise<ProcessResult>;
  settled: boolean;
  resolve(result: ProcessResult): void;
}

/** Longest wait for `close()` by default. */
export const CLOSE_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * One Lattice node on real threads: its shared memory, a worker thread per core, its processes,
 * and optionally its network on real sockets (see the module comment).
 */
export class NodeHost {
  readonly memory: NodeMemory;
  private readonly workers = new Map<number, CoreWorker>();
  private readonly processes = new Map<number, Pending>();
  private readonly main_cores: ReadonlySet<number>;
  private readonly attachments: Fastpath[] = [];
  private readonly spin_polls: number;
  private readonly debug: boolean;
  private readonly trusted: boolean;
  private readonly close_timeout_ms: number;
  /** The main thread's clock and waiter (for control-plane work such as cleaning up a crashed core). */
  private readonly env = real_env(0);
  private readonly lifecycle = new Lifecycle();
  private net: NodeNetwork | null = null;
  /** Workers that `close()` had to terminate because their processes did not return in time. */
  forced_terminations = 0;

  private constructor(memory: NodeMemory, options: NodeHostOptions) {
    this.memory = memory;
    this.main_cores = new Set(options.main_cores ?? []);
    this.spin_polls = options.spin_polls ?? SPIN_POLLS_DEFAULT;
    this.debug = options.debug ?? process.env.LATTICE_DEBUG === '1';
    this.trusted = options.trusted ?? false;
    this.close_timeout_ms = options.close_timeout_ms ?? CLOSE_TIMEOUT_MS_DEFAULT;
  }

  /** Creates the node and starts its workers and processes; resolves once every core is attached. */
  static async start(options: NodeHostOptions = {}): Promise<NodeHost> {
    const memory = NodeMemory.create(options.node ?? {});
    const host = new NodeHost(memory, options);
    for (const core of host.main_cores) {
      if (!Number.isInteger(core) || core < 0 || core >= memory.cores) {
        throw new ConfigError(ErrorCode.BAD_CORE, `main core ${core} is outside [0, ${memory.cores})`);
      }
    }
    for (const [pid, core] of Object.entries(options.main_pids ?? {})) host.bind_main(Number(pid), core);
    if (options.network !== undefined) {
      try {
        await host.start_network(options.network);
      } catch (error) {
        await host.destroy();
        throw error;
      }
    }
    const launches = new Map<number, ProcessLaunch[]>();
    const transfers = new Map<number, Transferable[]>();
    for (const spec of options.processes ?? []) {
      const launch = host.prepare(spec);
      if (spec.transfer !== undefined)
        transfers.set(spec.core, [...(transfers.get(spec.core) ?? []), ...spec.transfer]);
      if (host.main_cores.has(spec.core)) {
        throw new ConfigError(ErrorCode.BAD_CORE, `process ${spec.pid}: core ${spec.core} belongs to the main thread`);
      }
      const list = launches.get(spec.core) ?? [];
      list.push(launch);
      launches.set(spec.core, list);
    }
    const attached: Promise<void>[] = [];
    for (let core = 0; core < memory.cores; core++) {
      if (host.main_cores.has(core)) continue;
      attached.push(host.start_worker(core, launches.get(core) ?? [], transfers.get(core) ?? []));
    }
    try {
      await Promise.all(attached);
    } catch (error) {
      await host.destroy();
      throw error;
    }
    return host;
  }

  /**
   * Binds a process's pid and records it. A pid whose process has ended may be spawned again on
   * the same core: that core's worker revives it first (`Kernel.revive`), which makes the old
   * process's capabilities stale and drops what was sent to it and not received (counted). A pid
   * whose process still runs is refused (PID_BOUND), and so is a respawn on another core
   * (BAD_CORE: what is still on its way to the pid is that core's to drop).
   */
  private prepare(spec: ProcessSpec): ProcessLaunch {
    const before = this.processes.get(spec.pid);
    if (before !== undefined && !before.settled) {
      throw new ConfigError(ErrorCode.PID_BOUND, `pid ${spec.pid} is given twice (its process is still running)`);
    }
    const respawn = before !== undefined;
    if (respawn && before.core !== spec.core) {
      throw new ConfigError(
        ErrorCode.BAD_CORE,
        `pid ${spec.pid} is spawned again on core ${spec.core}; its earlier process ran on core ${before.core}, where it must run again`,
      );
    }
    this.memory.bind(spec.pid, spec.core);
    let resolve_result!: (result: ProcessResult) => void;
    const done = new Promise<ProcessResult>((r) => (resolve_result = r));
    const pending: Pending = {
      core: spec.core,
      done,
      settled: false,
      resolve(result) {
        pending.settled = true;
        resolve_result(result);
      },
    };
    this.processes.set(spec.pid, pending);
    return { pid: spec.pid, module: module_url(spec.module), entry: spec.entry ?? 'main', args: spec.args, respawn };
  }

  private start_worker(
    core: number,
    processes: readonly ProcessLaunch[],
    transfer: readonly Transferable[],
  ): Promise<void> {
    const net_pid = this.net === null ? -1 : this.net.server.net_pid;
    const init: WorkerInit = {
      shared: this.memory.shared(),
      core,
      spin_polls: this.spin_polls,
      debug: this.debug,
      trusted: this.trusted,
      net_pid,
      processes,
    };
    const worker = spawn_worker(module_beside('./core_worker', import.meta.url), {
      workerData: init,
      transferList: transfer as Transferable[] as never,
      name: `lattice-core-${core}`,
    });
    const exited = once(worker, 'exit').then(() => this.on_exit(core));
    const entry: CoreWorker = { core, worker, exited, closed: false };
    this.workers.set(core, entry);
    return new Promise<void>((resolve_attached, reject) => {
      worker.on('message', (message: WorkerToHost) => {
        if (message.type === 'attached') resolve_attached();
        else if (message.type === 'exited') this.on_process_exit(core, message);
        else if (message.type === 'closed') entry.closed = true;
      });
      worker.on('error', (error) => {
        reject(error);
        this.fail_core(core, { name: error.name, message: error.message, code: ErrorCode.CORE_CRASHED });
      });
    });
  }

  private on_process_exit(core: number, message: Extract<WorkerToHost, { type: 'exited' }>): void {
    const pending = this.processes.get(message.pid);
    if (pending === undefined || pending.settled) return;
    pending.resolve(
      message.ok
        ? { pid: message.pid, core, ok: true, value: message.value }
        : { pid: message.pid, core, ok: false, error: message.error },
    );
  }

  private on_exit(core: number): void {
    this.workers.delete(core);
    this.fail_core(core, {
      name: 'LatticeError',
      message: `core ${core}'s worker exited before its process returned`,
      code: ErrorCode.CORE_EXITED,
    });
  }

  /**
   * Resolves every unfinished process of `core` as failed with `error`, and ends them in the
   * kernel (their callers get DEAD_PEER instead of waiting for replies that will never come).
   */
  private fail_core(core: number, error: SerializedError): void {
    for (const [pid, pending] of this.processes) {
      if (pending.core !== core || pending.settled) continue;
      // On a node with a network, its kernel's exit also answers the pid's calls from other nodes.
      if (this.net !== null) this.net.kernel.exit(pid);
      else process_exit(this.memory, this.env.waiter, this.env.clock, pid);
      pending.resolve({ pid, core, ok: false, error });
    }
  }

  /** Starts another process on a running core. */
  spawn(spec: ProcessSpec): void {
    if (this.lifecycle.ending) throw new LatticeError(ErrorCode.CLOSED, 'spawn: the node is closing');
    const entry = this.workers.get(spec.core);
    if (entry === undefined) throw new ConfigError(ErrorCode.BAD_CORE, `spawn: core ${spec.core} has no worker`);
    const launch = this.prepare(spec);
    const message: HostToWorker = { type: 'spawn', process: launch };
    entry.worker.postMessage(message, (spec.transfer ?? []) as never);
  }

  private async start_network(options: NodeNetworkOptions): Promise<void> {
    this.bind_main(options.net_pid, options.core);
    const kernel = this.attach_kernel(options.core);
    const secure = options.secure;
    this.net = await NodeNetwork.start({
      kernel,
      env: node_net_env(),
      config: options.config ?? {},
      net_pid: options.net_pid,
      auto_poll: options.auto_poll ?? true,
      ...(options.calls_max === undefined ? {} : { calls_max: options.calls_max }),
      secure:
        secure === undefined
          ? null
          : {
              random: system_random(),
              clock: { now_ms: () => Date.now() },
              ...secure,
              // The native AEAD path where Node has one (host/net/aead_choice.ts): the same bytes.
              suite: secure.suite ?? (await CryptoSuite.load({ aead: node_aead_choice() })),
            },
    });
  }

  /** The node's network; a `ConfigError` if it was started without one. */
  get network(): NodeNetwork {
    if (this.net === null) throw new ConfigError(ErrorCode.NO_NETWORK, 'this node was started without `network`');
    return this.net;
  }

  /** Delivers queued packets into the node (the spec's `poll_network`); returns how many. */
  poll_network(): number {
    return this.network.server.poll_network();
  }

  /** Attaches the main thread to one of `main_cores`. */
  attach(core: number): Fastpath {
    if (!this.main_cores.has(core))
      throw new ConfigError(ErrorCode.BAD_CORE, `attach: core ${core} is not one of main_cores`);
    const fastpath = Fastpath.attach_core(this.memory, core, real_env(this.spin_polls, this.debug));
    this.attachments.push(fastpath);
    return fastpath;
  }

  /** Attaches the main thread to one of `main_cores` and gives it that core's `Kernel`. */
  attach_kernel(core: number): Kernel {
    return new Kernel(this.attach(core));
  }

  /** Binds a pid to one of the main thread's cores (its process is the main thread's code). */
  bind_main(pid: number, core: number): void {
    if (!this.main_cores.has(core))
      throw new ConfigError(ErrorCode.BAD_CORE, `bind_main: core ${core} is not one of main_cores`);
    this.memory.bind(pid, core);
  }

  /** Waits for the given processes (default: all started so far) to return, and gives their results. */
  async join(pids?: readonly number[]): Promise<ProcessResult[]> {
    const list = pids ?? [...this.processes.keys()];
    return Promise.all(
      list.map((pid) => {
        const pending = this.processes.get(pid);
        if (pending === undefined) throw new ConfigError(ErrorCode.BAD_PID, `join: no process ${pid}`);
        return pending.done;
      }),
    );
  }

  /** A snapshot of the node's fastpath counters. */
  stats(): FastpathStats {
    return fastpath_stats(this.memory);
  }

  /** Number of worker threads that have not exited. */
  get live_workers(): number {
    return this.workers.size;
  }

  /**
   * Drains and stops: marks the node closing (blocked receives return `CLOSED`, sends fail
   * with `CLOSED`), waits for every process to return, lets every worker exit, then drains and
   * stops the network. Workers still busy after `close_timeout_ms` are terminated and counted
   * in `forced_terminations`. A `destroy()` meanwhile cuts the wait short.
   */
  close(): Promise<void> {
    return this.lifecycle.close(
      () => this.drain_workers(),
      (aborted) => this.release(aborted),
    );
  }

  /** Aborts: terminates every worker now; unfinished processes resolve as failed. Idempotent; cuts a pending `close()` short. */
  destroy(): Promise<void> {
    return this.lifecycle.destroy((aborted) => this.release(aborted));
  }

  private async drain_workers(): Promise<void> {
    this.memory.set_closing(this.env.waiter);
    const close: HostToWorker = { type: 'close' };
    for (const entry of this.workers.values()) entry.worker.postMessage(close);
    const all_exited = Promise.all([...this.workers.values()].map((entry) => entry.exited));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timed_out = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.close_timeout_ms)));
    const outcome = await Promise.race([all_exited.then(() => 'exited' as const), timed_out]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const entry of this.workers.values()) {
        this.forced_terminations++;
        await entry.worker.terminate();
      }
      await all_exited;
    }
  }

  private async release(aborted: boolean): Promise<void> {
    if (aborted) {
      // Terminate first: waking the processes (set_closing) would let them finish normally.
      await Promise.all(
        [...this.workers.values()].map(async (entry) => {
          await entry.worker.terminate();
          await entry.exited;
        }),
      );
      this.memory.set_closing(this.env.waiter);
    }
    if (this.net !== null) await (aborted ? this.net.destroy() : this.net.close());
    this.release_main();
  }

  private release_main(): void {
    for (const fastpath of this.attachments) fastpath.detach();
    this.attachments.length = 0;
  }
}

function module_url(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}
