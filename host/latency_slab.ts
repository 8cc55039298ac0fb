/**
 * HDR latency histograms that live in shared memory (layout: kernel/layout/latency_layout.ts).
 *
 * Each core records into histograms of its own region with `hdr-histogram-js` (Gil Tene's
 * HdrHistogram, ported): `SharedHistogram` is that library's `JsHistogram` with its count array
 * placed in the slab, so recording is the library's own code writing one 32-bit word, with no
 * message, lock or atomic. Any thread reads a core's histograms through the same class over the
 * same words and merges them with the library's `add`: a histogram per (kind, label) summed over
 * cores, whose p50/p90/p99/p99.9/max are exported in `/metrics`.
 */
import { JsHistogram, build } from 'hdr-histogram-js';
import { assert, assert_range } from '../kernel/assert.js';
import { ErrorCode } from '../kernel/error_codes.js';
import { ConfigError } from '../kernel/errors.js';
import {
  CORE_UNRECORDED_WORD,
  LATENCY_CORES_WORD,
  LATENCY_COUNTS_LENGTH_WORD,
  LATENCY_MAGIC,
  LATENCY_MAGIC_WORD,
  LATENCY_SIGNIFICANT_DIGITS,
  LATENCY_SLOTS_PER_CORE_LIMIT,
  LATENCY_SLOTS_PER_CORE_WORD,
  LATENCY_US_MAX,
  LATENCY_US_MIN,
  LatencyLayout,
  SLOT_FREE,
  SLOT_KIND_WORD,
  SLOT_LABEL_WORD,
  SLOT_STATE_WORD,
  SLOT_USED,
} from '../kernel/layout/latency_layout.js';

/** A histogram of the slab's range and precision, not in shared memory (a merge's result). */
export function latency_histogram(): JsHistogram {
  return build({
    lowestDiscernibleValue: LATENCY_US_MIN,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: LATENCY_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  }) as JsHistogram;
}

/** Counts in one histogram of the slab's range and precision. */
function counts_length(): number {
  return latency_histogram().countsArrayLength;
}

/**
 * `hdr-histogram-js`'s histogram with its counts in a slab slot. Written by the slot's core only;
 * a reader's instance over the same words learns the totals with `establishInternalTackingValues`.
 */
class SharedHistogram extends JsHistogram {
  private readonly counts: Uint32Array;

  constructor(buffer: SharedArrayBuffer, byte_offset: number) {
    super(LATENCY_US_MIN, LATENCY_US_MAX, LATENCY_SIGNIFICANT_DIGITS);
    this.counts = new Uint32Array(buffer, byte_offset, this.countsArrayLength);
  }
  getCountAtIndex(index: number): number {
    return this.counts[index]!;
  }
  incrementCountAtIndex(index: number): void {
    this.counts[index]!++;
  }
  addToCountAtIndex(index: number, value: number): void {
    this.counts[index]! += value;
  }
  setCountAtIndex(index: number, value: number): void {
    this.counts[index] = value;
  }
  clearCounts(): void {
    this.counts.fill(0);
  }
  protected _getEstimatedFootprintInBytes(): number {
    return this.counts.byteLength;
  }
  resize(): void {
    assert(false, 'a shared histogram never resizes');
  }
  copyCorrectedForCoordinatedOmission(interval: number): JsHistogram {
    const copy = latency_histogram();
    copy.addWhileCorrectingForCoordinatedOmission(this, interval);
    return copy;
  }
}

/** A node's latency histograms: every core's, in one SharedArrayBuffer shared with its workers. */
export class LatencySlab {
  private readonly u32: Uint32Array;

  private constructor(
    readonly buffer: SharedArrayBuffer,
    readonly layout: LatencyLayout,
  ) {
    this.u32 = new Uint32Array(buffer);
  }

  /** A new, empty slab for `cores` cores with `slots_per_core` histograms each. */
  static create(cores: number, slots_per_core: number): LatencySlab {
    if (!(Number.isInteger(slots_per_core) && slots_per_core >= 1 && slots_per_core <= LATENCY_SLOTS_PER_CORE_LIMIT))
      throw new ConfigError(
        ErrorCode.BAD_LIMIT,
        `latency_slots_per_core ${slots_per_core} is outside [1, ${LATENCY_SLOTS_PER_CORE_LIMIT}]`,
      );
    assert_range(cores, 1, 1 << 16, 'latency slab cores');
    const layout = new LatencyLayout(cores, slots_per_core, counts_length());
    const slab = new LatencySlab(new SharedArrayBuffer(layout.total_bytes), layout);
    slab.u32[LATENCY_CORES_WORD] = cores;
    slab.u32[LATENCY_SLOTS_PER_CORE_WORD] = slots_per_core;
    slab.u32[LATENCY_COUNTS_LENGTH_WORD] = layout.counts_length;
    slab.u32[LATENCY_MAGIC_WORD] = LATENCY_MAGIC;
    return slab;
  }

