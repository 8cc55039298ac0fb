/**
 * The network server's state for `call`s that cross nodes, both ends, in fixed-size tables
 * allocated at start-up: nothing a peer sends can grow them.
 *
 * Caller's node (`OutboundCalls`): one entry per local pid, since a pid waits for one call at a
 * time: the node it called and its call number. A REPLY is accepted only from the node the call
 * went to and only for the call number it names, so no third node can answer someone else's
 * call. When the session to a node is lost, every call waiting on it fails with DEAD_PEER.
 *
 * Callee's node (`InboundCalls`): a slot per call being served, `calls_max` at most, each
 * holding who called (node, pid, call number) and the remote reply capability the callee was
 * given. Slots carry a generation, which the capability names, so a slot reused for a later
 * call never takes an earlier call's reply. The server frees the capability itself, by
 * compare-and-swap, once it has sent the reply (REMOTE_ANSWERED) or DEAD_PEER (REMOTE_ORPHANED:
 * the callee exited or its right was revoked); see kernel/layout/cap_layout.ts.
 */
import { assert, assert_range } from '../kernel/assert.js';

/** Calls from other nodes a node serves at once, by default. */
export const INBOUND_CALLS_MAX_DEFAULT = 1024;
/** The most a node may be configured to serve at once. */
export const INBOUND_CALLS_LIMIT = 1 << 16;

/** Caller side: which node each local pid's current call went to. */
export class OutboundCalls {
  /** The node each pid's call went to (0: none), and its call number. */
  private readonly node_of: Int32Array;
  private readonly seq_of: Int32Array;
  /** Calls waiting for a reply. */
  private waiting = 0;

  constructor(pids_max: number) {
    this.node_of = new Int32Array(pids_max);
    this.seq_of = new Int32Array(pids_max);
  }

  /** Records that `pid`'s call `call_seq` went to `node` (replacing any earlier call of `pid`). */
  add(pid: number, node: number, call_seq: number): void {
    assert(node > 0, 'a remote call names a node');
    assert_range(pid, 0, this.node_of.length - 1, 'a remote call from a pid of this node');
    if (this.node_of[pid] === 0) this.waiting++;
    this.node_of[pid] = node;
    this.seq_of[pid] = call_seq;
  }

  /** Whether `pid`'s call `call_seq` went to `node`; removes it if so (its reply has come). */
  take(pid: number, node: number, call_seq: number): boolean {
    if (!(pid >= 0 && pid < this.node_of.length)) return false;
    if (this.node_of[pid] !== node || this.seq_of[pid] !== call_seq) return false;
    this.node_of[pid] = 0;
    this.waiting--;
    return true;
  }

  /** The node `pid`'s current call went to (0: none waits). */
  node_of_call(pid: number): number {
    return pid >= 0 && pid < this.node_of.length ? this.node_of[pid]! : 0;
  }

  /** Calls `each(pid, call_seq)` for every call to `node`, and forgets them. */
  take_all(node: number, each: (pid: number, call_seq: number) => void): void {
    if (this.waiting === 0) return;
    for (let pid = 0; pid < this.node_of.length; pid++) {
      if (this.node_of[pid] !== node) continue;
      this.node_of[pid] = 0;
      this.waiting--;
      each(pid, this.seq_of[pid]!);
    }
  }

  /** Calls waiting for a reply. */
  get size(): number {
    return this.waiting;
  }
}

/** Callee side: the calls from other nodes being served. */
export class InboundCalls {
  readonly calls_max: number;
  private readonly node: Int32Array;
  private readonly pid: Int32Array;
  private readonly call_seq: Int32Array;
  private readonly cap_global: Int32Array;
  private readonly cap_gen: Int32Array;
  /** Each slot's generation (odd while in use, even while free), so a stale slot number is refused. */
  private readonly generation: Int32Array;
  private readonly free: Int32Array;
  private free_top = 0;

  constructor(calls_max: number) {
    assert_range(calls_max, 1, INBOUND_CALLS_LIMIT, 'inbound calls_max');
    this.calls_max = calls_max;
    this.node = new Int32Array(calls_max);
    this.pid = new Int32Array(calls_max);
    this.call_seq = new Int32Array(calls_max);
    this.cap_global = new Int32Array(calls_max);
    this.cap_gen = new Int32Array(calls_max);
    this.generation = new Int32Array(calls_max);
    this.free = new Int32Array(calls_max);
    for (let slot = calls_max - 1; slot >= 0; slot--) this.free[this.free_top++] = slot;
  }

  /** Takes a free slot for call `call_seq` of `pid` on `node`; returns it, or -1 when every slot is in use. */
  open(node: number, pid: number, call_seq: number): number {
    assert(node > 0, 'a call from a node');
    if (this.free_top === 0) return -1;
    const slot = this.free[--this.free_top]!;
    this.generation[slot] = (this.generation[slot]! + 1) & 0x3fff_ffff;
    this.node[slot] = node;
    this.pid[slot] = pid;
    this.call_seq[slot] = call_seq;
    this.cap_global[slot] = -1;
    return slot;
  }

  /** Records the remote reply capability the callee holds for `slot`. */
  set_cap(slot: number, global: number, generation: number): void {
    this.cap_global[slot] = global;
    this.cap_gen[slot] = generation;
  }

  /** Frees `slot`. */
  close(slot: number): void {
    assert(this.live(slot), 'close: the slot is in use');
    this.generation[slot] = (this.generation[slot]! + 1) & 0x3fff_ffff;
    this.free[this.free_top++] = slot;
  }

  /** Whether `slot` is in use. */
  live(slot: number): boolean {
    return (this.generation[slot]! & 1) === 1;
  }

  /** Whether `slot` is in use at `generation` (a capability's reference to it is current). */
  matches(slot: number, generation: number): boolean {
    return slot >= 0 && slot < this.calls_max && this.live(slot) && this.generation[slot] === generation;
  }

  generation_of(slot: number): number {
    return this.generation[slot]!;
  }
  node_of(slot: number): number {
    return this.node[slot]!;
  }
  pid_of(slot: number): number {
    return this.pid[slot]!;
  }
  call_seq_of(slot: number): number {
    return this.call_seq[slot]!;
  }
  cap_of(slot: number): number {
    return this.cap_global[slot]!;
  }
  cap_gen_of(slot: number): number {
    return this.cap_gen[slot]!;
  }

  /** Calls being served. */
  get size(): number {
    return this.calls_max - this.free_top;
  }
}
