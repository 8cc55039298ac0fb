// The processes of the sealed-nodes example: a caller on one node, an adder on the other. A call
// to another node travels as a sealed CALL packet; the reply comes back the same way.

/** Answers `calls` calls with aux0 + aux1. */
export function adder(ctx) {
  const { Message, Status, SlotFlags } = ctx;
  ctx.listen();
  const request = new Message();
  const reply = new Message();
  for (let answered = 0; answered < ctx.args.calls; ) {
    const status = ctx.recv(request);
    if (status === Status.TIMEOUT) continue;
    if (status !== Status.OK) throw new Error(`recv: ${ctx.status_name(status)}`);
    if ((request.flags & SlotFlags.CALL) === 0) continue;
    reply.clear();
    reply.aux0 = request.aux0 + request.aux1;
    const replied = ctx.reply(request.cap, reply);
    if (replied !== Status.OK) throw new Error(`reply: ${ctx.status_name(replied)}`);
    answered++;
  }
  return { answered: ctx.args.calls };
}

/** Calls `peer` on `node` `calls` times and checks each sum. */
export function caller(ctx) {
  const { Message, Status } = ctx;
  const cap = ctx.connect(ctx.args.peer, ctx.args.node);
  if (cap < 0) throw new Error(`connect: ${ctx.status_name(cap)}`);
  const m = new Message();
  const r = new Message();
  for (let i = 0; i < ctx.args.calls; i++) {
    m.clear();
    m.aux0 = i;
    m.aux1 = 1000;
    // The first call waits for the handshake too.
    const status = ctx.call(cap, m, r, 10_000);
    if (status !== Status.OK) throw new Error(`call ${i}: ${ctx.status_name(status)}`);
    if (r.aux0 !== i + 1000) throw new Error(`call ${i}: wrong sum ${r.aux0}`);
  }
  return { calls: ctx.args.calls };
}
