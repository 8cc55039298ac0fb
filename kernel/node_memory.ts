/**
 * `NodeMemory`: the shared memory of one node, its control region and its spill region, and
 * the one place that creates, formats, validates and opens them.
 *
 * The main thread creates a node with `NodeMemory.create(config)`; it hands `shared()` (two
 * `SharedArrayBuffer`s) to each worker, which rebuilds the same view with `NodeMemory.open`.
 * Every thread that sends or receives then attaches (fastpath.ts) to one core or to a producer
 * slot; attachment is exclusive, so each ring has one consumer and each counter block one writer.
 *
 * There is no module-level state: any number of nodes can live in one process.
 */
import { ErrorCode } from './error_codes.js';
import { assert, assert_range } from './assert.js';
import { Doorbells } from './doorbell.js';
import type { Waiter } from './env.js';
import { ConfigError } from './errors.js';
import { WORD_BYTES } from './layout/cache_line.js';
import {
  CAP_BYTES,
  CAP_FIRST_CHILD_WORD,
  CAP_NEXT_SIBLING_WORD,
  CAP_PARENT_WORD,
  CAP_TAG_WORD,
  CAP_WORDS,
  CapState,
  cap_tag,
} from './layout/cap_layout.js';
import { EDGE_BYTES, EDGE_NEXT_FREE_WORD, EDGE_PARENT_WORD, EDGE_WORDS } from './layout/edge_layout.js';
import { PROCESS_WORDS } from './layout/process_layout.js';
import {
  CORE_CONTROL_BYTES,
  CORE_OWNER,
  MAILBOX_HEADER_BYTES,
  NODE_CAPS_PER_PID_WORD,
  NODE_CHANNELS_MAX_WORD,
  NODE_CLOSING_WORD,
  NODE_EDGES_MAX_WORD,
  NODE_EDGE_FREE_WORD,
  NODE_CORES_PER_SOCKET_WORD,
  NODE_MAGIC,
  NODE_MAGIC_WORD,
  NODE_MAILBOX_CAPACITY_WORD,
  NODE_PIDS_MAX_WORD,
  NODE_PRODUCERS_MAX_WORD,
  NODE_RING_CAPACITY_L1_WORD,
  NODE_RING_CAPACITY_L2_WORD,
  NODE_RING_CAPACITY_L3_WORD,
  NODE_SOCKETS_WORD,
  NODE_VERSION,
  NODE_VERSION_WORD,
  PRODUCER_CONTROL_BYTES,
  PRODUCER_OWNER,
  check_geometry,
  node_layout,
  ring_offset,
  type NodeGeometry,
  type NodeLayout,
} from './layout/node_layout.js';
import { RING_CAPACITY_MAX } from './layout/ring_layout.js';
import {
  DEFAULT_SLAB_CLASSES,
  SPILL_CLASSES_MAX,
  SPILL_HEADER_CLASSES_WORD,
  SPILL_HEADER_CLASS_COUNT_WORD,
  SPILL_HEADER_CORES_WORD,
  SPILL_HEADER_MAGIC_WORD,
  SPILL_HEADER_REGION_BYTES_WORD,
  SPILL_HEADER_VERSION_WORD,
  SPILL_MAGIC,
  SPILL_QUEUE_BYTES,
  SPILL_VERSION,
  spill_layout,
  type SlabClass,
  type SpillLayout,
} from './layout/spill_layout.js';
import { ring_format } from './ring.js';
import { slab_format } from './slab.js';
import { spill_queue_format } from './spill_queue.js';
import { Topology } from './topology.js';

/** Configuration of a node. Every field has a default (`DEFAULT_GEOMETRY`). */
export interface NodeConfig extends Partial<NodeGeometry> {
  /**
   * The spill region (the spec's `set_message_region`): a `SharedArrayBuffer` the node formats
   * and uses for its payload slab and spill queues. Default: one sized for `slab_classes`.
   */
  readonly message_region?: SharedArrayBuffer;
  /** Size classes of the payload slab, smallest first. Default: `DEFAULT_SLAB_CLASSES`. */
  readonly slab_classes?: readonly SlabClass[];
}

