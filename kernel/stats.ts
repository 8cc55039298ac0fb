/**
 * `FastpathStats`: a plain-object snapshot of a node's counters, readable from any thread.
 *
 * Counters live in shared memory (layout/counter_layout.ts), one block per core and per
 * producer slot, each written by one thread only. A snapshot reads them without stopping
 * anyone, so it is exact per counter but not one instant across counters.
 *
 * `hit_count` and `spill_count` are the spec's names: messages that entered a tier ring, and
 * messages that overflowed into the spill region.
 */
import { WORD_BYTES } from './layout/cache_line.js';
import { BlockState } from './layout/block_layout.js';
import {
  COUNTER_BLOCK_BYTES,
  C_BACKPRESSURED,
  C_BLOCKS_RELEASED,
  C_BLOCK_ALLOC_FAILED,
  C_CASCADED,
  C_DESCRIPTOR_SENDS,
  C_DOORBELLS_RUNG,
  C_MAILBOX_STALLS,
  C_RECV_BYTES,
  C_RECV_TIER,
  C_RECV_TIMEOUTS,
  C_REJECTED_BAD_ARGUMENT,
  C_REJECTED_BAD_PID,
  C_REJECTED_CHANNEL_FULL,
  C_REJECTED_NOT_BOUND,
  C_REJECTED_TOO_BIG,
  C_REJECTED_WRONG_CORE,
  C_SENT_BYTES_TIER,
  C_SENT_TIER,
  C_STALE_RELEASES,
  C_STAGED,
  C_RELEASED,
  C_STAGED_DROPPED,
  C_STALE_DROPPED,
  C_NOTIFIES_SENT,
  C_NOTIFIES_RECEIVED,
  C_CALLS,
  C_REPLIES,
  C_DEAD_PEER,
  C_DENIED_NO_CAP,
  C_DENIED_NO_RIGHT,
  C_DENIED_STALE_CHANNEL,
  C_DENIED_NOT_LISTENING,
  C_DENIED_NOT_WAITING,
  C_CYCLES_REFUSED,
  C_REJECTED_TABLE_FULL,
  C_REJECTED_NO_ROUTE,
  Tier,
} from './layout/counter_layout.js';
import { ring_offset } from './layout/node_layout.js';
import { SPILL_QUEUE_BYTES } from './layout/spill_layout.js';
import type { NodeMemory } from './node_memory.js';
import { Ring } from './ring.js';
import { Slab } from './slab.js';
import { SpillQueue } from './spill_queue.js';

/** Spilled messages a statistics snapshot counts at most per core (it walks the queue's links). */
export const SPILL_COUNT_MAX = 1 << 20;

/** A count per tier. */
export interface TierCounts {
  L1: number;
  L2: number;
  L3: number;
  spill: number;
}

/** Why sends were refused for bad input. */
export interface Rejections {
  bad_pid: number;
  not_bound: number;
  too_big: number;
  wrong_core: number;
  channel_full: number;
  bad_argument: number;
  /** A capability table or the edge pool was full. */
  table_full: number;
  /** A channel to another node had no network route. */
  no_route: number;
}

/** Capability-checked operations refused, by reason. */
export interface Denials {
  no_cap: number;
  no_right: number;
  stale_channel: number;
  not_listening: number;
  not_waiting: number;
  /** Dependency edges refused because they would close a cycle. */
  cycle: number;
}

/** Counters of one core (or producer slot). */
export interface CoreStats {
  /** Core index, or -1 for a producer slot. */
  core: number;
  /** Socket of the core, or -1 for a producer slot. */
  socket: number;
  /** Messages this core sent, by the tier they entered (hits) or the spill region. */
  sent: TierCounts;
  sent_bytes: TierCounts;
  /** Messages this core received, by the tier they arrived through. */
  received: TierCounts;
  received_bytes: number;
  /** Sends that found their home ring full and entered a ring further out. */
  cascaded: number;
  /** Sends refused because every ring on the path and the spill region were full. */
  backpressured: number;
  descriptor_sends: number;
  block_alloc_failed: number;
  rejected: Rejections;
  denied: Denials;
  /** Messages staged, released by submit, and dropped (closed channel, or receiver gone). */
  staged: number;
  released: number;
  staged_dropped: number;
  /** Messages for an exited process dropped when its pid was spawned again (`Kernel.revive`). */
  stale_dropped: number;
  notifies_sent: number;
  notifies_received: number;
  calls: number;
  replies: number;
  /** Calls that ended with DEAD_PEER. */
  dead_peer: number;
  /** Times a source waited because its target pid's mailbox was full. */
  mailbox_stalls: number;
  blocks_released: number;
  stale_releases: number;
  recv_timeouts: number;
  doorbells_rung: number;
  /** Messages waiting in this core's inbound rings and spill queue now (the spill counted up to `SPILL_COUNT_MAX`), and whether the spill queue is empty. */
  pending: { L1: number; L2: number; L3: number; spill: number; spill_empty: boolean };
}

