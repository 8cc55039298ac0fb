// The fastpath across real worker threads: contention from several producers, per-channel
// FIFO under forced cascades and spills, blocking receives that wake, and clean shutdown.
import { describe, expect, it } from 'vitest';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';
import { NodeHost } from '../../host/node_host.js';
import { hosts_per_test } from './host_helpers.js';

const fixtures = new URL('../fixtures/kernel_processes.ts', import.meta.url);
const start = hosts_per_test();

describe('many producers, one receiving core', () => {
  it('keeps per-channel FIFO and loses nothing under forced cascade and spill (4 senders, 5 workers)', async () => {
    const gate = new SharedArrayBuffer(8);
    const count = 20_000;
    const senders = [11, 12, 13, 14];
    const host = await start({
      // Tiny rings and a small slab force every path: cascades, spills and back-pressure.
      node: {
        sockets: 2,
        cores_per_socket: 3,
        ring_capacity_l1: 4,
        ring_capacity_l2: 4,
        ring_capacity_l3: 8,
        slab_classes: [{ block_bytes: 128, block_count: 64 }],
      },
      spin_polls: 200,
      processes: [
        { pid: 1, core: 0, module: fixtures, entry: 'drain', args: { expected: count * senders.length, senders } },
        { pid: 11, core: 0, module: fixtures, entry: 'flood', args: { dst: 1, count, gate } }, // Same core: L1.
        { pid: 12, core: 1, module: fixtures, entry: 'flood', args: { dst: 1, count, gate } }, // Same socket: L2.
        { pid: 13, core: 3, module: fixtures, entry: 'flood', args: { dst: 1, count, gate } }, // Other socket: L3.
        { pid: 14, core: 4, module: fixtures, entry: 'flood', args: { dst: 1, count, gate } },
      ],
    });
    const g = new Int32Array(gate);
    Atomics.store(g, 0, 1);
    Atomics.notify(g, 0);
    const results = await host.join();
    for (const result of results) expect(result.error, `pid ${result.pid}`).toBeUndefined();
    const drained = results.find((r) => r.pid === 1)!.value as { received: number; tiers: number[] };
    expect(drained.received).toBe(count * senders.length);
    const stats = host.stats();
    expect(stats.hit_count + stats.spill_count).toBe(count * senders.length);
    const received = stats.cores[0]!.received;
    expect(received.L1 + received.L2 + received.L3 + received.spill).toBe(count * senders.length);
    expect(drained.tiers).toEqual([received.L1, received.L2, received.L3, received.spill]);
    const retries = results
      .filter((r) => r.pid !== 1)
      .reduce((sum, r) => sum + (r.value as { retries: number }).retries, 0);
    expect(stats.backpressured).toBe(retries);
    expect(stats.cores[0]!.cascaded + stats.cores[1]!.cascaded).toBeGreaterThan(0);
    expect(stats.spill_count).toBeGreaterThan(0); // The spill region was really used.
    expect(stats.slab.spilled_blocks).toBe(0); // And every spilled block was freed.
  });
});

describe('blocking receive across threads', () => {
  it('wakes a receiver blocked on its doorbell when a message arrives', async () => {
    const gate = new SharedArrayBuffer(8);
    const host = await start({
      main_cores: [0],
      spin_polls: 0,
      processes: [{ pid: 5, core: 2, module: fixtures, entry: 'sleeper', args: { gate } }],
    });
    host.bind_main(1, 0);
    const main = host.attach(0);
    const g = new Int32Array(gate);
    const about_to_block = Atomics.waitAsync(g, 1, 0);
    if (about_to_block.async) await about_to_block.value;
    const m = new Message();
    m.m_type = 31;
    expect(main.send(1, 5, m)).toBe(Status.OK);
    const [result] = await host.join([5]);
    const value = result!.value as { status: number; m_type: number; waited_ms: number };
    expect(value.status).toBe(Status.OK);
    expect(value.m_type).toBe(31);
    expect(value.waited_ms).toBeLessThan(30_000);
  });

  it('echoes round trips between the main thread (async receive) and a worker', async () => {
    const host = await start({ main_cores: [3], processes: [{ pid: 2, core: 0, module: fixtures, entry: 'echo' }] });
    host.bind_main(1, 3);
    const main = host.attach(3);
    const m = new Message();
    const r = new Message();
    for (let i = 0; i < 200; i++) {
      m.m_type = i;
      expect(main.send(1, 2, m)).toBe(Status.OK);
      expect(await main.recv_async(1, r, 10_000)).toBe(Status.OK);
      expect(r.m_type).toBe(i);
      expect(r.tier).toBe(2); // Core 0 and core 3 are on different sockets.
    }
    await host.close();
    const [echoed] = await host.join([2]);
    expect(echoed!.value).toBe(200);
  });
});

