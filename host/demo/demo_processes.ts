/**
 * The processes of `lattice demo`: ping-pong pairs on each tier and a fan-in into one core.
 * They use the asynchronous receive, so several processes can share a core's thread.
 */
import { Message } from '../../kernel/message.js';
import type { ProcessContext } from '../../kernel/process.js';
import { Status } from '../../kernel/status.js';

const yield_core = () => new Promise<void>((resolve) => setImmediate(resolve));

async function receive(ctx: ProcessContext, r: Message): Promise<void> {
  for (;;) {
    const status = await ctx.recv_async(r, 1000);
    if (status === Status.OK) return;
    if (status !== Status.TIMEOUT) throw new Error(`pid ${ctx.pid}: recv status ${status}`);
  }
}

async function send(ctx: ProcessContext, cap: number, m: Message): Promise<void> {
  for (;;) {
    const status = ctx.send(cap, m);
    if (status === Status.OK) return;
    if (status !== Status.BACKPRESSURE) throw new Error(`pid ${ctx.pid}: send status ${status}`);
    await yield_core(); // Let the receiver (maybe on this very core) drain.
  }
}

/** Sends `rounds` pings to `peer`, waits for each pong, and reports the median round trip. */
export async function ping(ctx: ProcessContext<{ peer: number; rounds: number }>) {
  const m = new Message();
  const r = new Message();
  const rtt_us: number[] = [];
  ctx.listen();
  const cap = ctx.connect(ctx.args.peer);
  for (let i = 0; i < ctx.args.rounds; i++) {
    m.m_type = i;
    const start = performance.now();
    await send(ctx, cap, m);
    await receive(ctx, r);
    rtt_us.push((performance.now() - start) * 1000);
    if (r.m_type !== i) throw new Error('pong out of order');
  }
  rtt_us.sort((a, b) => a - b);
  return { rounds: ctx.args.rounds, rtt_p50_us: rtt_us[Math.floor(rtt_us.length / 2)]!, tier: r.tier };
}

/** Answers `rounds` pings. */
export async function pong(ctx: ProcessContext<{ rounds: number }>) {
  const r = new Message();
  ctx.listen();
  let back = -1;
  for (let i = 0; i < ctx.args.rounds; i++) {
    await receive(ctx, r);
    if (back < 0) back = ctx.connect(r.src_pid);
    await send(ctx, back, r);
  }
  return { rounds: ctx.args.rounds };
}

/** Sends `count` messages to `sink` as fast as the rings take them. */
export async function burst(ctx: ProcessContext<{ sink: number; count: number }>) {
  const m = new Message();
  m.length = 8;
  const cap = ctx.connect(ctx.args.sink);
  for (let i = 0; i < ctx.args.count; i++) {
    m.m_type = i;
    m.payload_words[0] = ctx.pid;
    await send(ctx, cap, m);
  }
  return { sent: ctx.args.count };
}

/** Receives `expected` messages from several senders, checking each one's order. */
export async function collect(ctx: ProcessContext<{ expected: number }>) {
  const r = new Message();
  const next = new Map<number, number>();
  const by_tier = [0, 0, 0, 0];
  ctx.listen();
  for (let i = 0; i < ctx.args.expected; i++) {
    await receive(ctx, r);
    const want = next.get(r.src_pid) ?? 0;
    if (r.m_type !== want) throw new Error(`fan-in out of order from ${r.src_pid}`);
    next.set(r.src_pid, want + 1);
    by_tier[r.tier]!++;
  }
  return { received: ctx.args.expected, by_tier };
}
