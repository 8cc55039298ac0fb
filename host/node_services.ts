/**
 * Built-in processes for `lattice node` (host/cli/node_command.ts): small, bounded services a
 * config file can place on a core without writing a module. Each runs on a worker core, returns a
 * plain result object, and returns early (with what it did) when the node closes. They receive
 * and back off asynchronously (`recv_async`, `Atomics.waitAsync`), so several share one core's
 * thread: a process that blocked in `recv` would hold the core until it returned.
 *
 *   echo    answers every message with the same bytes (`count` then stops; default: until closed)
 *   sink    counts messages and bytes (`count` then stops; default: until closed)
 *   ping    sends `count` messages to `to` one at a time, waits for each echo: round trips in µs
 *           in an HDR histogram (1 µs to 60 s, 3 significant digits: p50, p90, p99, p99.9, max);
 *           fails (`ERR_LATTICE_PING_UNANSWERED`) when it sent some and none was answered; under
 *           `lattice node` also into the node's shared latency slab, live in `/metrics`
 *   stream  sends `count` messages to `to` as fast as back-pressure allows
 *
 * Payloads up to 64 bytes travel inline; larger ones in a payload block (released by receivers).
 */
import { SLOT_PAYLOAD_BYTES_MAX } from '../kernel/layout/slot_layout.js';
import { Message } from '../kernel/message.js';
import type { ProcessContext } from '../kernel/process.js';
import { Status, status_retriable } from '../kernel/status.js';
import type { Kernel } from '../kernel/kernel.js';
import { ErrorCode } from '../kernel/error_codes.js';
import { LatticeError } from '../kernel/errors.js';
import { LATENCY_US_MAX, LatencyKind } from '../kernel/layout/latency_layout.js';
import { LatencySlab, type LatencyWriter, latency_histogram, latency_summary } from './latency_slab.js';

/** Where a service sends: a pid on a node (0 or the local id for this node). */
export interface ServiceTarget {
  readonly node: number;
  readonly pid: number;
}

/** The arguments of a built-in service in a `lattice node` config. */
export interface ServiceArgs {
  /** Messages to handle (echo, sink) or send (ping, stream). */
  readonly count?: number;
  readonly to?: ServiceTarget;
  /** Payload bytes per message (ping, stream); default 64. */
  readonly payload_bytes?: number;
  /** How long ping waits for each answer, ms; default 1000. */
  readonly timeout_ms?: number;
  /**
   * Where ping also records its round trips, live (set by `lattice node`): the node's latency
   * slab (host/latency_slab.ts) and the node's own id, the label of a ping to node 0.
   */
  readonly latency?: { readonly slab: SharedArrayBuffer; readonly node_id: number };
}

/** The longest a service blocks before looking again (whether the node closes), ms. */
const POLL_MS = 200;
/** Back-off after a retriable refusal (full ring, full outbox), ms. */
const BACKPRESSURE_WAIT_MS = 0.05;
/** Largest message a service sends, bytes. */
export const SERVICE_PAYLOAD_BYTES_MAX = 1 << 20;

/** What the built-in services are called in a config file. */
export const SERVICES = ['echo', 'sink', 'ping', 'stream'] as const;
/** The name of a built-in service. */
export type ServiceName = (typeof SERVICES)[number];

/** A word to wait on for a back-off (nothing ever notifies it), one per service. */
type Idle = Int32Array;
function idle_word(): Idle {
  return new Int32Array(new SharedArrayBuffer(4));
}
/** Gives the core to the other processes for a moment. */
async function back_off(idle: Idle): Promise<void> {
  const wait = Atomics.waitAsync(idle, 0, 0, BACKPRESSURE_WAIT_MS);
  if (wait.async) await wait.value;
}

/**
 * Capabilities to reply with, by (node, pid), made on first use. Bounded by the kernel's
 * capability table (`caps_per_pid`): a sender past it gets no answer, counted by the caller.
 */
class ReplyCaps {
  private readonly caps = new Map<number, number>();
  constructor(
    private readonly kernel: Kernel,
    private readonly pid: number,
  ) {}
  /** The capability, or a negative status when none can be made. */
  get(node: number, pid: number): number {
    const key = node * 0x1_0000 + pid;
    let cap = this.caps.get(key);
    if (cap === undefined) {
      cap = this.kernel.connect(this.pid, pid, node);
      if (cap < 0) return cap;
      this.caps.set(key, cap);
    }
    return cap;
  }
}

/** Sends between turns given to the core's other processes (stream). */
const SENDS_PER_TURN = 64;

/** Lets the core's other processes run (a macrotask turn). */
function next_turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Receives with a poll timeout; resolves to OK, or CLOSED once the node closes. */
async function receive(kernel: Kernel, pid: number, m: Message): Promise<number> {
  for (;;) {
    const status = await kernel.recv_async(pid, m, POLL_MS);
    if (status === Status.OK || status === Status.CLOSED) return status;
    if (status !== Status.TIMEOUT) throw new Error(`recv: status ${status}`);
  }
}

/** Sends `m`, waiting out back-pressure; returns the final status (CLOSED if the node closes). */
async function send(kernel: Kernel, pid: number, cap: number, m: Message, idle: Idle): Promise<number> {
  for (;;) {
    const status = kernel.send(pid, cap, m); // CLOSED once the node closes.
    if (!status_retriable(status)) return status;
    await back_off(idle);
  }
}

function closing(kernel: Kernel): boolean {
  return kernel.fastpath.memory.closing();
}

