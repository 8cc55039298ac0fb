/**
 * The simulated network: UDP and TCP between simulated nodes, on the virtual clock, with the link
 * faults of faults.ts. Each node's driver gets a `SimTransport`, the same `Transport` seam that
 * host/net/node_transport.ts implements on real sockets, so the driver, the secure channel and
 * the network server run unchanged.
 *
 * Model:
 * - A datagram is delayed (DelayModel), maybe lost, duplicated, held back (reordered) or
 *   corrupted, and dropped when its link (sender to receiver) already has
 *   `link_queue_packets_max` packets in flight, when a partition separates the two nodes (at
 *   the send or at the arrival), or when the destination is down at the arrival. Each drop is
 *   counted by reason, and by whether it carried data (DATA/SEALED frames) or control
 *   (handshakes).
 * - A datagram's arrival is an event of its receiver's lane (scheduler.ts). Everything a send
 *   reads is the sender's own state or global state that changes only between windows (the
 *   partition, the link faults), so a node running ahead alone sees what the time-ordered
 *   agenda would have shown it. TCP's model shares connection state between its two ends, so a
 *   run with TCP keeps every node on one lane (`Simulator`: lookahead 0).
 * - A TCP connection is two ordered byte streams. A write arrives whole after its delay, never
 *   before an earlier write on the same connection; its `done` reports success on arrival (the
 *   peer has it). A loss costs `tcp_rto_ms`. A partition or a crash resets every connection
 *   across it: pending writes fail with ECONNRESET and both ends see the close.
 * - Corrupted TCP writes (with `corrupt_tcp`) desynchronise the receiver's stream; the frames a
 *   desynchronised stream takes with it are counted in `stream_frames_lost` (an upper bound).
 */
import { assert } from '../kernel/assert.js';
import { for_each_frame } from '../net/frame.js';
import type { Address, Transport, TransportEvents } from '../net/transport.js';
import { FRAME_HEADER_BYTES, FRAME_LENGTH_OFFSET, FRAME_TYPE_OFFSET, FrameType } from '../net/wire_layout.js';
import type { LinkFaults, SabotageFaults } from './faults.js';
import type { MessageFates } from './message_fates.js';
import { get_u32 } from './payload.js';
import type { Prng } from './prng.js';
import type { Lane, Scheduler } from './scheduler.js';
import { TimeHeap } from './time_heap.js';
import type { Incarnation } from './sim_env.js';

/** The port every simulated node binds (hosts tell nodes apart). */
export const SIM_PORT = 7000;

/** The host name of node `node` on the simulated network. */
export function sim_host(node: number): string {
  return `node-${node}`;
}

interface Endpoint {
  readonly node: number;
  /** The node's lane: where its datagrams arrive. */
  readonly lane: Lane;
  transport: SimTransport | null;
  /** Arrival times of the packets this node has in flight, per destination node (the sender's own state). */
  readonly links_out: Map<number, TimeHeap>;
  /** The draws for what this node sends (delays, losses, duplicates, corruption): its own stream, so no node's draws depend on another's. */
  readonly prng: Prng;
}

interface Conn {
  readonly id: number;
  readonly owner: SimTransport;
  peer: Conn | null;
  open: boolean;
  /** Arrival time of the last write, so writes never overtake each other. */
  last_arrival_us: number;
  /** Writes in flight: their `done` is called with ECONNRESET if the connection resets. */
  readonly pending: Set<PendingWrite>;
  /** Set when this end was destroyed after a bad frame: bytes still arriving are lost. */
  desynced: boolean;
  /** Set once this end's writing side is closed (`end`, or the peer's FIN): it writes no more, still reads. */
  ending: boolean;
}

/** A datagram on the wire (pooled: reused once it arrived). */
interface Datagram {
  from: SimTransport;
  endpoint: Endpoint;
  packet: Uint8Array;
  data: boolean;
  /** The tracked messages this copy carries (message_fates.ts): one per DATA frame, a record's each. */
  ids: readonly number[];
}

