/**
 * The ledger: every tracked message from send to delivery, and the run's invariants.
 *
 * Checked on every delivery:
 * - the payload is intact (payload.ts). On a sealed or local path a changed byte is a violation
 *   ("a tampered byte decrypted"); on a clear network path it is counted (`corrupt_delivered`),
 *   since clear frames check only their header (docs/WIRE.md).
 * - the receiver is the channel's destination, and the message carries the badge of the
 *   capability the sender was granted: nothing arrives without a capability.
 * - per-channel FIFO where the path promises it (local channels, TCP), and at most one delivery
 *   where it promises that (everything but clear UDP, where a datagram may arrive twice).
 * Checked at the end: every message sent was delivered or is covered by a named drop counter.
 *
 * A violation stops the run (`Scheduler.fail`) with a `SimViolation`, which the simulator turns
 * into the seed and the command that replays it.
 */
import { assert } from '../kernel/assert.js';
import type { Message } from '../kernel/message.js';
import { grown } from './grow.js';
import { FOLLOW_MESSAGES_MAX, MessageFates, type Accounting, type PathStep } from './message_fates.js';

export { FOLLOW_MESSAGES_MAX };
import { get_u32, payload_intact } from './payload.js';
import { SimViolation, type Invariant } from './violation.js';

/** How a channel's messages travel, which decides what it promises. */
export type PathKind = 'local' | 'udp' | 'tcp';

export interface ChannelPromise {
  readonly path: PathKind;
  readonly sealed: boolean;
  /** Replies to calls: the kernel's one-shot reply capability carries them, not a badge. */
  readonly by_reply?: boolean;
}

/** Latency classes of the histograms: the tier that carried a local message (L1, L2, L3, spill), or remote. */
export const LATENCY_CLASSES = ['L1', 'L2', 'L3', 'spill', 'remote'] as const;
/** The class index of remote messages in `LATENCY_CLASSES`. */
const CLASS_REMOTE = 4;
/**
 * Fine buckets, for the quantiles of each class, log-linear as an HDR histogram's: 256 buckets
 * 1/256 µs wide below 1 µs, then each octave [2^e, 2^(e+1)) µs split into 256 equal buckets
 * (at most 0.4 % wide: 0.12 µs at 30 µs, fine enough to tell the tiers' transfers apart behind a
 * wake-up), up to 2^31 µs. 8,192 buckets a class.
 */
const FINE_SUB_BUCKETS = 256;
const FINE_OCTAVES = 31;
const FINE_BUCKETS = FINE_SUB_BUCKETS * (FINE_OCTAVES + 1);
/** 2^-e for each octave e, so a bucket costs a multiply, not a logarithm. */
const INVERSE_POWERS = Float64Array.from({ length: FINE_OCTAVES }, (_, e) => 2 ** -e);

/** @internal The fine bucket of a latency (exported for its test). */
export function fine_bucket(latency_us: number): number {
  if (latency_us < 1) return latency_us > 0 ? Math.floor(latency_us * FINE_SUB_BUCKETS) : 0;
  if (latency_us >= 2 ** FINE_OCTAVES) return FINE_BUCKETS - 1;
  const e = 31 - Math.clz32(latency_us); // floor(log2) of the integer part (ToUint32 truncates).
  const sub = Math.floor((latency_us * INVERSE_POWERS[e]! - 1) * FINE_SUB_BUCKETS);
  return FINE_SUB_BUCKETS * (e + 1) + sub;
}

/** The middle of fine bucket `b`, µs. */
export function fine_value(b: number): number {
  const sub = b % FINE_SUB_BUCKETS;
  if (b < FINE_SUB_BUCKETS) return (sub + 0.5) / FINE_SUB_BUCKETS;
  const e = Math.floor(b / FINE_SUB_BUCKETS) - 1;
  return 2 ** e * (1 + (sub + 0.5) / FINE_SUB_BUCKETS);
}

/** Latency figures of one class, µs (quantiles from the fine buckets: within 0.2 %; mean and max exact). */
export interface LatencyStats {
  readonly count: number;
  readonly mean_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly max_us: number;
}
/** Buckets of a latency histogram: bucket b counts latencies in [2^b, 2^(b+1)) µs (b = 0 also holds < 1 µs). */
export const LATENCY_BUCKETS = 32;

interface LedgerChannel {
  readonly src_node: number;
  readonly src_pid: number;
  readonly dst_node: number;
  readonly dst_pid: number;
  badge: number;
  readonly by_reply: boolean;
  readonly fifo: boolean;
  readonly once: boolean;
  last_seq: number;
}

