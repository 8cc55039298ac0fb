/**
 * call_reply: a MINIX-style server answers `call`s from clients on its node (call and reply
 * use the kernel's one-shot reply capability, which does not cross nodes).
 */
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import type { TrackedChannel } from '../process.js';
import { serve_until_end, type Endpoint, type ProcessSpec, type WorkloadCounters } from './common.js';

export interface CallReplySpec {
  readonly kind: 'call_reply';
  readonly server: Endpoint;
  readonly clients: readonly Endpoint[];
  readonly calls_per_client: number;
  readonly payload_bytes: number;
  /** How long a call waits for its reply, ms (default 100). */
  readonly timeout_ms?: number;
}

export function call_reply(spec: CallReplySpec, counters: WorkloadCounters): ProcessSpec[] {
  const server: ProcessSpec = {
    ...spec.server,
    role: 'call_reply.server',
    async body(ctx) {
      ctx.kernel.listen(ctx.pid);
      const backs = new Map<number, TrackedChannel>();
      for (const c of spec.clients) backs.set(c.pid, ctx.open_reply(c.pid));
      const out = new Message();
      await serve_until_end(ctx, new Message(), async (m) => {
        const back = backs.get(m.src_pid);
        if (back === undefined) return;
        out.m_type = m.m_type + 1;
        const replied = ctx.reply_tracked(m.cap, back, out, spec.payload_bytes);
        if (replied !== Status.OK)
          counters.sends_refused[`reply_status_${replied}`] =
            (counters.sends_refused[`reply_status_${replied}`] ?? 0) + 1;
        await ctx.yield();
      });
    },
  };
  const clients: ProcessSpec[] = spec.clients.map((client) => ({
    ...client,
    role: 'call_reply.client',
    async body(ctx) {
      const to = ctx.open(spec.server.node, spec.server.pid);
      const m = new Message();
      const reply = new Message();
      for (let i = 0; i < spec.calls_per_client && ctx.sending(); i++) {
        m.m_type = 100;
        const status = await ctx.call_tracked(to, m, spec.payload_bytes, reply, spec.timeout_ms ?? 100);
        if (status !== Status.OK) {
          counters.sends_refused[`call_status_${status}`] = (counters.sends_refused[`call_status_${status}`] ?? 0) + 1;
          if (status === Status.BACKPRESSURE) await ctx.sleep(0.05);
        }
      }
    },
  }));
  return [server, ...clients];
}
