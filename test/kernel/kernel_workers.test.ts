// The kernel API across real worker threads: calls between cores, a server that dies before
// replying (the caller gets DEAD_PEER, not a hang), and a revoke on one thread refusing sends
// on another.
import { describe, expect, it } from 'vitest';
import { IpcFlags } from '../../kernel/fastpath.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { hosts_per_test } from './host_helpers.js';

const fixtures = new URL('../fixtures/kernel_api_processes.ts', import.meta.url);
const start = hosts_per_test();

describe('call across workers', () => {
  it('round-trips 2000 calls between cores on different sockets', async () => {
    const ready = new SharedArrayBuffer(4);
    const host = await start({
      processes: [
        { pid: 2, core: 3, module: fixtures, entry: 'echo_server', args: { count: 2000, ready } },
        { pid: 1, core: 0, module: fixtures, entry: 'caller', args: { server: 2, count: 2000, ready } },
      ],
    });
    const [client, server] = await host.join([1, 2]);
    expect(client!.error).toBeUndefined();
    expect(client!.value).toEqual({ statuses: Array(2000).fill(Status.OK), last: 19991 });
    expect(server!.value).toBe(2000);
    const stats = host.stats();
    expect(stats.cores[0]!.calls).toBe(2000);
    expect(stats.cores[3]!.replies).toBe(2000);
  });

  it('gives the caller DEAD_PEER when the server throws before replying', async () => {
    const ready = new SharedArrayBuffer(4);
    const host = await start({
      processes: [
        { pid: 2, core: 1, module: fixtures, entry: 'crash_on_call', args: { ready, hard: false } },
        {
          pid: 1,
          core: 0,
          module: fixtures,
          entry: 'caller',
          args: { server: 2, count: 1, ready, timeout_ms: 30_000 },
        },
      ],
    });
    const [client, server] = await host.join([1, 2]);
    expect(server!.ok).toBe(false);
    expect(server!.error!.message).toMatch(/crashed before replying/);
    expect(client!.value).toEqual({ statuses: [Status.DEAD_PEER], last: -1 });
  });

  it("gives the caller DEAD_PEER when the server's whole worker thread dies", async () => {
    const ready = new SharedArrayBuffer(4);
    const host = await start({
      processes: [
        { pid: 2, core: 1, module: fixtures, entry: 'crash_on_call', args: { ready, hard: true } },
        {
          pid: 1,
          core: 0,
          module: fixtures,
          entry: 'caller',
          args: { server: 2, count: 1, ready, timeout_ms: 30_000 },
        },
      ],
    });
    const [client, server] = await host.join([1, 2]);
    expect(server!.error!.code).toBe('ERR_LATTICE_CORE_EXITED');
    expect(client!.value).toEqual({ statuses: [Status.DEAD_PEER], last: -1 });
  });
});

describe('capabilities across workers', () => {
  it('a revoke on the main thread refuses the next send on another core', async () => {
    const cap_slot = new SharedArrayBuffer(4);
    const host = await start({
      main_cores: [3],
      main_pids: { 9: 3 },
      node: { ring_capacity_l3: 4096 },
      processes: [{ pid: 1, core: 0, module: fixtures, entry: 'send_until_refused', args: { dst: 9, cap_slot } }],
    });
    const kernel = host.attach_kernel(3);
    kernel.listen(9);
    const slot = new Int32Array(cap_slot);
    const issued = Atomics.waitAsync(slot, 0, 0);
    if (issued.async) await issued.value;
    const r = new Message();
    for (let i = 0; i < 100; i++) expect(await kernel.recv_async(9, r, 10_000)).toBe(Status.OK);
    expect(kernel.revoke(1, Atomics.load(slot, 0))).toBe(Status.OK);
    const [sender] = await host.join([1]);
    const value = sender!.value as { sent: number; status: number };
    expect(value.status).toBe(Status.NO_CAP);
    let received = 100;
    while (kernel.recv(9, r, IpcFlags.NONBLOCK) === Status.OK) received++;
    expect(received).toBe(value.sent); // Every accepted send arrived; none after the revoke.
  });
});