const STATE_SENT = 1;
const META_STATE_MASK = 3;
const META_CRASH_BIT = 4;
const META_CHANNEL_SHIFT = 3;
/** Message records a ledger starts with, at least and at most (it grows past them as needed). */
const RECORDS_START = 1 << 16;
const RECORDS_HINT_MAX = 1 << 22;

/** Channels a ledger records at most (the meta word holds the index in 28 bits). */
export const LEDGER_CHANNELS_MAX = 1 << 28;
/** How many undelivered messages a silent_loss violation names. */
const UNDELIVERED_SHOWN_MAX = 3;
const STATE_DELIVERED = 2;

export class Ledger {
  private readonly channels: LedgerChannel[] = [];
  /** Where each message is (message_fates.ts): the exact accounting. */
  readonly fates: MessageFates;
  /**
   * One record per message id, both words side by side so a delivery reads one cache line:
   * `records[2 id]` the send time (virtual µs), `records[2 id + 1]` the meta word
   * `channel << 3 | crash_hit << 2 | state` (an integer below 2^31).
   */
  private records: Float64Array;
  /** For the first `FOLLOW_MESSAGES_MAX` ids: when each was delivered (µs; -1 not yet) and the tier that carried it. */
  private readonly follow_delivered_us = new Float64Array(FOLLOW_MESSAGES_MAX + 1).fill(-1);
  private readonly follow_tier = new Int8Array(FOLLOW_MESSAGES_MAX + 1);
  /**
   * Each channel's next sequence number, by channel: the sender's side of a channel apart from
   * its record, so a send touches four bytes of a dense array rather than the channel object.
   */
  private next_seqs = new Int32Array(1024);
  private next_id = 1;
  /** Counters a report shows. */
  sent = 0;
  delivered = 0;
  duplicates_delivered = 0;
  corrupt_delivered = 0;
  bytes_delivered = 0;
  /**
   * Fine histograms by class (`LATENCY_CLASSES` order), with each class's latency sum and
   * maximum: `latency_stats` and `latency_histograms` read them.
   */
  private readonly fine: readonly Float64Array[];
  private readonly latency_sum_us = new Float64Array(LATENCY_CLASSES.length);
  private readonly latency_max_us = new Float64Array(LATENCY_CLASSES.length);
  /** Sent and delivered per timeline bucket (`timeline_bucket_us` each). */
  readonly timeline_bucket_us: number;
  readonly timeline_sent: number[] = [];
  readonly timeline_delivered: number[] = [];
  /** Deliveries per timeline bucket by latency class (`LATENCY_CLASSES`: L1, L2, L3 and spill, remote). */
  readonly timeline_by_class: number[][] = LATENCY_CLASSES.map(() => []);
  /** Read for every record (a closure returning a double cost an allocation per call). */
  private readonly clock: { readonly now_us: number };
  private readonly fail: (violation: SimViolation) => void;

  /** Whether remote messages travel sealed (then a changed byte is a violation there too). */
  private readonly sealed_network: boolean;

  /**
   * `messages_hint`: how many messages the run plans to send; the records start that large (up
   * to `RECORDS_HINT_MAX`), so a long run does not copy them as they grow.
   */
  constructor(
    clock: { readonly now_us: number },
    fail: (violation: SimViolation) => void,
    timeline_bucket_us: number,
    sealed_network: boolean,
    messages_hint = 0,
  ) {
    const ids = Math.min(RECORDS_HINT_MAX, Math.max(RECORDS_START, messages_hint + 1));
    this.records = new Float64Array(2 * ids);
    this.sealed_network = sealed_network;
    this.clock = clock;
    this.fail = fail;
    this.timeline_bucket_us = timeline_bucket_us;
    this.fine = LATENCY_CLASSES.map(() => new Float64Array(FINE_BUCKETS));
    this.fates = new MessageFates(this, clock);
    this.fates.reserve(ids);
  }

  /** Whether message `id` was sent (committed and not taken back). */
  committed(id: number): boolean {
    return id > 0 && id < this.next_id && this.state_of(id) !== 0;
  }

  /** The sending node of `id`'s channel. */
  src_node_of(id: number): number {
    return this.channels[this.channel_of(id)]!.src_node;
  }

  /** The receiving node of `id`'s channel. */
  dst_node_of(id: number): number {
    return this.channels[this.channel_of(id)]!.dst_node;
  }