/** The default node: 2 sockets × 2 cores, 256 pids, 4096 channels. */
export const DEFAULT_GEOMETRY: NodeGeometry = {
  sockets: 2,
  cores_per_socket: 2,
  pids_max: 256,
  channels_max: 4096,
  ring_capacity_l1: 256,
  ring_capacity_l2: 256,
  ring_capacity_l3: 512,
  mailbox_capacity: 16,
  producers_max: 4,
  caps_per_pid: 64,
  edges_max: 8192,
};

/** What a worker needs to open the same node: two shared buffers. */
export interface NodeShared {
  readonly control: SharedArrayBuffer;
  readonly region: SharedArrayBuffer;
}

/** Bytes a message region needs for `cores` cores and these slab classes. */
export function message_region_bytes(cores: number, classes: readonly SlabClass[] = DEFAULT_SLAB_CLASSES): number {
  return spill_layout(cores, classes).region_bytes;
}

/**
 * A node's shared memory: the control region (tables, rings, counters) and the message region
 * (slab, spill queues), shared by every thread of the node.
 */
export class NodeMemory {
  readonly layout: NodeLayout;
  readonly spill: SpillLayout;
  readonly topology: Topology;
  readonly control: SharedArrayBuffer;
  readonly region: SharedArrayBuffer;
  /** The control region as Int32 words. */
  readonly i32: Int32Array;
  /** The control region as Uint32 words (counters). */
  readonly u32: Uint32Array;
  /** The spill region as Int32 words. */
  readonly r32: Int32Array;
  /** The spill region as bytes (payload blocks are read and written through it). */
  readonly r8: Uint8Array;
  /** Word indexes of the pid table and of pid 0's process entry (integer arithmetic on hot paths). */
  private readonly pid_table_word: number;
  private readonly process_table_word: number;
  private readonly pids_max: number;

  private constructor(control: SharedArrayBuffer, region: SharedArrayBuffer, layout: NodeLayout, spill: SpillLayout) {
    this.control = control;
    this.region = region;
    this.layout = layout;
    this.spill = spill;
    this.topology = new Topology(layout.geometry.sockets, layout.geometry.cores_per_socket);
    this.i32 = new Int32Array(control);
    this.u32 = new Uint32Array(control);
    this.r32 = new Int32Array(region);
    this.r8 = new Uint8Array(region);
    this.pid_table_word = layout.pid_table / WORD_BYTES;
    this.process_table_word = layout.process_table / WORD_BYTES;
    this.pids_max = layout.geometry.pids_max;
  }

  /** Creates and formats a node. Throws `ConfigError` for unusable configuration. */
  static create(config: NodeConfig = {}): NodeMemory {
    const geometry = validate_geometry(config);
    const classes = validate_classes(config.slab_classes ?? DEFAULT_SLAB_CLASSES);
    const layout = node_layout(geometry);
    const spill = spill_layout(layout.cores, classes);
    let region: SharedArrayBuffer;
    if (config.message_region === undefined) {
      region = new SharedArrayBuffer(spill.region_bytes);
    } else {
      region = config.message_region;
      check_region(region, spill.region_bytes);
    }
    const control = new SharedArrayBuffer(layout.control_bytes);
    const memory = new NodeMemory(control, region, layout, spill);
    // A new SharedArrayBuffer is all zero: only the words that must not be zero are written, so
    // the pages nothing uses yet are never touched (64 simulated nodes made 74k page faults).
    memory.format(true, config.message_region === undefined);
    return memory;
  }

