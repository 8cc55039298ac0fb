/**
 * Lab 01: the name server (pid 10).
 *
 * It listens, then answers calls: REGISTER stores a name → number, LOOKUP finds one. Every
 * reply goes through the one-shot reply capability the call carried (`request.cap`).
 *
 * Exercise 2: handle UNREGISTER.
 * Exercise 3: refuse REGISTER from callers whose badge is 0 (`request.badge`), replying REFUSED.
 */
import { Message } from '../../kernel/message.js';
import type { ProcessContext } from '../../kernel/process.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Status } from '../../kernel/status.js';
import { DONE, LOOKUP, NOT_FOUND, REGISTER, SHUTDOWN, UNKNOWN_REQUEST, get_name } from './protocol.js';

export function main(ctx: ProcessContext) {
  const { kernel, pid } = ctx;
  kernel.listen(pid); // Without this, recv fails with NOT_LISTENING.
  const names = new Map<string, number>();
  const request = new Message();
  const reply = new Message();
  let answered = 0;
  for (;;) {
    const status = kernel.recv(pid, request); // Blocks up to 100 ms.
    if (status === Status.TIMEOUT) continue;
    if (status === Status.CLOSED) break;
    if (status !== Status.OK) throw new Error(`server: recv failed with status ${status}`);
    if (request.m_type === SHUTDOWN) break;
    if ((request.flags & SlotFlags.CALL) === 0) continue; // Only calls get answers.
    reply.clear();
    const name = get_name(request);
    switch (request.m_type) {
      case REGISTER:
        names.set(name, request.aux0);
        reply.m_type = DONE;
        break;
      case LOOKUP:
        if (names.has(name)) {
          reply.m_type = DONE;
          reply.aux0 = names.get(name)!;
        } else {
          reply.m_type = NOT_FOUND;
        }
        break;
      default:
        reply.m_type = UNKNOWN_REQUEST;
    }
    if (kernel.reply(pid, request.cap, reply) === Status.OK) answered++;
  }
  return { answered, names: Object.fromEntries(names) };
}