  /** Whether `id` is a reply to a call. */
  by_reply_of(id: number): boolean {
    return this.channels[this.channel_of(id)]!.by_reply;
  }

  /** The receiving pid of `id`'s channel. */
  dst_pid_of(id: number): number {
    return this.channels[this.channel_of(id)]!.dst_pid;
  }

  /** Records that `src` was granted a capability to send to `dst` with `badge`; returns the channel. */
  open_channel(
    src_node: number,
    src_pid: number,
    dst_node: number,
    dst_pid: number,
    badge: number,
    promise: ChannelPromise,
  ): number {
    assert(this.channels.length < LEDGER_CHANNELS_MAX, 'Ledger.open_channel: fewer than LEDGER_CHANNELS_MAX channels');
    const clear_udp = promise.path === 'udp' && !promise.sealed;
    this.channels.push({
      src_node,
      src_pid,
      dst_node,
      dst_pid,
      badge,
      by_reply: promise.by_reply === true,
      fifo: promise.path !== 'udp',
      once: !clear_udp,
      last_seq: -1,
    });
    if (this.channels.length > this.next_seqs.length) this.next_seqs = grown(this.next_seqs);
    return this.channels.length - 1;
  }

  /** Sets the badge the kernel actually gave `channel`'s capability. */
  set_badge(channel: number, badge: number): void {
    this.channels[channel]!.badge = badge;
  }

  /** Takes back a commit whose message never left (a call refused before sending). */
  uncommit(id: number): void {
    if (this.state_of(id) !== STATE_SENT) return;
    this.set_state(id, 0);
    this.fates.uncommitted(id);
    this.sent--;
  }

  /** The id the next message gets (call `commit` once its send succeeded). */
  get next_id_value(): number {
    return this.next_id;
  }

  /**
   * The id of the message about to be sent (call `commit` once its send succeeded): its fate is
   * cleared, since the network layers may report it before the send returns.
   */
  begin_send(): number {
    this.fates.begin(this.next_id);
    return this.next_id;
  }

  /** When message `id` was sent (its commit), virtual µs; -1 for an id the ledger never issued. */
  sent_at_us(id: number): number {
    if (id <= 0 || id >= this.next_id || this.state_of(id) === 0) return -1;
    return this.records[2 * id]!;
  }

  /** The channel sequence number the next message on `channel` gets. */
  next_seq(channel: number): number {
    return this.next_seqs[channel]!;
  }

  /** The message with id `id` left on `channel` (its send returned OK). */
  commit(channel: number, id: number): void {
    if (2 * id + 1 >= this.records.length) this.grow();
    this.records[2 * id] = this.clock.now_us;
    this.records[2 * id + 1] = (channel << META_CHANNEL_SHIFT) | STATE_SENT;
    this.next_seqs[channel]!++;
    this.next_id = id + 1;
    this.fates.committed(id);
    this.sent++;
    this.bump(this.timeline_sent);
  }

  private bump(series: number[]): void {
    this.bump_at(series, this.clock.now_us);
  }

  private bump_at(series: number[], now_us: number): void {
    const b = Math.floor(now_us / this.timeline_bucket_us);
    while (series.length <= b) series.push(0);
    series[b]!++;
  }