const EMPTY_PACKET = new Uint8Array(0);

interface PendingWrite {
  readonly done: (error: string | null) => void;
  readonly frames: number;
  /** The tracked messages the write carries (message_fates.ts). */
  readonly ids: readonly number[];
  event: number;
}

const NO_IDS: readonly number[] = [];

/** What the network counted. */
export interface SimNetworkStats {
  datagrams_sent: number;
  datagrams_delivered: number;
  tcp_writes: number;
  tcp_bytes: number;
  connects: number;
  resets: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Data-bearing packets dropped, by reason (loss, partition, node_down, queue_full). */
  dropped_data: Record<string, number>;
  /** Control packets (handshakes) dropped, by reason. */
  dropped_control: Record<string, number>;
  /** Data frames a reset or desynchronised TCP stream took with it (upper bound; a sealed record is one frame, its messages are each in the ledger). */
  stream_frames_lost: number;
  /** Sabotage only: data packets dropped without any count (the invariant must catch this). */
  sabotage_silent_drops: number;
}

/** Traffic on one link (sender to receiver node), for the report's topology. */
export interface LinkStats {
  readonly from: number;
  readonly to: number;
  /** Datagrams and TCP writes sent on it (data and control). */
  sent: number;
  /** Of those, dropped on the wire (loss, partition, queue full, node down), data and control. */
  dropped: number;
}

export class SimNetwork {
  private readonly scheduler: Scheduler;
  private readonly prng: Prng;
  faults: LinkFaults;
  readonly sabotage: SabotageFaults;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly conns = new Map<number, Conn>();
  private next_conn = 1;
  /** Node → partition group (absent: no partition in force). */
  private groups: Map<number, number> | null = null;
  private readonly counters = {
    datagrams_sent: 0,
    datagrams_delivered: 0,
    tcp_writes: 0,
    tcp_bytes: 0,
    connects: 0,
    resets: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    stream_frames_lost: 0,
    sabotage_silent_drops: 0,
  };
  private readonly dropped_data = new Map<string, number>();
  /** Traffic by link, keyed `from * 65536 + to`. */
  private readonly link_stats = new Map<number, LinkStats>();
  private readonly host_us: number;
  private readonly dropped_control = new Map<string, number>();
  /** Data frames on their way now (datagrams scheduled, TCP writes not yet arrived). */
  in_flight_data = 0;
  /** Records of datagrams that arrived, for the next ones (see `hold`). */
  private readonly wire_free: Datagram[] = [];
  /** Where each tracked message is (the ledger's): told what goes on the wire, arrives, and is lost there. */
  fates: MessageFates | null = null;

  /**
   * `host_us`: the host-side work of a hop (costs.ts `remote_hop_us`), added to every datagram's
   * and stream frame's link delay.
   */
  constructor(scheduler: Scheduler, prng: Prng, faults: LinkFaults, sabotage: SabotageFaults, host_us = 0) {
    this.scheduler = scheduler;
    this.host_us = host_us;
    this.prng = prng;
    this.faults = faults;
    this.sabotage = sabotage;
  }

  /** Puts node `node` on the network, its datagrams arriving on `lane`; before any node boots. */
  add_node(node: number, lane: Lane): void {
    const host = sim_host(node);
    assert(!this.endpoints.has(host), 'SimNetwork.add_node: each node once');
    this.endpoints.set(host, {
      node,
      lane,
      transport: null,
      links_out: new Map(),
      prng: this.prng.fork(`link/${node}`),
    });
  }

  /** The transport of one incarnation of node `node` (added with `add_node`). */
  transport(node: number, life: Incarnation): SimTransport {
    const endpoint = this.endpoints.get(sim_host(node));
    assert(endpoint !== undefined, 'SimNetwork.transport: the node was added');
    return new SimTransport(this, life, endpoint);
  }

  // -------------------------------------------------------------------------------------------
  // Scheduled faults.

