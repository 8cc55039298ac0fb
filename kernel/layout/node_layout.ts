/**
 * Node control region: everything a node's cores share except the spill region.
 *
 *   0        +-----------------------------------------------------+
 *            | header (1 line): magic, version, geometry           |
 *   64       +-----------------------------------------------------+
 *            | control lock (2 lines)                              |  graph/channel inserts only
 *   192      +-----------------------------------------------------+
 *            | closing flag (1 line)                               |
 *   256      +-----------------------------------------------------+
 *            | graph header (1 line): edge free list, edges used   |  control lock only
 *   320      +-----------------------------------------------------+
 *            | pid table: pids_max Int32 (core of each pid, -1)    |
 *            +-----------------------------------------------------+
 *            | core control × cores (2 lines each):                |
 *            |   line 0: doorbell, waiters     line 1: attach owner|
 *            | producer control × producers_max (1 line each)      |
 *            +-----------------------------------------------------+
 *            | counter blocks × (cores + producers_max)            |
 *            +-----------------------------------------------------+
 *            | rings of core 0: L1, L2, L3                         |
 *            | ... one set per core                                |
 *            +-----------------------------------------------------+
 *            | mailboxes × pids_max:                               |
 *            |   header line (head, tail) + capacity × slot        |
 *            +-----------------------------------------------------+
 *            | channel table × channels_max (4 lines each)         |
 *            +-----------------------------------------------------+
 *            | graph arrays: level, first_out, first_in,           |
 *            |   first_same: 4 × channels_max Int32, each padded   |
 *            +-----------------------------------------------------+
 *            | process table × pids_max (4 lines each)             |
 *            +-----------------------------------------------------+
 *            | capability tables × pids_max (caps_per_pid × 32 B)  |
 *            +-----------------------------------------------------+
 *            | edge pool × edges_max (32 B each)                   |
 *            +-----------------------------------------------------+  control_bytes
 *
 * "Producers" are threads that send into the node without being one of its cores, such as the
 * network driver delivering remote messages: each attaches to a producer slot of its own, so
 * every counter block still has a single writer.
 */
import { assert, assert_power_of_two, assert_range } from '../assert.js';
import { CACHE_LINE_BYTES, CONTENDED_BYTES, WORD_BYTES, lines } from './cache_line.js';
import { CAP_BYTES, CAP_SLOT_BITS } from './cap_layout.js';
import { CHANNEL_BYTES } from './channel_layout.js';
import { EDGE_BYTES } from './edge_layout.js';
import { PROCESS_BYTES } from './process_layout.js';
import { COUNTER_BLOCK_BYTES } from './counter_layout.js';
import { RING_CAPACITY_MAX, ring_bytes } from './ring_layout.js';
import { SLOT_BYTES } from './slot_layout.js';

/** Magic number of a formatted control region: "LATN". */
export const NODE_MAGIC = 0x4e54414c;
/** Layout version; a region of another version is refused. */
export const NODE_VERSION = 1;

// Header, word offsets.
export const NODE_MAGIC_WORD = 0;
export const NODE_VERSION_WORD = 1;
export const NODE_SOCKETS_WORD = 2;
export const NODE_CORES_PER_SOCKET_WORD = 3;
export const NODE_PIDS_MAX_WORD = 4;
export const NODE_CHANNELS_MAX_WORD = 5;
export const NODE_RING_CAPACITY_L1_WORD = 6;
export const NODE_RING_CAPACITY_L2_WORD = 7;
export const NODE_RING_CAPACITY_L3_WORD = 8;
export const NODE_MAILBOX_CAPACITY_WORD = 9;
export const NODE_PRODUCERS_MAX_WORD = 10;
/** Source of attach tokens (Atomics.add), so every attachment owns a distinct nonzero token. */
export const NODE_TOKENS_WORD = 11;
/** Channel entries in use (written under the control lock). */
export const NODE_CHANNELS_USED_WORD = 12;
export const NODE_CAPS_PER_PID_WORD = 13;
export const NODE_EDGES_MAX_WORD = 14;
export const NODE_HEADER_BYTES = CACHE_LINE_BYTES;

