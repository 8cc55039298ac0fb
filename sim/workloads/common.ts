/**
 * What every built-in workload shares: a placed process, the send loop (with back-pressure
 * retries and pacing) and the receive loop. Workloads are ordinary async process bodies over
 * the kernel API; nothing here is simulation-only logic of the kernel.
 */
import { IpcFlags, RECV_TIMEOUT_MS_MAX } from '../../kernel/fastpath.js';
import { Message } from '../../kernel/message.js';
import { Status, status_retriable } from '../../kernel/status.js';
import { TURNS_DONE, type SimProcessContext, type TrackedChannel } from '../process.js';

/** Where a process runs. */
export interface Endpoint {
  readonly node: number;
  readonly core: number;
  readonly pid: number;
}

/** A process a workload places on a node. */
export interface ProcessSpec {
  readonly node: number;
  readonly core: number;
  readonly pid: number;
  /** Shown in traces and reports: the workload and its role. */
  readonly role: string;
  readonly body: (ctx: SimProcessContext) => Promise<void>;
}

/**
 * Longest a receive waits before looking at the clock again, ms: the kernel's bound on a wait.
 * A message always rings the doorbell of a receiver that sleeps, so a receiver has no reason to
 * wake before the run ends (waking every 50 ms cost 64 idle nodes ten thousand events a second).
 */
export const RECV_POLL_MS = RECV_TIMEOUT_MS_MAX;
/** The smallest span of virtual time a workload waits for, ms (1 µs): below it, the run is over. */
export const TIME_RESOLUTION_MS = 0.001;
/** Back-off after a retriable refusal (a full ring, a full outbox), ms. */
export const BACKPRESSURE_SLEEP_MS = 0.05;
/** Sends between yields when a sender is not paced. */
export const SENDS_PER_YIELD = 8;

/** Counters a workload's processes share (reported per workload). */
export interface WorkloadCounters {
  sends_refused: Record<string, number>;
  backpressure_retries: number;
}

export function workload_counters(): WorkloadCounters {
  return { sends_refused: {}, backpressure_retries: 0 };
}

/**
 * Sends one tracked message, retrying a retriable refusal after a short sleep while the run is
 * still sending. Returns the status at once when the first try settles it (the common case: no
 * promise, no await), else a promise of the final status. `await` either.
 */
export function send_one(
  ctx: SimProcessContext,
  channel: TrackedChannel,
  m: Message,
  length: number,
  counters: WorkloadCounters,
): number | Promise<number> {
  const status = ctx.send_tracked(channel, m, length);
  if (status === Status.OK) return status;
  if (status_retriable(status) && ctx.sending()) return send_retrying(ctx, channel, m, length, counters);
  return refused(counters, status);
}

async function send_retrying(
  ctx: SimProcessContext,
  channel: TrackedChannel,
  m: Message,
  length: number,
  counters: WorkloadCounters,
): Promise<number> {
  for (;;) {
    counters.backpressure_retries++;
    await ctx.sleep(BACKPRESSURE_SLEEP_MS);
    const status = ctx.send_tracked(channel, m, length);
    if (status === Status.OK) return status;
    if (!(status_retriable(status) && ctx.sending())) return refused(counters, status);
  }
}

function refused(counters: WorkloadCounters, status: number): number {
  const name = `status_${status}`;
  counters.sends_refused[name] = (counters.sends_refused[name] ?? 0) + 1;
  return status;
}

/**
 * The send loop of a one-way workload: `count` sends through `send_next` (while the run still
 * sends), each followed by its pause, `interval_us` of sleep or, unpaced, a step of virtual CPU
 * time every `SENDS_PER_YIELD` sends; `before_pause` runs at each pause (all_to_all takes its
 * inbox there). It runs as `turns` steps, so a step costs no promise: the same sequence as
 * `for (…) { await send_one(…); if (pause) { before_pause(); await sleep(pause) } }`.
 */
export function send_steps(
  ctx: SimProcessContext,
  count: number,
  interval_us: number,
  send_next: () => number | Promise<number>,
  before_pause: (() => void) | null,
): Promise<void> {
  let sent_count = 0;
  let paused = true;
  return ctx.turns(() => {
    for (;;) {
      if (!paused) {
        paused = true;
        const j = sent_count - 1;
        const pause = interval_us > 0 ? interval_us : j % SENDS_PER_YIELD === SENDS_PER_YIELD - 1 ? ctx.step_us() : -1;
        if (pause >= 0) {
          before_pause?.();
          return pause;
        }
      }
      if (!(sent_count < count && ctx.sending())) return TURNS_DONE;
      const sent = send_next();
      sent_count++;
      paused = false;
      if (typeof sent !== 'number') return sent; // A retry in flight: called again once it settles.
    }
  });
}

/**
 * Receives and checks everything for this process until the run ends, handing each message to
 * `handle` (a server's answer, a stage's forward) after the check.
 */
export async function serve_until_end(
  ctx: SimProcessContext,
  m: Message,
  handle: ((m: Message) => Promise<unknown> | number | undefined) | null,
): Promise<void> {
  const { kernel, pid } = ctx;
  for (;;) {
    const left = ctx.remaining_ms();
    // Below a microsecond the node's clock (ms, offset by its skew) may no longer tell `left`
    // from zero: a receive would time out at once, and the loop would spin at one instant.
    if (left < TIME_RESOLUTION_MS) return;
    // A message already waiting is taken without a promise; only an empty inbox parks.
    let status = kernel.recv(pid, m, IpcFlags.NONBLOCK);
    if (status === Status.WOULD_BLOCK) {
      // ctx.recv_async's halves around the kernel's own promise: no second promise per wait.
      const timeout_ms = Math.min(RECV_POLL_MS, left);
      const since_us = ctx.wait_begin();
      status = ctx.wait_end(m, await kernel.recv_async(pid, m, timeout_ms), since_us, timeout_ms);
    }
    if (status === Status.OK) {
      ctx.received(m);
      if (handle !== null) {
        const handled = handle(m);
        if (handled instanceof Promise) await handled;
      }
    } else if (status === Status.CLOSED) {
      return;
    }
  }
}

/** Receives and checks everything for this process until the run ends. */
export function receive_until_end(ctx: SimProcessContext, m: Message = new Message()): Promise<void> {
  return serve_until_end(ctx, m, null);
}

/** Takes and checks whatever is waiting, without parking. Returns how many. */
export function drain_waiting(ctx: SimProcessContext, m: Message): number {
  let n = 0;
  while (ctx.kernel.recv(ctx.pid, m, IpcFlags.NONBLOCK) === Status.OK) {
    ctx.received(m);
    n++;
  }
  return n;
}
