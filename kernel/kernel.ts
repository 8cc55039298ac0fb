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
import { lock, unlock } from './control_lock.js';
import { ANY_NODE, Fastpath, IpcFlags, LOCAL_NODE, RECV_TIMEOUT_MS_DEFAULT, RECV_TIMEOUT_MS_MAX } from './fastpath.js';
import { Graph } from './graph.js';
import { CAP_SLOT_BITS, CapKind, Rights } from './layout/cap_layout.js';
import {
  CHANNEL_DST_NODE_WORD,
  CHANNEL_DST_PID_WORD,
  CHANNEL_HANDLE_GEN_MASK,
  CHANNEL_INDEX_BITS,
  CHANNEL_INDEX_MASK,
  CHANNEL_KEY_WORD,
  CHANNEL_OWNER_CAP_WORD,
  CHANNEL_SRC_NODE_WORD,
  CHANNEL_SRC_PID_WORD,
  CHANNEL_TAG_WORD,
  CHANNEL_WORDS,
  ChannelState,
  channel_tag,
} from './layout/channel_layout.js';
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
  C_REJECTED_NO_ROUTE,
  C_REJECTED_TABLE_FULL,
  C_REPLIES,
} from './layout/counter_layout.js';
import { NODE_LOCK_WORD } from './layout/node_layout.js';
import { WORD_BYTES } from './layout/cache_line.js';
import {
  PROCESS_CALL_SEQ_WORD,
  PROCESS_FLAGS_WORD,
  PROCESS_WORDS,
  PROCESS_NOTIFY_BITS_WORD,
  PROCESS_REPLY_STATE_WORD,
  ProcessFlags,
  ReplyState,
} from './layout/process_layout.js';
import { SlotFlags } from './layout/slot_layout.js';
import type { Message } from './message.js';
import type { NodeMemory } from './node_memory.js';
import { deliver_reply, fail_caller, listen, process_exit } from './process_table.js';
import { Staging } from './staging.js';
import { fastpath_stats, type FastpathStats } from './stats.js';
import { Status } from './status.js';

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
/** Call numbers wrap at 29 bits (they share a word with a 2-bit state). */
const CALL_SEQ_MASK = 0x1fff_ffff;
/** A pending call packs its reply capability as `global * 2^23 + generation`. */
const PENDING_GENERATION_SPAN = 1 << 23;
/** How long a timed-out call waits for a reply that was being written as it gave up. */
const LATE_REPLY_WAIT_MS = 100;

/**
 * The seam to the network (issue 5): how a message on a channel to another node leaves this
 * node. Without a router such sends fail with NO_ROUTE.
 */
export interface RemoteRouter {
  /** Sends `m` from local `src` on `channel` (whose `dst_node` is remote). Returns a Status. */
  send_remote(
    src: number,
    dst_node: number,
    dst_pid: number,
    channel: number,
    m: Message,
    kernel_flags: number,
  ): number;
}

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

export class Kernel {
  readonly memory: NodeMemory;
  readonly fastpath: Fastpath;
  readonly caps: Caps;
  readonly graph: Graph;
  readonly staging: Staging;
  private readonly i32: Int32Array;
  /** Word index of channel 0's entry and of pid 0's process entry (hot-path arithmetic). */
  private readonly channels_word: number;
  private readonly processes_word: number;
  private readonly pids_max: number;
  private router: RemoteRouter | null = null;
  /** Scratch for revoke and close walks (control plane), allocated on first use. */
  private scratch: Int32Array | null = null;

  constructor(fastpath: Fastpath) {
    this.fastpath = fastpath;
    this.memory = fastpath.memory;
    this.i32 = fastpath.memory.i32;
    this.channels_word = fastpath.memory.layout.channel_table / WORD_BYTES;
    this.processes_word = fastpath.memory.layout.process_table / WORD_BYTES;
    this.pids_max = fastpath.memory.geometry.pids_max;
    this.caps = new Caps(fastpath.memory);
    this.graph = new Graph(fastpath.memory);
    this.staging = new Staging(fastpath.memory, this.graph, fastpath);
  }

  /** Sets (or clears) the route for channels to other nodes. */
  set_router(router: RemoteRouter | null): void {
    this.router = router;
  }

  private deny(status: number): number {
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
    return status;
  }

  private valid_pid(pid: number): boolean {
    return pid >= 0 && pid < this.pids_max && (pid | 0) === pid;
  }

