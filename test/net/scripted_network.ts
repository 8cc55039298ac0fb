// A transport and timers the test drives by hand, for the driver's protocol logic (reconnect,
// retry, back-off) with exact counters. The driver is sans-IO, so this is its real seam; the
// tests on real sockets are in driver.test.ts and reconnect.test.ts.
import type { Address, Timers, Transport, TransportEvents } from '../../net/transport.js';

export interface PendingWrite {
  readonly conn: number;
  readonly bytes: Uint8Array;
  readonly done: (error: string | null) => void;
}

export class ScriptedTransport implements Transport {
  events: TransportEvents | null = null;
  readonly connects: { conn: number; to: Address }[] = [];
  readonly writes: PendingWrite[] = [];
  readonly datagrams: { to: Address; bytes: Uint8Array }[] = [];
  readonly destroyed: number[] = [];
  private next = 1;
  closed = false;

  async bind(_host: string, port: number, events: TransportEvents): Promise<number> {
    this.events = events;
    return port === 0 ? 40000 : port;
  }
  /** When set, every datagram send fails with this errno. */
  datagram_error: string | null = null;

  send_datagram(to: Address, bytes: Uint8Array, done: (error: string | null, bytes: Uint8Array) => void): void {
    this.datagrams.push({ to, bytes });
    done(this.datagram_error, bytes);
  }
  connect(to: Address): number {
    const conn = this.next++;
    this.connects.push({ conn, to });
    return conn;
  }
  write(conn: number, bytes: Uint8Array, done: (error: string | null) => void): void {
    this.writes.push({ conn, bytes, done });
  }
  /** Connections closed after their writes (`end`), in order. */
  readonly ended: number[] = [];
  end(conn: number): void {
    this.ended.push(conn);
  }
  destroy(conn: number): void {
    this.destroyed.push(conn);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  /** The most recent connect. */
  last_conn(): number {
    return this.connects[this.connects.length - 1]!.conn;
  }
}

export class ManualTimers implements Timers {
  now = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private readonly deferred: (() => void)[] = [];
  private next = 1;
  /** Every delay requested, in order. */
  readonly delays: number[] = [];

  set(delay_ms: number, callback: () => void): number {
    const id = this.next++;
    this.delays.push(delay_ms);
    this.timers.set(id, { at: this.now + delay_ms, callback });
    return id;
  }
  clear(id: number): void {
    this.timers.delete(id);
  }
  defer(callback: () => void): void {
    this.deferred.push(callback);
  }
  /** Runs deferred work, then timers due within `ms`, in time order. */
  advance(ms = 0): void {
    this.run_deferred();
    const until = this.now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= until && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      this.run_deferred();
    }
    this.now = until;
  }
  /** Ends the turn: runs deferred work (what `defer` batches: driver flushes, secure records), no timer. */
  run_deferred(): void {
    for (let guard = 0; this.deferred.length > 0 && guard < 10_000; guard++) this.deferred.shift()!();
  }
}
