/**
 * Built-in processes for `lattice node` (host/cli/node_command.ts): small, bounded services a
 * config file can place on a core without writing a module. Each runs on a worker core over the
 * blocking kernel API, returns a plain result object, and returns early (with what it did) when
 * the node closes.
 *
 *   echo    answers every message with the same bytes (`count` then stops; default: until closed)
 *   sink    counts messages and bytes (`count` then stops; default: until closed)
 *   ping    sends `count` messages to `to` one at a time, waits for each echo: round trips in µs
 *   stream  sends `count` messages to `to` as fast as back-pressure allows
 *
 * Payloads up to 64 bytes travel inline; larger ones in a payload block (released by receivers).
 */
import { IpcFlags } from '../kernel/fastpath.js';
import { SLOT_PAYLOAD_BYTES_MAX } from '../kernel/layout/slot_layout.js';
import { Message } from '../kernel/message.js';
import type { ProcessContext } from '../kernel/process.js';
import { Status, status_retriable } from '../kernel/status.js';
import type { Kernel } from '../kernel/kernel.js';

/** Where a service sends: a pid on a node (0 or the local id for this node). */
export interface ServiceTarget {
  readonly node: number;
  readonly pid: number;
}

export interface ServiceArgs {
  /** Messages to handle (echo, sink) or send (ping, stream). */
  readonly count?: number;
  readonly to?: ServiceTarget;
  /** Payload bytes per message (ping, stream); default 64. */
  readonly payload_bytes?: number;
  /** How long ping waits for each answer, ms; default 1000. */
  readonly timeout_ms?: number;
}

/** The longest a service blocks before looking again (whether the node closes), ms. */
const POLL_MS = 200;
/** Back-off after a retriable refusal (full ring, full outbox), ms. */
const BACKPRESSURE_WAIT_MS = 0.05;
/** Largest message a service sends, bytes. */
export const SERVICE_PAYLOAD_BYTES_MAX = 1 << 20;