  /** The slab another thread made (`create`), from its buffer. */
  static open(buffer: SharedArrayBuffer): LatencySlab {
    const u32 = new Uint32Array(buffer);
    assert(u32[LATENCY_MAGIC_WORD] === LATENCY_MAGIC, 'latency slab: magic');
    assert(u32[LATENCY_COUNTS_LENGTH_WORD] === counts_length(), 'latency slab: histogram precision');
    const layout = new LatencyLayout(
      u32[LATENCY_CORES_WORD]!,
      u32[LATENCY_SLOTS_PER_CORE_WORD]!,
      u32[LATENCY_COUNTS_LENGTH_WORD]!,
    );
    assert(layout.total_bytes === buffer.byteLength, 'latency slab: size');
    return new LatencySlab(buffer, layout);
  }

  /** The recorder of `core`: to be used on that core's thread only. */
  writer(core: number): LatencyWriter {
    assert_range(core, 0, this.layout.cores - 1, 'latency core');
    return new LatencyWriter(this, core);
  }

  /** Values `core` could not record (no free slot, or out of range). */
  unrecorded(core: number): number {
    return Atomics.load(this.u32, this.layout.core_word(core) + CORE_UNRECORDED_WORD);
  }

  /** Values no core could record, summed over cores. */
  unrecorded_total(): number {
    let total = 0;
    for (let core = 0; core < this.layout.cores; core++) total += this.unrecorded(core);
    return total;
  }

  /**
   * Histograms of `kind` by label, each the sum over every core that recorded one (a new
   * histogram: the slab is not touched). Exact per count; not one instant across cores.
   */
  merged(kind: number): Map<number, JsHistogram> {
    const out = new Map<number, JsHistogram>();
    for (let core = 0; core < this.layout.cores; core++)
      for (let slot = 0; slot < this.layout.slots_per_core; slot++) {
        const w = this.layout.slot_word(core, slot);
        if (Atomics.load(this.u32, w + SLOT_STATE_WORD) !== SLOT_USED) continue;
        if (this.u32[w + SLOT_KIND_WORD] !== kind) continue;
        const label = this.u32[w + SLOT_LABEL_WORD]!;
        const view = new SharedHistogram(this.buffer, this.layout.counts_offset(core, slot));
        view.establishInternalTackingValues();
        let sum = out.get(label);
        if (sum === undefined) out.set(label, (sum = latency_histogram()));
        sum.add(view);
      }
    return out;
  }

  /** @internal The words of the slab (the writer's). */
  words(): Uint32Array {
    return this.u32;
  }
}

/** One core's recorder: finds or claims the slot of a (kind, label) pair and records into it. */
export class LatencyWriter {
  private readonly histograms = new Map<number, SharedHistogram>();
  private readonly u32: Uint32Array;

  constructor(
    private readonly slab: LatencySlab,
    private readonly core: number,
  ) {
    this.u32 = slab.words();
  }

  /**
   * Records `value_us` for (`kind`, `label`). Returns false, and counts the value in the core's
   * `unrecorded`, when the core has no free slot left or the value is outside 1 µs–60 s.
   */
  record(kind: number, label: number, value_us: number): boolean {
    const histogram = this.histogram(kind, label);
    if (histogram === null || !(value_us >= LATENCY_US_MIN && value_us <= LATENCY_US_MAX)) {
      const w = this.slab.layout.core_word(this.core) + CORE_UNRECORDED_WORD;
      Atomics.store(this.u32, w, this.u32[w]! + 1);
      return false;
    }
    histogram.recordValue(Math.round(value_us));
    return true;
  }

  private histogram(kind: number, label: number): SharedHistogram | null {
    assert_range(kind, 1, 0xffff, 'latency kind');
    assert_range(label, 0, 0xffff_ffff, 'latency label');
    const key = kind * 2 ** 32 + label;
    const known = this.histograms.get(key);
    if (known !== undefined) return known;
    const layout = this.slab.layout;
    for (let slot = 0; slot < layout.slots_per_core; slot++) {
      const w = layout.slot_word(this.core, slot);
      const state = this.u32[w + SLOT_STATE_WORD];
      const mine =
        state === SLOT_USED && this.u32[w + SLOT_KIND_WORD] === kind && this.u32[w + SLOT_LABEL_WORD] === label;
      if (state === SLOT_FREE) {
        this.u32[w + SLOT_KIND_WORD] = kind;
        this.u32[w + SLOT_LABEL_WORD] = label;
        Atomics.store(this.u32, w + SLOT_STATE_WORD, SLOT_USED); // Published after its key.
      }
      if (state === SLOT_FREE || mine) {
        const histogram = new SharedHistogram(this.slab.buffer, layout.counts_offset(this.core, slot));
        histogram.establishInternalTackingValues(); // Another writer object of this core may have recorded.
        this.histograms.set(key, histogram);
        return histogram;
      }
    }
    return null;
  }
}

/** p50/p90/p99/p99.9 and max of a histogram, µs (zeros when it is empty). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
  /** Sum of the values, µs (from the histogram's mean: within its precision). */
  sum: number;
}

/** The summary of `histogram`. */
export function latency_summary(histogram: JsHistogram): LatencySummary {
  const count = histogram.totalCount;
  const at = (percentile: number) => (count === 0 ? 0 : histogram.getValueAtPercentile(percentile));
  return {
    count,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p99_9: at(99.9),
    max: count === 0 ? 0 : histogram.maxValue,
    sum: count === 0 ? 0 : histogram.mean * count,
  };
}