  private lock(): void {
    lock(this.i32, NODE_LOCK_WORD, this.fastpath.env.waiter, this.fastpath.env.clock);
  }

  private unlock(): void {
    unlock(this.i32, NODE_LOCK_WORD, this.fastpath.env.waiter);
  }

  private walk_stack(): Int32Array {
    if (this.scratch === null)
      this.scratch = new Int32Array(this.memory.geometry.pids_max * this.memory.geometry.caps_per_pid + 1);
    return this.scratch;
  }

  // ---------------------------------------------------------------------------------------------
  // Channels and the graph (control plane).

  /** The handle of channel `index` at its current generation. */
  private channel_handle(index: number): number {
    const generation = Atomics.load(this.i32, this.memory.channel_word(index) + CHANNEL_TAG_WORD) >>> 2;
    return ((generation & CHANNEL_HANDLE_GEN_MASK) << CHANNEL_INDEX_BITS) | index;
  }

  /** The channel index an open channel's handle names, or STALE_CHANNEL / NO_CHANNEL. */
  private channel_index(handle: number): number {
    const index = handle & CHANNEL_INDEX_MASK;
    if (!(handle >= 0 && index < this.memory.geometry.channels_max)) return Status.NO_CHANNEL;
    const w = this.memory.channel_word(index);
    if (Atomics.load(this.i32, w + CHANNEL_KEY_WORD) === 0) return Status.NO_CHANNEL;
    const tag = Atomics.load(this.i32, w + CHANNEL_TAG_WORD);
    if ((tag & 3) !== ChannelState.OPEN) return Status.STALE_CHANNEL;
    if (((tag >>> 2) & CHANNEL_HANDLE_GEN_MASK) !== handle >>> CHANNEL_INDEX_BITS) return Status.STALE_CHANNEL;
    return index;
  }

