/**
 * Message fates: where each tracked message is, so a run accounts for every message exactly.
 *
 * Each message id has one stage at a time:
 *
 *   KERNEL_SRC ── taken ──▶ NET_SRC ── on the wire ──▶ WIRE ── arrives ──▶ NET_DST ── entered ──▶ KERNEL_DST ──▶ DELIVERED
 *        │                    │  ▲                        │                  │                      │
 *        │                    │  └─ a TCP write fails ────┘                  │                      │
 *        └────────────────────┴──────────── DROPPED (reason) ◀───────────────┴──────────────────────┘
 *                                           CRASHED (in a node that crashed)
 *
 * A local message goes from KERNEL_SRC straight to DELIVERED. Stages are moved by the ledger
 * (commit, delivery), by the network layers through their message tap (net/message_tap.ts:
 * taken, entered, and every drop site that destroys a data message), and by the simulated
 * network (on the wire, arrived, lost on the wire). A node that crashes takes with it what was
 * in its network layers, and what was in its kernel unless its memory is kept for a restart.
 *
 * So at the end every id is delivered, dropped for one named reason, lost in a crash, or in
 * flight at a stage of a live node, and `sent = delivered + Σ dropped[reason] + lost_in_crash +
 * in_flight` holds message by message. What makes it a check: the messages said to be in
 * flight in a node's kernel or network layers must be there, by the layers' own counts (ring
 * occupancy; queues and outboxes). A drop site that destroys a message without reporting it
 * leaves the message at its last stage, in flight by the ledger but in no queue: `silent_loss`,
 * naming the message and where and when it was last seen.
 *
 * Sealed packets carry no readable id: the secure channel's tap reports each packet it seals,
 * and `SealedIds` keeps the id by (receiver, session index, sequence number), the packet's
 * clear header, so the network and the receiving node can name what a sealed packet held.
 *
 * Duplicates (a datagram the network doubled, a TCP batch written again) are followed by their
 * copies on the wire: the first copy to arrive moves the message on, a later one is a ghost. A
 * ghost still queued at the end makes the counts exceed the ledger's, never fall short of it,
 * so the check cannot blame a message for it.
 */
import type { MessageTap } from '../net/message_tap.js';
import { RM_DST_PID, remote_payload_at } from '../net/remote_message.js';
import { for_each_frame } from '../net/frame.js';
import { SEALED_RECEIVER, SEALED_SEQ } from '../net/secure/secure_layout.js';
import { FrameType } from '../net/wire_layout.js';
import { grown } from './grow.js';
import { get_u32 } from './payload.js';

/** Bytes of the simulator's payload header (id, channel sequence, check: payload.ts). */
const PAYLOAD_ID_BYTES_MIN = 12;

/** Messages (the first ids) whose whole path is kept for the report's "follow one message". */
export const FOLLOW_MESSAGES_MAX = 2000;

/** One step of a followed message's path. */
export interface PathStep {
  readonly at_ms: number;
  readonly what: string;
}

