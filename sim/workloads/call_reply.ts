/**
 * call_reply: a MINIX-style server answers `call`s from clients on its node or on others (a call
 * on a channel to another node crosses the network, and its reply comes back the same way; the
 * reply capability the server gets is the kernel's, local or remote).
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
      // A reply path per client, by (node, pid): clients on other nodes may share pids.
      const backs = new Map<number, TrackedChannel>();
      const key = (node: number, pid: number) => node * 65_536 + pid;
      for (const c of spec.clients) backs.set(key(c.node, c.pid), ctx.open_reply(c.node, c.pid));
      const out = new Message();
      await serve_until_end(ctx, new Message(), async (m) => {
        const back = backs.get(key(m.src_node === 0 ? spec.server.node : m.src_node, m.src_pid));
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