  /** Opens a node another thread created. Throws `ConfigError` if the buffers are not one. */
  static open(shared: NodeShared): NodeMemory {
    if (!(shared.control instanceof SharedArrayBuffer)) {
      throw new ConfigError(
        ErrorCode.BUFFER_TYPE,
        `control region must be a SharedArrayBuffer, got ${describe(shared.control)}`,
      );
    }
    if (!(shared.region instanceof SharedArrayBuffer)) {
      throw new ConfigError(
        ErrorCode.BUFFER_TYPE,
        `message region must be a SharedArrayBuffer, got ${describe(shared.region)}`,
      );
    }
    const c = new Int32Array(shared.control, 0, 16);
    if (c[NODE_MAGIC_WORD] !== NODE_MAGIC || c[NODE_VERSION_WORD] !== NODE_VERSION) {
      throw new ConfigError(ErrorCode.BAD_REGION, 'control region is not a formatted Lattice node (magic or version)');
    }
    const geometry: NodeGeometry = {
      sockets: c[NODE_SOCKETS_WORD]!,
      cores_per_socket: c[NODE_CORES_PER_SOCKET_WORD]!,
      pids_max: c[NODE_PIDS_MAX_WORD]!,
      channels_max: c[NODE_CHANNELS_MAX_WORD]!,
      ring_capacity_l1: c[NODE_RING_CAPACITY_L1_WORD]!,
      ring_capacity_l2: c[NODE_RING_CAPACITY_L2_WORD]!,
      ring_capacity_l3: c[NODE_RING_CAPACITY_L3_WORD]!,
      mailbox_capacity: c[NODE_MAILBOX_CAPACITY_WORD]!,
      producers_max: c[NODE_PRODUCERS_MAX_WORD]!,
      caps_per_pid: c[NODE_CAPS_PER_PID_WORD]!,
      edges_max: c[NODE_EDGES_MAX_WORD]!,
    };
    const layout = node_layout(geometry);
    if (layout.control_bytes !== shared.control.byteLength) {
      throw new ConfigError(ErrorCode.BAD_REGION, 'control region size does not match its geometry');
    }
    const r = new Int32Array(shared.region, 0, 16);
    if (r[SPILL_HEADER_MAGIC_WORD] !== SPILL_MAGIC || r[SPILL_HEADER_VERSION_WORD] !== SPILL_VERSION) {
      throw new ConfigError(
        ErrorCode.BAD_REGION,
        'message region is not a formatted Lattice region (magic or version)',
      );
    }
    const classes: SlabClass[] = [];
    const count = r[SPILL_HEADER_CLASS_COUNT_WORD]!;
    assert_range(count, 1, SPILL_CLASSES_MAX, 'region class count');
    for (let k = 0; k < count; k++) {
      classes.push({
        block_bytes: r[SPILL_HEADER_CLASSES_WORD + 2 * k]!,
        block_count: r[SPILL_HEADER_CLASSES_WORD + 2 * k + 1]!,
      });
    }
    const spill = spill_layout(r[SPILL_HEADER_CORES_WORD]!, classes);
    assert(spill.cores === layout.cores, 'regions agree on core count');
    assert(spill.region_bytes === r[SPILL_HEADER_REGION_BYTES_WORD], 'region size matches its header');
    return new NodeMemory(shared.control, shared.region, layout, spill);
  }

  /** The two buffers to hand to another thread. */
  shared(): NodeShared {
    return { control: this.control, region: this.region };
  }

  /** Node geometry. */
  get geometry(): NodeGeometry {
    return this.layout.geometry;
  }

  /** Number of cores. */
  get cores(): number {
    return this.layout.cores;
  }