  /**
   * Checks one delivery to (`node`, `pid`) of `m`, whose payload bytes are `bytes` (inline or
   * the block), completed `delay_us` after now (the receipt's cost, costs.ts). `tamper`
   * (sabotage) flips a byte first. Returns the message's latency, µs of virtual time since its
   * send was committed (0 for an id the ledger never issued).
   */
  deliver(
    node: number,
    pid: number,
    m: Message,
    bytes: Uint8Array,
    listening: boolean,
    tamper: boolean,
    delay_us: number,
  ): number {
    const length = m.length;
    if (tamper && length > 0) bytes[length - 1] ^= 0x40;
    const id = length >= 4 ? get_u32(bytes, 0) : 0;
    const meta = id > 0 && id < this.next_id ? this.records[2 * id + 1]! : 0;
    const state = meta & META_STATE_MASK;
    const intact = payload_intact(bytes, length);
    const channel = state !== 0 ? this.channels[meta >>> META_CHANNEL_SHIFT]! : null;
    const now = this.clock.now_us + delay_us;
    // From the send's commit to now; 0 for an id the ledger never issued (a changed payload).
    const latency_us = state !== 0 ? now - this.records[2 * id]! : 0;
    // Judge by the path the receiver sees (a changed id cannot be trusted to name its channel).
    // A clear network protects only its frame header: a changed message on it is counted, not a
    // violation. Locally, and through the sealed network, nothing may ever arrive changed.
    const remote = m.src_node !== 0 && m.src_node !== node;
    const unprotected = remote && !this.sealed_network;
    if (!intact) {
      if (!unprotected) {
        this.violate(
          'tamper',
          `node ${node} pid ${pid} received a changed payload (${length} bytes, id ${id}, ${remote ? `from node ${m.src_node} over the sealed network` : 'on a local channel'})`,
        );
        return latency_us;
      }
      this.corrupt_delivered++;
      return latency_us;
    }
    if (
      unprotected &&
      (channel === null || channel.dst_node !== node || channel.dst_pid !== pid || m.badge !== channel.badge)
    ) {
      this.corrupt_delivered++; // The clear message header (pid, badge) changed on the wire.
      return latency_us;
    }
    if (channel === null) {
      this.violate(
        'capability',
        `node ${node} pid ${pid} received message id ${id}, which no granted channel sent (badge ${m.badge})`,
      );
      return latency_us;
    }
    if (channel.dst_node !== node || channel.dst_pid !== pid) {
      this.violate(
        'misdelivery',
        `message ${id} for node ${channel.dst_node} pid ${channel.dst_pid} reached node ${node} pid ${pid}`,
      );
      return latency_us;
    }
    if (!channel.by_reply && (!listening || m.badge !== channel.badge || m.badge === 0)) {
      this.violate(
        'capability',
        `node ${node} pid ${pid} received message ${id} with badge ${m.badge}; the capability granted carries ${channel.badge}${listening ? '' : ' (and the pid does not listen)'}`,
      );
      return latency_us;
    }
    if (state === STATE_DELIVERED) {
      if (channel.once) {
        this.violate(
          'duplicate',
          `message ${id} (node ${channel.src_node} pid ${channel.src_pid} → node ${node} pid ${pid}) was delivered twice`,
        );
        return latency_us;
      }
      this.duplicates_delivered++;
      return latency_us;
    }
    const seq = get_u32(bytes, 4);
    this.fifo_step(channel, seq, id);
    this.records[2 * id + 1] = (meta & ~META_STATE_MASK) | STATE_DELIVERED;
    this.fates.delivered(id);
    this.delivered++;
    this.bytes_delivered += length;
    this.bump_at(this.timeline_delivered, now);
    if (id <= FOLLOW_MESSAGES_MAX) {
      this.follow_delivered_us[id] = now;
      this.follow_tier[id] = m.tier;
    }
    // Histograms by class index (L1, L2, L3, spill by the tier that carried it; remote): no keyed lookup.
    const cls = channel.src_node !== channel.dst_node ? CLASS_REMOTE : m.tier & 3;
    this.bump_at(this.timeline_by_class[cls]!, now);
    this.fine[cls]![fine_bucket(latency_us)]!++;
    this.latency_sum_us[cls]! += latency_us;
    if (latency_us > this.latency_max_us[cls]!) this.latency_max_us[cls] = latency_us;
    return latency_us;
  }

  /**
   * The report's histograms of each class, from the fine buckets: bucket b counts latencies in
   * [2^b, 2^(b+1)) µs, and bucket 0 also those below 1 µs.
   */
  latency_histograms(): Record<(typeof LATENCY_CLASSES)[number], number[]> {
    const out = {} as Record<(typeof LATENCY_CLASSES)[number], number[]>;
    LATENCY_CLASSES.forEach((name, cls) => {
      const fine = this.fine[cls]!;
      const coarse = new Array<number>(LATENCY_BUCKETS).fill(0);
      // Fine octave k (k ≥ 1) is [2^(k-1), 2^k) µs; octave 0 is below 1 µs.
      for (let b = 0; b < FINE_BUCKETS; b++) {
        const octave = Math.floor(b / FINE_SUB_BUCKETS);
        coarse[Math.min(LATENCY_BUCKETS - 1, Math.max(0, octave - 1))]! += fine[b]!;
      }
      out[name] = coarse;
    });
    return out;
  }

