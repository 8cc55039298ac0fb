/**
 * ping_pong: a client sends a ping and waits for the pong, `rounds` times; a ping or pong lost
 * on the way costs a timeout, then the next round begins (the loss is in a drop counter).
 */
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import {
  TIME_RESOLUTION_MS,
  receive_until_end,
  send_one,
  serve_until_end,
  type Endpoint,
  type ProcessSpec,
  type WorkloadCounters,
} from './common.js';

export interface PingPongSpec {
  readonly kind: 'ping_pong';
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly rounds: number;
  readonly payload_bytes: number;
  /** How long the client waits for a pong, ms (default 20). */
  readonly timeout_ms?: number;
}

export function ping_pong(spec: PingPongSpec, counters: WorkloadCounters): ProcessSpec[] {
  const { client, server } = spec;
  const timeout_ms = spec.timeout_ms ?? 20;
  return [
    {
      ...server,
      role: 'ping_pong.server',
      async body(ctx) {
        ctx.kernel.listen(ctx.pid);
        const back = ctx.open(client.node, client.pid);
        const out = new Message();
        await serve_until_end(ctx, new Message(), () =>
          ctx.sending() ? send_one(ctx, back, out, spec.payload_bytes, counters) : undefined,
        );
      },
    },
    {
      ...client,
      role: 'ping_pong.client',
      async body(ctx) {
        ctx.kernel.listen(ctx.pid);
        const to = ctx.open(server.node, server.pid);
        const m = new Message();
        const pong = new Message();
        for (let round = 0; round < spec.rounds && ctx.sending(); round++) {
          const sent = send_one(ctx, to, m, spec.payload_bytes, counters);
          if ((typeof sent === 'number' ? sent : await sent) !== Status.OK) continue;
          const deadline = ctx.now_ms() + timeout_ms;
          for (;;) {
            const left = deadline - ctx.now_ms();
            if (left < TIME_RESOLUTION_MS) {
              ctx.waited_out(server.node); // The ping or the pong was lost (or never woke us).
              break;
            }
            if ((await ctx.recv_async(pong, left)) === Status.OK) {
              ctx.received(pong);
              break;
            }
          }
        }
        await receive_until_end(ctx, pong);
      },
    },
  ];
}