  /** Only nodes in the same group reach each other; connections across groups reset. */
  partition(groups: readonly (readonly number[])[]): void {
    const map = new Map<number, number>();
    groups.forEach((group, g) => {
      for (const node of group) map.set(node, g);
    });
    this.groups = map;
    for (const conn of [...this.conns.values()]) {
      if (conn.peer !== null && !this.reachable(conn.owner.node, conn.peer.owner.node)) this.reset(conn, 'ECONNRESET');
    }
  }

  heal(): void {
    this.groups = null;
  }

  /** Whether `a` and `b` can talk now. */
  reachable(a: number, b: number): boolean {
    if (this.groups === null || a === b) return true;
    const ga = this.groups.get(a);
    return ga !== undefined && ga === this.groups.get(b);
  }

  /** Node `node` stopped: its connections reset (the peers see it), its endpoint is unbound. */
  crash(node: number): void {
    const endpoint = this.endpoints.get(sim_host(node));
    if (endpoint !== undefined) endpoint.transport = null;
    for (const conn of [...this.conns.values()]) if (conn.owner.node === node) this.reset(conn, 'ECONNRESET', true);
  }

  // -------------------------------------------------------------------------------------------
  // Datagrams.

  /** @internal */
  bind(transport: SimTransport): void {
    const endpoint = this.endpoints.get(sim_host(transport.node))!;
    endpoint.transport = transport;
  }

  /** @internal */
  unbind(transport: SimTransport): void {
    const endpoint = this.endpoints.get(sim_host(transport.node));
    if (endpoint !== undefined && endpoint.transport === transport) endpoint.transport = null;
  }

  /** @internal */
  send_datagram(from: SimTransport, to: Address, bytes: Uint8Array): void {
    this.counters.datagrams_sent++;
    const f = this.faults;
    const prng = from.endpoint.prng;
    const data = is_data(bytes);
    const endpoint = this.endpoints.get(to.host);
    assert(endpoint !== undefined, 'SimNetwork.send_datagram: to a simulated node');
    const dst = endpoint.node;
    const ids = data ? this.datagram_ids(bytes, dst) : NO_IDS;
    this.link_count(from.node, dst).sent++;
    if (!this.reachable(from.node, dst)) {
      this.drop(from.node, dst, data, 'partition', ids);
      return;
    }
    if (prng.chance(f.loss)) {
      this.drop(from.node, dst, data, 'loss', ids);
      return;
    }
    if (data && prng.chance(this.sabotage.silent_drop)) {
      this.counters.sabotage_silent_drops++;
      return;
    }
    const copies = prng.chance(f.duplicate) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    const link = this.link(from.endpoint, dst);
    const now_us = this.scheduler.now_us;
    let live = 0;
    let lost_reason = 'queue_full';
    for (let i = 0; i < copies; i++) {
      if (link.drop_due(now_us) >= f.link_queue_packets_max) {
        this.drop(from.node, dst, data, 'queue_full', NO_IDS);
        continue;
      }
      let delay_us = this.delay_us(prng);
      if (prng.chance(f.reorder)) {
        delay_us += f.reorder_delay_ms * 1000;
        this.counters.reordered++;
      }
      let packet = i === 0 ? bytes : bytes.slice();
      // A changed copy no longer carries the message: whatever arrives is another packet.
      let carries = ids;
      if (prng.chance(f.corrupt)) {
        packet = this.corrupt(prng, packet);
        carries = NO_IDS;
        lost_reason = 'corrupted';
      }
      if (carries.length !== 0) live++;
      const at_us = now_us + delay_us;
      link.push(at_us);
      if (data) this.in_flight_data++;
      endpoint.lane.at_with(at_us, this.arrive, this.hold(from, endpoint, packet, data, carries));
    }
    for (const id of ids) {
      if (live > 0) this.fates!.on_wire(id, live);
      else this.fates!.lost(id, 'network', lost_reason);
    }
  }