  /** `control_zeroed` / `region_zeroed`: the buffer is known to be all zero (new). */
  private format(control_zeroed: boolean, region_zeroed: boolean): void {
    const i32 = this.i32;
    const g = this.layout.geometry;
    i32[NODE_MAGIC_WORD] = NODE_MAGIC;
    i32[NODE_VERSION_WORD] = NODE_VERSION;
    i32[NODE_SOCKETS_WORD] = g.sockets;
    i32[NODE_CORES_PER_SOCKET_WORD] = g.cores_per_socket;
    i32[NODE_PIDS_MAX_WORD] = g.pids_max;
    i32[NODE_CHANNELS_MAX_WORD] = g.channels_max;
    i32[NODE_RING_CAPACITY_L1_WORD] = g.ring_capacity_l1;
    i32[NODE_RING_CAPACITY_L2_WORD] = g.ring_capacity_l2;
    i32[NODE_RING_CAPACITY_L3_WORD] = g.ring_capacity_l3;
    i32[NODE_MAILBOX_CAPACITY_WORD] = g.mailbox_capacity;
    i32[NODE_PRODUCERS_MAX_WORD] = g.producers_max;
    i32[NODE_CAPS_PER_PID_WORD] = g.caps_per_pid;
    i32[NODE_EDGES_MAX_WORD] = g.edges_max;
    const pids = this.layout.pid_table / WORD_BYTES;
    i32.fill(-1, pids, pids + g.pids_max);
    format_caps(i32, this.layout.cap_tables / WORD_BYTES, g.pids_max * g.caps_per_pid, control_zeroed);
    format_edges(i32, this.layout.edge_pool / WORD_BYTES, g.edges_max, control_zeroed);
    for (const list of [this.layout.graph_first_out, this.layout.graph_first_in, this.layout.graph_first_same]) {
      i32.fill(-1, list / WORD_BYTES, list / WORD_BYTES + g.channels_max);
    }
    i32[NODE_EDGE_FREE_WORD] = 0;
    for (let core = 0; core < this.layout.cores; core++) {
      for (let tier = 0; tier < 3; tier++) {
        ring_format(
          i32,
          ring_offset(this.layout, core, tier),
          this.layout.ring_capacities[tier as 0 | 1 | 2],
          0,
          control_zeroed,
        );
      }
    }
    this.format_region(region_zeroed);
  }

  private format_region(zeroed: boolean): void {
    const r32 = this.r32;
    const spill = this.spill;
    if (!zeroed) r32.fill(0, 0, spill.queues_offset / WORD_BYTES);
    r32[SPILL_HEADER_MAGIC_WORD] = SPILL_MAGIC;
    r32[SPILL_HEADER_VERSION_WORD] = SPILL_VERSION;
    r32[SPILL_HEADER_REGION_BYTES_WORD] = spill.region_bytes;
    r32[SPILL_HEADER_CORES_WORD] = spill.cores;
    r32[SPILL_HEADER_CLASS_COUNT_WORD] = spill.classes.length;
    for (let k = 0; k < spill.classes.length; k++) {
      r32[SPILL_HEADER_CLASSES_WORD + 2 * k] = spill.classes[k]!.block_bytes;
      r32[SPILL_HEADER_CLASSES_WORD + 2 * k + 1] = spill.classes[k]!.block_count;
    }
    for (let core = 0; core < spill.cores; core++) {
      spill_queue_format(r32, spill.queues_offset + core * SPILL_QUEUE_BYTES);
    }
    slab_format(r32, spill);
  }

  /**
   * Replaces the message region (the spec's `fastpath::set_message_region`). Allowed only
   * while no thread is attached; the region is formatted for this node's cores and classes.
   */
  set_message_region(region: SharedArrayBuffer): NodeMemory {
    check_region(region, this.spill.region_bytes);
    for (let core = 0; core < this.cores; core++) {
      if (Atomics.load(this.i32, this.core_control_word(core) + CORE_OWNER / WORD_BYTES) !== 0) {
        throw new ConfigError(
          ErrorCode.REGION_IN_USE,
          'set_message_region: a core is attached; set the region before attaching',
        );
      }
    }
    const memory = new NodeMemory(this.control, region, this.layout, this.spill);
    memory.format_region(false);
    return memory;
  }

  /** Binds `pid` to `core`. Throws `ConfigError` for a bad pid or core, or a pid already bound. */
  bind(pid: number, core: number): void {
    this.check_pid(pid);
    if (!Number.isInteger(core) || core < 0 || core >= this.cores) {
      throw new ConfigError(ErrorCode.BAD_CORE, `core ${core} is outside [0, ${this.cores})`);
    }
    const w = this.layout.pid_table / WORD_BYTES + pid;
    const seen = Atomics.compareExchange(this.i32, w, -1, core);
    if (seen !== -1 && seen !== core) {
      throw new ConfigError(ErrorCode.PID_BOUND, `pid ${pid} is already bound to core ${seen}`);
    }
  }

  /** Unbinds `pid`; messages sent to it afterwards fail with `NOT_BOUND`. */
  unbind(pid: number): void {
    this.check_pid(pid);
    Atomics.store(this.i32, this.layout.pid_table / WORD_BYTES + pid, -1);
  }