/** Occupancy of one slab class. */
export interface SlabClassStats {
  block_bytes: number;
  block_count: number;
  in_use: number;
}

/** A snapshot of a node's fastpath. */
export interface FastpathStats {
  /** Messages that entered a tier ring (L1 + L2 + L3), node-wide. */
  hit_count: number;
  /** Messages that overflowed into the spill region, node-wide. */
  spill_count: number;
  /** Sends refused with BACKPRESSURE, node-wide. */
  backpressured: number;
  cores: CoreStats[];
  /** Producer slots (non-core senders such as the network driver). */
  producers: CoreStats[];
  slab: {
    classes: SlabClassStats[];
    /** Payload blocks sent or allocated and not yet released: a block never released shows here. */
    payload_blocks_outstanding: number;
    /** Blocks holding spilled messages not yet received. */
    spilled_blocks: number;
  };
}

function read64(u32: Uint32Array, w: number): number {
  return u32[w + 1]! * 0x1_0000_0000 + u32[w]!;
}

function tier_counts(u32: Uint32Array, base: number, first: number): TierCounts {
  return {
    L1: read64(u32, base + (first + Tier.L1) * 2),
    L2: read64(u32, base + (first + Tier.L2) * 2),
    L3: read64(u32, base + (first + Tier.L3) * 2),
    spill: read64(u32, base + (first + Tier.SPILL) * 2),
  };
}

function block_stats(memory: NodeMemory, block: number, core: number): CoreStats {
  const u32 = memory.u32;
  const base = (memory.layout.counter_blocks + block * COUNTER_BLOCK_BYTES) / WORD_BYTES;
  const c = (index: number) => read64(u32, base + index * 2);
  let pending = { L1: 0, L2: 0, L3: 0, spill: 0, spill_empty: true };
  if (core >= 0) {
    const layout = memory.layout;
    const occupancy = (tier: number) =>
      new Ring(memory.i32, ring_offset(layout, core, tier), layout.ring_capacities[tier as 0 | 1 | 2]).occupancy();
    const queue = new SpillQueue(memory.r32, memory.spill.queues_offset + core * SPILL_QUEUE_BYTES);
    const spill = queue.count(SPILL_COUNT_MAX);
    pending = { L1: occupancy(0), L2: occupancy(1), L3: occupancy(2), spill, spill_empty: spill === 0 };
  }
  return {
    core,
    socket: core >= 0 ? memory.topology.socket_of(core) : -1,
    sent: tier_counts(u32, base, C_SENT_TIER),
    sent_bytes: tier_counts(u32, base, C_SENT_BYTES_TIER),
    received: tier_counts(u32, base, C_RECV_TIER),
    received_bytes: c(C_RECV_BYTES),
    cascaded: c(C_CASCADED),
    backpressured: c(C_BACKPRESSURED),
    descriptor_sends: c(C_DESCRIPTOR_SENDS),
    block_alloc_failed: c(C_BLOCK_ALLOC_FAILED),
    rejected: {
      bad_pid: c(C_REJECTED_BAD_PID),
      not_bound: c(C_REJECTED_NOT_BOUND),
      too_big: c(C_REJECTED_TOO_BIG),
      wrong_core: c(C_REJECTED_WRONG_CORE),
      channel_full: c(C_REJECTED_CHANNEL_FULL),
      bad_argument: c(C_REJECTED_BAD_ARGUMENT),
      table_full: c(C_REJECTED_TABLE_FULL),
      no_route: c(C_REJECTED_NO_ROUTE),
    },
    denied: {
      no_cap: c(C_DENIED_NO_CAP),
      no_right: c(C_DENIED_NO_RIGHT),
      stale_channel: c(C_DENIED_STALE_CHANNEL),
      not_listening: c(C_DENIED_NOT_LISTENING),
      not_waiting: c(C_DENIED_NOT_WAITING),
      cycle: c(C_CYCLES_REFUSED),
    },
    staged: c(C_STAGED),
    released: c(C_RELEASED),
    staged_dropped: c(C_STAGED_DROPPED),
    stale_dropped: c(C_STALE_DROPPED),
    notifies_sent: c(C_NOTIFIES_SENT),
    notifies_received: c(C_NOTIFIES_RECEIVED),
    calls: c(C_CALLS),
    replies: c(C_REPLIES),
    dead_peer: c(C_DEAD_PEER),
    mailbox_stalls: c(C_MAILBOX_STALLS),
    blocks_released: c(C_BLOCKS_RELEASED),
    stale_releases: c(C_STALE_RELEASES),
    recv_timeouts: c(C_RECV_TIMEOUTS),
    doorbells_rung: c(C_DOORBELLS_RUNG),
    pending,
  };
}