  /** The tracked messages in a data datagram to node `dst` (none without a ledger). */
  private datagram_ids(bytes: Uint8Array, dst: number): readonly number[] {
    const fates = this.fates;
    if (fates === null) return NO_IDS;
    const length = Math.min(get_u32(bytes, FRAME_LENGTH_OFFSET), bytes.length - FRAME_HEADER_BYTES);
    const ids: number[] = [];
    fates.frame_ids(bytes[FRAME_TYPE_OFFSET]!, bytes, FRAME_HEADER_BYTES, length, dst, ids);
    return ids.length === 0 ? NO_IDS : ids;
  }

  /**
   * The data frames in a TCP write to node `dst` (it is a whole number of frames), one walk of
   * their headers: how many, and the tracked messages they carry (none without a ledger).
   */
  private write_frames(bytes: Uint8Array, dst: number): { frames: number; ids: readonly number[] } {
    const fates = this.fates;
    const ids: number[] = [];
    let frames = 0;
    for_each_frame(bytes, (type, at, length) => {
      if (type !== FrameType.DATA && type !== FrameType.SEALED) return;
      frames++;
      if (fates !== null) fates.frame_ids(type, bytes, at, length, dst, ids);
    });
    return { frames, ids: ids.length === 0 ? NO_IDS : ids };
  }

  /** The arrival times of what `from` has in flight towards node `dst`. */
  private link(from: Endpoint, dst: number): TimeHeap {
    let link = from.links_out.get(dst);
    if (link === undefined) from.links_out.set(dst, (link = new TimeHeap()));
    return link;
  }

  /** Keeps a datagram on the wire until it arrives: a pooled record, so no closure per packet. */
  private hold(
    from: SimTransport,
    endpoint: Endpoint,
    packet: Uint8Array,
    data: boolean,
    ids: readonly number[],
  ): Datagram {
    const d = this.wire_free.pop();
    if (d === undefined) return { from, endpoint, packet, data, ids };
    d.from = from;
    d.endpoint = endpoint;
    d.packet = packet;
    d.data = data;
    d.ids = ids;
    return d;
  }

  /** A datagram arrives (scheduled by `send_datagram`). */
  private readonly arrive = (d: Datagram): void => {
    const { from, endpoint, packet, data, ids } = d;
    d.packet = EMPTY_PACKET; // Its bytes belong to the receiver now.
    d.ids = NO_IDS;
    this.wire_free.push(d);
    if (data) this.in_flight_data--;
    const dst = endpoint.node;
    const target = endpoint.transport;
    if (target === null || !target.life.alive) {
      this.drop(from.node, dst, data, 'node_down', NO_IDS);
      for (const id of ids) this.fates!.wire_lost(id, 'node_down');
      return;
    }
    if (!this.reachable(from.node, dst)) {
      this.drop(from.node, dst, data, 'partition', NO_IDS);
      for (const id of ids) this.fates!.wire_lost(id, 'partition');
      return;
    }
    this.counters.datagrams_delivered++;
    for (const id of ids) this.fates!.arrived(id);
    target.events!.on_datagram(packet, from.address);
  };

  /** The traffic counts of the link from node `from` to node `to`. */
  private link_count(from: number, to: number): LinkStats {
    const key = from * 65_536 + to;
    let link = this.link_stats.get(key);
    if (link === undefined) this.link_stats.set(key, (link = { from, to, sent: 0, dropped: 0 }));
    return link;
  }

  /** Traffic on every link that carried any, by sender then receiver. */
  links(): LinkStats[] {
    return [...this.link_stats.values()].sort((a, b) => a.from - b.from || a.to - b.to).map((l) => ({ ...l }));
  }

  /** Counts a packet dropped on the wire; `ids`: the messages it destroys before they left (none, or told apart). */
  private drop(from: number, to: number, data: boolean, reason: string, ids: readonly number[]): void {
    this.link_count(from, to).dropped++;
    const map = data ? this.dropped_data : this.dropped_control;
    map.set(reason, (map.get(reason) ?? 0) + 1);
    for (const id of ids) this.fates!.lost(id, 'network', reason);
  }