/** Fills `m` with `length` bytes for message `index` (inline, or in a fresh block). */
async function fill(kernel: Kernel, m: Message, length: number, index: number, idle: Idle): Promise<number> {
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
    await back_off(idle);
  }
}

export async function echo(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const count = ctx.args.count ?? Infinity;
  const caps = new ReplyCaps(kernel, pid);
  const m = new Message();
  const idle = idle_word();
  let echoed = 0;
  let refused = 0;
  while (echoed + refused < count && (await receive(kernel, pid, m)) === Status.OK) {
    const cap = caps.get(m.src_node, m.src_pid);
    if (cap < 0) {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.release(m);
      continue;
    }
    if (m.block_offset !== 0) {
      // Answer from a block of our own, copied block to block; the received one goes back.
      const block = kernel.fastpath.alloc_block(m.length);
      if (block > 0) kernel.fastpath.block_bytes(block).set(kernel.fastpath.block_view(m));
      kernel.fastpath.release(m);
      if (block < 0) {
        refused++;
        continue;
      }
      m.block_offset = block;
    }
    if ((await send(kernel, pid, cap, m, idle)) === Status.OK) echoed++;
    else {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
    }
  }
  return { service: 'echo', echoed, refused };
}

export async function sink(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const count = ctx.args.count ?? Infinity;
  const m = new Message();
  let received = 0;
  let bytes = 0;
  while (received < count && (await receive(kernel, pid, m)) === Status.OK) {
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
  if (!(Number.isInteger(length) && length >= 0 && length <= SERVICE_PAYLOAD_BYTES_MAX))
    throw new Error(`payload_bytes ${length}`);
  const cap = ctx.kernel.connect(ctx.pid, to.pid, to.node);
  if (cap < 0) throw new Error(`connect to node ${to.node} pid ${to.pid}: status ${cap}`);
  return { cap, count: ctx.args.count ?? 1000, length };
}

export async function ping(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  kernel.listen(pid);
  const { cap, count, length } = target(ctx);
  const timeout_ms = ctx.args.timeout_ms ?? 1000;
  const m = new Message();
  const answer = new Message();
  const idle = idle_word();
  const rtt_us = latency_histogram(); // 1 µs to a minute, 3 significant digits: the slab's.
  // The node's live histogram of round trips to this peer (merged with other cores' in /metrics).
  const live: LatencyWriter | null =
    ctx.args.latency === undefined ? null : LatencySlab.open(ctx.args.latency.slab).writer(ctx.core);
  const peer = ctx.args.to!.node === 0 ? (ctx.args.latency?.node_id ?? 0) : ctx.args.to!.node;
  let sent = 0;
  let timeouts = 0;
  let stale = 0;
  let refused = 0;
  for (let i = 0; i < count && !closing(kernel); i++) {
    if ((await fill(kernel, m, length, i, idle)) !== Status.OK) {
      refused++;
      continue;
    }
    if ((await send(kernel, pid, cap, m, idle)) !== Status.OK) {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
      continue;
    }
    sent++;
    const started = performance.now();
    for (;;) {
      const left = timeout_ms - (performance.now() - started);
      const status = left > 0 ? await kernel.recv_async(pid, answer, left) : Status.TIMEOUT;
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
      const us = Math.min(LATENCY_US_MAX, Math.max(1, Math.round((performance.now() - started) * 1000)));
      rtt_us.recordValue(us);
      live?.record(LatencyKind.PING_RTT, peer, us);
      break;
    }
  }
  // Nothing came back at all: the peer is down, or is not the node whose key was pinned. A
  // result that looked like success would hide it (and the node would exit 0).
  const answered = rtt_us.totalCount;
  if (sent > 0 && answered === 0) {
    throw new LatticeError(
      ErrorCode.PING_UNANSWERED,
      `every ping timed out: ${sent} sent to node ${ctx.args.to?.node} pid ${ctx.args.to?.pid}, none answered within ${timeout_ms} ms (${timeouts} timeouts, ${stale} late answers, ${refused} refused); is the peer up, and its key the one pinned?`,
    );
  }
  const { p50, p90, p99, p99_9, max } = latency_summary(rtt_us);
  const rtt = { p50, p90, p99, p99_9, max };
  return {
    service: 'ping',
    sent,
    answered,
    timeouts,
    stale,
    refused,
    rtt_us: rtt,
  };
}

export async function stream(ctx: ProcessContext<ServiceArgs>) {
  const { kernel, pid } = ctx;
  const { cap, count, length } = target(ctx);
  const m = new Message();
  const idle = idle_word();
  let sent = 0;
  let refused = 0;
  const refused_before = kernel.net_refused(pid);
  const started = performance.now();
  for (let i = 0; i < count && !closing(kernel); i++) {
    if ((await fill(kernel, m, length, i, idle)) !== Status.OK) {
      refused++;
      continue;
    }
    if ((i + 1) % SENDS_PER_TURN === 0) await next_turn();
    if ((await send(kernel, pid, cap, m, idle)) === Status.OK) sent++;
    else {
      refused++;
      if (m.block_offset !== 0) kernel.fastpath.free_block(m.block_offset);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  // Sends the kernel took that the network has refused or lost so far; the node's `closed` event
  // gives each process's final count (`net_refused`), once everything has drained.
  const net_refused = kernel.net_refused(pid) - refused_before;
  return {
    service: 'stream',
    sent,
    refused: refused + net_refused,
    net_refused,
    msgs_per_s: Math.round(sent / Math.max(seconds, 1e-9)),
  };
}