/** Takes a snapshot of `memory`'s counters. Safe from any thread, at any time. */
export function fastpath_stats(memory: NodeMemory): FastpathStats {
  const cores: CoreStats[] = [];
  for (let core = 0; core < memory.cores; core++) cores.push(block_stats(memory, core, core));
  const producers: CoreStats[] = [];
  for (let slot = 0; slot < memory.geometry.producers_max; slot++) {
    producers.push(block_stats(memory, memory.cores + slot, -1));
  }
  let hit_count = 0;
  let spill_count = 0;
  let backpressured = 0;
  for (const s of [...cores, ...producers]) {
    hit_count += s.sent.L1 + s.sent.L2 + s.sent.L3;
    spill_count += s.sent.spill;
    backpressured += s.backpressured;
  }
  const slab = new Slab(memory.r32, memory.spill);
  const classes: SlabClassStats[] = memory.spill.classes.map((k, i) => ({
    block_bytes: k.block_bytes,
    block_count: k.block_count,
    in_use: slab.in_use(i),
  }));
  let payload_blocks_outstanding = 0;
  let spilled_blocks = 0;
  for (let k = 0; k < classes.length; k++) {
    payload_blocks_outstanding += slab.blocks_in_state(k, BlockState.PAYLOAD).length;
    spilled_blocks += slab.blocks_in_state(k, BlockState.SPILLED).length;
  }
  return {
    hit_count,
    spill_count,
    backpressured,
    cores,
    producers,
    slab: { classes, payload_blocks_outstanding, spilled_blocks },
  };
}

/** Sums the counters of several cores (for totals in reports). */
export function sum_core_stats(list: readonly CoreStats[]): Omit<CoreStats, 'core' | 'socket' | 'pending'> {
  const zero_tiers = (): TierCounts => ({ L1: 0, L2: 0, L3: 0, spill: 0 });
  const total = {
    sent: zero_tiers(),
    sent_bytes: zero_tiers(),
    received: zero_tiers(),
    received_bytes: 0,
    cascaded: 0,
    backpressured: 0,
    descriptor_sends: 0,
    block_alloc_failed: 0,
    rejected: {
      bad_pid: 0,
      not_bound: 0,
      too_big: 0,
      wrong_core: 0,
      channel_full: 0,
      bad_argument: 0,
      table_full: 0,
      no_route: 0,
    },
    denied: { no_cap: 0, no_right: 0, stale_channel: 0, not_listening: 0, not_waiting: 0, cycle: 0 },
    staged: 0,
    released: 0,
    staged_dropped: 0,
    stale_dropped: 0,
    notifies_sent: 0,
    notifies_received: 0,
    calls: 0,
    replies: 0,
    dead_peer: 0,
    mailbox_stalls: 0,
    blocks_released: 0,
    stale_releases: 0,
    recv_timeouts: 0,
    doorbells_rung: 0,
  };
  const add_tiers = (a: TierCounts, b: TierCounts) => {
    a.L1 += b.L1;
    a.L2 += b.L2;
    a.L3 += b.L3;
    a.spill += b.spill;
  };
  for (const s of list) {
    add_tiers(total.sent, s.sent);
    add_tiers(total.sent_bytes, s.sent_bytes);
    add_tiers(total.received, s.received);
    total.received_bytes += s.received_bytes;
    total.cascaded += s.cascaded;
    total.backpressured += s.backpressured;
    total.descriptor_sends += s.descriptor_sends;
    total.block_alloc_failed += s.block_alloc_failed;
    for (const key of Object.keys(total.rejected) as (keyof Rejections)[]) total.rejected[key] += s.rejected[key];
    for (const key of Object.keys(total.denied) as (keyof Denials)[]) total.denied[key] += s.denied[key];
    total.staged += s.staged;
    total.released += s.released;
    total.staged_dropped += s.staged_dropped;
    total.stale_dropped += s.stale_dropped;
    total.notifies_sent += s.notifies_sent;
    total.notifies_received += s.notifies_received;
    total.calls += s.calls;
    total.replies += s.replies;
    total.dead_peer += s.dead_peer;
    total.mailbox_stalls += s.mailbox_stalls;
    total.blocks_released += s.blocks_released;
    total.stale_releases += s.stale_releases;
    total.recv_timeouts += s.recv_timeouts;
    total.doorbells_rung += s.doorbells_rung;
  }
  return total;
}