let offset = NODE_HEADER_BYTES;
/** Byte offset of the control lock word (0 free, 1 held, 2 held with waiters). */
export const NODE_LOCK = offset;
offset += CONTENDED_BYTES;
/** Byte offset of the closing flag (0 running, 1 closing). */
export const NODE_CLOSING = offset;
offset += CACHE_LINE_BYTES;
/** Byte offset of the graph header, written only under the control lock. */
export const NODE_GRAPH = offset;
offset += CACHE_LINE_BYTES;
/** Byte offset of the pid table. */
export const NODE_PID_TABLE = offset;
export const NODE_LOCK_WORD = NODE_LOCK / WORD_BYTES;
export const NODE_CLOSING_WORD = NODE_CLOSING / WORD_BYTES;
/** Head of the edge free list (-1 when empty). */
export const NODE_EDGE_FREE_WORD = NODE_GRAPH / WORD_BYTES;
/** Edges in use. */
export const NODE_EDGES_USED_WORD = NODE_GRAPH / WORD_BYTES + 1;

// Core control, byte offsets from its start.
/** The doorbell: bumped by a sender that finds the core's consumer asleep. */
export const CORE_DOORBELL = 0;
/** Threads asleep (or about to sleep) on the doorbell. */
export const CORE_WAITERS = WORD_BYTES;
/** Attach owner: 0 free, else a token of the attached thread. Its own line. */
export const CORE_OWNER = CACHE_LINE_BYTES;
export const CORE_CONTROL_BYTES = 2 * CACHE_LINE_BYTES;
/** Producer control: the attach owner word, one line. */
export const PRODUCER_OWNER = 0;
export const PRODUCER_CONTROL_BYTES = CACHE_LINE_BYTES;

// Mailbox header, byte offsets from the mailbox's start.
/** Messages taken from the mailbox so far (Int32, wraps). */
export const MAILBOX_HEAD = 0;
/** Messages put into the mailbox so far (Int32, wraps). */
export const MAILBOX_TAIL = WORD_BYTES;
export const MAILBOX_HEADER_BYTES = CACHE_LINE_BYTES;

/** The geometry a node is built with. */
export interface NodeGeometry {
  /** Sockets in the node. */
  readonly sockets: number;
  /** Cores in each socket. */
  readonly cores_per_socket: number;
  /** Pids are `0 .. pids_max - 1`. */
  readonly pids_max: number;
  /** Entries in the channel table (a power of two). */
  readonly channels_max: number;
  /** Slots in each core's L1, L2 and L3 ring (powers of two). */
  readonly ring_capacity_l1: number;
  readonly ring_capacity_l2: number;
  readonly ring_capacity_l3: number;
  /** Slots in each pid's mailbox (where a core parks messages for its other pids). */
  readonly mailbox_capacity: number;
  /** Producer slots for threads that are not cores (network delivery). */
  readonly producers_max: number;
  /** Capability slots of each pid (at most 256). */
  readonly caps_per_pid: number;
  /** Dependency edges the channel graph can hold. */
  readonly edges_max: number;
}

/** Limits on the geometry. */
export const SOCKETS_MAX = 64;
export const CORES_PER_SOCKET_MAX = 256;
export const CORES_MAX = 1024;
/** Pids fit in 15 bits so a channel key fits a positive Int32. */
export const PIDS_MAX = 32767;
export const CHANNELS_MAX = 1 << 20;
export const MAILBOX_CAPACITY_MAX = 1 << 16;
export const PRODUCERS_MAX = 64;
export const CAPS_PER_PID_MAX = 1 << CAP_SLOT_BITS;
export const EDGES_MAX = 1 << 22;

/** Byte offsets of every part of a control region, computed from its geometry in one place. */
export interface NodeLayout {
  readonly geometry: NodeGeometry;
  readonly cores: number;
  readonly pid_table: number;
  readonly core_controls: number;
  readonly producer_controls: number;
  readonly counter_blocks: number;
  /** Byte offset of ring (core, tier) is `rings + core * core_rings_bytes + ring_offsets[tier]`. */
  readonly rings: number;
  readonly ring_offsets: readonly [number, number, number];
  readonly ring_capacities: readonly [number, number, number];
  readonly core_rings_bytes: number;
  readonly mailboxes: number;
  readonly mailbox_bytes: number;
  readonly channel_table: number;
  /** Dense per-channel graph arrays (graph.ts): level, first_out, first_in, first_same. */
  readonly graph_levels: number;
  readonly graph_first_out: number;
  readonly graph_first_in: number;
  readonly graph_first_same: number;
  readonly process_table: number;
  readonly cap_tables: number;
  readonly edge_pool: number;
  readonly control_bytes: number;
}