  /** The core `pid` is bound to, or -1. */
  core_of(pid: number): number {
    if (!(pid >= 0 && pid < this.pids_max && (pid | 0) === pid)) return -1;
    return Atomics.load(this.i32, this.pid_table_word + pid);
  }

  private check_pid(pid: number): void {
    if (!Number.isInteger(pid) || pid < 0 || pid >= this.geometry.pids_max) {
      throw new ConfigError(ErrorCode.BAD_PID, `pid ${pid} is outside [0, ${this.geometry.pids_max})`);
    }
  }

  /** Word index of `core`'s control lines. */
  core_control_word(core: number): number {
    assert_range(core, 0, this.cores - 1, 'core');
    return (this.layout.core_controls + core * CORE_CONTROL_BYTES) / WORD_BYTES;
  }

  /**
   * Frees every core and producer attachment, for a host that restarts the node after every
   * thread attached to it died (a crash with the shared memory kept): the dead threads cannot
   * detach, and their tokens would keep the cores. Never call it while a live thread is attached.
   */
  reclaim_attachments(): void {
    for (let core = 0; core < this.cores; core++)
      Atomics.store(this.i32, this.core_control_word(core) + CORE_OWNER / WORD_BYTES, 0);
    for (let slot = 0; slot < this.geometry.producers_max; slot++)
      Atomics.store(this.i32, this.producer_owner_word(slot), 0);
  }

  /** Word index of producer slot `slot`'s owner word. */
  producer_owner_word(slot: number): number {
    assert_range(slot, 0, this.geometry.producers_max - 1, 'producer slot');
    return (this.layout.producer_controls + slot * PRODUCER_CONTROL_BYTES + PRODUCER_OWNER) / WORD_BYTES;
  }

  /** Word index of the mailbox of `pid`. */
  mailbox_word(pid: number): number {
    return (this.layout.mailboxes + pid * this.layout.mailbox_bytes) / WORD_BYTES;
  }

  /** Word index of the first slot of the mailbox of `pid`. */
  mailbox_slots_word(pid: number): number {
    return this.mailbox_word(pid) + MAILBOX_HEADER_BYTES / WORD_BYTES;
  }

  /** Word index of the process entry of `pid`. */
  process_word(pid: number): number {
    return this.process_table_word + pid * PROCESS_WORDS;
  }

  /** Word index of capability `global` (`pid * caps_per_pid + slot`). */
  cap_word(global: number): number {
    return (this.layout.cap_tables + global * CAP_BYTES) / WORD_BYTES;
  }

  /** Word index of edge `edge`. */
  edge_word(edge: number): number {
    return (this.layout.edge_pool + edge * EDGE_BYTES) / WORD_BYTES;
  }

  /** Whether the node is closing. */
  closing(): boolean {
    return Atomics.load(this.i32, NODE_CLOSING_WORD) !== 0;
  }

  /**
   * Marks the node closing and rings every core's doorbell, so that blocked receives return
   * `CLOSED` at once. Sends fail with `CLOSED` from then on.
   */
  set_closing(waiter: Waiter): void {
    Atomics.store(this.i32, NODE_CLOSING_WORD, 1);
    new Doorbells(this, waiter).ring_all();
  }
}

/** Every capability slot free at generation 1, outside any derivation tree. */
function format_caps(i32: Int32Array, first_word: number, count: number, zeroed: boolean): void {
  for (let i = 0; i < count; i++) {
    const w = first_word + i * CAP_WORDS;
    if (!zeroed) i32.fill(0, w, w + CAP_WORDS);
    i32[w + CAP_TAG_WORD] = cap_tag(1, CapState.FREE);
    i32[w + CAP_PARENT_WORD] = -1;
    i32[w + CAP_FIRST_CHILD_WORD] = -1;
    i32[w + CAP_NEXT_SIBLING_WORD] = -1;
  }
}

