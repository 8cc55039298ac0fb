// The latency slab: HDR histograms in shared memory, one writer per core, merged by any reader.
// Two worker cores record into their own regions; the main thread's merge is the histogram of
// every value, and a core's full region counts what it could not hold.
import { describe, expect, it } from 'vitest';
import { hosts_per_test } from '../kernel/host_helpers.js';
import { LatencySlab, latency_histogram, latency_summary } from '../../host/latency_slab.js';
import {
  LATENCY_HEADER_BYTES,
  LATENCY_US_MAX,
  LatencyKind,
  LatencyLayout,
  SLOT_LINE_BYTES,
} from '../../kernel/layout/latency_layout.js';
import { CACHE_LINE_BYTES } from '../../kernel/layout/cache_line.js';

const fixtures = new URL('../fixtures/latency_processes.ts', import.meta.url);
const start = hosts_per_test();

/** `n` values from 1 µs to 1 s, two thirds under 1 ms, different per seed (an LCG: deterministic). */
function values(n: number, seed: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    out.push(1 + (i % 3 === 0 ? x % 1_000_000 : x % 1000));
  }
  return out;
}

describe('the latency slab', () => {
  it('lays every core region and slot out on cache lines of their own, inside the buffer', () => {
    const slab = LatencySlab.create(3, 2);
    const layout = slab.layout;
    expect(layout.total_bytes).toBe(slab.buffer.byteLength);
    let end = LATENCY_HEADER_BYTES;
    for (let core = 0; core < 3; core++) {
      expect(layout.core_word(core) * 4).toBe(end);
      for (let slot = 0; slot < 2; slot++) {
        const at = layout.slot_word(core, slot) * 4;
        expect(at % CACHE_LINE_BYTES).toBe(0);
        expect(layout.counts_offset(core, slot)).toBe(at + SLOT_LINE_BYTES);
        expect(layout.counts_offset(core, slot) + layout.counts_length * 4).toBeLessThanOrEqual(at + layout.slot_bytes);
      }
      end += layout.core_bytes;
    }
    expect(end).toBe(layout.total_bytes);
    expect(new LatencyLayout(1, 1, 16).slot_bytes).toBe(SLOT_LINE_BYTES + CACHE_LINE_BYTES);
  });

  it('merges what two worker cores recorded into the histogram of every value', async () => {
    const slab = LatencySlab.create(2, 2);
    const host = await start({ node: { sockets: 1, cores_per_socket: 2 } });
    const a = values(5000, 1);
    const b = values(3000, 2);
    const spawn = (pid: number, core: number, label: number, v: number[]) =>
      host.spawn({
        pid,
        core,
        module: fixtures,
        entry: 'record',
        args: { slab: slab.buffer, kind: LatencyKind.PING_RTT, label, values: v },
      });
    spawn(1, 0, 7, a);
    spawn(2, 1, 7, b);
    spawn(3, 1, 8, [10, 20, 30]);
    const results = await host.join([1, 2, 3]);
    expect(results.map((r) => r.value)).toEqual([
      { core: 0, recorded: 5000 },
      { core: 1, recorded: 3000 },
      { core: 1, recorded: 3 },
    ]);
    const merged = slab.merged(LatencyKind.PING_RTT);
    expect([...merged.keys()].sort()).toEqual([7, 8]);
    const all = latency_histogram();
    for (const v of [...a, ...b]) all.recordValue(v);
    const seven = latency_summary(merged.get(7)!);
    // The same percentiles; the merge knows the largest value to its bucket's highest equivalent.
    expect(seven).toEqual({ ...latency_summary(all), max: all.highestEquivalentValue(all.maxValue) });
    expect(seven.count).toBe(8000);
    expect(latency_summary(merged.get(8)!)).toMatchObject({ count: 3, p50: 20, max: 30 });
    expect(slab.merged(LatencyKind.PING_RTT + 1).size).toBe(0);
    expect(slab.unrecorded_total()).toBe(0);
  });

  it('counts what a core cannot hold: a pair past its free slots, a value out of range', () => {
    const slab = LatencySlab.create(2, 2);
    const core0 = slab.writer(0);
    expect(core0.record(LatencyKind.PING_RTT, 1, 5)).toBe(true);
    expect(core0.record(LatencyKind.PING_RTT, 2, 5)).toBe(true);
    expect(core0.record(LatencyKind.PING_RTT, 3, 5)).toBe(false); // Core 0's two slots are taken.
    expect(core0.record(LatencyKind.PING_RTT, 1, LATENCY_US_MAX + 1)).toBe(false);
    expect(core0.record(LatencyKind.PING_RTT, 1, 0)).toBe(false);
    // Core 1's slots are its own: the third pair fits there.
    expect(slab.writer(1).record(LatencyKind.PING_RTT, 3, 5)).toBe(true);
    // Another writer of core 0 (another process) finds the slots already claimed.
    expect(LatencySlab.open(slab.buffer).writer(0).record(LatencyKind.PING_RTT, 2, 9)).toBe(true);
    expect(slab.unrecorded(0)).toBe(3);
    expect(slab.unrecorded(1)).toBe(0);
    const merged = slab.merged(LatencyKind.PING_RTT);
    expect([...merged.entries()].map(([label, h]) => [label, h.totalCount]).sort()).toEqual([
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
  });
});
