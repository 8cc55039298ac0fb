// What a process gets from its host: the capability-checked context (the raw parts only when the
// host is trusted), a transfer list in its args, and a pid that may be spawned again after its
// process exited, with the old process's capabilities stale.
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { hosts_per_test } from './host_helpers.js';
import { Message } from '../../kernel/message.js';
import { Status } from '../../kernel/status.js';

const fixtures = new URL('../fixtures/context_processes.ts', import.meta.url);
const start = hosts_per_test();

describe('the process context', () => {
  it('offers the kernel, Message and status names, and no raw fastpath or memory unless trusted', async () => {
    const node = { sockets: 1, cores_per_socket: 2 };
    const plain = await start({ node, processes: [{ pid: 1, core: 0, module: fixtures, entry: 'inspect' }] });
    const [seen] = await plain.join([1]);
    expect(seen!.value).toEqual({
      trusted: false,
      has_fastpath_field: false,
      has_memory_field: false,
      message_class: true,
      would_block: 'WOULD_BLOCK',
    });
    const trusted = await start({
      node,
      trusted: true,
      processes: [{ pid: 1, core: 0, module: fixtures, entry: 'inspect' }],
    });
    const [seen_trusted] = await trusted.join([1]);
    expect((seen_trusted!.value as { trusted: boolean }).trusted).toBe(true);
  });

  it('moves the objects of a transfer list into the worker (a MessagePort in args)', async () => {
    const { port1, port2 } = new MessageChannel();
    const host = await start({ node: { sockets: 1, cores_per_socket: 2 } });
    const heard = once(port1, 'message');
    host.spawn({ pid: 3, core: 1, module: fixtures, entry: 'talk', args: { port: port2 }, transfer: [port2] });
    const [said] = await heard;
    expect(said).toBe('hello from 3');
    const [result] = await host.join([3]);
    expect(result!.value).toBe('posted');
    port1.close();
  });
});

/** Resolves once word 0 of `gate` is `value` (the process stored it), waiting without spinning. */
async function gate_reaches(gate: Int32Array, value: number): Promise<void> {
  for (let seen = Atomics.load(gate, 0); seen !== value; seen = Atomics.load(gate, 0)) {
    await Atomics.waitAsync(gate, 0, seen, 1000).value;
  }
}

describe('spawning a pid again', () => {
  it('works after its process exited; a capability to the old process is stale, a new one works', async () => {
    const host = await start({ node: { sockets: 1, cores_per_socket: 3 }, main_cores: [2], main_pids: { 9: 2 } });
    const main = host.attach_kernel(2);
    const shared = new SharedArrayBuffer(4);
    const gate = new Int32Array(shared);
    host.spawn({ pid: 5, core: 0, module: fixtures, entry: 'receive_one', args: { gate: shared, generation: 1 } });
    // Its process still runs: refused.
    expect(() =>
      host.spawn({ pid: 5, core: 0, module: fixtures, entry: 'receive_one', args: { gate: shared, generation: 9 } }),
    ).toThrow(/still running/);
    await gate_reaches(gate, 1);
    const cap = main.connect(9, 5);
    const m = new Message();
    m.m_type = 100;
    expect(main.send(9, cap, m)).toBe(Status.OK);
    const [first] = await host.join([5]);
    expect(first!.value).toEqual({ m_type: 100, generation: 1 });
    // Sent after it exited: queued for a process that is gone.
    m.m_type = 150;
    expect(main.send(9, cap, m)).toBe(Status.OK);
    // Not on another core (what is on its way to the pid is core 0's to drop).
    expect(() =>
      host.spawn({ pid: 5, core: 1, module: fixtures, entry: 'receive_one', args: { gate: shared, generation: 2 } }),
    ).toThrow(/must run again/);
    host.spawn({ pid: 5, core: 0, module: fixtures, entry: 'receive_one', args: { gate: shared, generation: 2 } });
    await gate_reaches(gate, 2);
    m.m_type = 200;
    expect(main.send(9, cap, m)).toBe(Status.STALE_CHANNEL); // The old process's channel is closed.
    const fresh = main.connect(9, 5);
    m.m_type = 300;
    expect(main.send(9, fresh, m)).toBe(Status.OK);
    const [second] = await host.join([5]);
    // The new process sees only what was sent to it: 150, meant for the old one, was dropped, counted.
    expect(second!.value).toEqual({ m_type: 300, generation: 2 });
    expect(host.stats().cores[0]!.stale_dropped).toBe(1);
  });
});
