/**
 * Lab 01, run by `lattice lab 01`: starts the name server and two clients on a 2 × 2 node,
 * lets the clients look names up once both have registered, stops the server when the clients
 * are done, and checks what happened.
 */
import { module_beside } from '../../host/module_url.js';
import { NodeHost } from '../../host/node_host.js';
import { SlotFlags } from '../../kernel/layout/slot_layout.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { SHUTDOWN } from './protocol.js';

export interface LabCheck {
  readonly what: string;
  readonly ok: boolean;
}

export async function run(out: (line?: string) => void): Promise<LabCheck[]> {
  const server = module_beside('./server', import.meta.url);
  const client = module_beside('./client', import.meta.url);
  out('Lab 01: a name server in the MINIX style (2 sockets x 2 cores)');
  out('  pid 10  server    core 1 (socket 0)');
  out('  pid 20  client a  core 0 (socket 0)  registers "alpha" = 1001, looks up "beta"');
  out('  pid 21  client b  core 2 (socket 1)  registers "beta"  = 2002, looks up "alpha"');
  out('  pid 1   the lab   core 3 (main thread): waits for both registrations (notify), lets the');
  out('                     clients go (notify), sends SHUTDOWN to the server at the end');
  out();
  const host = await NodeHost.start({
    main_cores: [3],
    main_pids: { 1: 3 },
    processes: [
      { pid: 10, core: 1, module: server },
      {
        pid: 20,
        core: 0,
        module: client,
        args: { server: 10, lab: 1, name: 'alpha', number: 1001, lookups: ['beta'], badge: 1 },
      },
      {
        pid: 21,
        core: 2,
        module: client,
        args: { server: 10, lab: 1, name: 'beta', number: 2002, lookups: ['alpha'], badge: 2 },
      },
    ],
  });
  try {
    const kernel = host.attach_kernel(3);
    kernel.listen(1);
    // Each client notifies once it has registered; notifications coalesce into one word.
    const clients = [20, 21];
    const everyone = clients.reduce((bits, pid) => bits | (1 << (pid % 30)), 0);
    const note = new Message();
    let heard = 0;
    while (heard !== everyone) {
      const status = await kernel.recv_async(1, note, 10_000);
      if (status === Status.OK && (note.flags & SlotFlags.NOTIFY) !== 0) heard |= note.badge;
      else if (status !== Status.TIMEOUT) throw new Error(`lab: waiting for registrations: status ${status}`);
    }
    for (const pid of clients) kernel.notify(1, kernel.connect(1, pid, 0, { badge: 1 }));
    const [a, b] = await host.join([20, 21]);
    const stop = new Message();
    stop.m_type = SHUTDOWN;
    kernel.send(1, kernel.connect(1, 10), stop);
    const [s] = await host.join([10]);
    const checks: LabCheck[] = [];
    for (const [label, result] of [
      ['client a', a],
      ['client b', b],
      ['server', s],
    ] as const) {
      if (!result!.ok) {
        out(`${label} failed: ${result!.error?.message}`);
        checks.push({ what: `${label} ran without error`, ok: false });
      }
    }
    const found_a = (a!.value as { found: Record<string, number | null> } | undefined)?.found ?? {};
    const found_b = (b!.value as { found: Record<string, number | null> } | undefined)?.found ?? {};
    const served = s!.value as { answered: number; names: Record<string, number> } | undefined;
    out(`client a looked up beta  -> ${found_a.beta ?? 'not found'}`);
    out(`client b looked up alpha -> ${found_b.alpha ?? 'not found'}`);
    out(`server answered ${served?.answered ?? 0} calls; it knows ${JSON.stringify(served?.names ?? {})}`);
    checks.push({ what: 'client a found beta = 2002', ok: found_a.beta === 2002 });
    checks.push({ what: 'client b found alpha = 1001', ok: found_b.alpha === 1001 });
    checks.push({
      what: 'the server registered both names',
      ok: served?.names.alpha === 1001 && served?.names.beta === 2002,
    });
    const stats = host.stats();
    out();
    out(
      `calls made: ${stats.cores.reduce((n, c) => n + c.calls, 0)}, replies: ${stats.cores.reduce((n, c) => n + c.replies, 0)}`,
    );
    out(
      `messages into the server's core (1): L1 ${stats.cores[1]!.received.L1}, L2 ${stats.cores[1]!.received.L2}, L3 ${stats.cores[1]!.received.L3}`,
    );
    return checks;
  } finally {
    await host.close();
  }
}
