/**
 * The run's trace: a digest of every event, and (when asked) a Chrome trace-event JSON file that
 * opens in Perfetto or chrome://tracing.
 *
 * Tracks: one process per node ("node N"), one thread per core, and a "network" thread (tid
 * `NETWORK_TID`) for drops and faults. A message is a 1 µs slice at its send and at its receipt,
 * joined by a flow arrow (ph 's' → 'f', id = the ledger's message id).
 *
 * The digest (two FNV-1a lanes over each event's numbers) covers every event even past
 * `events_max`, so two runs of one seed can be compared without writing the file.
 */

/** Thread id of a node's network track. */
export const NETWORK_TID = 1000;

/** Length of a send or receive slice, µs: short enough that slices on one thread rarely touch. */
export const SLICE_US = 0.1;

/** Lines held before they go to a streaming sink (bounds the trace's memory when it streams). */
export const TRACE_FLUSH_LINES = 4096;

/** Events within this many µs of a scheduled fault are kept past `events_max` (as many again). */
export const FAULT_WINDOW_US = 1000;

/** Kinds of trace events. */
export const TraceKind = { SEND: 1, RECV: 2, DROP: 3, FAULT: 4, PROCESS: 5 } as const;

/** The events of a run (Chrome trace format) and their digest, bounded by `trace_events_max`. */
export class Trace {
  /** Whether JSON events are kept (false: digest only). */
  readonly enabled: boolean;
  /** Events kept at most; the rest count in `events_skipped`. */
  readonly events_max: number;
  private lines: string[] = [];
  /** Lines already handed to the sink. */
  private flushed = 0;
  /** Where the file goes as the run goes (null: held in memory until `json`). */
  private readonly sink: ((chunk: string) => void) | null;
  events = 0;
  events_skipped = 0;
  /** Virtual time of the first event not kept (the cut), µs; -1 while every event is kept. */
  cut_at_us = -1;
  /** Events kept past the cap because they fell within `FAULT_WINDOW_US` of a fault. */
  events_near_faults = 0;
  /** Scheduled fault times, µs (events around them are kept past the cap). */
  private readonly fault_us: readonly number[];
  /** Where the last slice on each thread (node × 65536 + tid) ends, µs: slices on a thread never overlap. */
  private readonly slice_end = new Map<number, number>();
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  /** Events are stamped with this clock's time (the scheduler's, read here: a double passed as an argument cost an allocation per event). */
  private readonly clock: { readonly now_us: number };

  constructor(
    clock: { readonly now_us: number },
    enabled: boolean,
    events_max: number,
    fault_us: readonly number[] = [],
    sink: ((chunk: string) => void) | null = null,
  ) {
    this.clock = clock;
    this.enabled = enabled;
    this.events_max = events_max;
    this.fault_us = fault_us;
    this.sink = enabled ? sink : null;
    this.sink?.('{"displayTimeUnit":"ms","traceEvents":[\n');
  }