/** Where a message is (see the diagram above). */
export const Stage = {
  NONE: 0,
  KERNEL_SRC: 1,
  NET_SRC: 2,
  WIRE: 3,
  NET_DST: 4,
  KERNEL_DST: 5,
  DELIVERED: 6,
  DROPPED: 7,
  CRASHED: 8,
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** A path step's words for each stage a message moves to (DROPPED says its reason itself). */
const STEP_OF_STAGE: readonly string[] = [
  'sent again (an earlier send of this id was refused)',
  "in its sender's kernel",
  "taken by its sender's network server",
  'on the wire',
  "arrived at its receiver's network layers",
  "entered its receiver's kernel",
  'delivered',
  '',
  'lost in a crash',
];

const STAGE_WHERE = [
  'never sent',
  "in its sender's kernel",
  "in its sender's network layers",
  'on the wire',
  "in its receiver's network layers",
  "in its receiver's kernel",
  'delivered',
  'dropped',
  'lost in a crash',
] as const;

/** What the fates need from the ledger about an id. */
export interface FateLedger {
  /** The id the next send gets (a tap may see it before the send returns and commits it). */
  readonly next_id_value: number;
  /** Whether `id` was committed (sent). */
  committed(id: number): boolean;
  /** When `id` was committed, virtual µs. */
  sent_at_us(id: number): number;
  /** The nodes and receiving pid of `id`'s channel. */
  src_node_of(id: number): number;
  dst_node_of(id: number): number;
  dst_pid_of(id: number): number;
  /** Whether `id` is a reply to a call (carried by the reply capability). */
  by_reply_of(id: number): boolean;
}

/** The accounting of a run: the equation's terms, by message. */
export interface Accounting {
  readonly sent: number;
  readonly delivered: number;
  /** Messages dropped, by "layer.reason" (each message once, under the first drop that destroyed it). */
  readonly dropped: Record<string, number>;
  readonly dropped_total: number;
  readonly lost_in_crash: number;
  /** Messages still on their way at the end, by where: kernel, network layers, wire. */
  readonly in_flight: { readonly kernel: number; readonly network: number; readonly wire: number };
  readonly in_flight_total: number;
}

/**
 * Ids of the sealed records of one session, by sequence number: a record holds any number of
 * messages, whose ids are reported one after another as it is sealed, so each record's ids lie
 * together in `ids`, from `start[seq]`, `count[seq]` of them (0 for a keepalive or a record
 * with no tracked message).
 */
class SessionIds {
  start = new Int32Array(64);
  count = new Uint16Array(64);
  ids = new Int32Array(64);
  used = 0;
}

/**
 * The ids inside sealed records, by their clear header. Sequence numbers start at 0 and grow by
 * one per record in a session, so each session keeps dense arrays (6 bytes a record, 4 a message).
 */
class SealedIds {
  /** By receiving node, then by the session index it chose. */
  private readonly receivers = new Map<number, Map<number, SessionIds>>();

  /** `id` is one more message of the record whose clear header is `packet` (the messages of a record come in a row). */
  put(receiver: number, packet: Uint8Array, id: number): void {
    let sessions = this.receivers.get(receiver);
    if (sessions === undefined) this.receivers.set(receiver, (sessions = new Map()));
    const index = get_u32(packet, SEALED_RECEIVER);
    let session = sessions.get(index);
    if (session === undefined) sessions.set(index, (session = new SessionIds()));
    const seq = sealed_seq(packet, 0);
    while (seq >= session.start.length) {
      session.start = grown(session.start);
      session.count = grown(session.count);
    }
    // A record's ids come in a row; ids already under this number and not just before are an
    // earlier session's that had the same index (a random u32, reused once retired): replaced.
    if (session.count[seq] !== 0 && session.start[seq]! + session.count[seq]! !== session.used) session.count[seq] = 0;
    if (session.count[seq] === 0) session.start[seq] = session.used;
    if (session.used === session.ids.length) session.ids = grown(session.ids);
    session.ids[session.used++] = id;
    session.count[seq]!++;
  }

  /** Appends to `out` the ids in the sealed record at `bytes[at, at + length)` to `receiver`. */
  get(receiver: number, bytes: Uint8Array, out: number[], at = 0, length = bytes.length - at): void {
    if (length < SEALED_SEQ + 8) return;
    const session = this.receivers.get(receiver)?.get(get_u32(bytes, at + SEALED_RECEIVER));
    if (session === undefined) return;
    const seq = sealed_seq(bytes, at);
    if (seq >= session.start.length) return;
    const first = session.start[seq]!;
    const end = first + session.count[seq]!;
    for (let i = first; i < end; i++) if (session.ids[i]! > 0) out.push(session.ids[i]!);
  }
}

function sealed_seq(bytes: Uint8Array, at: number): number {
  return get_u32(bytes, at + SEALED_SEQ) + get_u32(bytes, at + SEALED_SEQ + 4) * 0x1_0000_0000;
}

export class MessageFates {
  private stage = new Uint8Array(1 << 16);
  /** Drop reason of a DROPPED message (an index into `reasons`). */
  private reason = new Uint16Array(1 << 16);
  /** When the message last changed stage, virtual µs. */
  private seen_us = new Float64Array(1 << 16);
  /** Copies of the message on the wire now. */
  private copies = new Uint8Array(1 << 16);
  private readonly reasons: string[] = [];
  /** The path of each of the first `FOLLOW_MESSAGES_MAX` ids: virtual µs and what happened, in turn. */
  private readonly paths: (number | string)[][] = [];
  private readonly reason_index = new Map<string, number>();
  private readonly sealed_ids = new SealedIds();
  private readonly ledger: FateLedger;
  private readonly clock: { readonly now_us: number };
  /**
   * Sabotage (`faults.sabotage.forget_drop`): draws which drop reports of the network layers
   * (driver, secure channel, server; not the simulated wire) are ignored, as a drop site there
   * that forgets the message would.
   */
  forget_drop: { readonly chance: (p: number) => boolean; readonly p: number } | null = null;
  /** Told of each message dropped: where (the node that held it, or its sender's for the wire), and why. */
  on_lost: ((id: number, node: number, reason: string) => void) | null = null;

  constructor(ledger: FateLedger, clock: { readonly now_us: number }) {
    this.ledger = ledger;
    this.clock = clock;
  }

  /** Makes room for ids below `ids`. */
  reserve(ids: number): void {
    while (ids > this.stage.length) {
      this.stage = grown(this.stage);
      this.reason = grown(this.reason);
      this.seen_us = grown(this.seen_us);
      this.copies = grown(this.copies);
    }
  }

  stage_of(id: number): Stage {
    return this.stage[id] as Stage;
  }

  private move(id: number, stage: Stage, what = STEP_OF_STAGE[stage]!): void {
    this.stage[id] = stage;
    this.seen_us[id] = this.clock.now_us;
    if (id <= FOLLOW_MESSAGES_MAX && what !== '') this.step(id, what);
  }

  /** Adds a step to a followed message's path (ids up to `FOLLOW_MESSAGES_MAX`). */
  private step(id: number, what: string): void {
    let path = this.paths[id];
    if (path === undefined) this.paths[id] = path = [];
    path.push(this.clock.now_us, what);
  }

  /** The path of followed message `id` (empty past `FOLLOW_MESSAGES_MAX`). */
  path_of(id: number): PathStep[] {
    const path = this.paths[id] ?? [];
    const out: PathStep[] = [];
    for (let i = 0; i < path.length; i += 2)
      out.push({ at_ms: Math.round(path[i] as number) / 1000, what: path[i + 1] as string });
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // From the ledger.

  /** `id` is about to be sent: no stage yet (a send that failed may have left one on this id). */
  begin(id: number): void {
    if (id >= this.stage.length) this.reserve(id + 1);
    if (this.stage[id] !== Stage.NONE) this.stage[id] = Stage.NONE;
    if (this.copies[id] !== 0) this.copies[id] = 0;
  }

  /** `id` was committed: it is in its sender's kernel, unless a tap already saw it leave (a send from the network core). */
  committed(id: number): void {
    if (id >= this.stage.length) this.reserve(id + 1);
    // Its time is the send's, which the ledger keeps (`where` reads it there).
    const s = this.stage[id];
    if (s === Stage.NONE) this.stage[id] = Stage.KERNEL_SRC;
    // Dropped while the send was being made (from the network core): traced now it counts.
    else if (s === Stage.DROPPED && this.on_lost !== null)
      this.on_lost(id, this.ledger.src_node_of(id), this.reasons[this.reason[id]!]!);
  }

  /** A send the ledger took back (it never left). */
  uncommitted(id: number): void {
    this.stage[id] = Stage.NONE;
  }

  delivered(id: number): void {
    this.stage[id] = Stage.DELIVERED; // Its time is the ledger's (the delivery is final).
  }

  // -------------------------------------------------------------------------------------------
  // From the network layers' taps and the simulated network.

  /**
   * The tracked message a remote message (header and payload, `bytes[at, at + length)`)
   * carries: its id, or 0 for none (a notification, a refusal, a keepalive, bytes that do not
   * name a message sent to that pid).
   */
  id_of(bytes: Uint8Array, at = 0, length = bytes.length - at): number {
    const payload = remote_payload_at(bytes, at, length);
    if (payload < 0 || at + length - payload < PAYLOAD_ID_BYTES_MIN) return 0;
    const id = get_u32(bytes, payload);
    const ledger = this.ledger;
    const next = ledger.next_id_value;
    if (id === next) {
      this.reserve(id + 1);
      return id; // Being sent now, from the network core: the tap sees it before the commit.
    }
    if (id <= 0 || id > next || !ledger.committed(id)) return 0;
    return ledger.dst_pid_of(id) === get_u32(bytes, at + RM_DST_PID) ? id : 0;
  }

  /**
   * As `id_of`, for bytes a node made itself (what its server took from its kernel, a frame as it
   * goes on the wire): no check that they name a message sent to that pid, which only bytes
   * from the network need.
   */
  own_id(bytes: Uint8Array, at = 0, length = bytes.length - at): number {
    const payload = remote_payload_at(bytes, at, length);
    if (payload < 0 || at + length - payload < PAYLOAD_ID_BYTES_MIN) return 0;
    const id = get_u32(bytes, payload);
    if (id <= 0 || id > this.ledger.next_id_value) return 0;
    if (id >= this.stage.length) this.reserve(id + 1);
    return id;
  }

  /**
   * Appends to `out` the ids inside one frame's payload, `bytes[at, at + length)` of `type`, that
   * its sender sends to `receiver`: a DATA frame's one, a sealed record's each.
   */
  frame_ids(type: number, bytes: Uint8Array, at: number, length: number, receiver: number, out: number[]): void {
    if (type === FrameType.DATA) {
      const id = this.own_id(bytes, at, length);
      if (id > 0) out.push(id);
    } else if (type === FrameType.SEALED) this.sealed_ids.get(receiver, bytes, out, at, length);
  }

  /** Calls `fn` with the id of every data message in `frames` (whole frames) to `receiver`. */
  frames_ids(frames: Uint8Array, receiver: number, fn: (id: number) => void): void {
    const ids: number[] = [];
    for_each_frame(frames, (type, at, length) => this.frame_ids(type, frames, at, length, receiver, ids));
    for (const id of ids) fn(id);
  }

  taken(id: number): void {
    const s = this.stage[id];
    if (s === Stage.NONE || s === Stage.KERNEL_SRC) this.move(id, Stage.NET_SRC);
  }

  entered(id: number): void {
    // Only what arrived moves on: a changed copy (its message already lost as `network.corrupted`)
    // may still name a valid id when it enters.
    if (this.stage[id] === Stage.NET_DST) this.move(id, Stage.KERNEL_DST);
  }

  /**
   * Node `node`'s network layers destroyed `id` (`layer`'s drop `reason`): it counts where the
   * message is, on its way out of `node` or in `node`'s network layers on its way in. A copy
   * dropped elsewhere (a duplicate, once the message went on into the kernel) changes nothing.
   */
  lost_at(node: number, id: number, layer: string, reason: string): void {
    const s = this.stage[id];
    const leaving = s === Stage.NONE || s === Stage.KERNEL_SRC || s === Stage.NET_SRC;
    if (
      leaving
        ? s === Stage.NONE || this.ledger.src_node_of(id) === node
        : s === Stage.NET_DST && this.ledger.dst_node_of(id) === node
    )
      this.lost(id, layer, reason);
  }

  /** `id` was destroyed by `layer`'s drop `reason` (the first drop that destroyed it is kept). */
  lost(id: number, layer: string, reason: string): void {
    const s = this.stage[id];
    if (s === Stage.DELIVERED || s === Stage.DROPPED) return;
    if (this.forget_drop !== null && layer !== 'network' && this.forget_drop.chance(this.forget_drop.p)) return;
    const name = `${layer}.${reason}`;
    let index = this.reason_index.get(name);
    if (index === undefined) {
      index = this.reasons.length;
      this.reasons.push(name);
      this.reason_index.set(name, index);
    }
    this.reason[id] = index;
    if (id <= FOLLOW_MESSAGES_MAX) this.step(id, `dropped: ${name}`);
    // A send refused while it is being made (not committed) is a refusal its sender is told of, not a drop.
    if (this.on_lost !== null && this.ledger.committed(id)) {
      const held = this.node_of(id);
      this.on_lost(id, held >= 0 ? held : this.ledger.src_node_of(id), name);
    }
    this.move(id, Stage.DROPPED);
  }

  /** `copies` copies of `id` went on the wire. */
  on_wire(id: number, copies: number): void {
    this.copies[id] = this.copies[id]! + copies;
    const s = this.stage[id];
    if (s === Stage.NONE || s === Stage.KERNEL_SRC || s === Stage.NET_SRC) this.move(id, Stage.WIRE);
    else if (id <= FOLLOW_MESSAGES_MAX) this.step(id, 'on the wire again (a retried write)');
    if (copies > 1 && id <= FOLLOW_MESSAGES_MAX) this.step(id, `${copies} copies on the wire (duplicated)`);
  }

  /** A copy of `id` arrived at its receiver's network layers. */
  arrived(id: number): void {
    this.copies[id] = this.copies[id]! - 1;
    const s = this.stage[id];
    // The first copy moves the message on; a copy of one that already arrived is a ghost. One
    // arriving after an earlier copy was dropped at the receiver is the message's second chance.
    if (s !== Stage.NET_DST && s !== Stage.KERNEL_DST && s !== Stage.DELIVERED) this.move(id, Stage.NET_DST);
  }

  /** A copy of `id` was lost on the wire for `reason`: the message is lost once no copy is left. */
  wire_lost(id: number, reason: string): void {
    this.copies[id] = this.copies[id]! - 1;
    if (this.copies[id] === 0 && this.stage[id] === Stage.WIRE) this.lost(id, 'network', reason);
    else if (id <= FOLLOW_MESSAGES_MAX) this.step(id, `a copy lost on the wire (network.${reason})`);
  }

  /** A TCP write of `id` failed before it arrived: the message is back in its sender's driver, to be retried or failed. */
  wire_returned(id: number): void {
    this.copies[id] = this.copies[id]! - 1;
    if (this.copies[id] === 0 && this.stage[id] === Stage.WIRE)
      this.move(id, Stage.NET_SRC, "its TCP write failed: back in its sender's driver, to be retried or failed");
  }

  /**
   * Node `node` crashed: what was in its network layers is lost, and what was in its kernel
   * too unless the memory is kept for a restart (replies to calls are lost either way: the
   * calls end with the crash). Returns the messages lost.
   */
  crash(node: number, memory_kept: boolean, next_id: number): number {
    let lost = 0;
    const ledger = this.ledger;
    for (let id = 1; id < next_id; id++) {
      const s = this.stage[id]!;
      let here = false;
      if (s === Stage.NET_SRC) here = ledger.src_node_of(id) === node;
      else if (s === Stage.NET_DST) here = ledger.dst_node_of(id) === node;
      // A kept memory keeps its rings for the next incarnation, but not its calls: a reply
      // waiting in a slot answers a call that ended with the crash.
      else if (s === Stage.KERNEL_SRC && (!memory_kept || ledger.by_reply_of(id)))
        here = ledger.src_node_of(id) === node || (ledger.by_reply_of(id) && ledger.dst_node_of(id) === node);
      else if (s === Stage.KERNEL_DST && (!memory_kept || ledger.by_reply_of(id)))
        here = ledger.dst_node_of(id) === node;
      if (here) {
        this.move(id, Stage.CRASHED);
        lost++;
      }
    }
    return lost;
  }

  /** The node whose memory holds `id` at its stage, or -1 on the wire or when it is nowhere. */
  node_of(id: number): number {
    const s = this.stage[id];
    if (s === Stage.KERNEL_SRC || s === Stage.NET_SRC) return this.ledger.src_node_of(id);
    if (s === Stage.NET_DST || s === Stage.KERNEL_DST) return this.ledger.dst_node_of(id);
    return -1;
  }

  /** What became of an undelivered `id`, in words, with when (the report's "follow one message"). */
  fate_of(id: number): string {
    const s = this.stage[id]!;
    const at = `at ${(this.seen_at_us(id) / 1000).toFixed(3)} ms`;
    if (s === Stage.DROPPED) return `dropped ${at}: ${this.reasons[this.reason[id]!]}`;
    if (s === Stage.CRASHED) return `lost in a crash ${at}`;
    return `in flight at the end: ${this.where(id)}`;
  }

  /** When `id` last changed stage, virtual µs (a message still in its sender's kernel: its send). */
  private seen_at_us(id: number): number {
    return this.stage[id] === Stage.KERNEL_SRC ? this.ledger.sent_at_us(id) : this.seen_us[id]!;
  }

  /** Where `id` was last seen, and when, for a violation's message. */
  where(id: number): string {
    const s = this.stage[id]!;
    const node = this.node_of(id);
    return `${STAGE_WHERE[s]}${node >= 0 ? ` (node ${node})` : ''} since ${(this.seen_at_us(id) / 1000).toFixed(3)} ms`;
  }

  /**
   * The end of a run. Messages in the kernel or network layers of a node that is down now are
   * lost with it (a kept memory that never came back). Returns the accounting.
   */
  account(next_id: number, alive: (node: number) => boolean): Accounting {
    const dropped_by = new Array<number>(this.reasons.length).fill(0);
    let sent = 0;
    let delivered = 0;
    let crashed = 0;
    let kernel = 0;
    let network = 0;
    let wire = 0;
    for (let id = 1; id < next_id; id++) {
      let s = this.stage[id]!;
      if (!this.ledger.committed(id)) continue;
      sent++;
      const node = this.node_of(id);
      if (node >= 0 && !alive(node)) {
        this.move(id, Stage.CRASHED);
        s = Stage.CRASHED;
      }
      if (s === Stage.DELIVERED) delivered++;
      else if (s === Stage.DROPPED) dropped_by[this.reason[id]!]!++;
      else if (s === Stage.CRASHED) crashed++;
      else if (s === Stage.WIRE) wire++;
      else if (s === Stage.NET_SRC || s === Stage.NET_DST) network++;
      else kernel++;
    }
    const dropped: Record<string, number> = {};
    this.reasons.forEach((name, i) => {
      if (dropped_by[i]! > 0) dropped[name] = dropped_by[i]!;
    });
    const dropped_total = dropped_by.reduce((a, b) => a + b, 0);
    return {
      sent,
      delivered,
      dropped,
      dropped_total,
      lost_in_crash: crashed,
      in_flight: { kernel, network, wire },
      in_flight_total: kernel + network + wire,
    };
  }

  /** How many messages are in flight in each node's kernel and network layers (one pass over the ids). */
  in_flight_by_node(next_id: number): Map<number, { kernel: number; network: number }> {
    const out = new Map<number, { kernel: number; network: number }>();
    for (let id = 1; id < next_id; id++) {
      const s = this.stage[id];
      const kernel = s === Stage.KERNEL_SRC || s === Stage.KERNEL_DST;
      if (!kernel && s !== Stage.NET_SRC && s !== Stage.NET_DST) continue;
      const node = this.node_of(id);
      let counts = out.get(node);
      if (counts === undefined) out.set(node, (counts = { kernel: 0, network: 0 }));
      if (kernel) counts.kernel++;
      else counts.network++;
    }
    return out;
  }

  /**
   * The ids said to be in flight in `node`'s kernel (`kernel` true) or network layers, oldest
   * stage change first, at most `count_max` (for a violation's message), and how many there are.
   */
  in_flight_at(node: number, kernel: boolean, next_id: number, count_max: number): { count: number; ids: number[] } {
    const ids: number[] = [];
    let count = 0;
    for (let id = 1; id < next_id; id++) {
      const s = this.stage[id];
      const at_kernel = s === Stage.KERNEL_SRC || s === Stage.KERNEL_DST;
      const at_net = s === Stage.NET_SRC || s === Stage.NET_DST;
      if (!(kernel ? at_kernel : at_net) || this.node_of(id) !== node) continue;
      count++;
      ids.push(id);
    }
    ids.sort((a, b) => this.seen_at_us(a) - this.seen_at_us(b));
    return { count, ids: ids.slice(0, count_max) };
  }

  /** Ids on the wire with no copy there (the simulated network lost track of them). */
  wire_without_copies(next_id: number): number {
    for (let id = 1; id < next_id; id++) if (this.stage[id] === Stage.WIRE && this.copies[id] === 0) return id;
    return 0;
  }

  /** The tap of node `node`'s network layers. */
  tap(node: number): MessageTap {
    return new NodeTap(this, node, this.sealed_ids);
  }
}

/** One node's message tap: turns what its layers report into stage changes. */
class NodeTap implements MessageTap {
  private readonly fates: MessageFates;
  private readonly node: number;
  private readonly sealed_ids: SealedIds;

  constructor(fates: MessageFates, node: number, sealed_ids: SealedIds) {
    this.fates = fates;
    this.node = node;
    this.sealed_ids = sealed_ids;
  }

  taken(message: Uint8Array): void {
    const id = this.fates.own_id(message);
    if (id > 0) this.fates.taken(id);
  }

  entered(message: Uint8Array): void {
    const id = this.fates.id_of(message);
    if (id > 0) this.fates.entered(id);
  }

  lost(layer: string, reason: string, message: Uint8Array): void {
    const id = this.fates.id_of(message);
    if (id > 0) this.fates.lost_at(this.node, id, layer, reason);
  }

  lost_frames(layer: string, reason: string, frames: Uint8Array, to: number): void {
    this.fates.frames_ids(frames, to, (id) => this.fates.lost_at(this.node, id, layer, reason));
  }

  lost_sealed(layer: string, reason: string, packet: Uint8Array, _from: number): void {
    const ids: number[] = [];
    this.sealed_ids.get(this.node, packet, ids);
    for (const id of ids) this.fates.lost_at(this.node, id, layer, reason);
  }

  sealed(head: Uint8Array, message: Uint8Array, to: number): void {
    this.sealed_ids.put(to, head, message.length === 0 ? 0 : this.fates.own_id(message));
  }

  lost_record(layer: string, reason: string, head: Uint8Array, to: number): void {
    const ids: number[] = [];
    this.sealed_ids.get(to, head, ids);
    for (const id of ids) this.fates.lost_at(this.node, id, layer, reason);
  }
}

const count = (x: number): string => x.toLocaleString('en-US');

/** The accounting equation with its numbers, for the summary and the report. */
export function accounting_equation(a: Accounting): string {
  const flight = a.in_flight;
  const where =
    a.in_flight_total === 0
      ? ''
      : ` (kernel ${count(flight.kernel)}, network layers ${count(flight.network)}, wire ${count(flight.wire)})`;
  return `sent ${count(a.sent)} = delivered ${count(a.delivered)} + dropped ${count(a.dropped_total)} + lost in crashes ${count(a.lost_in_crash)} + in flight ${count(a.in_flight_total)}${where}`;
}

/** The messages dropped, by "layer.reason", most first (`none` when nothing was dropped). */
export function dropped_by_reason(a: Accounting, separator = '  '): string {
  const entries = Object.entries(a.dropped).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  return entries.length === 0 ? 'none' : entries.map(([name, n]) => `${name} ${count(n)}`).join(separator);
}