/** Every edge free, chained into the free list 0 → 1 → … → -1. */
function format_edges(i32: Int32Array, first_word: number, count: number, zeroed: boolean): void {
  for (let e = 0; e < count; e++) {
    const w = first_word + e * EDGE_WORDS;
    if (!zeroed) i32.fill(0, w, w + EDGE_WORDS);
    i32[w + EDGE_PARENT_WORD] = -1;
    i32[w + EDGE_NEXT_FREE_WORD] = e + 1 < count ? e + 1 : -1;
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return (value as object).constructor?.name ?? typeof value;
}

function check_region(region: unknown, bytes: number): asserts region is SharedArrayBuffer {
  if (!(region instanceof SharedArrayBuffer)) {
    throw new ConfigError(ErrorCode.BUFFER_TYPE, `message region must be a SharedArrayBuffer, got ${describe(region)}`);
  }
  if (region.byteLength < bytes) {
    throw new ConfigError(
      ErrorCode.REGION_TOO_SMALL,
      `message region has ${region.byteLength} bytes; this node needs ${bytes}`,
    );
  }
}

function int_field(config: NodeConfig, name: keyof NodeGeometry, min: number, max: number): number {
  const value = config[name] ?? DEFAULT_GEOMETRY[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      ErrorCode.BAD_GEOMETRY,
      `${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

function power_of_two_field(config: NodeConfig, name: keyof NodeGeometry, min: number, max: number): number {
  const value = int_field(config, name, min, max);
  if ((value & (value - 1)) !== 0) {
    throw new ConfigError(ErrorCode.BAD_GEOMETRY, `${name} must be a power of two, got ${value}`);
  }
  return value;
}

function validate_geometry(config: NodeConfig): NodeGeometry {
  const geometry: NodeGeometry = {
    sockets: int_field(config, 'sockets', 1, 64),
    cores_per_socket: int_field(config, 'cores_per_socket', 1, 256),
    pids_max: int_field(config, 'pids_max', 1, 32767),
    channels_max: power_of_two_field(config, 'channels_max', 2, 1 << 20),
    ring_capacity_l1: power_of_two_field(config, 'ring_capacity_l1', 2, RING_CAPACITY_MAX),
    ring_capacity_l2: power_of_two_field(config, 'ring_capacity_l2', 2, RING_CAPACITY_MAX),
    ring_capacity_l3: power_of_two_field(config, 'ring_capacity_l3', 2, RING_CAPACITY_MAX),
    mailbox_capacity: int_field(config, 'mailbox_capacity', 1, 1 << 16),
    producers_max: int_field(config, 'producers_max', 0, 64),
    caps_per_pid: int_field(config, 'caps_per_pid', 1, 256),
    edges_max: int_field(config, 'edges_max', 1, 1 << 22),
  };
  if (geometry.sockets * geometry.cores_per_socket > 1024) {
    throw new ConfigError(
      ErrorCode.BAD_GEOMETRY,
      `a node has at most 1024 cores, got ${geometry.sockets * geometry.cores_per_socket}`,
    );
  }
  check_geometry(geometry);
  return geometry;
}

function validate_classes(classes: readonly SlabClass[]): readonly SlabClass[] {
  if (!Array.isArray(classes) || classes.length < 1 || classes.length > SPILL_CLASSES_MAX) {
    throw new ConfigError(ErrorCode.BAD_SLAB_CLASSES, `slab_classes must list 1 to ${SPILL_CLASSES_MAX} classes`);
  }
  let previous = 0;
  for (const k of classes) {
    const ok =
      Number.isInteger(k.block_bytes) &&
      k.block_bytes >= 64 &&
      k.block_bytes <= 64 << 20 &&
      k.block_bytes % 64 === 0 &&
      Number.isInteger(k.block_count) &&
      k.block_count >= 1 &&
      k.block_count <= 1 << 20 &&
      k.block_bytes > previous;
    if (!ok) {
      throw new ConfigError(
        ErrorCode.BAD_SLAB_CLASSES,
        `slab class {block_bytes: ${k.block_bytes}, block_count: ${k.block_count}} is invalid: block_bytes a multiple of 64 in [64, 64 MiB], increasing; block_count in [1, 2^20]`,
      );
    }
    previous = k.block_bytes;
  }
  if (!classes.some((k) => k.block_bytes >= 128)) {
    throw new ConfigError(
      ErrorCode.BAD_SLAB_CLASSES,
      'some slab class must have block_bytes >= 128 to hold a spilled message',
    );
  }
  return classes;
}