  /** Lines kept so far (handed to the sink or held). */
  private get kept(): number {
    return this.flushed + this.lines.length;
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.sink !== null && this.lines.length >= TRACE_FLUSH_LINES) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.sink!(`${this.flushed > 0 ? ',\n' : ''}${this.lines.join(',\n')}`);
    this.flushed += this.lines.length;
    this.lines = [];
  }

  /** Where a slice at `ts_us` on (`node`, `tid`) starts: no earlier than the thread's last slice ends. */
  private slice_start(node: number, tid: number, ts_us: number): number {
    const key = node * 65536 + tid;
    const start = Math.max(ts_us, this.slice_end.get(key) ?? 0);
    this.slice_end.set(key, start + SLICE_US);
    return start;
  }

  private near_fault(ts_us: number): boolean {
    for (const at of this.fault_us) if (Math.abs(ts_us - at) <= FAULT_WINDOW_US) return true;
    return false;
  }

  private step(v: number): void {
    const lo = v | 0;
    // The high word: a sign for an int32 (no division on the common path), else floor(v / 2^32).
    const hi = lo === v ? lo >> 31 : Math.floor(v / 4294967296) | 0;
    this.h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    const h2 = Math.imul(this.h2 ^ hi ^ (lo >>> 7), 0x5bd1e995);
    this.h2 = h2 ^ (h2 >>> 13);
  }

  private mix(a: number, b: number, c: number, d: number, e: number, f: number): void {
    this.step(a);
    this.step(b);
    this.step(c);
    this.step(d);
    this.step(e);
    this.step(f);
    this.events++;
  }

  private keep(): boolean {
    if (!this.enabled) return false;
    if (this.kept < this.events_max) return true;
    if (this.events_near_faults < this.events_max && this.near_fault(this.clock.now_us)) {
      this.events_near_faults++;
      return true;
    }
    if (this.events_skipped === 0) this.cut_at_us = this.clock.now_us;
    this.events_skipped++;
    return false;
  }

  /** Names a node's tracks. */
  node(node: number, cores: number): void {
    this.mix(TraceKind.PROCESS, 0, node, cores, 0, 0);
    if (!this.enabled) return;
    this.push(`{"ph":"M","name":"process_name","pid":${node},"args":{"name":"node ${node}"}}`);
    for (let c = 0; c < cores; c++)
      this.push(`{"ph":"M","name":"thread_name","pid":${node},"tid":${c},"args":{"name":"core ${c}"}}`);
    this.push(`{"ph":"M","name":"thread_name","pid":${node},"tid":${NETWORK_TID},"args":{"name":"network"}}`);
  }

  /** Records a committed send of message `id`. */
  send(node: number, core: number, pid: number, id: number, dst_node: number, dst_pid: number): void {
    const ts_us = this.clock.now_us;
    this.mix(TraceKind.SEND, ts_us, node * 65536 + core, pid, id, dst_node * 65536 + dst_pid);
    if (!this.keep()) return;
    const ts = this.slice_start(node, core, ts_us).toFixed(3);
    this.push(
      `{"ph":"X","name":"send","cat":"msg","ts":${ts},"dur":${SLICE_US},"pid":${node},"tid":${core},"args":{"id":${id},"src_pid":${pid},"dst":"${dst_node}:${dst_pid}"}}`,
    );
    this.push(`{"ph":"s","name":"msg","cat":"msg","id":${id},"ts":${ts},"pid":${node},"tid":${core}}`);
  }

  /** Records the delivery of message `id`, completed `delay_us` after now (the receipt's cost). */
  recv(node: number, core: number, pid: number, id: number, latency_us: number, delay_us: number): void {
    const ts_us = this.clock.now_us + delay_us;
    this.mix(TraceKind.RECV, ts_us, node * 65536 + core, pid, id, latency_us);
    if (!this.keep()) return;
    const ts = this.slice_start(node, core, ts_us).toFixed(3);
    this.push(
      `{"ph":"X","name":"recv","cat":"msg","ts":${ts},"dur":${SLICE_US},"pid":${node},"tid":${core},"args":{"id":${id},"pid":${pid},"latency_us":${latency_us.toFixed(3)}}}`,
    );
    this.push(`{"ph":"f","bp":"e","name":"msg","cat":"msg","id":${id},"ts":${ts},"pid":${node},"tid":${core}}`);
  }

  /** Records the drop of message `id` at `node`, under its counter's name ("layer.reason"): its flow ends here. */
  drop(node: number, id: number, reason: string): void {
    const ts_us = this.clock.now_us;
    this.mix(TraceKind.DROP, ts_us, node, id, reason.length, reason.charCodeAt(reason.length - 1));
    if (!this.keep()) return;
    const ts = ts_us.toFixed(3);
    this.push(
      `{"ph":"i","s":"t","name":"drop: ${reason}","cat":"drop","ts":${ts},"pid":${node},"tid":${NETWORK_TID},"args":{"id":${id},"reason":"${reason}"}}`,
    );
    this.push(`{"ph":"f","bp":"e","name":"msg","cat":"msg","id":${id},"ts":${ts},"pid":${node},"tid":${NETWORK_TID}}`);
  }

  /** Records a scheduled fault. */
  fault(what: string): void {
    const ts_us = this.clock.now_us;
    this.mix(TraceKind.FAULT, ts_us, what.length, what.charCodeAt(0), what.charCodeAt(what.length - 1), 0);
    if (!this.enabled) return;
    this.push(
      `{"ph":"i","s":"g","name":${JSON.stringify(what)},"cat":"fault","ts":${ts_us.toFixed(3)},"pid":0,"tid":0}`,
    );
  }

  /** The digest of every event so far, as 16 hex digits. */
  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /**
   * The Chrome trace-event JSON (empty events when tracing was off). Its metadata says how many
   * events the file holds of the run's, and where the cut fell when `events_max` stopped it.
   */
  json(metadata: Record<string, unknown>): string {
    const kept = {
      events_total: this.events,
      events_in_file: this.kept,
      events_skipped: this.events_skipped,
      events_max: this.events_max === Number.MAX_SAFE_INTEGER ? null : this.events_max,
      events_near_faults: this.events_near_faults,
      fault_window_ms: FAULT_WINDOW_US / 1000,
      ...(this.cut_at_us >= 0 ? { cut_at_ms: this.cut_at_us / 1000 } : {}),
    };
    return `{"displayTimeUnit":"ms","traceEvents":[\n${this.lines.join(',\n')}\n],"otherData":${JSON.stringify({ ...metadata, ...kept })}}\n`;
  }

  /** With a sink: hands it the rest of the file (the last lines, then the metadata, as `json` has it). */
  finish(metadata: Record<string, unknown>): void {
    if (this.sink === null) return;
    const total = this.kept;
    this.flush();
    const text = this.json(metadata);
    // `json` over no held lines: its tail, after the (now empty) list of events.
    this.sink(`${total > 0 ? '\n' : ''}${text.slice(text.indexOf('],"otherData"'))}`);
  }

  /** In words: whether the file holds every event, or where `events_max` cut it. */
  completeness(): string {
    if (this.events_skipped === 0) return 'every event';
    const near =
      this.fault_us.length === 0
        ? ''
        : `, and ${this.events_near_faults.toLocaleString('en-US')} within ${FAULT_WINDOW_US / 1000} ms of its ${this.fault_us.length} faults`;
    const first = this.kept - this.events_near_faults;
    return `the first ${first.toLocaleString('en-US')} events${near}; ${this.events_skipped.toLocaleString('en-US')} after ${(this.cut_at_us / 1000).toFixed(3)} ms were cut by trace_events_max (${this.events_max.toLocaleString('en-US')})`;
  }
}