  /**
   * Opens the channel `src` → `dst` on `node` (`LOCAL_NODE` for this node) and returns a
   * capability handle for it in `src`'s table, with `options.rights` (default all) and
   * `options.badge`. If the channel already has a valid owner capability, returns that one.
   * A closed channel is reopened as a new incarnation. A control-plane call: any thread of
   * the node may wire channels for its processes, as an init process would.
   */
  connect(src: number, dst: number, node: number = LOCAL_NODE, options: ConnectOptions = {}): number {
    if (!this.valid_pid(src) || !(dst >= 0 && dst < 32767 && (dst | 0) === dst)) return this.deny(Status.BAD_PID);
    if (node === LOCAL_NODE && !this.valid_pid(dst)) return this.deny(Status.BAD_PID);
    if (!(node >= 0 && (node | 0) === node)) return this.deny(Status.BAD_ARGUMENT);
    const rights = options.rights ?? Rights.ALL;
    const badge = options.badge ?? 0;
    if (!((rights & ~Rights.ALL) === 0 && (rights | 0) === rights && (badge | 0) === badge))
      return this.deny(Status.BAD_ARGUMENT);
    const channel = this.fastpath.channel_of(LOCAL_NODE, node, src, dst);
    if (channel < 0) return this.deny(Status.CHANNEL_TABLE_FULL);
    this.lock();
    try {
      const w = this.memory.channel_word(channel);
      const tag = this.i32[w + CHANNEL_TAG_WORD]!;
      const generation = tag >>> 2;
      if ((tag & 3) !== ChannelState.OPEN)
        Atomics.store(this.i32, w + CHANNEL_TAG_WORD, channel_tag(generation, ChannelState.OPEN));
      const owner = this.i32[w + CHANNEL_OWNER_CAP_WORD]!;
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
      this.i32[w + CHANNEL_OWNER_CAP_WORD] = global;
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
    if (!this.valid_pid(src) || !(dst >= 0 && dst < 32767 && (dst | 0) === dst)) return this.deny(Status.BAD_PID);
    const index = this.fastpath.find_channel(LOCAL_NODE, node, src, dst);
    if (index < 0) return Status.NO_CHANNEL;
    if ((Atomics.load(this.i32, this.memory.channel_word(index) + CHANNEL_TAG_WORD) & 3) !== ChannelState.OPEN)
      return Status.NO_CHANNEL;
    return this.channel_handle(index);
  }

  /** The handle of the channel `pid`'s capability `cap` names (NO_CAP, STALE_CHANNEL if none). */
  channel_of(pid: number, cap: number): number {
    const channel = this.caps.validate_channel(pid, cap, 0);
    if (channel < 0) return this.deny(channel);
    return this.channel_handle(channel);
  }

  /** The channel a handle names, as plain data, or null if the handle is stale. */
  channel_info(handle: number): ChannelInfo | null {
    const index = this.channel_index(handle);
    if (index < 0) return null;
    const w = this.memory.channel_word(index);
    return {
      handle,
      src_node: this.i32[w + CHANNEL_SRC_NODE_WORD]!,
      dst_node: this.i32[w + CHANNEL_DST_NODE_WORD]!,
      src_pid: this.i32[w + CHANNEL_SRC_PID_WORD]!,
      dst_pid: this.i32[w + CHANNEL_DST_PID_WORD]!,
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
    this.lock();
    try {
      const p = this.channel_index(parent);
      if (p < 0) return this.deny(p);
      const c = this.channel_index(child);
      if (c < 0) return this.deny(c);
      const status = this.graph.add_edge(p, c);
      return status === Status.OK ? status : this.deny(status);
    } finally {
      this.unlock();
    }
  }

  /** Removes the edge parent → child. OK whether or not it existed. */
  remove_dep(parent: number, child: number): number {
    this.lock();
    try {
      const p = this.channel_index(parent);
      if (p < 0) return this.deny(p);
      const c = this.channel_index(child);
      if (c < 0) return this.deny(c);
      this.graph.remove_edge(p, c);
      this.staging.release_from(c); // It may have been the child's last blocker.
      return Status.OK;
    } finally {
      this.unlock();
    }
  }

  /**
   * Submits everything staged on `channel` so far: released into the receiver's queues as soon
   * as every channel it depends on has released what it had staged by now (at once if so).
   */
  submit(channel: number): number {
    this.lock();
    try {
      const c = this.channel_index(channel);
      if (c < 0) return this.deny(c);
      this.staging.submit(c);
      return Status.OK;
    } finally {
      this.unlock();
    }
  }

  /**
   * Closes `channel`: drops its staged messages (counted), removes its edges (its children stop
   * waiting for it), and makes every capability and handle of it stale. Messages already
   * delivered to the receiver's rings are still received.
   */
  close(channel: number): number {
    this.lock();
    try {
      const c = this.channel_index(channel);
      if (c < 0) return this.deny(c);
      const w = this.memory.channel_word(c);
      this.staging.drop(c);
      const children = this.graph.work_stack();
      const count = this.graph.remove_all(c, children);
      const generation = this.i32[w + CHANNEL_TAG_WORD]! >>> 2;
      Atomics.store(this.i32, w + CHANNEL_TAG_WORD, channel_tag(generation + 1, ChannelState.CLOSED));
      this.i32[w + CHANNEL_OWNER_CAP_WORD] = -1;
      const released = children.slice(0, count);
      for (const child of released) this.staging.release_from(child);
      return Status.OK;
    } finally {
      this.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Processes.

  /** Lets `pid` receive (the spec's `lattice_listen`). */
  listen(pid: number): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    listen(this.memory, pid);
    return Status.OK;
  }

  /** Whether `pid` may receive. */
  listening(pid: number): boolean {
    if (!this.valid_pid(pid)) return false;
    return (this.i32[this.processes_word + pid * PROCESS_WORDS + PROCESS_FLAGS_WORD]! & ProcessFlags.LISTENING) !== 0;
  }

  /**
   * Ends `pid`: it may no longer receive, its capabilities are deleted, and every `call` waiting
   * on a reply it owes fails with DEAD_PEER. The host calls this when a process returns.
   */
  exit(pid: number): number {
    if (!this.valid_pid(pid)) return this.deny(Status.BAD_PID);
    process_exit(this.memory, this.fastpath.env.waiter, this.fastpath.env.clock, pid);
    return Status.OK;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages (the hot path: result codes, no allocation).

  /**
   * Sends `m` from `pid` with `pid`'s capability `cap` (which needs `Rights.SEND`). The receiver
   * sees the capability's badge in `m.badge`. Flags: `IpcFlags.STAGE` holds the message until
   * the channel is submitted; `IpcFlags.GRANT` gives the receiver a copy of `pid`'s capability
   * `m.cap` (which needs `Rights.GRANT`), and the receiver finds its own handle in `m.cap`.
   */
  send(pid: number, cap: number, m: Message, flags: number = IpcFlags.NONE): number {
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    m.badge = this.caps.found_badge;
    if ((flags & IpcFlags.GRANT) !== 0) return this.send_grant(pid, channel, m, flags);
    m.cap = 0;
    const status = this.fastpath.send_channel(pid, channel, m, 0, (flags & IpcFlags.STAGE) !== 0);
    if (status !== Status.NO_ROUTE) return status;
    return this.send_remote(pid, channel, m, 0);
  }

  /** A send on a channel to another node: through the router, or NO_ROUTE. */
  private send_remote(pid: number, channel: number, m: Message, kernel_flags: number): number {
    if (this.router === null) return this.deny(Status.NO_ROUTE);
    const w = this.channels_word + channel * CHANNEL_WORDS;
    return this.router.send_remote(
      pid,
      this.i32[w + CHANNEL_DST_NODE_WORD]!,
      this.i32[w + CHANNEL_DST_PID_WORD]!,
      channel,
      m,
      kernel_flags,
    );
  }

  private send_grant(pid: number, channel: number, m: Message, flags: number): number {
    const w = this.memory.channel_word(channel);
    if (this.i32[w + CHANNEL_DST_NODE_WORD] !== LOCAL_NODE) return this.deny(Status.NO_ROUTE); // Capabilities do not cross nodes.
    const dst = this.i32[w + CHANNEL_DST_PID_WORD]!;
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
    if (!(pid >= 0 && pid < this.pids_max && (pid | 0) === pid)) return this.deny(Status.BAD_PID);
    if ((this.i32[this.processes_word + pid * PROCESS_WORDS + PROCESS_FLAGS_WORD]! & ProcessFlags.LISTENING) === 0) {
      return this.deny(Status.NOT_LISTENING);
    }
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
   * ordinary message (`m.flags & SlotFlags.NOTIFY`, the bits in `m.badge`).
   */
  notify(pid: number, cap: number, bits = 0): number {
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    const value = bits !== 0 ? bits : this.caps.found_badge;
    if (value === 0 || (value | 0) !== value) return this.deny(Status.BAD_ARGUMENT);
    const w = this.memory.channel_word(channel);
    if (this.i32[w + CHANNEL_DST_NODE_WORD] !== LOCAL_NODE) return this.deny(Status.NO_ROUTE);
    const dst = this.i32[w + CHANNEL_DST_PID_WORD]!;
    const dst_core = this.memory.core_of(dst);
    if (dst_core < 0) return this.deny(Status.NOT_BOUND);
    Atomics.or(this.i32, this.memory.process_word(dst) + PROCESS_NOTIFY_BITS_WORD, value);
    this.fastpath.ring_doorbell(dst_core);
    this.fastpath.note(C_NOTIFIES_SENT, 1);
    return Status.OK;
  }

  // ---------------------------------------------------------------------------------------------
  // call / reply (MINIX sendrec).

  /**
   * Sends `m` with `pid`'s capability `cap` and waits for the reply, into `reply` (MINIX
   * `sendrec`). The receiver gets a one-shot reply capability in `m.cap` (with `SlotFlags.CALL`
   * set) and answers with `reply`. Returns OK, DEAD_PEER if the callee exits (or has exited)
   * before replying, TIMEOUT after `timeout_ms`, or the send's failure.
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
   * Sends the call. Returns the pending call (the reply capability's global index and its
   * generation, packed as `global * 2^23 + generation`) or a failure status.
   */
  private start_call(pid: number, cap: number, m: Message, timeout_ms: number): number {
    if (!(timeout_ms >= 0 && timeout_ms <= RECV_TIMEOUT_MS_MAX)) return this.deny(Status.BAD_ARGUMENT);
    const channel = this.caps.validate_channel(pid, cap, Rights.SEND);
    if (channel < 0) return this.deny(channel);
    const badge = this.caps.found_badge;
    const w = this.memory.channel_word(channel);
    if (this.i32[w + CHANNEL_DST_NODE_WORD] !== LOCAL_NODE) return this.deny(Status.NO_ROUTE);
    const dst = this.i32[w + CHANNEL_DST_PID_WORD]!;
    const dst_flags = this.memory.process_word(dst) + PROCESS_FLAGS_WORD;
    if ((Atomics.load(this.i32, dst_flags) & ProcessFlags.EXITED) !== 0) return this.dead_peer();
    const entry = this.memory.process_word(pid);
    const call_seq = (this.i32[entry + PROCESS_CALL_SEQ_WORD]! + 1) & CALL_SEQ_MASK;
    this.i32[entry + PROCESS_CALL_SEQ_WORD] = call_seq;
    Atomics.store(this.i32, entry + PROCESS_REPLY_STATE_WORD, (call_seq << 2) | ReplyState.WAITING);
    const reply_cap = this.caps.claim(dst, CapKind.REPLY, 0, pid, call_seq, badge);
    if (reply_cap < 0) {
      Atomics.store(this.i32, entry + PROCESS_REPLY_STATE_WORD, (call_seq << 2) | ReplyState.IDLE);
      return this.deny(Status.TABLE_FULL);
    }
    const handle = this.caps.handle_of(reply_cap);
    const pending = reply_cap * PENDING_GENERATION_SPAN + (handle >>> CAP_SLOT_BITS);
    // The callee may have exited while we claimed: its exit scan, which runs after it marks
    // itself exited, then either sees our capability and fails us, or we see the mark here.
    if ((Atomics.load(this.i32, dst_flags) & ProcessFlags.EXITED) !== 0) {
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

  private finish_call(pid: number, pending: number, reply: Message, status: number): number {
    if (status === Status.TIMEOUT || status === Status.CLOSED) {
      const call_seq = this.i32[this.memory.process_word(pid) + PROCESS_CALL_SEQ_WORD]!;
      if (this.abandon(pid, pending, call_seq)) return status;
      // The reply (or the callee's death) landed as we gave up: it is the outcome. A replier
      // caught mid-write finishes within a few stores, so a short wait covers it.
      status = this.fastpath.try_take_reply(pid, reply);
      if (status === Status.WOULD_BLOCK) status = this.fastpath.wait_reply(pid, reply, LATE_REPLY_WAIT_MS);
    }
    if (status === Status.DEAD_PEER) return this.dead_peer();
    return status;
  }

  /**
   * Stops waiting for call `call_seq` and frees its reply capability if it is still the one the
   * call claimed. Returns false if the call already completed (a reply or DEAD_PEER landed).
   */
  private abandon(pid: number, pending: number, call_seq: number): boolean {
    const entry = this.memory.process_word(pid);
    const waiting = (call_seq << 2) | ReplyState.WAITING;
    const abandoned =
      Atomics.compareExchange(
        this.i32,
        entry + PROCESS_REPLY_STATE_WORD,
        waiting,
        (call_seq << 2) | ReplyState.IDLE,
      ) === waiting;
    this.caps.free_if(Math.floor(pending / PENDING_GENERATION_SPAN), pending % PENDING_GENERATION_SPAN);
    return abandoned;
  }

  private dead_peer(): number {
    this.fastpath.note(C_DEAD_PEER, 1);
    return Status.DEAD_PEER;
  }

  /**
   * Answers a call: `pid` uses the reply capability `reply_cap` it received in a call's `m.cap`.
   * The capability is consumed: a second reply fails with NO_CAP. NOT_WAITING if the caller
   * gave up (timed out) meanwhile.
   */
  reply(pid: number, reply_cap: number, m: Message): number {
    const global = this.caps.validate_reply(pid, reply_cap);
    if (global < 0) return this.deny(global);
    const caller = this.caps.target(global);
    const call_seq = this.caps.target_gen(global);
    if (!this.caps.free_if(global, reply_cap >>> 8)) return this.deny(Status.NO_CAP);
    m.src_pid = pid;
    m.dst_pid = caller;
    m.cap = 0;
    const status = deliver_reply(this.memory, caller, call_seq, m, (m.flags & SlotFlags.USER_MASK) | SlotFlags.REPLY);
    if (status !== Status.OK) return this.deny(status);
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
      this.caps.revoke(global, this.walk_stack(), (g) => {
        if (this.caps.kind(g) === CapKind.REPLY) fail_caller(this.memory, this.caps.target(g), this.caps.target_gen(g));
      });
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
      if (this.caps.kind(global) === CapKind.REPLY)
        fail_caller(this.memory, this.caps.target(global), this.caps.target_gen(global));
      this.caps.delete(global);
      return Status.OK;
    } finally {
      this.unlock();
    }
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
