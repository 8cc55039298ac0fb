/**
 * Latency histograms in shared memory: a fixed number of HDR histograms per core, each written
 * by that core's thread only (no cross-core writes), read and merged by any thread
 * (host/latency_slab.ts reads them through `hdr-histogram-js`).
 *
 * The buffer is made once when the node starts, sized by its cores and `slots_per_core`; a
 * histogram is never allocated later. A core claims a free slot of its own region the first
 * time it records a (kind, label) pair; a value for a pair that finds no free slot is counted in
 * the core's `unrecorded` word, never lost silently.
 *
 *   0                64               64 + CORE_BYTES            64 + cores * CORE_BYTES
 *   +----------------+--------------------------+---- ... -------+
 *   | slab header    | core 0 region            | core 1 ...     |
 *   +----------------+--------------------------+---- ... -------+
 *
 *   slab header (one line):   magic u32 | cores u32 | slots_per_core u32 | counts_length u32
 *
 *   core region:
 *   +----------------+----------------------------------+---- ... ----+
 *   | core line      | slot 0                           | slot 1 ...  |
 *   +----------------+----------------------------------+---- ... ----+
 *   core line:  unrecorded u32 (values that found no slot or were out of range)
 *
 *   slot:
 *   +----------------+------------------------------------------------+
 *   | slot line      | counts: counts_length × u32 (HDR count array)   |
 *   +----------------+------------------------------------------------+
 *   slot line:  state u32 (0 free, 1 used: stored last, after kind and label) | kind u32 | label u32
 *
 * Every region starts on a cache line, so two cores never write the same line. A count is a plain
 * 32-bit store by its one writer; a reader sees each count whole (aligned 32-bit words do not tear).
 */
import { CACHE_LINE_BYTES, WORD_BYTES, align_up } from './cache_line.js';

/** "LATH": marks a latency slab. */
export const LATENCY_MAGIC = 0x4854414c;

/** What a latency histogram measures (a slot's `kind`). */
export const LatencyKind = {
  /** Round trips of the `ping` service, µs; label: the peer node pinged. */
  PING_RTT: 1,
} as const;
export type LatencyKind = (typeof LatencyKind)[keyof typeof LatencyKind];

/** Each histogram's range and precision (HdrHistogram's parameters): 1 µs to 60 s, 3 digits. */
export const LATENCY_US_MIN = 1;
export const LATENCY_US_MAX = 60_000_000;
export const LATENCY_SIGNIFICANT_DIGITS = 3;

/** Histograms each core may hold, by default, and the most a node may be configured with. */
export const LATENCY_SLOTS_PER_CORE_DEFAULT = 8;
export const LATENCY_SLOTS_PER_CORE_LIMIT = 64;

/** Slot states. */
export const SLOT_FREE = 0;
export const SLOT_USED = 1;

// Slab header words.
export const LATENCY_MAGIC_WORD = 0;
export const LATENCY_CORES_WORD = 1;
export const LATENCY_SLOTS_PER_CORE_WORD = 2;
export const LATENCY_COUNTS_LENGTH_WORD = 3;
/** Bytes of the slab header. */
export const LATENCY_HEADER_BYTES = CACHE_LINE_BYTES;

// Core line words (from the core region's first word).
export const CORE_UNRECORDED_WORD = 0;
/** Bytes of a core line. */
export const CORE_LINE_BYTES = CACHE_LINE_BYTES;

// Slot line words (from the slot's first word).
export const SLOT_STATE_WORD = 0;
export const SLOT_KIND_WORD = 1;
export const SLOT_LABEL_WORD = 2;
/** Bytes of a slot line, before its counts. */
export const SLOT_LINE_BYTES = CACHE_LINE_BYTES;

/** Where everything of a slab with `cores` cores and `slots_per_core` slots of `counts_length` counts lies. */
export class LatencyLayout {
  /** Bytes of one slot: its line and its counts, padded to a line. */
  readonly slot_bytes: number;
  /** Bytes of one core's region. */
  readonly core_bytes: number;
  /** Bytes of the whole slab. */
  readonly total_bytes: number;

  constructor(
    readonly cores: number,
    readonly slots_per_core: number,
    readonly counts_length: number,
  ) {
    this.slot_bytes = SLOT_LINE_BYTES + align_up(counts_length * WORD_BYTES, CACHE_LINE_BYTES);
    this.core_bytes = CORE_LINE_BYTES + slots_per_core * this.slot_bytes;
    this.total_bytes = LATENCY_HEADER_BYTES + cores * this.core_bytes;
  }

  /** Word index of `core`'s core line. */
  core_word(core: number): number {
    return (LATENCY_HEADER_BYTES + core * this.core_bytes) / WORD_BYTES;
  }

  /** Word index of slot `slot` of `core` (its line). */
  slot_word(core: number, slot: number): number {
    return this.core_word(core) + (CORE_LINE_BYTES + slot * this.slot_bytes) / WORD_BYTES;
  }

  /** Byte offset of the counts of slot `slot` of `core`. */
  counts_offset(core: number, slot: number): number {
    return this.slot_word(core, slot) * WORD_BYTES + SLOT_LINE_BYTES;
  }
}