  private delay_us(prng: Prng): number {
    const d = this.faults.delay;
    let ms: number;
    if (d.distribution === 'fixed') ms = d.min_ms;
    else if (d.distribution === 'uniform') ms = d.min_ms + prng.float() * (d.max_ms - d.min_ms);
    else ms = Math.min(d.max_ms, d.min_ms + prng.exponential(Math.max(0, d.mean_ms - d.min_ms)));
    return ms * 1000 + this.host_us;
  }

  private corrupt(prng: Prng, bytes: Uint8Array): Uint8Array {
    const copy = bytes.slice();
    const bits = 1 + prng.int(this.faults.corrupt_bits_max);
    for (let i = 0; i < bits; i++) {
      const bit = prng.int(copy.length * 8);
      copy[bit >>> 3] ^= 1 << (bit & 7);
    }
    this.counters.corrupted++;
    return copy;
  }

  // -------------------------------------------------------------------------------------------
  // TCP.

  /** @internal */
  connect(from: SimTransport, to: Address): number {
    assert(this.scheduler.lookahead_us === 0, 'SimNetwork.connect: TCP runs with every node on the global lane');
    const conn: Conn = {
      id: this.next_conn++,
      owner: from,
      peer: null,
      open: false,
      last_arrival_us: 0,
      pending: new Set(),
      desynced: false,
      ending: false,
    };
    this.conns.set(conn.id, conn);
    this.counters.connects++;
    const endpoint = this.endpoints.get(to.host);
    const half_rtt = this.delay_us(from.endpoint.prng);
    this.scheduler.global.after(half_rtt, () => {
      if (!this.conns.has(conn.id)) return;
      const target = endpoint?.transport ?? null;
      if (target === null || !target.life.alive) return this.close_now(conn, 'ECONNREFUSED');
      if (!this.reachable(from.node, target.node)) {
        this.scheduler.global.after(this.faults.connect_timeout_ms * 1000 - half_rtt, () => {
          if (this.conns.has(conn.id)) this.close_now(conn, 'ETIMEDOUT');
        });
        return;
      }
      const inbound: Conn = {
        id: this.next_conn++,
        owner: target,
        peer: conn,
        open: true,
        last_arrival_us: 0,
        pending: new Set(),
        desynced: false,
        ending: false,
      };
      this.conns.set(inbound.id, inbound);
      conn.peer = inbound;
      target.events!.on_open(inbound.id, true, from.address.host);
      this.scheduler.global.after(this.delay_us(from.endpoint.prng), () => {
        if (!this.conns.has(conn.id) || !from.life.alive) return;
        conn.open = true;
        from.events!.on_open(conn.id, false);
      });
    });
    return conn.id;
  }

