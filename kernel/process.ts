/**
 * What a process sees: the context its entry function receives on its core.
 *
 * A process is a function `(ctx) => result` (sync or async) exported by a module. The host
 * runs it on the worker thread of the core its pid is bound to; `ctx` carries its pid, its
 * core's fastpath and the node's memory. Several processes may share a core: they share its
 * thread, so a process that blocks in `recv` blocks its core, as on a uniprocessor without
 * preemption; processes that must interleave on one core use `recv_async`.
 */
import type { Fastpath } from './fastpath.js';
import type { Kernel } from './kernel.js';
import { lattice, type LatticeApi } from './lattice_api.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';

export interface ProcessContext<A = unknown> {
  /** This process's pid. */
  readonly pid: number;
  /** The core it runs on, and that core's socket. */
  readonly core: number;
  readonly socket: number;
  /** The arguments given when the process was spawned (structured-cloned). */
  readonly args: A;
  /** The capability-checked kernel API of this core (channels, caps, call, notify, graph). */
  readonly kernel: Kernel;
  /** The spec's C-style API (`lattice_send`, …) bound to `kernel`. */
  readonly lattice: LatticeApi;
  /**
   * The core's raw fastpath, shared by the processes on this core. It bypasses capabilities
   * (it is what the kernel itself uses); `send` and `recv` below are its shortcuts.
   */
  readonly fastpath: Fastpath;
  /** The node's shared memory. */
  readonly memory: NodeMemory;
  /** True once the node is closing: long-running processes return when they see it. */
  stopping(): boolean;
  /** Raw fastpath send from this process to `dst`, without a capability check. */
  send(dst: number, m: Message): number;
  /** Raw fastpath receive into `m` (see `Fastpath.recv`), without the listen check. */
  recv(m: Message, flags?: number, timeout_ms?: number): number;
  /** Raw fastpath receive without blocking the thread (see `Fastpath.recv_async`). */
  recv_async(m: Message, timeout_ms?: number): Promise<number>;
}

/** The entry function of a process module (exported as `main` unless the spawn names another). */
export type ProcessMain<A = unknown, R = unknown> = (ctx: ProcessContext<A>) => R | Promise<R>;

/** Builds the context of `pid` over a core's kernel. */
export function process_context<A>(
  kernel: Kernel,
  pid: number,
  args: A,
  api: LatticeApi = lattice(kernel),
): ProcessContext<A> {
  const fastpath = kernel.fastpath;
  const memory = fastpath.memory;
  return {
    pid,
    core: fastpath.core,
    socket: memory.topology.socket_of(fastpath.core),
    args,
    kernel,
    lattice: api,
    fastpath,
    memory,
    stopping: () => memory.closing(),
    send: (dst, m) => fastpath.send(pid, dst, m),
    recv: (m, flags, timeout_ms) => fastpath.recv(pid, m, flags, timeout_ms),
    recv_async: (m, timeout_ms) => fastpath.recv_async(pid, m, timeout_ms),
  };
}
