/**
 * `Kernel`: the capability-checked API of one node, as one thread sees it.
 *
 * A `Kernel` wraps a thread's `Fastpath` attachment (a core of the node) with everything the
 * spec's Graph API and a microkernel's users need: channels and their DAG, capabilities
 * (rights, badges, grant, derive, revoke), `send` / `recv` / `call` / `reply` / `notify`, and
 * staging with `submit`. Methods on the message path return `Status` codes and never throw or
 * allocate; refusals are counted in the thread's counter block. `lattice_api.ts` puts the
 * spec's C-style names on top.
 *
 * How state is shared across cores: channels, capability tables, the process table and the
 * graph live in the node's shared memory. Control-plane changes (connect, close, add_dep,
 * submit, derive, revoke, grant) take the node's control lock. Sending takes no lock: it
 * validates the capability by reading its tag before and after its fields (a seqlock read) and
 * checks the channel's generation, so a capability revoked or a channel closed on another core
 * is refused from the moment the change is stored. docs/ARCHITECTURE.md explains why that is
 * safe.
 */
import { Caps, type CapInfo } from './caps.js';
import { type ChannelTable, REMOTE_PID_MAX } from './channel_table.js';
import { lock, unlock } from './control_lock.js';
import {
  ANY_NODE,
  type Fastpath,
  IpcFlags,
  LOCAL_NODE,
  RECV_TIMEOUT_MS_DEFAULT,
  RECV_TIMEOUT_MS_MAX,
} from './fastpath.js';
import { Graph } from './graph.js';
import { CapKind, Rights, cap_handle_generation } from './layout/cap_layout.js';
import {
  C_CALLS,
  C_CYCLES_REFUSED,
  C_DEAD_PEER,
  C_DENIED_NOT_LISTENING,
  C_DENIED_NOT_WAITING,
  C_DENIED_NO_CAP,
  C_DENIED_NO_RIGHT,
  C_DENIED_STALE_CHANNEL,
  C_NOTIFIES_SENT,
  C_REJECTED_BAD_ARGUMENT,
  C_REJECTED_BAD_PID,
  C_REJECTED_CHANNEL_FULL,
  C_REJECTED_NOT_BOUND,
  C_REJECTED_NO_ROUTE,
  C_REJECTED_TABLE_FULL,
  C_REJECTED_TOO_BIG,
  C_REPLIES,
} from './layout/counter_layout.js';
import { NODE_LOCK_WORD } from './layout/node_layout.js';
import { SLOT_PAYLOAD_BYTES_MAX, SlotFlags } from './layout/slot_layout.js';
import { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import {
  abandon_call,
  begin_call,
  current_call,
  deliver_reply,
  fail_caller,
  has_exited,
  process_revive,
  is_listening,
  listen,
  net_refused,
  process_exit,
  signal,
} from './process_table.js';
import type { RemoteRouter } from './remote_router.js';
import { Staging } from './staging.js';
import { fastpath_stats, type FastpathStats } from './stats.js';
import { Status } from './status.js';

export type { RemoteRouter };
export { ANY_NODE, IpcFlags, LOCAL_NODE, Rights };

/** Options of `connect`. */
export interface ConnectOptions {
  /** Rights of the capability made for the sender (default `Rights.ALL`). */
  readonly rights?: number;
  /** Badge the receiver sees on every message sent with it (default 0). */
  readonly badge?: number;
}

/** Longest a `call` waits for its reply by default. */
export const CALL_TIMEOUT_MS_DEFAULT = 5_000;
/** A pending local call packs its reply capability as `global * 2^23 + generation`. */
const PENDING_GENERATION_SPAN = 1 << 23;
/** The pending value of a call to another node (it holds no local reply capability). */
const PENDING_REMOTE = 2 ** 52;
/** How long a timed-out call waits for a reply that was being written as it gave up. */
const LATE_REPLY_WAIT_MS = 100;

/** A channel as plain data (for tools and tests). */
export interface ChannelInfo {
  readonly handle: number;
  readonly src_node: number;
  readonly dst_node: number;
  readonly src_pid: number;
  readonly dst_pid: number;
  readonly open: boolean;
  readonly staged: number;
}

/**
 * The capability-checked kernel API of one core of one node (channels, capabilities, the
 * channel graph, send/recv, call/reply, notify). One per thread and node; see docs/API.md.
 */
export class Kernel {
  // The raw parts below bypass capabilities. They are the host's, the network server's and the
  // simulator's (inside the package), and not in the package's declarations (`@internal`,
  // stripped): a process gets them only as `ctx.trusted`, from a host started with `trusted`.
  /** @internal The node's shared memory. */
  readonly memory: NodeMemory;
  /** @internal The core's raw fastpath (no capability checks). */
  readonly fastpath: Fastpath;
  /** @internal This thread's view of the node's channels (shared with the fastpath). */
  readonly channels: ChannelTable;
  /** @internal The capability tables. */
  readonly caps: Caps;
  /** @internal The channel graph. */
  readonly graph: Graph;
  /** @internal Staged messages and their release. */
  readonly staging: Staging;
  private readonly pids_max: number;
  private router: RemoteRouter | null = null;
  /** Scratch for revoke and close walks (control plane), allocated on first use. */
  private scratch: Int32Array | null = null;
  /** Remote reply capabilities orphaned under the lock: the router hears of them once it is released. */
  private orphans = 0;

  constructor(fastpath: Fastpath) {
    this.fastpath = fastpath;
    this.memory = fastpath.memory;
    this.channels = fastpath.channels;
    this.pids_max = fastpath.memory.geometry.pids_max;
    this.caps = new Caps(fastpath.memory, this.channels);
    this.graph = new Graph(fastpath.memory);
    this.staging = new Staging(fastpath.memory, this.graph, fastpath);
  }

  /**
   * Sets (or clears) the route for channels to other nodes: the network server on the network
   * core, an `EgressRouter` on the others (remote_router.ts).
   */
  set_router(router: RemoteRouter | null): void {
    this.router = router;
  }

  /** The route for channels to other nodes, or null. */
  get remote_router(): RemoteRouter | null {
    return this.router;
  }

  /** Counts a refusal by its status and returns the status. */
  deny(status: number): number {
    if (status === Status.NO_CAP) this.fastpath.note(C_DENIED_NO_CAP, 1);
    else if (status === Status.NO_RIGHT) this.fastpath.note(C_DENIED_NO_RIGHT, 1);
    else if (status === Status.STALE_CHANNEL) this.fastpath.note(C_DENIED_STALE_CHANNEL, 1);
    else if (status === Status.NOT_LISTENING) this.fastpath.note(C_DENIED_NOT_LISTENING, 1);
    else if (status === Status.NOT_WAITING) this.fastpath.note(C_DENIED_NOT_WAITING, 1);
    else if (status === Status.CYCLE) this.fastpath.note(C_CYCLES_REFUSED, 1);
    else if (status === Status.TABLE_FULL) this.fastpath.note(C_REJECTED_TABLE_FULL, 1);
    else if (status === Status.BAD_PID) this.fastpath.note(C_REJECTED_BAD_PID, 1);
    else if (status === Status.BAD_ARGUMENT) this.fastpath.note(C_REJECTED_BAD_ARGUMENT, 1);
    else if (status === Status.CHANNEL_TABLE_FULL) this.fastpath.note(C_REJECTED_CHANNEL_FULL, 1);
    else if (status === Status.NO_ROUTE) this.fastpath.note(C_REJECTED_NO_ROUTE, 1);
    else if (status === Status.NOT_BOUND) this.fastpath.note(C_REJECTED_NOT_BOUND, 1);
    else if (status === Status.TOO_BIG) this.fastpath.note(C_REJECTED_TOO_BIG, 1);
    return status;
  }

  private valid_pid(pid: number): boolean {
    return pid >= 0 && pid < this.pids_max && (pid | 0) === pid;
  }

  private lock(): void {
    lock(this.memory.i32, NODE_LOCK_WORD, this.fastpath.env.waiter, this.fastpath.env.clock);
  }

  private unlock(): void {
    unlock(this.memory.i32, NODE_LOCK_WORD, this.fastpath.env.waiter);
    if (this.orphans > 0) this.report_orphans();
  }

  /**
   * Runs `body` under the control lock with the open channel `handle` names; a stale or unknown
   * handle is refused (counted) without calling it.
   */
  private with_channel(handle: number, body: (channel: number) => number): number {
    this.lock();
    try {
      const c = this.channels.index_of(handle);
      if (c < 0) return this.deny(c);
      return body(c);
    } finally {
      this.unlock();
    }
  }

  private walk_stack(): Int32Array {
    if (this.scratch === null)
      this.scratch = new Int32Array(this.memory.geometry.pids_max * this.memory.geometry.caps_per_pid + 1);
    return this.scratch;
  }

  // ---------------------------------------------------------------------------------------------
  // Channels and the graph (control plane).

  /**
   * Opens the channel `src` → `dst` on `node` (`LOCAL_NODE` for this node) and returns a
   * capability handle for it in `src`'s table, with `options.rights` (default all) and
   * `options.badge`. If the channel already has a valid owner capability, returns that one.
   * A closed channel is reopened as a new incarnation. A control-plane call: any thread of
   * the node may wire channels for its processes, as an init process would.
   */
  connect(src: number, dst: number, node: number = LOCAL_NODE, options: ConnectOptions = {}): number {
    if (!this.valid_pid(src) || !(dst >= 0 && dst <= REMOTE_PID_MAX && (dst | 0) === dst))
      return this.deny(Status.BAD_PID);
    if (node === LOCAL_NODE && !this.valid_pid(dst)) return this.deny(Status.BAD_PID);
    if (!(node >= 0 && (node | 0) === node)) return this.deny(Status.BAD_ARGUMENT);
    const rights = options.rights ?? Rights.ALL;
    const badge = options.badge ?? 0;
    if (!((rights & ~Rights.ALL) === 0 && (rights | 0) === rights && (badge | 0) === badge))
      return this.deny(Status.BAD_ARGUMENT);
    const channel = this.channels.of(LOCAL_NODE, node, src, dst);
    if (channel < 0) return this.deny(Status.CHANNEL_TABLE_FULL);
    this.lock();
    try {
      const generation = this.channels.reopen(channel);
      const owner = this.channels.owner_cap(channel);
      if (
        owner !== -1 &&
        this.caps.used(owner) &&
        this.caps.target(owner) === channel &&
        this.caps.target_gen(owner) === generation
      ) {
        return this.caps.handle_of(owner);
      }
      const global = this.caps.claim(src, CapKind.CHANNEL, rights, channel, generation, badge);
      if (global < 0) return this.deny(Status.TABLE_FULL);
      this.channels.set_owner_cap(channel, global);
      return this.caps.handle_of(global);
    } finally {
      this.unlock();
    }
  }

  /**
   * The handle of the open channel `src` → `dst` on `node`; `ANY_NODE` matches any destination
   * node. NO_CHANNEL if there is none.
   */
  find(src: number, dst: number, node: number = ANY_NODE): number {
    if (!this.valid_pid(src) || !(dst >= 0 && dst <= REMOTE_PID_MAX && (dst | 0) === dst))
      return this.deny(Status.BAD_PID);
    const index = this.channels.find(LOCAL_NODE, node, src, dst);
    if (index < 0 || !this.channels.is_open(index)) return Status.NO_CHANNEL;
    return this.channels.handle(index);
  }

  /**
   * The capability `src` holds for its open channel to pid `dst` on `node`. With `ANY_NODE` (the
   * facade's rule when no node is named): the channel inside this node if one is open, else the
   * open one to the lowest-numbered node. NO_CHANNEL if there is none, NO_CAP if `src` no longer
   * holds the channel's owner capability (it was revoked or deleted).
   */
  sender_cap(src: number, dst: number, node: number = ANY_NODE): number {
    if (!this.valid_pid(src) || !(dst >= 0 && dst <= REMOTE_PID_MAX && (dst | 0) === dst))
      return this.deny(Status.BAD_PID);
    const channel =
      node === ANY_NODE ? this.channels.find_for_send(src, dst) : this.channels.find(LOCAL_NODE, node, src, dst);
    if (channel < 0 || !this.channels.is_open(channel)) return Status.NO_CHANNEL;
    const owner = this.channels.owner_cap(channel);
    if (owner < 0 || this.caps.owner_pid(owner) !== src) return this.deny(Status.NO_CAP);
    return this.caps.handle_of(owner);
  }

  /** The handle of the channel `pid`'s capability `cap` names (NO_CAP, STALE_CHANNEL if none). */
  channel_of(pid: number, cap: number): number {
    const channel = this.caps.validate_channel(pid, cap, 0);
    if (channel < 0) return this.deny(channel);
    return this.channels.handle(channel);
  }

  /** The channel a handle names, as plain data, or null if the handle is stale. */
  channel_info(handle: number): ChannelInfo | null {
    const index = this.channels.index_of(handle);
    if (index < 0) return null;
    return {
      handle,
      src_node: this.channels.src_node(index),
      dst_node: this.channels.dst_node(index),
      src_pid: this.channels.src_pid(index),
      dst_pid: this.channels.dst_pid(index),
      open: true,
      staged: this.staging.pending(index),
    };
  }

  /**
   * Adds "child depends on parent": when `child` is submitted, its batch is released only after
   * everything staged on `parent` by then. CYCLE if `child` already reaches `parent` (nothing
   * changes); OK if the edge exists.
   */
  add_dep(parent: number, child: number): number {
    return this.with_channel(parent, (p) => {
      const c = this.channels.index_of(child);
      if (c < 0) return this.deny(c);
      const status = this.graph.add_edge(p, c);
      return status === Status.OK ? status : this.deny(status);
    });
  }

  /** Removes the edge parent → child. OK whether or not it existed. */
  remove_dep(parent: number, child: number): number {
    return this.with_channel(parent, (p) => {
      const c = this.channels.index_of(child);
      if (c < 0) return this.deny(c);
      this.graph.remove_edge(p, c);
      this.staging.release_from(c); // It may have been the child's last blocker.
      return Status.OK;
    });
  }

  /**
   * Submits everything staged on `channel` so far: released into the receiver's queues as soon
   * as every channel it depends on has released what it had staged by now (at once if so).
   */
  submit(channel: number): number {
    return this.with_channel(channel, (c) => {
      this.staging.submit(c);
      return Status.OK;
    });
  }

  /**
   * Closes `channel`: drops its staged messages (counted), removes its edges (its children stop
   * waiting for it), and makes every capability and handle of it stale. Messages already
   * delivered to the receiver's rings are still received.
   */
  close(channel: number): number {
    return this.with_channel(channel, (c) => {
      this.close_locked(c);
      return Status.OK;
    });
  }

  /** `close` of channel index `c`, under the lock. */
  private close_locked(c: number): void {
    this.staging.drop(c);
    const children = this.graph.work_stack();
    const count = this.graph.remove_all(c, children);
    this.channels.close(c);
    const released = children.slice(0, count);
    for (const child of released) this.staging.release_from(child);
  }

  /**
   * Makes an exited `pid` a new process that may be spawned again: every open channel from or to
   * the old one is closed (so each capability naming one fails with STALE_CHANNEL, and a new
   * `connect` makes a fresh incarnation), and its process entry starts over (not listening, no
   * notification bits, no call in progress). What was sent to the old process and not received
   * is dropped, counted as `stale_dropped` (the new process never sees it). Runs on `pid`'s own
   * core (WRONG_CORE otherwise: its mailbox and rings are that core's); NOT_WAITING if `pid` has
   * not exited.
   */
  revive(pid: number): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    if (this.memory.core_of(pid) !== this.fastpath.core) return this.deny(Status.WRONG_CORE);
    const inbound: number[] = [];
    this.lock();
    try {
      if (!has_exited(this.memory, pid)) return this.deny(Status.NOT_WAITING);
      const channels = this.channels;
      for (let c = 0; c < channels.channels_max; c++) {
        if (!channels.exists(c)) continue;
        const from = channels.src_node(c) === LOCAL_NODE && channels.src_pid(c) === pid;
        const to = channels.dst_node(c) === LOCAL_NODE && channels.dst_pid(c) === pid;
        if (to) inbound.push(c);
        if ((from || to) && channels.is_open(c)) this.close_locked(c);
      }
      // What the old process had not received is not the new one's: dropped, counted.
      this.fastpath.forget_inbound(pid, inbound, new Message());
      process_revive(this.memory, pid);
    } finally {
      this.unlock();
    }
    return Status.OK;
  }

  // ---------------------------------------------------------------------------------------------
  // Payload blocks (zero-copy descriptors): the fastpath's, so that a process needs only its kernel.

  /** A payload block of at least `bytes` (`Fastpath.alloc_block`): its offset, or TOO_BIG / BACKPRESSURE. */
  alloc_block(bytes: number): number {
    return this.fastpath.alloc_block(bytes);
  }

  /** A view of block `block`'s whole data area, for the sender to fill (`Fastpath.block_bytes`). */
  block_bytes(block: number): Uint8Array {
    return this.fastpath.block_bytes(block);
  }

  /** A view of the payload of a received descriptor message, in place (`Fastpath.block_view`). */
  block_view(m: Message): Uint8Array {
    return this.fastpath.block_view(m);
  }

  /** Releases the block of a received descriptor message (`Fastpath.release`); STALE_BLOCK if released already. */
  release(m: Message): number {
    return this.fastpath.release(m);
  }

  /** Frees a block this thread allocated and did not send (`Fastpath.free_block`). */
  free_block(block: number): number {
    return this.fastpath.free_block(block);
  }

  // ---------------------------------------------------------------------------------------------
  // Processes.

  /** Lets `pid` receive (the spec's `lattice_listen`). */
  listen(pid: number): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    listen(this.memory, pid);
    return Status.OK;
  }

  /**
   * Messages of `pid` to other nodes that the kernel took (its send returned OK) and the network
   * then refused or failed to send: handed to the network core and refused there, a write that
   * failed, a handshake that gave up. Together with the statuses its sends return, what a
   * process sent that never left is all told. 0 for a pid outside the table.
   */
  net_refused(pid: number): number {
    if (!this.valid_pid(pid)) return 0;
    return net_refused(this.memory, pid);
  }

  /** Whether `pid` may receive. */
  listening(pid: number): boolean {
    if (!this.valid_pid(pid)) return false;
    return is_listening(this.memory, pid);
  }

  /**
   * Ends `pid`: it may no longer receive, its capabilities are deleted, and every `call` waiting
   * on a reply it owes fails with DEAD_PEER (on this node, and through the router on others).
   * The host calls this when a process returns; any thread of the node may call it for any pid.
   */
  exit(pid: number): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    const env = this.fastpath.env;
    this.orphans += process_exit(this.memory, env.waiter, env.clock, pid).orphaned;
    if (this.orphans > 0) this.report_orphans();
    return Status.OK;
  }

  /** Tells the router that remote calls were orphaned (outside the lock): their callers get DEAD_PEER. */
  private report_orphans(): void {
    this.orphans = 0;
    this.router?.orphaned();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages (the hot path: result codes, no allocation). Each operation reads its channel's
  // destination once: a channel inside the node goes to the fastpath, one to another node to the
  // router (remote_router.ts).

  /**
   * Sends `m` from `pid` with `pid`'s capability `cap` (which needs `Rights.SEND`). The receiver
   * sees the capability's badge in `m.badge`. Flags: `IpcFlags.STAGE` holds the message until
   * the channel is submitted (channels inside the node only: BAD_ARGUMENT on a remote one);
   * `IpcFlags.GRANT` gives the receiver a copy of `pid`'s capability `m.cap` (which needs
   * `Rights.GRANT`; inside the node only, NO_ROUTE otherwise), and the receiver finds its own
   * handle in `m.cap`.
   */
  send(pid: number, cap: number, m: Message, flags: number = IpcFlags.NONE): number {
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    m.badge = this.caps.found_badge;
    if (this.channels.is_remote(channel)) {
      if ((flags & IpcFlags.GRANT) !== 0) return this.deny(Status.NO_ROUTE); // Capabilities do not cross nodes.
      if ((flags & IpcFlags.STAGE) !== 0) return this.deny(Status.BAD_ARGUMENT); // The graph orders this node's deliveries.
      if (this.router === null) return this.deny(Status.NO_ROUTE);
      return this.router.send_remote(pid, channel, m);
    }
    if ((flags & IpcFlags.GRANT) !== 0) return this.send_grant(pid, channel, m, flags);
    m.cap = 0;
    return this.fastpath.send_channel(pid, channel, m, 0, (flags & IpcFlags.STAGE) !== 0);
  }

  private send_grant(pid: number, channel: number, m: Message, flags: number): number {
    const dst = this.channels.dst_pid(channel);
    let copy = -1;
    this.lock();
    try {
      const granted = this.caps.validate_channel(pid, m.cap, Rights.GRANT);
      if (granted < 0) return this.deny(granted);
      const source = this.caps.found;
      copy = this.caps.claim(
        dst,
        CapKind.CHANNEL,
        this.caps.rights(source),
        granted,
        this.caps.target_gen(source),
        this.caps.badge(source),
      );
      if (copy < 0) return this.deny(Status.TABLE_FULL);
      this.caps.adopt(source, copy);
    } finally {
      this.unlock();
    }
    m.cap = this.caps.handle_of(copy);
    const status = this.fastpath.send_channel(pid, channel, m, SlotFlags.GRANT, (flags & IpcFlags.STAGE) !== 0);
    if (status !== Status.OK) {
      this.lock();
      this.caps.delete(copy); // The receiver never learns of it: take it back.
      this.unlock();
    }
    return status;
  }

  /**
   * Receives the next message for `pid` into `m` (see `Fastpath.recv`): notifications first,
   * then messages in per-channel order. `pid` must have called `listen`.
   */
  recv(pid: number, m: Message, flags: number = IpcFlags.NONE, timeout_ms: number = RECV_TIMEOUT_MS_DEFAULT): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    if (!is_listening(this.memory, pid)) return this.deny(Status.NOT_LISTENING);
    return this.fastpath.recv(pid, m, flags, timeout_ms);
  }

  /** Like `recv` without blocking the thread (main thread, browser page, shared cores). */
  recv_async(pid: number, m: Message, timeout_ms: number = RECV_TIMEOUT_MS_DEFAULT): Promise<number> {
    if (!this.listening(pid))
      return Promise.resolve(this.deny(this.valid_pid(pid) ? Status.NOT_LISTENING : Status.BAD_PID));
    return this.fastpath.recv_async(pid, m, timeout_ms);
  }

  /**
   * Signals the receiver of `pid`'s capability `cap`: ORs `bits` (default: the capability's
   * badge) into its notification word and wakes it. Never blocks, never allocates; several
   * notifications before the receiver looks coalesce into one, which it receives before any
   * ordinary message (`m.flags & SlotFlags.NOTIFY`, the bits in `m.badge`). On a channel to
   * another node the bits travel to that node and coalesce there.
   */
  notify(pid: number, cap: number, bits = 0): number {
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    const value = bits !== 0 ? bits : this.caps.found_badge;
    if (value === 0 || (value | 0) !== value) return this.deny(Status.BAD_ARGUMENT);
    let status: number;
    if (this.channels.is_remote(channel)) {
      if (this.router === null) return this.deny(Status.NO_ROUTE);
      status = this.router.notify_remote(pid, channel, value);
    } else {
      status = signal(this.memory, this.fastpath.doorbells, this.channels.dst_pid(channel), value);
      if (status !== Status.OK) return this.deny(status);
    }
    if (status === Status.OK) this.fastpath.note(C_NOTIFIES_SENT, 1);
    return status;
  }

  // ---------------------------------------------------------------------------------------------
  // call / reply (MINIX sendrec).

  /**
   * Sends `m` with `pid`'s capability `cap` and waits for the reply, into `reply` (MINIX
   * `sendrec`). The receiver gets a one-shot reply capability in `m.cap` (with `SlotFlags.CALL`
   * set) and answers with `reply`. Returns OK, DEAD_PEER if the callee exits (or has exited)
   * before replying, TIMEOUT after `timeout_ms`, or the send's failure. On a channel to another
   * node the call crosses the network and so does its reply; DEAD_PEER then also means the
   * session to that node was lost, and the other node's refusal (NOT_LISTENING, NOT_BOUND,
   * TABLE_FULL, TOO_BIG) comes back as the call's status.
   */
  call(pid: number, cap: number, m: Message, reply: Message, timeout_ms: number = CALL_TIMEOUT_MS_DEFAULT): number {
    const pending = this.start_call(pid, cap, m, timeout_ms);
    if (pending < 0) return pending;
    return this.finish_call(pid, pending, reply, this.fastpath.wait_reply(pid, reply, timeout_ms));
  }

  /** Like `call` without blocking the thread. */
  async call_async(
    pid: number,
    cap: number,
    m: Message,
    reply: Message,
    timeout_ms: number = CALL_TIMEOUT_MS_DEFAULT,
  ): Promise<number> {
    const pending = this.start_call(pid, cap, m, timeout_ms);
    if (pending < 0) return pending;
    return this.finish_call(pid, pending, reply, await this.fastpath.wait_reply_async(pid, reply, timeout_ms));
  }

  /**
   * Sends the call. Returns the pending call (for a local call, the reply capability's global
   * index and its generation, packed as `global * 2^23 + generation`; `PENDING_REMOTE` for a
   * remote one) or a failure status.
   */
  private start_call(pid: number, cap: number, m: Message, timeout_ms: number): number {
    if (!(timeout_ms >= 0 && timeout_ms <= RECV_TIMEOUT_MS_MAX)) return this.deny(Status.BAD_ARGUMENT);
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    const badge = this.caps.found_badge;
    if (this.channels.is_remote(channel)) return this.start_remote_call(pid, channel, badge, m);
    const dst = this.channels.dst_pid(channel);
    if (has_exited(this.memory, dst)) return this.dead_peer();
    const call_seq = begin_call(this.memory, pid);
    const reply_cap = this.caps.claim(dst, CapKind.REPLY, 0, pid, call_seq, badge);
    if (reply_cap < 0) {
      abandon_call(this.memory, pid, call_seq);
      return this.deny(Status.TABLE_FULL);
    }
    const handle = this.caps.handle_of(reply_cap);
    const pending = reply_cap * PENDING_GENERATION_SPAN + cap_handle_generation(handle);
    // The callee may have exited while we claimed: its exit scan, which runs after it marks
    // itself exited, then either sees our capability and fails us, or we see the mark here.
    if (has_exited(this.memory, dst)) {
      this.abandon(pid, pending, call_seq);
      return this.dead_peer();
    }
    m.badge = badge;
    m.cap = handle;
    const status = this.fastpath.send_channel(pid, channel, m, SlotFlags.CALL, false);
    if (status !== Status.OK) {
      this.abandon(pid, pending, call_seq);
      return status;
    }
    this.fastpath.note(C_CALLS, 1);
    return pending;
  }

  /** A call on a channel to another node: the request goes through the router. */
  private start_remote_call(pid: number, channel: number, badge: number, m: Message): number {
    if (this.router === null) return this.deny(Status.NO_ROUTE);
    const call_seq = begin_call(this.memory, pid);
    m.badge = badge;
    const status = this.router.call_remote(pid, channel, call_seq, m);
    if (status !== Status.OK) {
      abandon_call(this.memory, pid, call_seq);
      return status;
    }
    this.fastpath.note(C_CALLS, 1);
    return PENDING_REMOTE;
  }

  private finish_call(pid: number, pending: number, reply: Message, status: number): number {
    if (status === Status.TIMEOUT || status === Status.CLOSED) {
      if (this.abandon(pid, pending, current_call(this.memory, pid))) return status;
      // The reply (or the callee's death) landed as we gave up: it is the outcome. A replier
      // caught mid-write finishes within a few stores, so a short wait covers it.
      status = this.fastpath.try_take_reply(pid, reply);
      if (status === Status.WOULD_BLOCK) status = this.fastpath.wait_reply(pid, reply, LATE_REPLY_WAIT_MS);
    }
    if (status === Status.DEAD_PEER) return this.dead_peer();
    return status;
  }

  /**
   * Stops waiting for call `call_seq` and frees its local reply capability if it is still the
   * one the call claimed. Returns false if the call already completed (a reply or DEAD_PEER
   * landed).
   */
  private abandon(pid: number, pending: number, call_seq: number): boolean {
    const abandoned = abandon_call(this.memory, pid, call_seq);
    if (pending !== PENDING_REMOTE) {
      this.caps.free_if(Math.floor(pending / PENDING_GENERATION_SPAN), pending % PENDING_GENERATION_SPAN);
    }
    return abandoned;
  }

  private dead_peer(): number {
    this.fastpath.note(C_DEAD_PEER, 1);
    return Status.DEAD_PEER;
  }

  /**
   * Answers a call: `pid` uses the reply capability `reply_cap` it received in a call's `m.cap`
   * (a call from this node or from another). The capability is consumed: a second reply fails
   * with NO_CAP. NOT_WAITING if a local caller gave up (timed out) meanwhile; a remote caller
   * that gave up is told by its own node, which drops the late reply and counts it.
   */
  reply(pid: number, reply_cap: number, m: Message): number {
    // A reply travels in the caller's reply slot: inline only, as the slot holds no descriptor.
    if (m.block_offset !== 0 || m.length >>> 0 > SLOT_PAYLOAD_BYTES_MAX || (m.length | 0) !== m.length)
      return this.deny(Status.TOO_BIG);
    const global = this.caps.validate_reply(pid, reply_cap);
    if (global < 0) return this.deny(global);
    const target = this.caps.target(global);
    const target_gen = this.caps.target_gen(global);
    const generation = cap_handle_generation(reply_cap);
    m.src_pid = pid;
    m.cap = 0;
    if (this.caps.kind(global) === CapKind.REMOTE_REPLY)
      return this.reply_remote(pid, global, generation, target, target_gen, m);
    if (!this.caps.free_if(global, generation)) return this.deny(Status.NO_CAP);
    m.dst_pid = target;
    const status = deliver_reply(
      this.memory,
      this.fastpath.doorbells,
      target,
      target_gen,
      m,
      (m.flags & SlotFlags.USER_MASK) | SlotFlags.REPLY,
    );
    if (status !== Status.OK) return this.deny(status);
    this.fastpath.note(C_REPLIES, 1);
    return Status.OK;
  }

  /**
   * Answers a call from another node: the capability becomes REMOTE_ANSWERED (so a second reply,
   * or the callee's exit, finds it used up) and the reply goes to the router, whose network
   * server sends it and frees the capability. If the router refuses it (back-pressure), the
   * capability is the replier's again and the reply may be retried.
   */
  private reply_remote(
    pid: number,
    global: number,
    generation: number,
    slot: number,
    slot_gen: number,
    m: Message,
  ): number {
    if (this.router === null) return this.deny(Status.NO_ROUTE);
    if (!this.caps.transition(global, generation, CapKind.REMOTE_REPLY, CapKind.REMOTE_ANSWERED))
      return this.deny(Status.NO_CAP);
    const status = this.router.reply_remote(pid, slot, slot_gen, m);
    if (status !== Status.OK) {
      this.caps.transition(global, generation, CapKind.REMOTE_ANSWERED, CapKind.REMOTE_REPLY);
      return status;
    }
    this.fastpath.note(C_REPLIES, 1);
    return Status.OK;
  }

  // ---------------------------------------------------------------------------------------------
  // Capabilities (control plane).

  /**
   * Makes a new capability in `pid`'s table from its capability `cap`, with `rights` (a subset
   * of `cap`'s; NO_RIGHT otherwise) and, if `cap` is unbadged, `badge` (seL4's mint). Revoking
   * `cap` later revokes the new one too.
   */
  derive(pid: number, cap: number, rights: number, badge?: number): number {
    if ((rights & ~Rights.ALL) !== 0 || (rights | 0) !== rights) return this.deny(Status.BAD_ARGUMENT);
    this.lock();
    try {
      const channel = this.caps.validate_channel(pid, cap, 0);
      if (channel < 0) return this.deny(channel);
      const source = this.caps.found;
      if ((rights & ~this.caps.rights(source)) !== 0) return this.deny(Status.NO_RIGHT);
      const old_badge = this.caps.badge(source);
      let new_badge = old_badge;
      if (badge !== undefined && badge !== old_badge) {
        if (old_badge !== 0 || (badge | 0) !== badge) return this.deny(Status.BAD_ARGUMENT);
        new_badge = badge;
      }
      const copy = this.caps.claim(pid, CapKind.CHANNEL, rights, channel, this.caps.target_gen(source), new_badge);
      if (copy < 0) return this.deny(Status.TABLE_FULL);
      this.caps.adopt(source, copy);
      return this.caps.handle_of(copy);
    } finally {
      this.unlock();
    }
  }

  /**
   * Revokes `pid`'s capability `cap` and everything derived from it, in every table it was
   * granted to. Reply capabilities among them fail their callers with DEAD_PEER.
   */
  revoke(pid: number, cap: number): number {
    this.lock();
    try {
      const global = this.caps.resolve(pid, cap);
      if (global < 0) return this.deny(Status.NO_CAP);
      if (this.orphan(global)) return Status.OK;
      this.caps.revoke(global, this.walk_stack(), (g) => this.fail_reply(g));
      return Status.OK;
    } finally {
      this.unlock();
    }
  }

  /** Deletes `pid`'s capability `cap` alone; what was derived from it survives. */
  delete_cap(pid: number, cap: number): number {
    this.lock();
    try {
      const global = this.caps.resolve(pid, cap);
      if (global < 0) return this.deny(Status.NO_CAP);
      if (this.orphan(global)) return Status.OK;
      this.fail_reply(global);
      this.caps.delete(global);
      return Status.OK;
    } finally {
      this.unlock();
    }
  }

  /** Under the lock: a local reply capability `global` goes unanswered: its caller gets DEAD_PEER. */
  private fail_reply(global: number): void {
    if (this.caps.kind(global) === CapKind.REPLY) {
      fail_caller(this.memory, this.fastpath.doorbells, this.caps.target(global), this.caps.target_gen(global));
    }
  }

  /**
   * Under the lock: if `global` is a remote reply capability, orphans it (the network server
   * answers its caller with DEAD_PEER and frees it) and returns true; the caller does nothing
   * more with it. False for any other capability.
   */
  private orphan(global: number): boolean {
    const kind = this.caps.kind(global);
    if (kind !== CapKind.REMOTE_REPLY && kind !== CapKind.REMOTE_ANSWERED && kind !== CapKind.REMOTE_ORPHANED)
      return false;
    if (this.caps.transition(global, this.caps.generation(global), CapKind.REMOTE_REPLY, CapKind.REMOTE_ORPHANED))
      this.orphans++;
    return true;
  }

  /** `pid`'s capability `cap` as plain data, or null. */
  cap_info(pid: number, cap: number): CapInfo | null {
    const global = this.caps.resolve(pid, cap);
    return global < 0 ? null : this.caps.info(global);
  }

  /** Every capability `pid` holds, with its handle (allocates; for tools). */
  cap_list(pid: number): (CapInfo & { handle: number })[] {
    const out: (CapInfo & { handle: number })[] = [];
    if (!this.valid_pid(pid)) return out;
    for (let slot = 0; slot < this.caps.caps_per_pid; slot++) {
      const global = pid * this.caps.caps_per_pid + slot;
      const info = this.caps.info(global);
      if (info !== null) out.push({ ...info, handle: this.caps.handle_of(global) });
    }
    return out;
  }

  /** A snapshot of the node's counters. */
  stats(): FastpathStats {
    return fastpath_stats(this.memory);
  }
}