  /** @internal */
  write(from: SimTransport, id: number, bytes: Uint8Array, done: (error: string | null) => void): void {
    const conn = this.conns.get(id);
    if (conn === undefined || conn.owner !== from || !conn.open || conn.peer === null || conn.ending) {
      this.scheduler.global.after(0, () => done('EPIPE'));
      return;
    }
    this.counters.tcp_writes++;
    this.counters.tcp_bytes += bytes.length;
    this.link_count(from.node, conn.peer.owner.node).sent++;
    const f = this.faults;
    let copy: Uint8Array = bytes.slice();
    const carried = this.write_frames(copy, conn.peer.owner.node);
    const frames = carried.frames;
    let ids = carried.ids;
    let corrupted = false;
    if (f.corrupt_tcp && from.endpoint.prng.chance(f.corrupt)) {
      copy = this.corrupt(from.endpoint.prng, copy);
      corrupted = true;
      // A changed write desynchronises the stream: its messages are lost (frames before the
      // change may still arrive, and are then delivered after all).
      for (const id of ids) this.fates!.lost(id, 'network', 'stream_frames_lost');
      ids = NO_IDS;
    }
    for (const id of ids) this.fates!.on_wire(id, 1);
    let arrival = this.scheduler.now_us + this.delay_us(from.endpoint.prng);
    if (from.endpoint.prng.chance(f.loss)) arrival += f.tcp_rto_ms * 1000;
    if (arrival < conn.last_arrival_us) arrival = conn.last_arrival_us;
    conn.last_arrival_us = arrival;
    const pending: PendingWrite = { done, frames, ids, event: -1 };
    conn.pending.add(pending);
    this.in_flight_data += frames;
    pending.event = this.scheduler.global.at(arrival, () => {
      conn.pending.delete(pending);
      this.in_flight_data -= frames;
      const peer = conn.peer;
      if (peer === null || !this.conns.has(peer.id)) {
        this.counters.stream_frames_lost += frames;
        // The write fails: its sender's driver retries the batch or fails it (and says so).
        for (const id of ids) this.fates!.wire_returned(id);
        done('ECONNRESET');
        return;
      }
      if (peer.desynced) {
        this.counters.stream_frames_lost += frames; // Arrives on a stream its reader gave up.
        for (const id of ids) this.fates!.wire_lost(id, 'stream_frames_lost');
      } else {
        if (corrupted) this.counters.stream_frames_lost += frames;
        for (const id of ids) this.fates!.arrived(id);
        peer.owner.events!.on_data(peer.id, copy);
      }
      done(null);
    });
  }

  /** @internal Closes `id` from its owner's side; `abort` marks a desync (destroy). */
  close(from: SimTransport, id: number, abort: boolean): void {
    const conn = this.conns.get(id);
    if (conn === undefined || conn.owner !== from) return;
    if (abort) conn.desynced = true;
    this.conns.delete(id);
    for (const p of conn.pending) this.fail_write(p);
    conn.pending.clear();
    this.scheduler.global.after(0, () => {
      if (from.life.alive) from.events?.on_closed(id, null);
    });
    const peer = conn.peer;
    if (peer !== null && this.conns.has(peer.id)) {
      // The peer sees the close after the bytes already on their way.
      const at = Math.max(conn.last_arrival_us, this.scheduler.now_us + this.delay_us(from.endpoint.prng));
      this.scheduler.global.at(at, () => {
        if (this.conns.has(peer.id)) this.close_now(peer, abort ? 'ECONNRESET' : null);
      });
    }
  }

  /**
   * @internal Closes `id`'s writing side from its owner (TCP half-close, as Node's `socket.end()`
   * with the peer not allowing half-open connections): the owner's writes in flight still
   * arrive, then the peer sees the FIN and ends its own side: its writes in flight (say, the
   * answer to the owner's last message) still reach the owner, which reads until then. Both
   * ends are closed (`on_closed`, no error) once the last of those bytes arrived. A connection
   * not yet open is closed at once.
   */
  end(from: SimTransport, id: number): void {
    const conn = this.conns.get(id);
    if (conn === undefined || conn.owner !== from || conn.ending) return;
    const peer = conn.peer;
    if (!conn.open || peer === null) {
      this.close(from, id, false);
      return;
    }
    conn.ending = true;
    const fin_at = Math.max(conn.last_arrival_us, this.scheduler.now_us + this.delay_us(from.endpoint.prng));
    this.scheduler.global.at(fin_at, () => {
      if (!this.conns.has(peer.id) || !this.conns.has(conn.id)) return;
      peer.ending = true; // The peer read the FIN: it ends its side too, after its writes in flight.
      const last_us = Math.max(peer.last_arrival_us, this.scheduler.now_us);
      this.scheduler.global.at(last_us, () => {
        if (this.conns.has(peer.id)) this.close_now(peer, null);
        const back_us = this.scheduler.now_us + this.delay_us(peer.owner.endpoint.prng);
        this.scheduler.global.at(back_us, () => {
          if (this.conns.has(conn.id)) this.close_now(conn, null);
        });
      });
    });
  }

