/**
 * The one-way workloads: pipeline (stage to stage), fan_in (many senders, one receiver),
 * all_to_all (every participant to random others) and bulk (payloads in slab blocks, over 64
 * bytes, which cross nodes inside one frame each).
 */
import { Message } from '../../kernel/message.js';
import type { SimProcessContext, TrackedChannel } from '../process.js';
import {
  drain_waiting,
  receive_until_end,
  send_one,
  send_steps,
  serve_until_end,
  type Endpoint,
  type ProcessSpec,
  type WorkloadCounters,
} from './common.js';

export interface PipelineSpec {
  readonly kind: 'pipeline';
  /** At least two: the first produces, each next one receives and forwards, the last consumes. */
  readonly stages: readonly Endpoint[];
  readonly messages: number;
  readonly payload_bytes: number;
  /** Pause between the first stage's sends, µs (0: as fast as the rings take them). */
  readonly interval_us?: number;
}

export interface FanInSpec {
  readonly kind: 'fan_in';
  readonly receiver: Endpoint;
  readonly senders: readonly Endpoint[];
  readonly messages_per_sender: number;
  readonly payload_bytes: number;
  readonly interval_us?: number;
}

export interface AllToAllSpec {
  readonly kind: 'all_to_all';
  readonly participants: readonly Endpoint[];
  readonly messages_per_process: number;
  readonly payload_bytes: number;
  /** Chance that a message goes to another node rather than this node (default: uniform over participants). */
  readonly remote_fraction?: number;
  /** Each participant talks to at most this many others, chosen once from its PRNG (default: all). */
  readonly peers_max?: number;
  readonly interval_us?: number;
}

export interface BulkSpec {
  readonly kind: 'bulk';
  readonly sender: Endpoint;
  readonly receiver: Endpoint;
  readonly transfers: number;
  /** 65 bytes to 1 MiB: each transfer travels in a slab block. */
  readonly payload_bytes: number;
  readonly interval_us?: number;
}

function send_stream(
  ctx: SimProcessContext,
  to: TrackedChannel,
  count: number,
  bytes: number,
  interval_us: number,
  counters: WorkloadCounters,
): Promise<void> {
  const m = new Message();
  return send_steps(ctx, count, interval_us, () => send_one(ctx, to, m, bytes, counters), null);
}

export function pipeline(spec: PipelineSpec, counters: WorkloadCounters): ProcessSpec[] {
  return spec.stages.map((stage, i) => ({
    ...stage,
    role: i === 0 ? 'pipeline.source' : i === spec.stages.length - 1 ? 'pipeline.sink' : 'pipeline.stage',
    async body(ctx) {
      ctx.kernel.listen(ctx.pid);
      const next = spec.stages[i + 1];
      if (i === 0) {
        await send_stream(
          ctx,
          ctx.open(next!.node, next!.pid),
          spec.messages,
          spec.payload_bytes,
          spec.interval_us ?? 0,
          counters,
        );
        return;
      }
      if (next === undefined) return receive_until_end(ctx);
      const to = ctx.open(next.node, next.pid);
      const out = new Message();
      await serve_until_end(ctx, new Message(), () =>
        ctx.sending() ? send_one(ctx, to, out, spec.payload_bytes, counters) : undefined,
      );
    },
  }));
}

export function fan_in(spec: FanInSpec, counters: WorkloadCounters): ProcessSpec[] {
  const receiver: ProcessSpec = {
    ...spec.receiver,
    role: 'fan_in.receiver',
    async body(ctx) {
      ctx.kernel.listen(ctx.pid);
      await receive_until_end(ctx);
    },
  };
  return [
    receiver,
    ...spec.senders.map((sender) => ({
      ...sender,
      role: 'fan_in.sender',
      async body(ctx: SimProcessContext) {
        await ctx.sleep(0.01); // Let the receiver listen first.
        await send_stream(
          ctx,
          ctx.open(spec.receiver.node, spec.receiver.pid),
          spec.messages_per_sender,
          spec.payload_bytes,
          spec.interval_us ?? 0,
          counters,
        );
      },
    })),
  ];
}

export function all_to_all(spec: AllToAllSpec, counters: WorkloadCounters): ProcessSpec[] {
  const all = spec.participants;
  return all.map((self, index) => ({
    ...self,
    role: 'all_to_all',
    async body(ctx: SimProcessContext) {
      ctx.kernel.listen(ctx.pid);
      await ctx.sleep(0.01);
      const limit = spec.peers_max ?? all.length;
      const sample = (list: Endpoint[], n: number): Endpoint[] => {
        const pool = [...list];
        const out: Endpoint[] = [];
        while (out.length < n && pool.length > 0) out.push(pool.splice(ctx.rng.int(pool.length), 1)[0]!);
        return out;
      };
      const fraction_hint = spec.remote_fraction ?? 0.5;
      const local = sample(
        all.filter((p, i) => i !== index && p.node === self.node),
        Math.max(1, Math.round(limit * (1 - fraction_hint))),
      );
      const remote = sample(
        all.filter((p) => p.node !== self.node),
        Math.max(1, Math.round(limit * fraction_hint)),
      );
      const others = limit >= all.length - 1 ? all.filter((_, i) => i !== index) : [...local, ...remote];
      // Channels by peer, opened on first use (a peer in two lists shares one channel).
      const channels = new Map<number, TrackedChannel>();
      const channel_to = (p: Endpoint): TrackedChannel => {
        const key = p.node * 65536 + p.pid;
        let ch = channels.get(key);
        if (ch === undefined) channels.set(key, (ch = ctx.open(p.node, p.pid)));
        return ch;
      };
      const lazy = (peers: readonly Endpoint[]) => ({
        peers,
        channels: new Array<TrackedChannel | undefined>(peers.length).fill(undefined),
      });
      const pools = { others: lazy(others), local: lazy(local), remote: lazy(remote) };
      const m = new Message();
      const inbox = new Message();
      const fraction = spec.remote_fraction;
      const send_next = (): number | Promise<number> => {
        let pool: typeof pools.others;
        if (fraction === undefined || local.length === 0 || remote.length === 0) pool = pools.others;
        else pool = ctx.rng.chance(fraction) ? pools.remote : pools.local;
        const k = ctx.rng.int(pool.peers.length); // The draw `rng.pick` makes.
        const channel = pool.channels[k] ?? (pool.channels[k] = channel_to(pool.peers[k]!));
        return send_one(ctx, channel, m, spec.payload_bytes, counters);
      };
      // Take what others sent before giving the core away (every few sends at the latest: an
      // unpaced sender yields every SENDS_PER_YIELD).
      await send_steps(
        ctx,
        spec.messages_per_process,
        spec.interval_us ?? 0,
        send_next,
        () => void drain_waiting(ctx, inbox),
      );
      await receive_until_end(ctx, inbox);
    },
  }));
}

export function bulk(spec: BulkSpec, counters: WorkloadCounters): ProcessSpec[] {
  return [
    {
      ...spec.receiver,
      role: 'bulk.receiver',
      async body(ctx) {
        ctx.kernel.listen(ctx.pid);
        await receive_until_end(ctx);
      },
    },
    {
      ...spec.sender,
      role: 'bulk.sender',
      async body(ctx) {
        await ctx.sleep(0.01);
        await send_stream(
          ctx,
          ctx.open(spec.receiver.node, spec.receiver.pid),
          spec.transfers,
          spec.payload_bytes,
          spec.interval_us ?? 0,
          counters,
        );
      },
    },
  ];
}