/** What the built-in services are called in a config file. */
export const SERVICES = ['echo', 'sink', 'ping', 'stream'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A word to wait on for a back-off (nothing ever notifies it), one per service. */
type Idle = Int32Array;
function idle_word(): Idle {
  return new Int32Array(new SharedArrayBuffer(4));
}
function back_off(idle: Idle): void {
  Atomics.wait(idle, 0, 0, BACKPRESSURE_WAIT_MS);
}

/** Capabilities to reply with, by (node, pid), made on first use. */
class ReplyCaps {
  private readonly caps = new Map<number, number>();
  constructor(private readonly kernel: Kernel, private readonly pid: number) {}
  get(node: number, pid: number): number {
    const key = node * 0x1_0000 + pid;
    let cap = this.caps.get(key);
    if (cap === undefined) {
      cap = this.kernel.connect(this.pid, pid, node);
      if (cap < 0) throw new Error(`connect to node ${node} pid ${pid}: status ${cap}`);
      this.caps.set(key, cap);
    }
    return cap;
  }
}

/** Receives with a poll timeout; returns OK, or CLOSED once the node closes. */
function receive(kernel: Kernel, pid: number, m: Message): number {
  for (;;) {
    const status = kernel.recv(pid, m, IpcFlags.NONE, POLL_MS);
    if (status === Status.OK || status === Status.CLOSED) return status;
    if (status !== Status.TIMEOUT) throw new Error(`recv: status ${status}`);
  }
}

/** Sends `m`, waiting out back-pressure; returns the final status (CLOSED if the node closes). */
function send(kernel: Kernel, pid: number, cap: number, m: Message, idle: Idle): number {
  for (;;) {
    const status = kernel.send(pid, cap, m); // CLOSED once the node closes.
    if (!status_retriable(status)) return status;
    back_off(idle);
  }
}

function closing(kernel: Kernel): boolean {
  return kernel.fastpath.memory.closing();
}

/** Fills `m` with `length` bytes for message `index` (inline, or in a fresh block). */
function fill(kernel: Kernel, m: Message, length: number, index: number, idle: Idle): number {
  m.m_type = index;
  m.length = length;
  if (length <= SLOT_PAYLOAD_BYTES_MAX) {
    m.block_offset = 0;
    for (let i = 0; i < length; i++) m.payload[i] = (index + i) & 0xff;
    return Status.OK;
  }
  for (;;) {
    const block = kernel.fastpath.alloc_block(length);
    if (block > 0) {
      m.block_offset = block;
      const bytes = kernel.fastpath.block_bytes(block);
      for (let i = 0; i < length; i++) bytes[i] = (index + i) & 0xff;
      return Status.OK;
    }
    if (!status_retriable(block) || closing(kernel)) return block;
    back_off(idle);
  }
}

export function echo(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const count = ctx.args.count ?? Infinity;
  const caps = new ReplyCaps(kernel, pid);
  const m = new Message();
  const idle = idle_word();
  let echoed = 0;
  let refused = 0;
  while (echoed + refused < count && receive(kernel, pid, m) === Status.OK) {
    const cap = caps.get(m.src_node, m.src_pid);
    if (m.block_offset !== 0) {
      // Answer from a block of our own: the received one goes back to the slab.
      const bytes = kernel.fastpath.block_view(m).slice();
      kernel.fastpath.release(m);
      const block = kernel.fastpath.alloc_block(bytes.length);
      if (block < 0) {
        refused++;
        continue;
      }
      kernel.fastpath.block_bytes(block).set(bytes);
      m.block_offset = block;
    }
    if (send(kernel, pid, cap, m, idle) === Status.OK) echoed++;
    else {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
    }
  }
  return { service: 'echo', echoed, refused };
}

export function sink(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const count = ctx.args.count ?? Infinity;
  const m = new Message();
  let received = 0;
  let bytes = 0;
  while (received < count && receive(kernel, pid, m) === Status.OK) {
    received++;
    bytes += m.length;
    if (m.block_offset !== 0) kernel.fastpath.release(m);
  }
  return { service: 'sink', received, bytes };
}

function target(ctx: ProcessContext<ServiceArgs>): { cap: number; count: number; length: number } {
  const to = ctx.args.to;
  if (to === undefined) throw new Error(`pid ${ctx.pid}: 'to' is required`);
  const length = ctx.args.payload_bytes ?? 64;
  if (!(Number.isInteger(length) && length >= 0 && length <= SERVICE_PAYLOAD_BYTES_MAX)) throw new Error(`payload_bytes ${length}`);
  const cap = ctx.kernel.connect(ctx.pid, to.pid, to.node);
  if (cap < 0) throw new Error(`connect to node ${to.node} pid ${to.pid}: status ${cap}`);
  return { cap, count: ctx.args.count ?? 1000, length };
}

export function ping(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const { cap, count, length } = target(ctx);
  const timeout_ms = ctx.args.timeout_ms ?? 1000;
  const m = new Message();
  const answer = new Message();
  const idle = idle_word();
  const rtt_us: number[] = [];
  let sent = 0;
  let timeouts = 0;
  let stale = 0;
  let refused = 0;
  for (let i = 0; i < count && !closing(kernel); i++) {
    if (fill(kernel, m, length, i, idle) !== Status.OK) {
      refused++;
      continue;
    }
    if (send(kernel, pid, cap, m, idle) !== Status.OK) {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
      continue;
    }
    sent++;
    const started = performance.now();
    for (;;) {
      const left = timeout_ms - (performance.now() - started);
      const status = left > 0 ? kernel.recv(pid, answer, IpcFlags.NONE, left) : Status.TIMEOUT;
      if (status === Status.TIMEOUT) {
        timeouts++;
        break;
      }
      if (status !== Status.OK) break;
      if (answer.block_offset !== 0) kernel.fastpath.release(answer);
      if (answer.m_type !== i) {
        stale++; // The answer to a round that had timed out.
        continue;
      }
      rtt_us.push((performance.now() - started) * 1000);
      break;
    }
  }
  rtt_us.sort((a, b) => a - b);
  const at = (q: number) => (rtt_us.length === 0 ? 0 : Math.round(rtt_us[Math.min(rtt_us.length - 1, Math.floor(q * rtt_us.length))]!));
  return { service: 'ping', sent, answered: rtt_us.length, timeouts, stale, refused, rtt_us: { p50: at(0.5), p99: at(0.99), max: at(1) } };
}

export function stream(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  const { cap, count, length } = target(ctx);
  const m = new Message();
  const idle = idle_word();
  let sent = 0;
  let refused = 0;
  const started = performance.now();
  for (let i = 0; i < count && !closing(kernel); i++) {
    if (fill(kernel, m, length, i, idle) !== Status.OK) {
      refused++;
      continue;
    }
    if (send(kernel, pid, cap, m, idle) === Status.OK) sent++;
    else {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { service: 'stream', sent, refused, msgs_per_s: Math.round(sent / Math.max(seconds, 1e-9)) };
}
