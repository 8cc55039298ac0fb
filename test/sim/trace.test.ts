// The trace file streamed as a run goes: chunks reach the sink long before the end (memory stays
// bounded), and the chunks join into one valid Chrome trace with every event and its metadata.
import { describe, expect, it } from 'vitest';
import { TRACE_FLUSH_LINES, Trace } from '../../sim/trace.js';

describe('a streamed trace', () => {
  it('hands its lines to the sink as they come and ends as one valid JSON file', () => {
    const clock = { now_us: 0 };
    const chunks: string[] = [];
    const trace = new Trace(clock, true, Number.MAX_SAFE_INTEGER, [], (chunk) => chunks.push(chunk));
    trace.node(1, 2);
    const sends = 3 * TRACE_FLUSH_LINES;
    for (let i = 1; i <= sends; i++) {
      clock.now_us = i;
      trace.send(1, 0, 10, i, 1, 11);
      if (i === TRACE_FLUSH_LINES) expect(chunks.length).toBeGreaterThan(1); // Already streaming.
    }
    const before_end = chunks.length;
    trace.finish({ scenario: 'unit' });
    expect(chunks.length).toBe(before_end + 2); // The last lines, then the tail.
    const file = JSON.parse(chunks.join('')) as {
      traceEvents: { ph: string; name: string }[];
      otherData: { scenario: string; events_total: number; events_skipped: number; events_max: number | null };
    };
    expect(file.traceEvents.filter((e) => e.ph === 'X' && e.name === 'send').length).toBe(sends);
    expect(file.otherData).toMatchObject({
      scenario: 'unit',
      events_total: sends + 1,
      events_skipped: 0,
      events_max: null,
    });
  });

  it('with no events still ends as valid JSON', () => {
    const chunks: string[] = [];
    const trace = new Trace({ now_us: 0 }, true, 10, [], (chunk) => chunks.push(chunk));
    trace.finish({});
    expect(JSON.parse(chunks.join('')).traceEvents).toEqual([]);
  });
});