  /** Count, mean and quantiles of each latency class. */
  latency_stats(): Record<(typeof LATENCY_CLASSES)[number], LatencyStats> {
    const out = {} as Record<(typeof LATENCY_CLASSES)[number], LatencyStats>;
    LATENCY_CLASSES.forEach((name, cls) => {
      const fine = this.fine[cls]!;
      let count = 0;
      for (let b = 0; b < FINE_BUCKETS; b++) count += fine[b]!;
      const quantile = (q: number): number => {
        if (count === 0) return 0;
        const rank = Math.max(1, Math.ceil(q * count));
        let seen = 0;
        for (let b = 0; b < FINE_BUCKETS; b++) {
          seen += fine[b]!;
          if (seen >= rank) return fine_value(b);
        }
        return fine_value(FINE_BUCKETS - 1);
      };
      out[name] = {
        count,
        mean_us: count === 0 ? 0 : this.latency_sum_us[cls]! / count,
        p50_us: quantile(0.5),
        p99_us: quantile(0.99),
        max_us: this.latency_max_us[cls]!,
      };
    });
    return out;
  }

  private fifo_step(channel: LedgerChannel, seq: number, id: number): void {
    if (channel.fifo && seq <= channel.last_seq) {
      this.violate(
        'fifo',
        `message ${id} (seq ${seq}) from node ${channel.src_node} pid ${channel.src_pid} to node ${channel.dst_node} pid ${channel.dst_pid} arrived after seq ${channel.last_seq}`,
      );
      return;
    }
    if (seq > channel.last_seq) channel.last_seq = seq;
  }

  /**
   * The path of each of the first `FOLLOW_MESSAGES_MAX` messages: who sent it to whom and when,
   * and when it was delivered and through which tier (or that it was not, and why if known).
   */
  follow(): FollowedMessage[] {
    const out: FollowedMessage[] = [];
    const last = Math.min(this.next_id - 1, FOLLOW_MESSAGES_MAX);
    for (let id = 1; id <= last; id++) {
      const state = this.state_of(id);
      if (state === 0) continue; // Never committed.
      const c = this.channels[this.channel_of(id)]!;
      const delivered_us = this.follow_delivered_us[id]!;
      const remote = c.src_node !== c.dst_node;
      out.push({
        id,
        from: `node ${c.src_node} pid ${c.src_pid}`,
        to: `node ${c.dst_node} pid ${c.dst_pid}`,
        reply: c.by_reply,
        sent_ms: Math.round(this.records[2 * id]!) / 1000,
        delivered_ms: delivered_us < 0 ? null : Math.round(delivered_us) / 1000,
        via:
          delivered_us < 0
            ? null
            : `${remote ? 'the network, then ' : ''}${['L1', 'L2', 'L3', 'spill'][this.follow_tier[id]!] ?? '?'} on node ${c.dst_node}`,
        outcome: delivered_us >= 0 ? 'delivered' : this.fates.fate_of(id),
        path: this.fates.path_of(id),
      });
    }
    return out;
  }

  /** Node `node` crashed: every message it had sent or was owed, not yet delivered, may be lost with it. */
  crash(node: number): number {
    let hit = 0;
    for (let id = 1; id < this.next_id; id++) {
      if (this.state_of(id) !== STATE_SENT || this.crash_hit(id)) continue;
      const c = this.channels[this.channel_of(id)]!;
      if (c.src_node === node || c.dst_node === node) {
        this.records[2 * id + 1] = this.records[2 * id + 1]! | META_CRASH_BIT;
        hit++;
      }
    }
    return hit;
  }

  /**
   * The end-of-run check, exact and message by message (message_fates.ts): every message sent
   * is delivered, dropped for a named reason, lost in a crash, or in flight; and the messages in
   * flight in a live node's kernel or network layers are there by that node's own counts
   * (`counted(node)`: messages in its rings, and packets in its queues and outboxes; null for a
   * node that is down). A message the ledger places where no count holds it was destroyed by a
   * drop site that did not say so: `silent_loss`, naming it and where it was last seen.
   */
  check_accounting(
    nodes: readonly number[],
    counted: (node: number) => { readonly kernel: number; readonly network: number } | null,
  ): Accounting {
    const fates = this.fates;
    const accounting = fates.account(this.next_id, (node) => counted(node) !== null);
    assert(accounting.sent === this.sent, 'Ledger.check_accounting: every committed message has a fate');
    assert(
      accounting.sent ===
        accounting.delivered + accounting.dropped_total + accounting.lost_in_crash + accounting.in_flight_total,
      'Ledger.check_accounting: the fates add up',
    );
    const in_flight = fates.in_flight_by_node(this.next_id);
    for (const node of nodes) {
      const placed_here = in_flight.get(node);
      if (placed_here === undefined) continue;
      const count = counted(node);
      if (count === null) continue;
      for (const kernel of [true, false]) {
        const held = kernel ? count.kernel : count.network;
        if ((kernel ? placed_here.kernel : placed_here.network) <= held) continue;
        const placed = fates.in_flight_at(node, kernel, this.next_id, UNDELIVERED_SHOWN_MAX);
        this.violate(
          'silent_loss',
          `${placed.count - held} messages were neither delivered nor counted in a drop: the ledger places ${placed.count} in node ${node}'s ${kernel ? 'kernel' : 'network layers'}, which hold ${held}; the oldest there: ${placed.ids.map((id) => this.describe(id)).join('; ')}`,
        );
        return accounting;
      }
    }
    const lost_on_wire = fates.wire_without_copies(this.next_id);
    if (lost_on_wire > 0) {
      this.violate(
        'silent_loss',
        `message ${lost_on_wire} is on the wire with no copy there (${this.describe(lost_on_wire)})`,
      );
      return accounting;
    }
    return accounting;
  }

