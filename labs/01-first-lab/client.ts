/**
 * Lab 01: a client. It registers its own name with the name server, tells the lab it has (a
 * notification), waits for the lab's go-ahead (another notification), then looks up the names
 * it was given and returns what it found.
 */
import { Message } from '../../kernel/message.js';
import type { ProcessContext } from '../../kernel/process.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Status } from '../../kernel/status.js';
import { DONE, LOOKUP, REGISTER, put_name } from './protocol.js';

export interface ClientArgs {
  readonly server: number;
  /** The lab's pid: it waits for every client to register before letting them look up. */
  readonly lab: number;
  readonly name: string;
  readonly number: number;
  readonly lookups: readonly string[];
  /** The badge this client's capability to the server carries (exercise 3). */
  readonly badge: number;
}

export function main(ctx: ProcessContext<ClientArgs>) {
  const { kernel, pid, args } = ctx;
  kernel.listen(pid);
  // connect gives this process a capability to send to the server.
  const cap = kernel.connect(pid, args.server, 0, { badge: args.badge });
  if (cap < 0) throw new Error(`client ${pid}: connect failed with status ${cap}`);
  const request = new Message();
  const reply = new Message();

  request.m_type = REGISTER;
  put_name(request, args.name);
  request.aux0 = args.number;
  const status = kernel.call(pid, cap, request, reply);
  if (status !== Status.OK) throw new Error(`client ${pid}: call failed with status ${status}`);
  const registered = reply.m_type === DONE;

  // Tell the lab we are registered (a notification carries our badge: 1 << pid % 30), then wait
  // for its go-ahead, so that every name is registered before anyone looks one up.
  const to_lab = kernel.connect(pid, args.lab, 0, { badge: 1 << (pid % 30) });
  kernel.notify(pid, to_lab);
  const go = new Message();
  for (;;) {
    const got = kernel.recv(pid, go, 0, 10_000);
    if (got === Status.OK && (go.flags & SlotFlags.NOTIFY) !== 0) break;
    if (got !== Status.OK && got !== Status.TIMEOUT)
      throw new Error(`client ${pid}: waiting for the lab: status ${got}`);
  }

  const found: Record<string, number | null> = {};
  for (const name of args.lookups) {
    request.clear();
    request.m_type = LOOKUP;
    put_name(request, name);
    if (kernel.call(pid, cap, request, reply) !== Status.OK) throw new Error(`client ${pid}: lookup failed`);
    found[name] = reply.m_type === DONE ? reply.aux0 : null;
  }
  return { registered, found };
}