  /** Resets `conn` and its peer (a partition or a crash); `silent` for a crashed owner. */
  private reset(conn: Conn, error: string, silent = false): void {
    this.counters.resets++;
    const peer = conn.peer;
    if (silent) {
      this.conns.delete(conn.id);
      for (const p of conn.pending) this.scheduler.global.cancel(p.event);
      for (const p of conn.pending) this.counters.stream_frames_lost += p.frames;
      for (const p of conn.pending) this.in_flight_data -= p.frames;
      for (const p of conn.pending) for (const id of p.ids) this.fates!.wire_lost(id, 'stream_frames_lost');
      conn.pending.clear();
    } else {
      this.close_now(conn, error);
    }
    if (peer !== null && this.conns.has(peer.id)) this.close_now(peer, error);
  }

  private close_now(conn: Conn, error: string | null): void {
    if (!this.conns.delete(conn.id)) return;
    for (const p of conn.pending) this.fail_write(p);
    conn.pending.clear();
    const owner = conn.owner;
    this.scheduler.global.after(0, () => {
      if (owner.life.alive) owner.events?.on_closed(conn.id, error);
    });
  }

  private fail_write(p: PendingWrite): void {
    this.scheduler.global.cancel(p.event);
    this.in_flight_data -= p.frames;
    for (const id of p.ids) this.fates!.wire_returned(id); // The sender's driver retries or fails it.
    this.scheduler.global.after(0, () => p.done('ECONNRESET'));
  }

  /** @internal Every connection of a transport that closes. */
  close_all(from: SimTransport): void {
    for (const conn of [...this.conns.values()]) if (conn.owner === from) this.close(from, conn.id, false);
  }

  stats(): SimNetworkStats {
    return {
      ...this.counters,
      dropped_data: Object.fromEntries(this.dropped_data),
      dropped_control: Object.fromEntries(this.dropped_control),
    };
  }
}

/** Whether a datagram carries application data (a DATA or SEALED frame). */
function is_data(bytes: Uint8Array): boolean {
  if (bytes.length < FRAME_HEADER_BYTES) return false;
  const type = bytes[FRAME_TYPE_OFFSET];
  return type === FrameType.DATA || type === FrameType.SEALED;
}

/** The `Transport` of one node incarnation on a `SimNetwork`. */
export class SimTransport implements Transport {
  readonly node: number;
  readonly life: Incarnation;
  /** Where this node's datagrams come from, as their receivers see it. */
  readonly address: Address;
  /** @internal The node's place on the network (its lane, its links' queues). */
  readonly endpoint: Endpoint;
  private readonly network: SimNetwork;
  events: TransportEvents | null = null;
  private bound = false;

  constructor(network: SimNetwork, life: Incarnation, endpoint: Endpoint) {
    this.network = network;
    this.node = endpoint.node;
    this.life = life;
    this.endpoint = endpoint;
    this.address = { host: sim_host(endpoint.node), port: SIM_PORT };
  }

  async bind(host: string, port: number, events: TransportEvents): Promise<number> {
    assert(!this.bound, 'SimTransport.bind: bound once');
    assert(host === sim_host(this.node), 'SimTransport.bind: a node binds its own simulated host');
    this.events = events;
    this.bound = true;
    this.network.bind(this);
    return port === 0 ? SIM_PORT : port;
  }

  send_datagram(to: Address, bytes: Uint8Array, done: (error: string | null, bytes: Uint8Array) => void): void {
    if (!this.life.alive) return;
    this.network.send_datagram(this, to, bytes);
    done(null, bytes);
  }

  connect(to: Address): number {
    return this.network.connect(this, to);
  }

  write(conn: number, bytes: Uint8Array, done: (error: string | null) => void): void {
    this.network.write(this, conn, bytes, done);
  }

  end(conn: number): void {
    this.network.end(this, conn);
  }

  destroy(conn: number): void {
    this.network.close(this, conn, true);
  }

  async close(): Promise<void> {
    this.network.close_all(this);
    this.network.unbind(this);
  }
}