  /** One message, for a violation: its id, channel, send time and where it was last seen. */
  private describe(id: number): string {
    const c = this.channels[this.channel_of(id)]!;
    return `id ${id} node ${c.src_node} pid ${c.src_pid} → node ${c.dst_node} pid ${c.dst_pid}${c.by_reply ? ' (reply)' : ''} sent at ${(this.records[2 * id]! / 1000).toFixed(3)} ms, last seen ${this.fates.where(id)}`;
  }

  /**
   * The liveness check at the end of a run, for messages inside one node: the first one still
   * undelivered whose receiver was waiting in a receive from before it was sent until at least
   * `due_us` after (`last_wait(node, pid)`: the receiver's last wait, [since, until] in µs,
   * until = Infinity while it still waits; null if it never waited) lost its wake-up. Reported
   * as a `liveness` violation; `alive(node)` excludes crashed nodes.
   */
  check_stranded(
    last_wait: (node: number, pid: number) => readonly [number, number] | null,
    alive: (node: number) => boolean,
    due_us: number,
  ): void {
    const now = this.clock.now_us;
    for (let id = 1; id < this.next_id; id++) {
      if (this.state_of(id) !== STATE_SENT || this.crash_hit(id)) continue;
      const c = this.channels[this.channel_of(id)]!;
      if (c.src_node !== c.dst_node || !alive(c.dst_node)) continue;
      const sent = this.records[2 * id]!;
      if (now - sent <= due_us) continue;
      const wait = last_wait(c.dst_node, c.dst_pid);
      if (wait === null || wait[0] > sent || wait[1] < sent + due_us) continue;
      this.violate(
        'liveness',
        `node ${c.dst_node} pid ${c.dst_pid} waited for a message from ${(wait[0] / 1000).toFixed(3)} ms${wait[1] === Number.POSITIVE_INFINITY ? '' : ` to ${(wait[1] / 1000).toFixed(3)} ms`}, while message ${id} from pid ${c.src_pid} of its own node, sent at ${(sent / 1000).toFixed(3)} ms, was never delivered: its wake-up was lost`,
      );
      return;
    }
  }

  /** Reports a broken invariant found outside the ledger's own checks (a process's, e.g. liveness). */
  report(invariant: Invariant, message: string): void {
    this.violate(invariant, message);
  }

  private violate(invariant: Invariant, message: string): void {
    this.fail(new SimViolation(invariant, message, this.clock.now_us));
  }

  private state_of(id: number): number {
    return this.records[2 * id + 1]! & META_STATE_MASK;
  }

  private channel_of(id: number): number {
    return this.records[2 * id + 1]! >>> META_CHANNEL_SHIFT;
  }

  private crash_hit(id: number): boolean {
    return (this.records[2 * id + 1]! & META_CRASH_BIT) !== 0;
  }

  private set_state(id: number, state: number): void {
    const meta = this.records[2 * id + 1]!;
    this.records[2 * id + 1] = (meta & ~META_STATE_MASK) | state;
  }

  private grow(): void {
    this.records = grown(this.records);
  }
}

/** One message's path, for the report. */
export interface FollowedMessage {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly reply: boolean;
  readonly sent_ms: number;
  readonly delivered_ms: number | null;
  /** The tier (and the network hop) that carried it, once delivered. */
  readonly via: string | null;
  readonly outcome: string;
  /** Where it went on the way, with virtual times: through the network layers, on and off the wire, copies lost, retries. */
  readonly path: readonly PathStep[];
}
