// The server and client of the call/reply example.

export const ADD = 1;
export const SUM = 2;

/** Answers `calls` ADD calls with the sum of `aux0` and `aux1`. */
export function server(ctx) {
  const { Message, Status, SlotFlags } = ctx;
  ctx.listen(); // Without this, recv fails with NOT_LISTENING.
  const request = new Message();
  const reply = new Message();
  let answered = 0;
  while (answered < ctx.args.calls) {
    const status = ctx.recv(request);
    if (status === Status.TIMEOUT) continue;
    if (status !== Status.OK) throw new Error(`server recv: ${ctx.status_name(status)}`);
    if ((request.flags & SlotFlags.CALL) === 0 || request.m_type !== ADD) continue; // Only calls get answers.
    reply.clear();
    reply.m_type = SUM;
    reply.aux0 = request.aux0 + request.aux1;
    const replied = ctx.reply(request.cap, reply);
    if (replied !== Status.OK) throw new Error(`reply: ${ctx.status_name(replied)}`);
    answered++;
  }
  return { answered };
}

/** Makes `calls` calls to `server` and checks every answer. */
export function client(ctx) {
  const { Message, Status } = ctx;
  const cap = ctx.connect(ctx.args.server);
  const m = new Message();
  const r = new Message();
  let total = 0;
  for (let i = 0; i < ctx.args.calls; i++) {
    m.clear();
    m.m_type = ADD;
    m.aux0 = i;
    m.aux1 = ctx.pid;
    const status = ctx.call(cap, m, r, 5_000);
    if (status !== Status.OK) throw new Error(`call: ${ctx.status_name(status)}`);
    if (r.m_type !== SUM || r.aux0 !== i + ctx.pid) throw new Error(`wrong answer ${r.aux0}`);
    total += r.aux0;
  }
  return { calls: ctx.args.calls, total };
}