describe('lifecycle', () => {
  it('close() wakes blocked receivers, lets processes return, and leaves no worker', async () => {
    const host = await start({
      node: { sockets: 1, cores_per_socket: 3 },
      processes: [
        { pid: 1, core: 0, module: fixtures, entry: 'wait_for_close' },
        { pid: 2, core: 1, module: fixtures, entry: 'wait_for_close' },
        { pid: 3, core: 2, module: fixtures, entry: 'whoami' },
      ],
    });
    expect(host.live_workers).toBe(3);
    await host.close();
    expect(host.live_workers).toBe(0);
    expect(host.forced_terminations).toBe(0);
    const results = await host.join();
    expect(results.map((r) => r.value)).toEqual([Status.CLOSED, Status.CLOSED, { pid: 3, core: 2, socket: 0 }]);
    await host.close(); // Idempotent.
    await host.destroy();
    const workers = process.getActiveResourcesInfo().filter((name) => name === 'Worker' || name === 'MessagePort');
    expect(workers).toEqual([]);
  });

  it('destroy() cuts a pending close() short: both resolve at once, nothing left', async () => {
    const host = await start({
      close_timeout_ms: 60_000,
      processes: [{ pid: 1, core: 0, module: fixtures, entry: 'stubborn', args: { ms: 60_000 } }],
    });
    const started = performance.now();
    const closing = host.close();
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // The process does not return: close waits for it.
    await host.destroy();
    await closing;
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(host.live_workers).toBe(0);
    expect(host.forced_terminations).toBe(0); // Aborted by destroy, not by close's timeout.
    const [result] = await host.join([1]);
    expect(result!.error!.code).toBe('ERR_LATTICE_CORE_EXITED');
    expect(host.destroy()).toBe(host.close()); // Idempotent: the same promise.
  });

  it('destroy() aborts at once and reports the unfinished processes as failed', async () => {
    const host = await start({ processes: [{ pid: 1, core: 0, module: fixtures, entry: 'wait_for_close' }] });
    await host.destroy();
    expect(host.live_workers).toBe(0);
    const [result] = await host.join([1]);
    expect(result!.ok).toBe(false);
    expect(result!.error!.code).toBe('ERR_LATTICE_CORE_EXITED');
  });

  it('reports a process that throws, with its error name and message', async () => {
    const host = await start({
      processes: [
        { pid: 1, core: 1, module: fixtures, entry: 'fails' },
        { pid: 2, core: 1, module: fixtures, entry: 'nope' },
      ],
    });
    const [failed, missing] = await host.join([1, 2]);
    expect(failed!.ok).toBe(false);
    expect(failed!.error!.name).toBe('RangeError');
    expect(failed!.error!.message).toMatch(/on purpose/);
    expect(missing!.error!.message).toMatch(/exports no function 'nope'/);
    await host.close();
  });

  it('spawns a process on a running core', async () => {
    const host = await start({ node: { sockets: 1, cores_per_socket: 2 } });
    host.spawn({ pid: 7, core: 1, module: fixtures, entry: 'whoami' });
    const [result] = await host.join([7]);
    expect(result!.value).toEqual({ pid: 7, core: 1, socket: 0 });
    await host.close();
    expect(() => host.spawn({ pid: 8, core: 1, module: fixtures, entry: 'whoami' })).toThrow(/closing/);
  });

  it('refuses bad process specs with typed errors', async () => {
    await expect(NodeHost.start({ processes: [{ pid: 1, core: 9, module: fixtures }] })).rejects.toMatchObject({
      code: 'ERR_LATTICE_BAD_CORE',
    });
    await expect(
      NodeHost.start({
        processes: [
          { pid: 1, core: 0, module: fixtures },
          { pid: 1, core: 1, module: fixtures },
        ],
      }),
    ).rejects.toMatchObject({ code: 'ERR_LATTICE_PID_BOUND' });
    await expect(
      NodeHost.start({ main_cores: [0], processes: [{ pid: 1, core: 0, module: fixtures }] }),
    ).rejects.toMatchObject({
      code: 'ERR_LATTICE_BAD_CORE',
    });
  });
});
