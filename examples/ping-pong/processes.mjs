// The two process bodies of the ping-pong example. A process is an exported function that gets
// its context: its pid and args, the capability-checked calls, and the Message class and status
// codes, so it needs no import of its own.

/** Sends `rounds` pings to `peer`, waits for each pong, and reports the median round trip. */
export function ping(ctx) {
  const { Message, Status } = ctx;
  ctx.listen();
  const cap = ctx.connect(ctx.args.peer);
  const m = new Message();
  const r = new Message();
  const rtt_us = [];
  for (let i = 0; i < ctx.args.rounds; i++) {
    m.m_type = i;
    const start = performance.now();
    let status = ctx.send(cap, m);
    if (status !== Status.OK) throw new Error(`send: ${ctx.status_name(status)}`);
    do status = ctx.recv(r);
    while (status === Status.TIMEOUT);
    if (status !== Status.OK) throw new Error(`recv: ${ctx.status_name(status)}`);
    if (r.m_type !== i) throw new Error('pong out of order');
    rtt_us.push((performance.now() - start) * 1000);
  }
  rtt_us.sort((a, b) => a - b);
  return { rounds: ctx.args.rounds, rtt_p50_us: rtt_us[rtt_us.length >> 1] };
}

/** Answers `rounds` pings, each with the message it got. */
export function pong(ctx) {
  const { Message, Status } = ctx;
  ctx.listen();
  const r = new Message();
  let back = -1;
  for (let i = 0; i < ctx.args.rounds; i++) {
    let status;
    do status = ctx.recv(r);
    while (status === Status.TIMEOUT);
    if (status !== Status.OK) throw new Error(`recv: ${ctx.status_name(status)}`);
    if (back < 0) back = ctx.connect(r.src_pid);
    status = ctx.send(back, r);
    if (status !== Status.OK) throw new Error(`send: ${ctx.status_name(status)}`);
  }
  return { rounds: ctx.args.rounds };
}
