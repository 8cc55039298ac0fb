/**
 * What a process sees: the context its entry function receives on its core.
 *
 * A process is a function `(ctx) => result` (sync or async) exported by a module. The host
 * runs it on the worker thread of the core its pid is bound to. `ctx` carries what a process
 * body needs, so that it imports nothing from Lattice itself: its pid and args, the
 * capability-checked kernel and the spec's C-style facade over it, shortcuts for its own pid, and
 * the `Message` class, status codes and flags.
 *
 * The raw fastpath and the node's memory (which bypass capabilities: they are what the kernel
 * itself uses) are in `ctx.trusted`, and only when the host was started with `trusted: true`;
 * otherwise `ctx.trusted` is null. This is API hygiene, not a sandbox: code on a core's thread
 * shares its memory.
 *
 * Several processes may share a core: they share its thread, so a process that blocks in `recv`
 * blocks its core, as on a uniprocessor without preemption; processes that must interleave on
 * one core use `recv_async`.
 */
import { IpcFlags, type Fastpath } from './fastpath.js';
import type { Kernel } from './kernel.js';
import { lattice, type LatticeApi } from './lattice_api.js';
import { Rights } from './layout/cap_layout.js';
import { SlotFlags } from './layout/slot_layout.js';
import { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { Status, status_name } from './status.js';

/** What a trusted process may use besides the kernel (`NodeHost` option `trusted`). */
export interface TrustedParts {
  /** The core's raw fastpath, shared by the processes on this core: no capability checks. */
  readonly fastpath: Fastpath;
  /** The node's shared memory. */
  readonly memory: NodeMemory;
}

/**
 * What a process body receives: who and where it is, its arguments, and the calls and names it
 * needs (see the module comment). `A` is the type of its `args`.
 */
export interface ProcessContext<A = unknown> {
  /** This process's pid. */
  readonly pid: number;
  /** The core it runs on. */
  readonly core: number;
  /** That core's socket. */
  readonly socket: number;
  /**
   * The arguments given when the process was spawned: structured-cloned, with the objects in the
   * spawn's `transfer` list (a `MessagePort`, an `ArrayBuffer`) moved rather than copied, and
   * SharedArrayBuffers shared.
   */
  readonly args: A;
  /** The capability-checked kernel API of this core (channels, caps, call, notify, graph). */
  readonly kernel: Kernel;
  /** The spec's C-style API (`lattice_send`, …) bound to `kernel`. */
  readonly lattice: LatticeApi;
  /** The message class, so that a process body needs no import of its own. */
  readonly Message: typeof Message;
  /** The result codes. */
  readonly Status: typeof Status;
  /** The name of a result code (`status_name(-1)` is `'WOULD_BLOCK'`). */
  readonly status_name: (status: number) => string;
  /** Flags of `recv`/`send` (`NONBLOCK`, `STAGE`, `GRANT`). */
  readonly IpcFlags: typeof IpcFlags;
  /** Flags a received message carries (`CALL`, `REMOTE`, …). */
  readonly SlotFlags: typeof SlotFlags;
  /** Rights of a capability (`SEND`, `GRANT`, …). */
  readonly Rights: typeof Rights;
  /** The raw fastpath and memory when the host trusts its processes (`trusted: true`), else null. */
  readonly trusted: TrustedParts | null;
  /** True once the node is closing: long-running processes return when they see it. */
  stopping(): boolean;
  /** Lets this process receive (`Kernel.listen`). */
  listen(): number;
  /** A capability of this process for a channel to `dst` (on `node`), created if needed (`Kernel.connect`). */
  connect(dst: number, node?: number): number;
  /** Sends `m` with this process's capability `cap` (`Kernel.send`). */
  send(cap: number, m: Message, flags?: number): number;
  /** Receives into `m` (`Kernel.recv`; the process must have called `listen`). */
  recv(m: Message, flags?: number, timeout_ms?: number): number;
  /** Receives without blocking the thread (`Kernel.recv_async`). */
  recv_async(m: Message, timeout_ms?: number): Promise<number>;
  /** Calls through `cap` and waits for the reply (`Kernel.call`). */
  call(cap: number, m: Message, reply: Message, timeout_ms?: number): number;
  /** Answers a call through the reply capability it carried in `m.cap` (`Kernel.reply`). */
  reply(reply_cap: number, m: Message): number;
  /** Sets notification `bits` at the receiver of `cap` (`Kernel.notify`). */
  notify(cap: number, bits?: number): number;
}

/** The entry function of a process module (exported as `main` unless the spawn names another). */
export type ProcessMain<A = unknown, R = unknown> = (ctx: ProcessContext<A>) => R | Promise<R>;

/** Builds the context of `pid` over a core's kernel; `trusted` hands it the raw parts too. */
export function process_context<A>(
  kernel: Kernel,
  pid: number,
  args: A,
  api: LatticeApi = lattice(kernel),
  trusted = false,
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
    Message,
    Status,
    status_name,
    IpcFlags,
    SlotFlags,
    Rights,
    trusted: trusted ? { fastpath, memory } : null,
    stopping: () => memory.closing(),
    listen: () => kernel.listen(pid),
    connect: (dst, node) => kernel.connect(pid, dst, node),
    send: (cap, m, flags) => kernel.send(pid, cap, m, flags),
    recv: (m, flags, timeout_ms) => kernel.recv(pid, m, flags, timeout_ms),
    recv_async: (m, timeout_ms) => kernel.recv_async(pid, m, timeout_ms),
    call: (cap, m, reply, timeout_ms) => kernel.call(pid, cap, m, reply, timeout_ms),
    reply: (reply_cap, m) => kernel.reply(pid, reply_cap, m),
    notify: (cap, bits) => kernel.notify(pid, cap, bits),
  };
}