/** Checks a geometry against its limits (as assertions: callers validate user input first). */
export function check_geometry(g: NodeGeometry): void {
  assert_range(g.sockets, 1, SOCKETS_MAX, 'sockets');
  assert_range(g.cores_per_socket, 1, CORES_PER_SOCKET_MAX, 'cores_per_socket');
  assert_range(g.sockets * g.cores_per_socket, 1, CORES_MAX, 'cores');
  assert_range(g.pids_max, 1, PIDS_MAX, 'pids_max');
  assert_power_of_two(g.channels_max, 'channels_max');
  assert_range(g.channels_max, 2, CHANNELS_MAX, 'channels_max');
  assert_range(g.ring_capacity_l1, 2, RING_CAPACITY_MAX, 'ring_capacity_l1');
  assert_range(g.ring_capacity_l2, 2, RING_CAPACITY_MAX, 'ring_capacity_l2');
  assert_range(g.ring_capacity_l3, 2, RING_CAPACITY_MAX, 'ring_capacity_l3');
  assert_range(g.mailbox_capacity, 1, MAILBOX_CAPACITY_MAX, 'mailbox_capacity');
  assert_range(g.producers_max, 0, PRODUCERS_MAX, 'producers_max');
  assert_range(g.caps_per_pid, 1, CAPS_PER_PID_MAX, 'caps_per_pid');
  assert_range(g.edges_max, 1, EDGES_MAX, 'edges_max');
}

/** Computes the layout of a control region. */
export function node_layout(g: NodeGeometry): NodeLayout {
  check_geometry(g);
  const cores = g.sockets * g.cores_per_socket;
  let offset = NODE_PID_TABLE;
  const pid_table = offset;
  offset += lines(g.pids_max * WORD_BYTES);
  const core_controls = offset;
  offset += cores * CORE_CONTROL_BYTES;
  const producer_controls = offset;
  offset += g.producers_max * PRODUCER_CONTROL_BYTES;
  const counter_blocks = offset;
  offset += (cores + g.producers_max) * COUNTER_BLOCK_BYTES;
  const rings = offset;
  const capacities: [number, number, number] = [g.ring_capacity_l1, g.ring_capacity_l2, g.ring_capacity_l3];
  const l1 = 0;
  const l2 = l1 + ring_bytes(capacities[0]);
  const l3 = l2 + ring_bytes(capacities[1]);
  const core_rings_bytes = l3 + ring_bytes(capacities[2]);
  offset += cores * core_rings_bytes;
  const mailboxes = offset;
  const mailbox_bytes = MAILBOX_HEADER_BYTES + g.mailbox_capacity * SLOT_BYTES;
  offset += g.pids_max * mailbox_bytes;
  const channel_table = offset;
  offset += g.channels_max * CHANNEL_BYTES;
  const graph_array_bytes = lines(g.channels_max * WORD_BYTES);
  const graph_levels = offset;
  offset += graph_array_bytes;
  const graph_first_out = offset;
  offset += graph_array_bytes;
  const graph_first_in = offset;
  offset += graph_array_bytes;
  const graph_first_same = offset;
  offset += graph_array_bytes;
  const process_table = offset;
  offset += g.pids_max * PROCESS_BYTES;
  const cap_tables = offset;
  offset += lines(g.pids_max * g.caps_per_pid * CAP_BYTES);
  const edge_pool = offset;
  offset += lines(g.edges_max * EDGE_BYTES);
  assert(offset <= 0x7fff_ffc0, 'control region fits Int32 offsets');
  return {
    geometry: { ...g },
    cores,
    pid_table,
    core_controls,
    producer_controls,
    counter_blocks,
    rings,
    ring_offsets: [l1, l2, l3],
    ring_capacities: capacities,
    core_rings_bytes,
    mailboxes,
    mailbox_bytes,
    channel_table,
    graph_levels,
    graph_first_out,
    graph_first_in,
    graph_first_same,
    process_table,
    cap_tables,
    edge_pool,
    control_bytes: offset,
  };
}

/** Byte offset of the ring of `core` at `tier` (0 = L1, 1 = L2, 2 = L3). */
export function ring_offset(layout: NodeLayout, core: number, tier: number): number {
  return layout.rings + core * layout.core_rings_bytes + layout.ring_offsets[tier as 0 | 1 | 2];
}
